// Adversarial review of the shroud_aead addon (native/shroud_aead.c, issue #4; helper
// "aead-review", session 4). What the addon's own tests (src/crypto/aead-native.test.ts) do not
// try: views the C side reads through (offsets, SharedArrayBuffer, resizable, detached, out of
// bounds, aliased arguments), one handle's OpenSSL context across random operation sequences with
// refused tags in between, OpenSSL's per-thread error queue, externals from another addon, worker
// threads torn down mid-work, every caller (envelope, state values, a token contract run across
// processes) with and without the addon, and the build: a stale binary, a binary that cannot
// resolve a symbol, the measurement of the C source.
//
// "(finding N)" tests failed on the addon as first committed (6ca01f3) and guard the fixes
// (3cea0b5, efe4428); findings 9-11 were fixed in 4c51134; every test here now guards a fix.
// Addon tests are skipped only where no C compiler exists.
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
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { CryptoError, bytesToHex } from '../../src/crypto/index.js';
import { createCryptoApi, createNativeBackend, loadAeadAddon } from '../../src/crypto/native.js';
import { pureBackend } from '../../src/crypto/pure.js';
import { enclaveMeasurement } from '../../src/enclave/index.js';
import { pattern } from '../helpers/pattern.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const buildScript = join(repo, 'scripts', 'build-native.mjs');
const cSource = join(repo, 'native', 'shroud_aead.c');
const scratch = mkdtempSync(join(tmpdir(), 'shroud-aead-review-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** Node's headers as scripts/build-native.mjs finds them; undefined without them. */
const includeDir = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find(
  (dir) => existsSync(join(dir, 'node_api.h')) && existsSync(join(dir, 'openssl', 'evp.h')),
);
const haveCompiler = includeDir !== undefined && spawnSync('cc', ['--version']).status === 0;

function node(args: string[], env: Record<string, string | undefined> = process.env) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 120_000 });
}

/**
 * The addon built now from the working tree's native/shroud_aead.c (the source the measurement
 * covers), so these tests judge that source, not whatever binary dist/native holds.
 */
function buildAddon(): string | undefined {
  if (!haveCompiler) return undefined;
  const out = join(scratch, 'build');
  node([buildScript, '--out', out]);
  const binary = join(out, 'shroud_aead.node');
  return loadAeadAddon(binary, {}).status === 'loaded' ? binary : undefined;
}

const addonPath = buildAddon();
const addon = addonPath === undefined ? null : loadAeadAddon(addonPath, {}).addon;

// The C boundary typed loosely on purpose: these tests hold ABI 1 (results returned) and ABI 2
// (results written to a caller's `out`, true/false returned) to the same contract, so the
// addon's interface can change under them without a type error here.
type RawFunction = (...args: unknown[]) => unknown;
interface RawAddon {
  createKey: RawFunction;
  gcmEncrypt: RawFunction;
  gcmDecrypt: RawFunction;
  hmac: RawFunction;
  sivSeal: RawFunction;
  sivOpen: RawFunction;
}
const raw = addon as unknown as RawAddon | null;

/**
 * One addon call, `out` (a fresh array of `outLength` bytes) appended (ABI 1 ignores it): the
 * result bytes, null when refused (a tag, a layout; ABI 2 throws RangeError for an input shorter
 * than the tag, read as null here), undefined when the handle is stale.
 */
function call(run: RawFunction, args: unknown[], outLength: number): Uint8Array | null | undefined {
  const out = new Uint8Array(Math.max(0, outLength));
  let result: unknown;
  try {
    result = run(...args, out);
  } catch (error) {
    if (outLength < 0 && error instanceof RangeError) return null;
    throw error;
  }
  if (result === true) return out;
  if (result === false || result === null) return null;
  if (result === undefined || result instanceof Uint8Array) return result;
  throw new Error(`unexpected addon result: ${typeof result}`);
}

/** The same adapter for the plain-JS child processes below. */
const CALL_JS = `const call = (run, args, n) => { const out = new Uint8Array(Math.max(0, n));
  const r = run(...args, out); return r === true ? out : r === false ? null : r; };`;
const noAddon = addon === null ? 'no C compiler or Node headers: the addon cannot be built' : false;

// A second addon, compiled here, that reads OpenSSL's per-thread error queue (the one node:crypto
// shares) and makes an external of its own: a value of the same N-API type as a key handle.
const PROBE_SOURCE = `
#define NAPI_VERSION 8
#include <node_api.h>
#include <openssl/err.h>
#include <stdlib.h>
static napi_value peek(napi_env env, napi_callback_info info) {
  (void)info; napi_value v; napi_create_double(env, (double)ERR_peek_error(), &v); return v;
}
static napi_value external(napi_env env, napi_callback_info info) {
  (void)info; unsigned char* junk = calloc(1, 16); napi_value v;
  for (int i = 0; i < 16; i++) junk[i] = 0x41;
  napi_create_external(env, junk, NULL, NULL, &v); return v;
}
NAPI_MODULE_INIT() {
  napi_property_descriptor d[] = {
    {"peekError", NULL, peek, NULL, NULL, NULL, napi_enumerable, NULL},
    {"foreignExternal", NULL, external, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 2, d); return exports;
}
`;

interface Probe {
  peekError: () => number;
  foreignExternal: () => unknown;
}

