#!/usr/bin/env node
// Builds the enclave's AES-256-GCM/HMAC key-handle addon (native/shroud_aead.c) into
// dist/native/shroud_aead.node with the system C compiler, against the N-API and OpenSSL headers
// Node ships (docs/adr/001-crypto-scheme.md "Native key handles"). No node-gyp, no network: the
// addon links against nothing; its OpenSSL symbols resolve at load time from the node binary.
//
// The addon is an optimisation only: src/crypto/aead-native.ts falls back to node:crypto when it
// is absent. So when there is no compiler or no headers this script prints one warning line and
// exits 0, and a binary that fails its self-test is removed rather than left to be loaded.
//
// Incremental: rebuilt only when the SHA-256 of (source, flags, compiler version, headers dir)
// differs from the stamp beside the binary (content, not mtimes, as scripts/build-contracts.mjs).
//
// Usage: node scripts/build-native.mjs [--force] [--out DIR]
//        node scripts/build-native.mjs --check [--out DIR]   exit 0 iff the binary is present,
//            current for this source and passes its self-test (nothing is built)
// Environment: CC (default cc).
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash, createHmac } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(root, 'native', 'shroud_aead.c');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outDir = outIndex >= 0 ? resolve(args[outIndex + 1] ?? '.') : join(root, 'dist', 'native');
const binary = join(outDir, 'shroud_aead.node');
const stampFile = `${binary}.inputs`;
const compiler = process.env.CC || 'cc';
const FLAGS = ['-O2', '-std=c11', '-Wall', '-Wextra', '-shared', '-fPIC', '-fvisibility=hidden'];
// macOS links shared objects with undefined symbols only when told to look them up at load time.
// Elsewhere bind every symbol at load (-z now): Node dlopens addons lazily, so an OpenSSL symbol
// this node does not export would otherwise kill the process at its first call instead of
// failing the load (which the loader reports and falls back from).
if (process.platform === 'darwin') FLAGS.push('-undefined', 'dynamic_lookup', '-Wl,-bind_at_load');
else FLAGS.push('-Wl,-z,now');

/** SHA-256 (hex) of the C source: compiled into the binary, which the loader checks against it. */
function sourceSha256() {
  return createHash('sha256').update(readFileSync(source)).digest('hex');
}

function warn(message) {
  console.warn(`build-native: ${message}; the enclave uses node:crypto instead (slower, same bytes)`);
}

/** Node's header directory: the one beside this node binary first, then the system one. */
function includeDir() {
  const candidates = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'];
  return candidates.find(
    (dir) => existsSync(join(dir, 'node_api.h')) && existsSync(join(dir, 'openssl', 'evp.h')),
  );
}

function compilerVersion() {
  const result = spawnSync(compiler, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n')[0] : null;
}

function stampOf(include, version) {
  return createHash('sha256')
    .update(readFileSync(source))
    .update(`\0${FLAGS.join(' ')}\0${version}\0${include}\0${process.versions.napi}`)
    .digest('hex');
}

/** The synthetic-IV seal of src/crypto/siv.ts composed from node:crypto, for the self-test. */
function referenceSivSeal(key, version, label, context, salt, plaintext, aadA, aadB) {
  const iv = createHmac('sha256', key)
    .update(Buffer.concat([label, context, salt, plaintext]))
    .digest()
    .subarray(0, 12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([Buffer.of(version), aadA, aadB]));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([Buffer.of(version), iv, sealed]);
}

/**
 * Loads the binary and checks every function against node:crypto on one input (GCM of NIST SP
 * 800-38D and HMAC of RFC 2104 as OpenSSL computes them, and the state value seal), and that it
 * was compiled from this source: a miscompiled, mislinked or stale addon never ships.
 */
function selfTest(path) {
  try {
    const addon = createRequire(import.meta.url)(path);
    if (addon.sourceSha256 !== sourceSha256()) return false;
    const key = Buffer.alloc(32, 7);
    const iv = Buffer.alloc(12, 9);
    const plaintext = Buffer.from('shroud native self-test');
    const aad = Buffer.from('aad');
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad);
    const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const handle = addon.createKey(new Uint8Array(key));
    const sealed = new Uint8Array(plaintext.length + 16);
    const opened = new Uint8Array(plaintext.length);
    const mac = new Uint8Array(32);
    const sivParts = [
      Buffer.from('label'),
      Buffer.alloc(32, 1),
      Buffer.alloc(8, 2),
      plaintext,
      Buffer.alloc(20, 3),
      Buffer.alloc(32, 1),
    ];
    const expectedBlob = referenceSivSeal(key, 1, ...sivParts);
    const blob = new Uint8Array(expectedBlob.length);
    const unsealed = new Uint8Array(plaintext.length);
    return (
      addon.gcmEncrypt(handle, undefined, iv, plaintext, aad, sealed) === true &&
      Buffer.from(sealed).equals(expected) &&
      addon.gcmDecrypt(handle, undefined, iv, sealed, aad, opened) === true &&
      Buffer.from(opened).equals(plaintext) &&
      addon.hmac(handle, undefined, plaintext, mac) === true &&
      Buffer.from(mac).equals(createHmac('sha256', key).update(plaintext).digest()) &&
      addon.sivSeal(handle, undefined, 1, ...sivParts, blob) === true &&
      Buffer.from(blob).equals(expectedBlob) &&
      addon.sivOpen(handle, undefined, 1, sivParts[4], sivParts[5], blob, unsealed) === true &&
      Buffer.from(unsealed).equals(plaintext)
    );
  } catch {
    return false;
  }
}

