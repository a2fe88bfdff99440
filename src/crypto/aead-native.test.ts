// The shroud_aead addon (native/shroud_aead.c) against node:crypto and @noble, byte for byte, and
// the node:crypto fallback (createNativeBackend(null)) held to the same tests: known answers
// (McGrew–Viega GCM, RFC 4231 HMAC), random differential runs from 0 B to 64 KiB, tampering,
// wrong keys, stale identity-cached handles, bad arguments, loading failures and two worker
// threads using the addon at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHmac } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { aeadAddon, aeadAddonStatus, loadAeadAddon, type AeadAddon } from './aead-native.js';
import { createCryptoApi } from './api.js';
import { createNativeBackend } from './backend-native.js';
import { pureBackend } from './backend-pure.js';
import { bytesToHex, hexToBytes, utf8Encode } from './bytes.js';
import { CryptoError } from './errors.js';
import { composedSivSeal } from './siv.js';
import { pattern } from '../../test/helpers/pattern.js';

const hex = bytesToHex;
const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'shroud-aead-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/**
 * The addon binary these tests use: the built one, else one built now into a temp dir with
 * scripts/build-native.mjs. Undefined (addon tests skipped, fallback tests still run) only on a
 * machine without a C compiler or Node headers.
 */
function addonPath(): string | undefined {
  const built = fileURLToPath(new URL('../../dist/native/shroud_aead.node', import.meta.url));
  if (loadAeadAddon(built, {}).status === 'loaded') return built;
  const out = join(scratch, 'build');
  spawnSync(process.execPath, [join(root, 'scripts/build-native.mjs'), '--out', out], { stdio: 'ignore' });
  const fresh = join(out, 'shroud_aead.node');
  return loadAeadAddon(fresh, {}).status === 'loaded' ? fresh : undefined;
}

const path = addonPath();
const addon: AeadAddon | null = path === undefined ? null : loadAeadAddon(path, {}).addon;
const noAddon = addon === null ? 'no C compiler or Node headers: the addon could not be built' : false;

/** node:crypto directly: the reference for every differential test. */
function referenceSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]).toString('hex');
}

function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index]! ^= 0x01;
  return copy;
}

function assertDecryptFailed(run: () => unknown, message: string): void {
  assert.throws(
    run,
    (error: unknown) => error instanceof CryptoError && error.code === 'DECRYPT_FAILED',
    message,
  );
}

const SIZES = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 256, 1000, 4096, 65535, 65536];

const variants = [
  { name: 'addon', backend: addon === null ? null : createNativeBackend(addon), skip: noAddon },
  { name: 'node:crypto fallback', backend: createNativeBackend(null), skip: false as const },
];