function buildProbe(): string | undefined {
  if (!haveCompiler) return undefined;
  const dir = join(scratch, 'probe');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'probe.c'), PROBE_SOURCE);
  const binary = join(dir, 'probe.node');
  const result = spawnSync('cc', [
    '-O2',
    '-shared',
    '-fPIC',
    `-I${includeDir}`,
    '-o',
    binary,
    join(dir, 'probe.c'),
  ]);
  return result.status === 0 ? binary : undefined;
}

const probePath = buildProbe();

function referenceSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]).toString('hex');
}

function referenceHmac(key: Uint8Array, message: Uint8Array): string {
  return createHmac('sha256', key).update(message).digest('hex');
}

function hex(bytes: Uint8Array | null | undefined): string | null | undefined {
  return bytes === null || bytes === undefined ? bytes : bytesToHex(bytes);
}

// ES2024 resizable ArrayBuffers (Node 20 has them; the project's lib is ES2023).
interface ResizableBuffer extends ArrayBuffer {
  resize(length: number): void;
}
const Resizable = ArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => ResizableBuffer;

type Placement = 'plain' | 'shared' | 'resizable';

/** `bytes` copied into a view at `offset` of a fresh buffer of the given kind (slack after it). */
function place(bytes: Uint8Array, placement: Placement, offset: number): Uint8Array {
  const size = offset + bytes.length + 5;
  const buffer =
    placement === 'shared'
      ? new SharedArrayBuffer(size)
      : placement === 'resizable'
        ? new Resizable(size, { maxByteLength: size * 2 })
        : new ArrayBuffer(size);
  const view = new Uint8Array(buffer, offset, bytes.length);
  view.set(bytes);
  new Uint8Array(buffer).fill(0xee, 0, offset); // bytes around the view must never be read
  new Uint8Array(buffer).fill(0xee, offset + bytes.length);
  return view;
}

const placementArb = fc.record({
  placement: fc.constantFrom<Placement>('plain', 'shared', 'resizable'),
  offset: fc.integer({ min: 0, max: 17 }),
});
const bytesArb = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });

type Operation =
  | { op: 'seal'; iv: Uint8Array; plaintext: Uint8Array; aad: Uint8Array; alias: boolean }
  | { op: 'open'; iv: Uint8Array; plaintext: Uint8Array; aad: Uint8Array; flip: number | null }
  | { op: 'short'; iv: Uint8Array; sealed: Uint8Array }
  | { op: 'hmac'; message: Uint8Array }
  | {
      op: 'siv';
      version: number;
      parts: [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      flip: number | null;
    };

const ivArb = fc.uint8Array({ minLength: 12, maxLength: 12 });
const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    op: fc.constant('seal' as const),
    iv: ivArb,
    plaintext: bytesArb(300),
    aad: bytesArb(40),
    alias: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('open' as const),
    iv: ivArb,
    plaintext: bytesArb(300),
    aad: bytesArb(40),
    flip: fc.option(fc.nat(), { nil: null }),
  }),
  fc.record({ op: fc.constant('short' as const), iv: ivArb, sealed: bytesArb(15) }),
  fc.record({ op: fc.constant('hmac' as const), message: bytesArb(200) }),
  fc.record({
    op: fc.constant('siv' as const),
    version: fc.integer({ min: 0, max: 255 }),
    parts: fc.tuple(bytesArb(20), bytesArb(40), bytesArb(8), bytesArb(200), bytesArb(40), bytesArb(40)),
    flip: fc.option(fc.nat(), { nil: null }),
  }),
);

const fallbackApi = createCryptoApi(createNativeBackend(null));