/** Removes the installed binary and its stamp. */
function removeBinary() {
  rmSync(binary, { force: true });
  rmSync(stampFile, { force: true });
}

function check() {
  const include = includeDir();
  const version = compilerVersion();
  const current =
    include !== undefined &&
    version !== null &&
    existsSync(binary) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8').trim() === stampOf(include, version);
  if (!current) {
    console.log(`build-native: ${binary} is missing or out of date (run node scripts/build-native.mjs)`);
    return 1;
  }
  if (!selfTest(binary)) {
    console.log(`build-native: ${binary} fails its self-test`);
    return 1;
  }
  console.log(`build-native: ${binary} is current and passes its self-test`);
  return 0;
}

function build() {
  // The C source travels with the binary: the enclave measurement hashes native/*.c beside the
  // measured sources (src/enclave/core/measurement.ts), so a compiled dist/src/ tree measures the
  // same as src/ (dist/native/ beside it), with or without a compiler.
  mkdirSync(outDir, { recursive: true });
  copyFileSync(source, join(outDir, 'shroud_aead.c'));
  const include = includeDir();
  const version = compilerVersion();
  if (include === undefined || version === null) {
    // A binary built from another source must not stay: the loader would refuse it anyway
    // (sourceSha256), but a clean "absent" is clearer than a "stale" status.
    const stale = existsSync(binary) && !selfTest(binary);
    if (stale) removeBinary();
    const removed = stale ? ' (the binary built from another source was removed)' : '';
    warn(
      `${include === undefined ? 'no Node headers with node_api.h and openssl/evp.h found' : `no C compiler (${compiler})`}${removed}`,
    );
    return 0;
  }
  const stamp = stampOf(include, version);
  const force = args.includes('--force');
  if (
    !force &&
    existsSync(binary) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8').trim() === stamp
  ) {
    return 0;
  }
  // Build beside the target and rename: a process loading the old binary never sees half a file.
  const temporary = join(outDir, `shroud_aead.${process.pid}.tmp.node`); // require() needs .node
  const define = `-DSHROUD_AEAD_SOURCE_SHA256="${sourceSha256()}"`;
  const result = spawnSync(compiler, [...FLAGS, define, `-I${include}`, '-o', temporary, source], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    rmSync(temporary, { force: true });
    if (existsSync(binary) && !selfTest(binary)) removeBinary();
    warn(`${compiler} failed: ${(result.stderr || result.error?.message || '').trim().split('\n')[0]}`);
    return 0;
  }
  if (!selfTest(temporary)) {
    rmSync(temporary, { force: true });
    if (existsSync(binary) && !selfTest(binary)) removeBinary();
    warn('the built addon failed its self-test against node:crypto and was removed');
    return 0;
  }
  rmSync(stampFile, { force: true });
  renameSync(temporary, binary);
  writeFileSync(stampFile, `${stamp}\n`);
  console.log(`build-native: built ${binary}`);
  return 0;
}

process.exitCode = args.includes('--check') ? check() : build();