for (const variant of variants) {
  describe(`AES-256-GCM / HMAC key handles (${variant.name})`, { skip: variant.skip }, () => {
    // Built lazily: with the addon skipped, variant.backend is null and nothing runs.
    const api = () => createCryptoApi(variant.backend!);

    it('McGrew–Viega GCM test cases 13 and 16 (AES-256), one-shot and through a handle', () => {
      const key16 = hexToBytes('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
      const cases = [
        [new Uint8Array(32), new Uint8Array(12), '', '', '530f8afbc74536b9a963b4f1c4cb738b'],
        [
          key16,
          hexToBytes('cafebabefacedbaddecaf888'),
          'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24' +
            '49a6b525b16aedf5aa0de657ba637b39',
          'feedfacedeadbeeffeedfacedeadbeefabaddad2',
          '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10' +
            '56828838c5f61e6393ba7a0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b',
        ],
      ] as const;
      for (const [index, [key, iv, plaintext, aad, sealed]] of cases.entries()) {
        const handle = api().aeadKey(key);
        assert.equal(
          hex(handle.gcmEncrypt(iv, hexToBytes(plaintext), hexToBytes(aad))),
          sealed,
          `case ${index} handle`,
        );
        assert.equal(
          hex(api().aesGcmEncrypt(key, iv, hexToBytes(plaintext), hexToBytes(aad))),
          sealed,
          `case ${index} one-shot`,
        );
        assert.equal(
          hex(handle.gcmDecrypt(iv, hexToBytes(sealed), hexToBytes(aad))),
          plaintext,
          `case ${index} open`,
        );
      }
    });

    it('RFC 4231 HMAC-SHA256 cases 1–5 (keys up to 32 bytes, zero-padded as RFC 2104 §2 does)', () => {
      const cases = [
        [
          new Uint8Array(20).fill(0x0b),
          utf8Encode('Hi There'),
          'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
        ],
        [
          utf8Encode('Jefe'),
          utf8Encode('what do ya want for nothing?'),
          '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
        ],
        [
          new Uint8Array(20).fill(0xaa),
          new Uint8Array(50).fill(0xdd),
          '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
        ],
        [
          Uint8Array.from({ length: 25 }, (_, i) => i + 1),
          new Uint8Array(50).fill(0xcd),
          '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
        ],
        [
          new Uint8Array(20).fill(0x0c),
          utf8Encode('Test With Truncation'),
          'a3b6167473100ee06e0c796c2955552b',
        ],
      ] as const;
      // Cases 6 and 7 use 131-byte keys, which HMAC hashes first: no 32-byte handle holds them.
      for (const [index, [key, message, expected]] of cases.entries()) {
        const padded = new Uint8Array(32);
        padded.set(key);
        const mac = hex(api().aeadKey(padded).hmac(message));
        assert.equal(mac.slice(0, expected.length), expected, `RFC 4231 case ${index + 1} (handle)`);
        assert.equal(
          hex(api().hmacSha256(padded, message)).slice(0, expected.length),
          expected,
          `case ${index + 1}`,
        );
      }
    });

    it('equals node:crypto for every size from 0 B to 64 KiB (empty and non-empty AAD)', () => {
      for (const [index, size] of SIZES.entries()) {
        const key = pattern(32, index + 1);
        const iv = pattern(12, index + 100);
        const plaintext = pattern(size, index + 200);
        for (const aad of [new Uint8Array(0), pattern(1 + (size % 70), index + 300)]) {
          const expected = referenceSeal(key, iv, plaintext, aad);
          const sealed = api().aeadKey(key).gcmEncrypt(iv, plaintext, aad);
          assert.equal(hex(sealed), expected, `${size} B, aad ${aad.length} B`);
          assert.equal(hex(api().aesGcmEncrypt(key, iv, plaintext, aad)), expected, `one-shot ${size} B`);
          assert.equal(hex(api().aesGcmDecrypt(key, iv, sealed, aad)), hex(plaintext), `open ${size} B`);
          assert.equal(
            hex(api().hmacSha256(key, plaintext)),
            createHmac('sha256', key).update(plaintext).digest('hex'),
            `HMAC ${size} B`,
          );
        }
      }
    });

    it('equals node:crypto on random keys, IVs and messages, many operations per handle', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.array(
            fc.record({
              iv: fc.uint8Array({ minLength: 12, maxLength: 12 }),
              plaintext: fc.uint8Array({ maxLength: 600 }),
              aad: fc.uint8Array({ maxLength: 80 }),
            }),
            { minLength: 1, maxLength: 6 },
          ),
          (key, operations) => {
            const handle = api().aeadKey(key);
            for (const { iv, plaintext, aad } of operations) {
              const sealed = handle.gcmEncrypt(iv, plaintext, aad);
              if (hex(sealed) !== referenceSeal(key, iv, plaintext, aad)) return false;
              if (hex(handle.gcmDecrypt(iv, sealed, aad)) !== hex(plaintext)) return false;
              if (hex(handle.hmac(plaintext)) !== createHmac('sha256', key).update(plaintext).digest('hex'))
                return false;
            }
            return true;
          },
        ),
        { seed: 0x5eed, numRuns: 150 },
      );
    });

    it('refuses any flipped byte of ciphertext, tag, IV or AAD, and a wrong key', () => {
      const key = pattern(32, 7);
      const iv = pattern(12, 8);
      const aad = pattern(20, 9);
      const handle = api().aeadKey(key);
      const sealed = handle.gcmEncrypt(iv, pattern(40, 10), aad);
      for (let i = 0; i < sealed.length; i++)
        assertDecryptFailed(() => handle.gcmDecrypt(iv, flipped(sealed, i), aad), `sealed byte ${i}`);
      for (let i = 0; i < iv.length; i++)
        assertDecryptFailed(() => handle.gcmDecrypt(flipped(iv, i), sealed, aad), `IV byte ${i}`);
      for (let i = 0; i < aad.length; i++)
        assertDecryptFailed(() => handle.gcmDecrypt(iv, sealed, flipped(aad, i)), `AAD byte ${i}`);
      assertDecryptFailed(() => handle.gcmDecrypt(iv, sealed, aad.subarray(1)), 'shorter AAD');
      assertDecryptFailed(() => handle.gcmDecrypt(iv, sealed.subarray(0, sealed.length - 1), aad), 'cut tag');
      assertDecryptFailed(() => handle.gcmDecrypt(iv, sealed), 'no AAD');
      assertDecryptFailed(() => api().aeadKey(flipped(key, 31)).gcmDecrypt(iv, sealed, aad), 'wrong key');
      assertDecryptFailed(() => api().aesGcmDecrypt(flipped(key, 0), iv, sealed, aad), 'wrong key, one-shot');
      // Empty plaintext: the tag alone is authenticated.
      const empty = handle.gcmEncrypt(iv, new Uint8Array(0), aad);
      assert.equal(handle.gcmDecrypt(iv, empty, aad).length, 0);
      assertDecryptFailed(() => handle.gcmDecrypt(iv, flipped(empty, 15), aad), 'empty plaintext, tag');
      // A refused open leaves the handle usable.
      assert.equal(hex(handle.gcmDecrypt(iv, sealed, aad)), hex(pattern(40, 10)));
    });

    it('sivSeal equals the composition on the pure backend; sivOpen refuses any change', () => {
      const key = pattern(32, 11);
      const label = utf8Encode('shroud/v1/test-siv');
      for (const [index, size] of [0, 1, 31, 200, 5000].entries()) {
        const [slot, salt, value, address] = [
          pattern(32, 12 + index),
          pattern(16, 13),
          pattern(size, 14),
          pattern(20, 15),
        ];
        const expected = composedSivSeal(pureBackend, key, 1, label, slot, salt, value, address, slot);
        const blob = api().sivSeal(key, 1, label, slot, salt, value, address, slot);
        assert.equal(hex(blob), hex(expected), `seal ${size} B`);
        assert.equal(
          hex(api().aeadKey(key).sivSeal(1, label, slot, salt, value, address, slot)),
          hex(expected),
          `handle ${size} B`,
        );
        assert.equal(hex(api().sivOpen(key, 1, address, slot, blob)), hex(value), `open ${size} B`);
        if (size === 31) {
          for (let i = 0; i < blob.length; i++)
            assertDecryptFailed(
              () => api().sivOpen(key, 1, address, slot, flipped(blob, i)),
              `blob byte ${i}`,
            );
          assertDecryptFailed(() => api().sivOpen(key, 2, address, slot, blob), 'version');
          assertDecryptFailed(() => api().sivOpen(key, 1, flipped(address, 0), slot, blob), 'address');
          assertDecryptFailed(() => api().sivOpen(key, 1, address, flipped(slot, 5), blob), 'slot');
          assertDecryptFailed(() => api().sivOpen(flipped(key, 3), 1, address, slot, blob), 'key');
          assertDecryptFailed(() => api().sivOpen(key, 1, address, slot, blob.subarray(0, 28)), 'short blob');
        }
      }
    });

    it('a key array changed after use gets a fresh handle, never the old key', () => {
      const key = pattern(32, 21);
      const iv = pattern(12, 22);
      const plaintext = pattern(50, 23);
      assert.equal(
        hex(api().aesGcmEncrypt(key, iv, plaintext)),
        referenceSeal(key, iv, plaintext, new Uint8Array(0)),
      );
      key[0]! ^= 0xff;
      assert.equal(
        hex(api().aesGcmEncrypt(key, iv, plaintext)),
        referenceSeal(key, iv, plaintext, new Uint8Array(0)),
        'after the change',
      );
      assert.equal(
        hex(api().hmacSha256(key, plaintext)),
        createHmac('sha256', key).update(plaintext).digest('hex'),
      );
      key.fill(0);
      assert.equal(
        hex(api().aesGcmEncrypt(key, iv, plaintext)),
        referenceSeal(key, iv, plaintext, new Uint8Array(0)),
      );
      // aeadKey copies: a later change to the caller's array does not reach the handle.
      const original = pattern(32, 24);
      const handle = api().aeadKey(original);
      const before = hex(handle.gcmEncrypt(iv, plaintext));
      original.fill(1);
      assert.equal(hex(handle.gcmEncrypt(iv, plaintext)), before);
    });

    it('bad arguments are typed CryptoErrors that name the argument and carry no bytes', () => {
      const key = pattern(32, 31);
      const cases: [string, () => unknown, string][] = [
        ['short key', () => api().aeadKey(key.subarray(1)), 'INVALID_LENGTH'],
        [
          'short IV',
          () => api().aeadKey(key).gcmEncrypt(new Uint8Array(11), new Uint8Array(1)),
          'INVALID_LENGTH',
        ],
        [
          'string plaintext',
          () =>
            api()
              .aeadKey(key)
              .gcmEncrypt(new Uint8Array(12), 'x' as never),
          'INVALID_ARGUMENT',
        ],
        [
          'short sealed',
          () => api().aeadKey(key).gcmDecrypt(new Uint8Array(12), new Uint8Array(15)),
          'INVALID_LENGTH',
        ],
        [
          'HMAC of a number',
          () =>
            api()
              .aeadKey(key)
              .hmac(5 as never),
          'INVALID_ARGUMENT',
        ],
        ['version 256', () => api().sivSeal(key, 256, key, key, key, key, key, key), 'INVALID_ARGUMENT'],
        ['version -1', () => api().sivOpen(key, -1, key, key, key), 'INVALID_ARGUMENT'],
        [
          '31-byte SIV key',
          () => api().sivSeal(key.subarray(1), 1, key, key, key, key, key, key),
          'INVALID_LENGTH',
        ],
      ];
      for (const [name, run, code] of cases) {
        assert.throws(
          run,
          (error: unknown) =>
            error instanceof CryptoError &&
            error.code === code &&
            !error.message.includes(hex(key).slice(0, 8)),
          name,
        );
      }
    });
  });
}

