// The one-shot SHA-256 / HMAC / HKDF paths of the native backend (sha256-sodium.ts) against
// node:crypto's general implementations (createHash, createHmac, hkdfSync) and @noble, at every
// boundary where the code changes path: SHA-256 input around SODIUM_SHA256_MAX_BYTES (libsodium
// below, OpenSSL above), HMAC keys around the 64-byte block (hashed above), messages around the
// scratch size (null above: the backend falls back to createHmac), HKDF lengths 1–32.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { nativeBackend } from './native.js';
import {
  SODIUM_HMAC_MAX_MESSAGE_BYTES,
  SODIUM_SHA256_MAX_BYTES,
  sodiumHkdfSha256OneBlock,
  sodiumHmacSha256,
  sodiumSha256,
} from './sha256-sodium.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (length: number, seed: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 7 + 1) & 0xff);
const referenceHmac = (key: Uint8Array, data: Uint8Array): string =>
  createHmac('sha256', key).update(data).digest('hex');

describe('sodium SHA-256 paths', () => {
  it('SHA-256 equals node:crypto on both sides of the libsodium/OpenSSL switch', () => {
    const m = SODIUM_SHA256_MAX_BYTES;
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, m - 1, m, m + 1, 1000, 70_000]) {
      const data = bytes(length, length);
      const digest = sodiumSha256(data);
      assert.equal(digest.length, 32, `length ${length}: 32-byte digest`);
      assert.equal(hex(digest), createHash('sha256').update(data).digest('hex'), `length ${length}`);
      assert.equal(Object.getPrototypeOf(digest), Uint8Array.prototype, `length ${length}: plain Uint8Array`);
    }
  });

  it('SHA-256 reads only the view it is given (subarray of a larger buffer)', () => {
    const backing = bytes(600, 3);
    for (const [start, end] of [
      [10, 20],
      [1, 300],
      [100, 600],
    ] as const) {
      const view = backing.subarray(start, end);
      assert.equal(hex(sodiumSha256(view)), hex(sha256(view.slice())), `view [${start}, ${end})`);
    }
  });

  it('HMAC-SHA256 equals createHmac for keys around the block size and messages around every switch', () => {
    const messageLengths = [
      ...[0, 1, 31, 32, 55, 56, 64, 95, 96, 97, 120, 191, 192, 193, 600],
      SODIUM_HMAC_MAX_MESSAGE_BYTES,
    ];
    for (const keyLength of [0, 1, 16, 32, 63, 64, 65, 100, 200]) {
      for (const messageLength of messageLengths) {
        const key = bytes(keyLength, keyLength + 1);
        const data = bytes(messageLength, messageLength + 2);
        const mac = sodiumHmacSha256(key, data);
        assert.ok(mac !== null, `key ${keyLength}, message ${messageLength}: handled`);
        assert.equal(hex(mac), referenceHmac(key, data), `key ${keyLength}, message ${messageLength}`);
      }
    }
  });

  it('HMAC-SHA256 declines messages longer than its scratch; the backend then falls back to createHmac', () => {
    const key = bytes(32, 9);
    for (const length of [SODIUM_HMAC_MAX_MESSAGE_BYTES + 1, 3 * SODIUM_HMAC_MAX_MESSAGE_BYTES]) {
      const data = bytes(length, 4);
      assert.equal(sodiumHmacSha256(key, data), null, `message ${length}: declined`);
      assert.equal(
        hex(nativeBackend.hmacSha256(key, data)),
        referenceHmac(key, data),
        `message ${length}: fallback`,
      );
    }
  });

  it('a long key or message does not change the next call (shared scratch)', () => {
    // A long message then a short one, a long key then a short one: a stale byte in the
    // scratch would change the short call's result.
    const longest = SODIUM_HMAC_MAX_MESSAGE_BYTES;
    const sequence: [number, number][] = [
      [32, longest],
      [32, 5],
      [200, 50],
      [5, 0],
      [64, longest - 1],
      [0, 1],
    ];
    for (const [round, [keyLength, messageLength]] of sequence.entries()) {
      const key = bytes(keyLength, round);
      const data = bytes(messageLength, round + 50);
      assert.equal(
        hex(sodiumHmacSha256(key, data) ?? new Uint8Array()),
        referenceHmac(key, data),
        `call ${round}`,
      );
    }
  });

  it('HMAC-SHA256 agrees with createHmac and noble on random keys and messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ maxLength: 600 }), (key, data) => {
        const mac = sodiumHmacSha256(key, data);
        assert.ok(mac !== null);
        assert.equal(hex(mac), referenceHmac(key, data));
        assert.equal(hex(mac), hex(hmac(sha256, key, data)));
      }),
      { numRuns: 300 },
    );
  });

  it('one-block HKDF equals hkdfSync and noble for L = 1..32, empty and long salts and infos', () => {
    const ikm = bytes(64, 1);
    for (const salt of [new Uint8Array(0), bytes(32, 2), bytes(100, 3)]) {
      for (const info of [new Uint8Array(0), bytes(16, 4), bytes(700, 5)]) {
        for (let length = 1; length <= 32; length++) {
          const context = `salt ${salt.length}, info ${info.length}, L ${length}`;
          const okm = sodiumHkdfSha256OneBlock(ikm, salt, info, length);
          assert.ok(okm !== null, `${context}: handled`);
          assert.equal(okm.length, length, `${context}: length`);
          assert.equal(
            hex(okm),
            Buffer.from(hkdfSync('sha256', ikm, salt, info, length)).toString('hex'),
            context,
          );
          assert.equal(hex(okm), hex(hkdf(sha256, ikm, salt, info, length)), `${context}: noble`);
        }
      }
    }
  });

  it('one-block HKDF declines L > 32 and an info or IKM too long for the scratch; the backend still answers', () => {
    const ikm = bytes(32, 6);
    const longInfo = bytes(SODIUM_HMAC_MAX_MESSAGE_BYTES, 7);
    const longIkm = bytes(SODIUM_HMAC_MAX_MESSAGE_BYTES + 1, 8);
    assert.equal(sodiumHkdfSha256OneBlock(ikm, new Uint8Array(0), new Uint8Array(0), 33), null, 'L 33');
    assert.equal(
      sodiumHkdfSha256OneBlock(ikm, new Uint8Array(0), longInfo, 32),
      null,
      'info + 0x01 too long',
    );
    assert.equal(
      sodiumHkdfSha256OneBlock(longIkm, new Uint8Array(0), new Uint8Array(0), 32),
      null,
      'ikm too long',
    );
    for (const [name, key, info, length] of [
      ['long info', ikm, longInfo, 32],
      ['long ikm', longIkm, new Uint8Array(0), 32],
      ['L 33', ikm, bytes(10, 9), 33],
      ['L 100', ikm, bytes(10, 9), 100],
    ] as const) {
      assert.equal(
        hex(nativeBackend.hkdfSha256(key, bytes(32, 1), info, length)),
        hex(hkdf(sha256, key, bytes(32, 1), info, length)),
        `backend fallback, ${name}`,
      );
    }
  });

  it('random inputs on every path agree with noble (properties over the backend)', () => {
    const key = randomBytes(32);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (data) => {
        assert.equal(hex(nativeBackend.sha256(data)), hex(sha256(data)));
        assert.equal(hex(nativeBackend.hmacSha256(key, data)), hex(hmac(sha256, key, data)));
      }),
      { numRuns: 200 },
    );
  });
});
