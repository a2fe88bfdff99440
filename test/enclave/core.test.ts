// The execution core's fast paths equal the general functions they replace.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { signBytes } from '../../src/codec/index.js';
import { concatBytes, hkdfSha256, utf8Encode } from '../../src/crypto/index.js';
import { hasErrorCode } from '../../src/errors.js';
import { BoundedCache, signDocBytes, StateValueMemo } from '../../src/enclave/core/fast-paths.js';
import { KeyVault, u64be } from '../../src/enclave/core/keys.js';
import { SEED_KDF_SALT } from '../../src/enclave/secrets/labels.js';
import { openPolicy } from './helpers.js';

describe('signDocBytes', () => {
  it('equals the codec signBytes for any body, auth info, chain id and account number', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 50 }),
        fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
        (bodyBytes, authInfoBytes, chainId, accountNumber) => {
          assert.deepEqual(
            signDocBytes(bodyBytes, authInfoBytes, chainId, accountNumber),
            signBytes({ bodyBytes, authInfoBytes, chainId, accountNumber }),
          );
        },
      ),
      { numRuns: 300 },
    );
    for (const accountNumber of [0n, 1n, 127n, 128n, 0xffff_ffff_ffff_ffffn]) {
      assert.deepEqual(
        signDocBytes(new Uint8Array(0), new Uint8Array(130), 'c', accountNumber),
        signBytes({
          bodyBytes: new Uint8Array(0),
          authInfoBytes: new Uint8Array(130),
          chainId: 'c',
          accountNumber,
        }),
        `account ${accountNumber}`,
      );
    }
  });

  it('refuses what signBytes refuses', () => {
    const malformed = (error: unknown) => hasErrorCode(error, 'SIGN_DOC_MALFORMED');
    assert.throws(() => signDocBytes(new Uint8Array(1), new Uint8Array(1), '', 1n), malformed);
    assert.throws(() => signDocBytes(new Uint8Array(1), new Uint8Array(1), 'x'.repeat(51), 1n), malformed);
    assert.throws(() => signDocBytes(new Uint8Array(1), new Uint8Array(1), 'c', -1n), malformed);
    assert.throws(() => signDocBytes(new Uint8Array(1), new Uint8Array(1), 'c', 1n << 64n), malformed);
  });
});

describe('block random', () => {
  it('the per-contract random is HKDF(salt, block random, height || contract key || call index)', () => {
    const vault = new KeyVault(() => new Uint8Array(32).fill(1), openPolicy, new Uint8Array(32));
    vault.bootstrap();
    const previousAppHash = new Uint8Array(32).fill(4);
    vault.blockRandom({ height: 9n, previousAppHash });
    const contractKey = new Uint8Array(32).fill(7);
    const blockRandom = hkdfSha256(
      vault.secrets.randomnessSecret,
      SEED_KDF_SALT,
      concatBytes(utf8Encode('shroud/v1/block-random'), u64be(9n), previousAppHash),
      32,
    );
    const seen = new Set<string>();
    for (const callIndex of [0, 1, 2, 1000]) {
      const expected = hkdfSha256(
        blockRandom,
        SEED_KDF_SALT,
        concatBytes(u64be(9n), contractKey, u64be(BigInt(callIndex))),
        32,
      );
      const random = vault.contractRandom(9n, contractKey, callIndex);
      assert.deepEqual(random, expected, `call ${callIndex}`);
      seen.add(Buffer.from(random).toString('hex'));
    }
    assert.equal(seen.size, 4, 'a different random per call');
    assert.throws(
      () => vault.contractRandom(10n, contractKey, 0),
      (error: unknown) => hasErrorCode(error, 'BLOCK_RANDOM_MISSING'),
    );
  });
});

describe('BoundedCache', () => {
  it('memoizes and stays bounded', () => {
    const cache = new BoundedCache<number>(3);
    let computed = 0;
    const get = (key: string) => cache.get(key, () => ++computed);
    assert.equal(get('a'), 1);
    assert.equal(get('a'), 1);
    get('b');
    get('c');
    assert.equal(computed, 3);
    get('d'); // full: cleared, then d stored
    assert.equal(get('a'), 5, 'a was evicted and recomputed');
  });
});

describe('StateValueMemo', () => {
  it('answers only for the byte-identical blob of the same slot', () => {
    const memo = new StateValueMemo(8);
    const blob = Uint8Array.of(1, 2, 3, 4);
    const value = utf8Encode('balance=5');
    memo.remember('c/slot', blob, value);
    assert.deepEqual(memo.lookup('c/slot', Uint8Array.of(1, 2, 3, 4)), value);
    assert.equal(memo.lookup('c/slot', Uint8Array.of(1, 2, 3, 5)), undefined, 'another blob misses');
    assert.equal(memo.lookup('c/slot', Uint8Array.of(1, 2, 3)), undefined, 'a shorter blob misses');
    assert.equal(memo.lookup('d/slot', blob), undefined, 'another contract or slot misses');
    const copy = memo.lookup('c/slot', blob)!;
    copy[0] = 0;
    assert.deepEqual(memo.lookup('c/slot', blob), value, 'callers get copies');
    memo.forget('c/slot');
    assert.equal(memo.lookup('c/slot', blob), undefined, 'forgotten after a delete');
  });
});