describe('shroud_aead addon: loading and the native boundary', () => {
  it('loads once per thread; SHROUD_NATIVE_AEAD=0 disables it; a missing or foreign file is a status', () => {
    assert.equal(loadAeadAddon(path, { SHROUD_NATIVE_AEAD: '0' }).status, 'disabled');
    assert.equal(loadAeadAddon(join(scratch, 'none.node'), {}).status, 'absent');
    const garbage = join(scratch, 'garbage.node');
    writeFileSync(garbage, 'not an ELF file');
    assert.deepEqual(loadAeadAddon(garbage, {}), { addon: null, status: 'failed' });
    const foreign = join(scratch, 'foreign.cjs');
    writeFileSync(foreign, 'module.exports = { abiVersion: 99 };');
    assert.equal(loadAeadAddon(foreign, {}).status, 'failed', 'another ABI version is not used');
    assert.equal(aeadAddonStatus(), aeadAddonStatus(), 'the status is loaded once');
    assert.equal(aeadAddon(), aeadAddon(), 'one instance per thread');
  });

  it('the C side refuses wrong types and lengths with errors, not crashes', { skip: noAddon }, () => {
    const native = addon!;
    const handle = native.createKey(pattern(32, 41));
    const empty = new Uint8Array(0);
    const cases: [string, () => unknown, RegExp][] = [
      ['31-byte key', () => native.createKey(new Uint8Array(31)), /key must be 32 bytes/],
      [
        'key of another type',
        () => native.createKey(new Uint16Array(16) as never),
        /key must be a Uint8Array/,
      ],
      [
        'not a handle',
        () => native.hmac({} as never, undefined, new Uint8Array(1)),
        /handle must come from createKey/,
      ],
      [
        '11-byte IV',
        () => native.gcmEncrypt(handle, undefined, new Uint8Array(11), new Uint8Array(1), new Uint8Array(0)),
        /iv must be 12 bytes/,
      ],
      [
        'missing arguments',
        () => (native.gcmDecrypt as (...args: unknown[]) => unknown)(handle, undefined),
        /too few arguments/,
      ],
      ...[300, 2 ** 32, 2 ** 32 + 1, 1.5, -1, Number.NaN].map((version): [string, () => unknown, RegExp] => [
        `version ${version} (not truncated to a byte or to 32 bits)`,
        () => native.sivOpen(handle, undefined, version, empty, empty, new Uint8Array(40)),
        /version must be an integer 0\.\.255/,
      ]),
      [
        'out of the wrong length',
        () => native.hmac(handle, undefined, new Uint8Array(1), new Uint8Array(31)),
        /out must be 32 bytes/,
      ],
      [
        'out of another type',
        () => native.gcmEncrypt(handle, undefined, new Uint8Array(12), empty, empty, [] as never),
        /out must be a Uint8Array/,
      ],
    ];
    for (const [name, run, message] of cases) assert.throws(run, message, name);
    assert.equal(native.gcmDecrypt(handle, undefined, new Uint8Array(12), new Uint8Array(15), empty), null);
    assert.equal(
      native.gcmDecrypt(handle, undefined, new Uint8Array(12), new Uint8Array(15), empty, empty),
      false,
    );
    assert.equal(
      native.hmac(handle, pattern(32, 42), new Uint8Array(1)),
      undefined,
      'a check array with other bytes marks the handle stale',
    );
    // With `out`: true/false answers, and a refused open leaves no unauthenticated plaintext.
    const iv = pattern(12, 43);
    const sealed = new Uint8Array(64 + 16);
    assert.equal(native.gcmEncrypt(handle, undefined, iv, pattern(64, 44), empty, sealed), true);
    const opened = new Uint8Array(64);
    assert.equal(native.gcmDecrypt(handle, undefined, iv, flipped(sealed, 70), empty, opened), false);
    assert.ok(
      opened.every((byte) => byte === 0),
      'the refused plaintext was wiped',
    );
    assert.equal(native.gcmDecrypt(handle, undefined, iv, sealed, empty, opened), true);
    assert.equal(hex(opened), hex(pattern(64, 44)));
    // An out in shared memory (another thread could read plaintext before the tag is refused)
    // or overlapping an input (the seal writes its header before GCM reads the plaintext).
    const shared = new Uint8Array(new SharedArrayBuffer(64));
    assert.throws(() => native.gcmDecrypt(handle, undefined, iv, sealed, empty, shared), /not shared memory/);
    const scratchBuffer = new Uint8Array(40 + 29);
    const overlapping: [string, () => unknown][] = [
      [
        'seal over its plaintext',
        () =>
          native.sivSeal(
            handle,
            undefined,
            1,
            empty,
            empty,
            empty,
            scratchBuffer.subarray(0, 40),
            empty,
            empty,
            scratchBuffer,
          ),
      ],
      [
        'open into its blob',
        () => native.gcmDecrypt(handle, undefined, iv, sealed, empty, sealed.subarray(16, 80)),
      ],
      [
        'HMAC into its message',
        () => native.hmac(handle, undefined, scratchBuffer.subarray(10, 50), scratchBuffer.subarray(0, 32)),
      ],
      [
        'encrypt into its AAD',
        () =>
          native.gcmEncrypt(
            handle,
            undefined,
            iv,
            empty,
            scratchBuffer.subarray(0, 20),
            scratchBuffer.subarray(4, 20),
          ),
      ],
    ];
    for (const [name, run] of overlapping) assert.throws(run, /out must not overlap an input/, name);
    assert.equal(
      native.hmac(handle, undefined, scratchBuffer.subarray(32, 50), scratchBuffer.subarray(0, 32)),
      true,
      'adjacent is not overlapping',
    );
  });

  it('an addon that gives no answer for a fresh handle is an error, never an all-zero result', () => {
    const silent = () => undefined;
    const mute = {
      createKey: () => ({}),
      gcmEncrypt: silent,
      gcmDecrypt: silent,
      hmac: silent,
      sivSeal: silent,
      sivOpen: silent,
    };
    const api = createCryptoApi(createNativeBackend(mute as unknown as AeadAddon));
    const key = pattern(32, 51);
    const empty = new Uint8Array(0);
    const calls: [string, () => unknown][] = [
      ['hmacSha256', () => api.hmacSha256(key, pattern(10, 52))],
      ['aesGcmEncrypt', () => api.aesGcmEncrypt(key, pattern(12, 53), pattern(10, 54))],
      ['aesGcmDecrypt', () => api.aesGcmDecrypt(key, pattern(12, 53), pattern(26, 55))],
      ['sivSeal', () => api.sivSeal(key, 1, empty, empty, empty, pattern(10, 56), empty, empty)],
      ['sivOpen', () => api.sivOpen(key, 1, empty, empty, pattern(40, 57))],
    ];
    for (const [name, run] of calls) assert.throws(run, /no answer for a fresh key handle/, name);
  });

  it(
    'a binary from another C source is never loaded, and a rebuild without a compiler removes it',
    { skip: noAddon },
    () => {
      // A scratch copy of the repository's build inputs, so the real dist/ is not touched.
      const repo = join(scratch, 'repo');
      mkdirSync(join(repo, 'scripts'), { recursive: true });
      mkdirSync(join(repo, 'native'), { recursive: true });
      copyFileSync(join(root, 'scripts/build-native.mjs'), join(repo, 'scripts/build-native.mjs'));
      const source = join(repo, 'native/shroud_aead.c');
      copyFileSync(join(root, 'native/shroud_aead.c'), source);
      const binary = join(repo, 'dist/native/shroud_aead.node');
      // The binary is loaded below from this path once per process (require caches addons).
      const build = (environment: NodeJS.ProcessEnv = process.env) =>
        spawnSync(process.execPath, [join(repo, 'scripts/build-native.mjs')], {
          encoding: 'utf8',
          env: environment,
        });
      assert.equal(build().status, 0);
      assert.equal(loadAeadAddon(binary, {}, source).status, 'loaded');
      assert.equal(
        loadAeadAddon(binary, {}, join(repo, 'native/none.c')).status,
        'stale',
        'no source to check',
      );
      writeFileSync(source, `${readFileSync(source, 'utf8')}// the source moved on\n`);
      assert.equal(loadAeadAddon(binary, {}, source).status, 'stale', 'built from other source');
      const rebuild = build({ ...process.env, CC: 'false' });
      assert.equal(rebuild.status, 0, 'no compiler is a warning, not a failure');
      assert.match(rebuild.stderr, /no C compiler.*removed/);
      assert.equal(existsSync(binary), false, 'the stale binary is gone');
      assert.equal(loadAeadAddon(binary, {}, source).status, 'absent');
      assert.equal(build().status, 0);
      // A new process: this one has the old binary at this path loaded (require caches it).
      const check = spawnSync(process.execPath, [join(repo, 'scripts/build-native.mjs'), '--check'], {
        encoding: 'utf8',
      });
      assert.equal(check.status, 0, `rebuilt from the new source: ${check.stdout}`);
    },
  );

  it(
    'two worker threads use the addon at once, each with its own handles for the same key',
    { skip: noAddon },
    async () => {
      // Plain JS workers load the binary directly (no loader needed) and compare with node:crypto.
      const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { createCipheriv, createHmac } = require('node:crypto');
      const addon = require(workerData.path);
      const key = new Uint8Array(32).fill(workerData.keyByte);
      const handle = addon.createKey(key);
      let mismatches = 0;
      for (let i = 0; i < workerData.rounds; i++) {
        const iv = new Uint8Array(12); new DataView(iv.buffer).setUint32(0, i * 2 + workerData.id);
        const plaintext = new Uint8Array((i * 37) % 3000).fill(i & 0xff);
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
        const sealed = addon.gcmEncrypt(handle, key, iv, plaintext, new Uint8Array(0));
        const opened = addon.gcmDecrypt(handle, key, iv, sealed, new Uint8Array(0));
        const mac = addon.hmac(handle, undefined, plaintext);
        if (!Buffer.from(sealed).equals(expected) || !Buffer.from(opened).equals(plaintext)
            || !Buffer.from(mac).equals(createHmac('sha256', key).update(plaintext).digest())) mismatches++;
      }
      parentPort.postMessage(mismatches);`;
      const run = (id: number) =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(source, {
            eval: true,
            workerData: { path, id, keyByte: 5, rounds: 2000 },
          });
          worker.once('message', (mismatches: number) => resolve(mismatches));
          worker.once('error', reject);
          worker.once('exit', (code) =>
            code === 0 ? undefined : reject(new Error(`worker exited ${code}`)),
          );
        });
      const [first, second] = await Promise.all([run(0), run(1)]);
      assert.deepEqual([first, second], [0, 0], 'mismatching operations per worker');
      // The main thread's instance is unaffected by the workers' (loaded and unloaded meanwhile).
      const key = new Uint8Array(32).fill(5);
      const handle = addon!.createKey(key);
      const iv = new Uint8Array(12);
      assert.equal(
        hex(addon!.gcmEncrypt(handle, undefined, iv, new Uint8Array(3), new Uint8Array(0))!),
        referenceSeal(key, iv, new Uint8Array(3), new Uint8Array(0)),
      );
    },
  );
});