describe('shroud_aead review: the native boundary', { skip: noAddon }, () => {
  it('one handle through random operation sequences equals node:crypto, refused tags in between', () => {
    const native = raw!;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.tuple(operationArb, placementArb, fc.boolean()), { minLength: 1, maxLength: 14 }),
        (key, operations) => {
          const handle = native.createKey(place(key, 'shared', 3));
          for (const [index, [operation, { placement, offset }, check]] of operations.entries()) {
            const at = (bytes: Uint8Array) => place(bytes, placement, offset);
            // Ciphertexts to open and plaintexts to seal with a synthetic IV stay out of shared
            // memory here: findings 10 and 11 (their own tests) may make the addon refuse them.
            const atPrivate = (bytes: Uint8Array) =>
              place(bytes, placement === 'shared' ? 'plain' : placement, offset);
            const checkKey = check ? key : undefined;
            const label = `operation ${index} (${operation.op}, ${placement}+${offset})`;
            switch (operation.op) {
              case 'seal': {
                const plaintext = at(operation.plaintext);
                // alias: the same view as plaintext and AAD (reads only; the output is fresh).
                const aad = operation.alias ? plaintext : at(operation.aad);
                assert.equal(
                  hex(
                    call(
                      native.gcmEncrypt,
                      [handle, checkKey, at(operation.iv), plaintext, aad],
                      plaintext.length + 16,
                    ),
                  ),
                  referenceSeal(key, operation.iv, plaintext, aad),
                  label,
                );
                break;
              }
              case 'open': {
                const sealed = Buffer.from(
                  referenceSeal(key, operation.iv, operation.plaintext, operation.aad),
                  'hex',
                );
                if (operation.flip !== null) sealed[operation.flip % sealed.length]! ^= 0x80;
                const opened = call(
                  native.gcmDecrypt,
                  [handle, checkKey, at(operation.iv), atPrivate(sealed), at(operation.aad)],
                  sealed.length - 16,
                );
                assert.equal(
                  hex(opened),
                  operation.flip === null ? bytesToHex(operation.plaintext) : null,
                  label,
                );
                break;
              }
              case 'short':
                assert.equal(
                  call(
                    native.gcmDecrypt,
                    [handle, checkKey, at(operation.iv), at(operation.sealed), new Uint8Array(0)],
                    operation.sealed.length - 16,
                  ),
                  null,
                  label,
                );
                break;
              case 'hmac':
                assert.equal(
                  hex(call(native.hmac, [handle, checkKey, at(operation.message)], 32)),
                  referenceHmac(key, operation.message),
                  label,
                );
                break;
              case 'siv': {
                const [ivLabel, ivContext, salt, plaintext, aadA, aadB] = operation.parts;
                const expected = fallbackApi.sivSeal(key, operation.version, ...operation.parts);
                const blob = call(
                  native.sivSeal,
                  [
                    handle,
                    checkKey,
                    operation.version,
                    at(ivLabel),
                    at(ivContext),
                    at(salt),
                    atPrivate(plaintext),
                    at(aadA),
                    at(aadB),
                  ],
                  plaintext.length + 29,
                );
                assert.equal(hex(blob), bytesToHex(expected), label);
                const stored = expected.slice();
                if (operation.flip !== null) stored[operation.flip % stored.length]! ^= 0x01;
                assert.equal(
                  hex(
                    call(
                      native.sivOpen,
                      [handle, checkKey, operation.version, at(aadA), at(aadB), atPrivate(stored)],
                      stored.length - 29,
                    ),
                  ),
                  operation.flip === null ? bytesToHex(plaintext) : null,
                  label,
                );
                break;
              }
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('detached and out-of-bounds views read as empty, exactly as node:crypto reads them', () => {
    const native = raw!;
    const key = pattern(32, 1);
    const handle = native.createKey(key);
    const iv = pattern(12, 2);
    const detached = pattern(40, 3);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const buffer = new Resizable(64, { maxByteLength: 128 });
    const outOfBounds = new Uint8Array(buffer, 16, 32);
    new Uint8Array(buffer).fill(0x5a);
    buffer.resize(8); // the view now lies past the end: length 0
    const growing = new Resizable(8, { maxByteLength: 64 });
    const tracking = new Uint8Array(growing);
    growing.resize(50); // a length-tracking view grows with its buffer
    tracking.fill(0x33);
    const cases: [string, Uint8Array, number][] = [
      ['detached', detached, 0],
      ['out of bounds', outOfBounds, 0],
      ['length-tracking after growth', tracking, 50],
    ];
    for (const [name, view, length] of cases) {
      assert.equal(view.length, length, `${name}: the view's length as JS sees it`);
      assert.equal(
        hex(call(native.hmac, [handle, key, view], 32)),
        referenceHmac(key, view),
        `${name}: hmac`,
      );
      assert.equal(
        hex(call(native.gcmEncrypt, [handle, key, iv, view, view], view.length + 16)),
        referenceSeal(key, iv, view, view),
        `${name}: gcmEncrypt`,
      );
    }
    assert.equal(
      call(native.gcmDecrypt, [handle, key, iv, detached, new Uint8Array(0)], -16),
      null,
      'detached sealed',
    );
  });

  it(
    'leaves nothing on OpenSSL’s per-thread error queue, which node:crypto shares',
    { skip: !probePath },
    () => {
      // A plain N-API module; require() is typed unknown.
      const { peekError } = createRequire(import.meta.url)(probePath!) as Probe;
      const native = raw!;
      const key = pattern(32, 4);
      const handle = native.createKey(key);
      const iv = pattern(12, 5);
      const sealed = Buffer.from(referenceSeal(key, iv, pattern(33, 6), new Uint8Array(0)), 'hex');
      const steps: [string, () => unknown][] = [
        ['seal', () => call(native.gcmEncrypt, [handle, key, iv, pattern(33, 6), new Uint8Array(0)], 49)],
        [
          'refused tag',
          () =>
            assert.equal(
              call(
                native.gcmDecrypt,
                [handle, key, iv, sealed.map((b, i) => (i === 40 ? b ^ 1 : b)), new Uint8Array(0)],
                33,
              ),
              null,
            ),
        ],
        [
          'short sealed',
          () => call(native.gcmDecrypt, [handle, key, iv, new Uint8Array(3), new Uint8Array(0)], -13),
        ],
        ['open', () => assert.ok(call(native.gcmDecrypt, [handle, key, iv, sealed, new Uint8Array(0)], 33))],
        [
          'stale check',
          () => assert.equal(call(native.hmac, [handle, pattern(32, 7), new Uint8Array(1)], 32), undefined),
        ],
        [
          'wrong-length IV (throws)',
          () =>
            assert.throws(() =>
              call(
                native.gcmEncrypt,
                [handle, key, new Uint8Array(16), new Uint8Array(1), new Uint8Array(0)],
                17,
              ),
            ),
        ],
        [
          'refused siv blob',
          () =>
            assert.equal(
              call(
                native.sivOpen,
                [handle, key, 1, new Uint8Array(0), new Uint8Array(0), new Uint8Array(40)],
                11,
              ),
              null,
            ),
        ],
      ];
      for (const [name, step] of steps) {
        step();
        assert.equal(peekError(), 0, `OpenSSL error queue after: ${name}`);
      }
    },
  );

  it(
    'an external made by another addon is refused, never read as a key handle (finding 1)',
    { skip: !probePath },
    () => {
      // In a child: reading 16 foreign bytes as a key_handle crashes the process (SIGSEGV).
      const source = `
        const addon = require(${JSON.stringify(addonPath)});
        const probe = require(${JSON.stringify(probePath)});
        ${CALL_JS}
        const foreign = probe.foreignExternal();
        const results = [];
        for (const attempt of [
          () => call(addon.hmac, [foreign, undefined, new Uint8Array(1)], 32),
          () => call(addon.gcmEncrypt, [foreign, undefined, new Uint8Array(12), new Uint8Array(1), new Uint8Array(0)], 17),
          () => call(addon.sivOpen, [foreign, undefined, 1, new Uint8Array(0), new Uint8Array(0), new Uint8Array(40)], 11),
        ]) {
          try { attempt(); results.push('accepted'); } catch (error) { results.push(error instanceof TypeError ? 'refused' : 'other'); }
        }
        console.log(JSON.stringify(results));`;
      const child = node(['-e', source]);
      assert.equal(child.signal, null, `the child died of ${child.signal}`);
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(child.stdout), ['refused', 'refused', 'refused']);
    },
  );

  // ABI 2 writes results into a caller's `out` that "overlaps no input": a precondition the C
  // side does not check. Both cases below are what a caller reusing a scratch buffer would hit.
  it('an out overlapping an input is refused, or the result is still right (finding 7)', () => {
    const native = raw!;
    const key = pattern(32, 20);
    const handle = native.createKey(key);
    const [ivLabel, ivContext, salt, aadA, aadB] = [1, 2, 3, 4, 5].map((seed) =>
      pattern(seed * 3, seed + 30),
    );
    const value = pattern(40, 21);
    const expected = bytesToHex(
      fallbackApi.sivSeal(key, 1, ivLabel!, ivContext!, salt!, value, aadA!, aadB!),
    );
    // The plaintext is the start of out: version and IV are written over it before GCM reads it.
    const scratchBuffer = new Uint8Array(value.length + 29);
    scratchBuffer.set(value);
    let sealed: string | undefined;
    try {
      const args = [handle, undefined, 1, ivLabel, ivContext, salt, scratchBuffer.subarray(0, value.length)];
      const result = native.sivSeal(...args, aadA, aadB, scratchBuffer);
      sealed = result instanceof Uint8Array ? bytesToHex(result) : bytesToHex(scratchBuffer);
    } catch (error) {
      assert.ok(error instanceof RangeError || error instanceof TypeError, 'refused with a plain error');
    }
    if (sealed !== undefined) assert.equal(sealed, expected, 'sivSeal with out over its plaintext');
    // A refused open wipes out: when out is the sealed input itself, the input is wiped.
    const iv = pattern(12, 22);
    const stored = Buffer.from(referenceSeal(key, iv, value, new Uint8Array(0)), 'hex');
    stored[0]! ^= 1;
    const before = bytesToHex(stored);
    try {
      native.gcmDecrypt(handle, undefined, iv, stored, new Uint8Array(0), stored.subarray(0, value.length));
    } catch (error) {
      assert.ok(error instanceof RangeError || error instanceof TypeError, 'refused with a plain error');
    }
    assert.equal(bytesToHex(stored), before, 'a refused open left its input as it was');
  });

  it('decryption refuses an out in a SharedArrayBuffer (other threads would see unauthenticated plaintext) (finding 8)', () => {
    // GCM writes the plaintext while it checks the tag: with `out` shared, another thread can
    // read it before the wipe that follows a refused tag (NIST SP 800-38D §5.2.2: no plaintext
    // before authentication). Deterministically: the call must not accept such an out.
    const native = raw!;
    const key = pattern(32, 23);
    const iv = pattern(12, 24);
    const sealed = Buffer.from(referenceSeal(key, iv, pattern(64, 25), new Uint8Array(0)), 'hex');
    sealed[70]! ^= 1;
    const out = new Uint8Array(new SharedArrayBuffer(64));
    assert.throws(() =>
      native.gcmDecrypt(native.createKey(key), undefined, iv, sealed, new Uint8Array(0), out),
    );
  });

  it('input pointers stay valid when the result is allocated after them (scavenges forced)', () => {
    // Arrays up to 64 bytes live on V8's heap, which a scavenge moves. The addon reads its
    // inputs' data pointers, then allocates the result (when no `out` is given): with a GC
    // every few allocations (--stress-scavenge), a pointer into the moved heap would read junk.
    const source = `
      const addon = require(${JSON.stringify(addonPath)});
      const { createCipheriv, createHmac } = require('node:crypto');
      let bad = 0;
      for (let i = 0; i < 3000; i++) {
        const key = new Uint8Array(32).fill(i & 255), iv = new Uint8Array(12).fill((i * 7) & 255);
        const pt = new Uint8Array(i % 60).fill((i * 3) & 255), aad = new Uint8Array(i % 17).fill(5);
        const h = addon.createKey(key);
        const sealed = addon.gcmEncrypt(h, key, iv, pt, aad);
        const c = createCipheriv('aes-256-gcm', key, iv); c.setAAD(aad);
        const ref = Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
        if (!Buffer.from(sealed).equals(ref)) bad++;
        if (!Buffer.from(addon.hmac(h, key, pt)).equals(createHmac('sha256', key).update(pt).digest())) bad++;
        if (!Buffer.from(addon.gcmDecrypt(h, key, iv, sealed, aad)).equals(pt)) bad++;
      }
      console.log(bad);`;
    const child = node(['--stress-scavenge=5', '-e', source]);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), '0', 'mismatching operations');
  });

  it('sivSeal binds its IV to the plaintext it encrypts even when another thread writes that plaintext', async () => {
    // The seal reads the plaintext twice (HMAC for the IV, then GCM). In shared memory a writer
    // between the two gives one IV to two plaintexts: GCM nonce reuse under the contract key.
    // No caller passes shared memory today (channel payloads are copied, shared wasm memories
    // are refused), so this is defence in depth. Bounded tries: a fix can only make it pass.
    const native = raw!;
    const shared = new SharedArrayBuffer(1 << 16);
    const plaintext = new Uint8Array(shared);
    const writer = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
         const p = new Uint8Array(workerData); parentPort.postMessage('ready');
         for (let v = 0;; v = (v + 1) & 255) p[p.length - 1] = v;`,
      { eval: true, workerData: shared },
    );
    try {
      await new Promise((resolve) => writer.once('message', resolve));
      const key = pattern(32, 31);
      const handle = native.createKey(key);
      const empty = new Uint8Array(0);
      for (let attempt = 0; attempt < 1000; attempt++) {
        const blob = call(
          native.sivSeal,
          [handle, undefined, 1, empty, empty, empty, plaintext, empty, empty],
          plaintext.length + 29,
        );
        if (blob === null || blob === undefined) continue; // refusing shared input is a fix too
        const opened = call(native.sivOpen, [handle, undefined, 1, empty, empty, blob], plaintext.length);
        assert.ok(opened, `attempt ${attempt}: the blob opens`);
        const iv = createHmac('sha256', key).update(opened).digest().subarray(0, 12);
        assert.equal(
          bytesToHex(blob.subarray(1, 13)),
          iv.toString('hex'),
          `attempt ${attempt}: IV of its plaintext`,
        );
      }
    } finally {
      await writer.terminate();
    }
  });

  it('a ciphertext in shared memory never opens to plaintext that was not authenticated', async () => {
    // GCM reads the ciphertext for GHASH and again for the keystream XOR (outside OpenSSL's
    // stitched AES-NI blocks): a writer toggling a byte between the reads gets a tag that
    // verifies the original and a plaintext decrypted from the altered byte. Seen after ~800
    // opens of a 64-byte ciphertext (node:crypto alike). Not reachable today (the enclave
    // copies channel payloads, channel.ts), but one zero-copy change away. Bounded tries: a
    // fix (refuse shared input, or copy it first) can only make this pass.
    const native = raw!;
    const key = pattern(32, 32);
    const iv = pattern(12, 33);
    const value = new Uint8Array(64).fill(0x41);
    const sealed = Buffer.from(referenceSeal(key, iv, value, new Uint8Array(0)), 'hex');
    const shared = new SharedArrayBuffer(sealed.length);
    const input = new Uint8Array(shared);
    input.set(sealed);
    const index = value.length - 1;
    const writer = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
         const s = new Uint8Array(workerData.shared); parentPort.postMessage('ready');
         for (;;) { s[workerData.index] = workerData.byte ^ 0x20; s[workerData.index] = workerData.byte; }`,
      { eval: true, workerData: { shared, index, byte: sealed[index] } },
    );
    try {
      await new Promise((resolve) => writer.once('message', resolve));
      const handle = native.createKey(key);
      for (let attempt = 0; attempt < 20000; attempt++) {
        let opened: Uint8Array | null | undefined = null;
        try {
          opened = call(native.gcmDecrypt, [handle, undefined, iv, input, new Uint8Array(0)], value.length);
        } catch (error) {
          assert.ok(error instanceof TypeError || error instanceof RangeError, 'refused with a plain error');
          return;
        }
        if (opened)
          assert.equal(opened[index], 0x41, `attempt ${attempt}: only authenticated bytes come out`);
      }
    } finally {
      await writer.terminate();
    }
  });

  it('a key handle cannot be posted to another thread (externals belong to one isolate)', () => {
    const { port1, port2 } = new MessageChannel();
    try {
      assert.throws(
        () => port1.postMessage(raw!.createKey(pattern(32, 8))),
        (error: unknown) => error instanceof Error && error.name === 'DataCloneError',
      );
    } finally {
      port1.close();
      port2.close();
    }
  });

  it('workers loading the addon, churning handles and terminated mid-work leave every thread correct', () => {
    // In a child with --expose-gc, so a crash in a finalizer or at a worker's teardown shows as
    // the child's exit status instead of killing the test runner.
    const source = `
      const { Worker } = require('node:worker_threads');
      const { createCipheriv } = require('node:crypto');
      const path = ${JSON.stringify(addonPath)};
      const body = \`
        const addon = require(\${JSON.stringify(path)});
        const out = new Uint8Array(1000);
        const { parentPort } = require('node:worker_threads');
        let n = 0;
        parentPort.postMessage('ready');
        for (;;) {
          const key = new Uint8Array(32).fill(n & 0xff);
          const handle = addon.createKey(key);
          addon.sivSeal(handle, key, 1, new Uint8Array(3), new Uint8Array(5), new Uint8Array(2), new Uint8Array(n % 500), new Uint8Array(4), new Uint8Array(0), out.subarray(0, n % 500 + 29));
          if (++n % 500 === 0) globalThis.gc();
        }\`;
      ${CALL_JS}
      const seal = (addon, handle, key, iv) => Buffer.from(call(addon.gcmEncrypt, [handle, key, iv, new Uint8Array(20), new Uint8Array(3)], 36)).toString('hex');
      const expected = (key, iv) => { const c = createCipheriv('aes-256-gcm', key, iv); c.setAAD(new Uint8Array(3));
        return Buffer.concat([c.update(new Uint8Array(20)), c.final(), c.getAuthTag()]).toString('hex'); };
      (async () => {
        const addon = require(path);
        const key = new Uint8Array(32).fill(9), iv = new Uint8Array(12).fill(1);
        const handle = addon.createKey(key);
        for (let round = 0; round < 6; round++) {
          const workers = Array.from({ length: 3 }, () => new Worker(body, { eval: true }));
          await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
          for (let i = 0; i < 2000; i++) if (seal(addon, handle, key, iv) !== expected(key, iv)) throw new Error('main thread mismatch');
          await Promise.all(workers.map((w) => w.terminate()));
          globalThis.gc();
        }
        console.log('ok');
      })().catch((error) => { console.error(error); process.exit(1); });`;
    const child = node(['--expose-gc', '-e', source]);
    assert.equal(child.signal, null, `the child died of ${child.signal}: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'ok');
  });

  it('a version outside 0..255 is refused by the C side too, not truncated to 32 bits (finding 4)', () => {
    const native = raw!;
    const handle = native.createKey(pattern(32, 9));
    const empty = new Uint8Array(0);
    for (const version of [2 ** 32, 2 ** 32 + 1, 1.5, Number.NaN, -0.5]) {
      assert.throws(
        () =>
          call(
            native.sivSeal,
            [handle, undefined, version, empty, empty, empty, new Uint8Array(1), empty, empty],
            30,
          ),
        /version/,
        `version ${version}`,
      );
    }
  });
});

describe('shroud_aead review: the backend over the addon', () => {
  it('an addon answer of undefined for a fresh handle is an error, never a result', () => {
    // undefined means "stale" and the backend retries on a fresh handle, then trusts the second
    // answer (`as T`). The C side returns NULL without throwing on a few failed N-API calls,
    // which JS sees as undefined: the backend must not hand out the untouched (all-zero) `out`
    // or undefined as a MAC, a ciphertext or a sealed state value.
    const silent = () => undefined;
    const fake = {
      abiVersion: 0,
      sourceSha256: '',
      createKey: () => ({}),
      gcmEncrypt: silent,
      gcmDecrypt: silent,
      hmac: silent,
      sivSeal: silent,
      sivOpen: silent,
    } as unknown as Parameters<typeof createNativeBackend>[0];
    const api = createCryptoApi(createNativeBackend(fake));
    const key = pattern(32, 26);
    const empty = new Uint8Array(0);
    const calls: [string, () => unknown][] = [
      ['hmacSha256', () => api.hmacSha256(key, pattern(10, 27))],
      ['aesGcmEncrypt', () => api.aesGcmEncrypt(key, pattern(12, 28), pattern(10, 29))],
      ['sivSeal', () => api.sivSeal(key, 1, empty, empty, empty, pattern(10, 30), empty, empty)],
    ];
    for (const [name, run] of calls) assert.throws(run, `${name} returned a result`);
  });
});

describe('shroud_aead review: every caller gives the same bytes with and without the addon', () => {
  const backends = [
    ...(addon === null ? [] : [{ name: 'addon', api: createCryptoApi(createNativeBackend(addon)) }]),
    { name: 'node:crypto fallback', api: fallbackApi },
    { name: 'pure', api: createCryptoApi(pureBackend) },
  ];

  it('transaction envelopes and outputs (fast-check, fixed nonces)', () => {
    const [reference, ...others] = backends;
    const network = reference!.api.x25519KeyPairFromSeed(pattern(32, 12));
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        bytesArb(400),
        bytesArb(80),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.stringMatching(/^[a-z0-9/]{1,20}$/),
        (seed, nonce, plaintext, associatedData, txHash, label) => {
          const run = (api: (typeof backends)[number]['api']) => {
            const userKeyPair = api.x25519KeyPairFromSeed(seed);
            const input = api.encryptTxInput({
              networkPublicKey: network.publicKey,
              userKeyPair,
              plaintext,
              associatedData,
              nonce,
            });
            const opened = api.decryptTxInput({
              networkPrivateKey: network.privateKey,
              envelope: input.envelope,
              associatedData,
            });
            const output = api.encryptTxOutput(opened.txKey, txHash, label, plaintext);
            const back = api.decryptTxOutput(input.txKey, txHash, label, output);
            const tampered = input.envelope.slice();
            tampered[tampered.length - 1]! ^= 1;
            assert.throws(
              () =>
                api.decryptTxInput({
                  networkPrivateKey: network.privateKey,
                  envelope: tampered,
                  associatedData,
                }),
              (error: unknown) => error instanceof CryptoError && error.code === 'DECRYPT_FAILED',
            );
            return [input.envelope, opened.plaintext, output, back].map(bytesToHex);
          };
          const expected = run(reference!.api);
          assert.equal(expected[1], bytesToHex(plaintext), 'the input opens to the plaintext');
          for (const { name, api } of others) assert.deepEqual(run(api), expected, name);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('synthetic-IV seals through aeadKey handles and one-shot calls', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 255 }),
        fc.tuple(bytesArb(20), bytesArb(40), bytesArb(8), bytesArb(300), bytesArb(40), bytesArb(40)),
        (key, version, parts) => {
          const blobs = backends.map(({ api }) => {
            const handle = api.aeadKey(key);
            const viaHandle = handle.sivSeal(version, ...parts);
            assert.deepEqual(api.sivSeal(key, version, ...parts), viaHandle, `${api.backendName} one-shot`);
            assert.deepEqual(handle.sivOpen(version, parts[4], parts[5], viaHandle), parts[3]);
            return bytesToHex(viaHandle);
          });
          for (const [index, blob] of blobs.entries()) assert.equal(blob, blobs[0], backends[index]!.name);
        },
      ),
      { numRuns: 100 },
    );
  });

  // A token contract run in the enclave executor (instantiate + 20 transfers, fixed seed and
  // nonces) in two processes: the default (addon) and SHROUD_NATIVE_AEAD=0. The digest covers
  // every result (encrypted outputs, state writes) and the final encrypted state: what the app
  // hash commits to.
  const CHAIN_SCRIPT = `
import { createHash } from 'node:crypto';
const repo = process.argv[2];
const { KeyVault } = await import(repo + 'src/enclave/core/keys.js');
const { Executor } = await import(repo + 'src/enclave/core/executor.js');
const { sealSeed } = await import(repo + 'src/enclave/secrets/sealing.js');
const h = await import(repo + 'test/enclave/helpers.js');
const t = await import(repo + 'test/helpers/token.js');
const { aeadAddonStatus } = await import(repo + 'src/crypto/native.js');
const alice = h.makeUser(1), bob = h.makeUser(2);
const host = new h.MemoryHost();
const vault = new KeyVault(() => new Uint8Array(32).fill(1), h.openPolicy, new Uint8Array(32));
const executor = new Executor(vault, host, 'shroud', { cipher: 'aes-gcm' });
const keys = vault.start(sealSeed(new Uint8Array(32).fill(9), new Uint8Array(32).fill(1)));
const codeHash = host.addCode(h.contractWasm('token'));
const token = h.contractAddress('review-token');
host.addContract(token, codeHash);
vault.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
const digest = createHash('sha256');
const feed = (value) => digest.update(JSON.stringify(value, (_k, v) =>
  typeof v === 'bigint' ? v + 'n' : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
const nonce = (i) => new Uint8Array(32).map((_, j) => (i + j * 7) & 0xff);
const holders = [{ address: alice.address, amount: '1000' }, { address: bob.address, amount: '1000' }];
const init = executor.runContract(h.userCall(alice, keys.ioPublicKey, { entry: 'instantiate', contract: token,
  codeHash, msg: t.tokenInitMsg(holders), label: 'r', nonce: nonce(0) }).request);
feed(init); host.apply(token, init);
let before = '';
for (let i = 1; i <= Number(process.argv[3]); i++) {
  before = digest.copy().digest('hex');
  const [from, to] = i % 2 ? [bob, alice] : [alice, bob];
  const res = executor.runContract(h.userCall(from, keys.ioPublicKey, { entry: 'execute', contract: token, codeHash,
    msg: t.transferMsg(to.address, String(i)), callIndex: i, nonce: nonce(i) }).request);
  if (!res.ok) throw new Error('transfer ' + i + ' failed');
  feed(res); host.apply(token, res);
}
for (const [contract, slots] of [...host.state].sort()) for (const [k, v] of [...slots].sort()) feed([contract, k, v]);
console.log(JSON.stringify({ status: aeadAddonStatus(), before, digest: digest.digest('hex') }));
`;

  it('a token contract run: the addon process and the SHROUD_NATIVE_AEAD=0 process commit the same bytes', (t) => {
    const script = join(scratch, 'chain.mts');
    writeFileSync(script, CHAIN_SCRIPT);
    const run = (transfers: number, env: Record<string, string | undefined>) => {
      const child = spawnSync(process.execPath, ['--import', 'tsx', script, repo, String(transfers)], {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, ...env },
        timeout: 120_000,
      });
      assert.equal(child.status, 0, child.stderr);
      return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
        status: string;
        before: string;
        digest: string;
      };
    };
    const withAddon = run(20, {});
    const without = run(20, { SHROUD_NATIVE_AEAD: '0' });
    assert.equal(without.status, 'disabled');
    if (withAddon.status !== 'loaded') {
      // The default process loads dist/native (npm run build:native); another status there
      // (absent, or a binary of another ABI left from an older source) compares the fallback
      // with itself, which proves nothing.
      t.skip(`the default process could not use the addon (status ${withAddon.status})`);
      return;
    }
    assert.equal(
      withAddon.digest,
      without.digest,
      'results and encrypted state differ between the two nodes',
    );
    assert.notEqual(withAddon.before, withAddon.digest, 'the digest sees the last transfer');
  });
});

describe(
  'shroud_aead review: the build and the measurement',
  { skip: haveCompiler ? false : 'no C compiler' },
  () => {
    /** A copy of the repository's build script and C source, so a changed source harms nothing. */
    function scratchRepo(name: string, edit: (source: string) => string): { root: string; binary: string } {
      const root = join(scratch, name);
      mkdirSync(join(root, 'scripts'), { recursive: true });
      mkdirSync(join(root, 'native'), { recursive: true });
      copyFileSync(buildScript, join(root, 'scripts', 'build-native.mjs'));
      const original = readFileSync(cSource, 'utf8');
      const edited = edit(original);
      assert.notEqual(edited, original, `${name}: the edit must apply to the current source`);
      writeFileSync(join(root, 'native', 'shroud_aead.c'), edited);
      return { root, binary: join(root, 'dist', 'native', 'shroud_aead.node') };
    }

    /** The addon of a scratch copy whose sivSeal swaps aadA and aadB: gcm/hmac still right. */
    const swapped = (source: string) =>
      source.replace('"aadA", &aad[1])', '"aadA", &aad[2])').replace('"aadB", &aad[2])', '"aadB", &aad[1])');

    /** One sivSeal under a fixed key, on the addon at `path`, as hex. */
    function sivHex(path: string): string | undefined {
      const loaded = loadAeadAddon(path, {}).addon as unknown as RawAddon | null;
      if (loaded === null) return undefined;
      const key = pattern(32, 13);
      const parts = [
        pattern(3, 1),
        pattern(4, 2),
        pattern(2, 3),
        pattern(9, 4),
        pattern(5, 5),
        pattern(6, 6),
      ];
      return hex(call(loaded.sivSeal, [loaded.createKey(key), undefined, 1, ...parts], 9 + 29)) ?? undefined;
    }
    const expectedSiv = () => {
      const key = pattern(32, 13);
      return bytesToHex(
        fallbackApi.sivSeal(
          key,
          1,
          pattern(3, 1),
          pattern(4, 2),
          pattern(2, 3),
          pattern(9, 4),
          pattern(5, 5),
          pattern(6, 6),
        ),
      );
    };

    it('the build installs no binary whose sivSeal is wrong (its self-test covers every function) (finding 3)', () => {
      const { root, binary } = scratchRepo('wrong-siv', swapped);
      const build = node([join(root, 'scripts', 'build-native.mjs')]);
      assert.equal(build.status, 0, build.stderr);
      assert.ok(
        !existsSync(binary) || sivHex(binary) === expectedSiv(),
        'a binary sealing other bytes was installed',
      );
    });

    it('a binary built from another version of the source is never loaded, nor kept by a rebuild without a compiler (finding 2)', () => {
      // The older version differs by a comment only (it passes any self-test): what matters is
      // that the binary a node runs comes from the source its measurement covers.
      const { root, binary } = scratchRepo('stale', (source) => `${source}\n// an older version\n`);
      const script = join(root, 'scripts', 'build-native.mjs');
      assert.equal(node([script]).status, 0);
      assert.ok(existsSync(binary), 'the old version was built');
      // The source moves on; the machine has no compiler any more.
      writeFileSync(join(root, 'native', 'shroud_aead.c'), readFileSync(cSource));
      const rebuild = node([script, '--force'], { ...process.env, CC: 'false' });
      assert.equal(rebuild.status, 0, 'no compiler is a warning, not a failure');
      assert.match(rebuild.stderr, /no C compiler/);
      assert.notEqual(node([script, '--check']).status, 0, '--check sees the binary is stale');
      // What a node would run: the old binary, while its measurement covers the new source.
      assert.ok(
        !existsSync(binary) || loadAeadAddon(binary, {}).status !== 'loaded',
        'the binary of the older source is still installed and loads',
      );
    });

    it('a binary that cannot resolve an OpenSSL symbol is refused at load, not a crash at first call (finding 6)', () => {
      // Node loads addons with RTLD_LAZY; without -Wl,-z,now a symbol missing from this node's
      // OpenSSL (another Node, a shared libcrypto) kills the process (exit 127) when first called,
      // here inside the build's own self-test.
      const { root, binary } = scratchRepo('missing-symbol', (source) =>
        source
          .replace(
            '#define KEY_BYTES 32',
            'extern int shroud_review_missing_symbol(void);\n#define KEY_BYTES 32',
          )
          .replace(
            /static napi_value hmac\(napi_env env, napi_callback_info info\) \{/,
            (match) => `${match}\n  if (shroud_review_missing_symbol()) return NULL;`,
          ),
      );
      const build = node([join(root, 'scripts', 'build-native.mjs')]);
      assert.equal(build.signal, null);
      assert.equal(build.status, 0, `the build died: ${build.stderr.trim().split('\n').at(-1)}`);
      assert.ok(!existsSync(binary), 'no binary with an unresolved symbol is installed');
    });

    it('the measurement covers the C source (any change), and the binary not at all', () => {
      const root = join(scratch, 'measured');
      for (const layer of ['codec', 'crypto', 'enclave', 'util', 'vm'])
        mkdirSync(join(root, 'src', layer), { recursive: true });
      mkdirSync(join(root, 'native'), { recursive: true });
      const sourceFile = join(root, 'native', 'shroud_aead.c');
      copyFileSync(cSource, sourceFile);
      const measure = () => bytesToHex(enclaveMeasurement(join(root, 'src')));
      const original = measure();
      writeFileSync(sourceFile, `${readFileSync(cSource, 'utf8')} `);
      assert.notEqual(measure(), original, 'one added byte of C changes the measurement');
      copyFileSync(cSource, sourceFile);
      assert.equal(measure(), original);
      writeFileSync(join(root, 'native', 'shroud_aead.node'), 'any binary at all');
      assert.equal(
        measure(),
        original,
        'the binary is not measured (finding 2: nor is it tied to the source)',
      );
    });
  },
);
