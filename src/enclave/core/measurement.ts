// The enclave's measurement in software mode (DESIGN.md §4): sha256 over the code that runs
// inside the enclave — every source (or compiled) file of src/codec, src/crypto, src/enclave,
// src/util and src/vm, tests and fixtures excluded — so a node running modified enclave code presents a
// different measurement and genesis can refuse it.
//
//   measurement = sha256( "shroud/v1/measurement" || 0x00
//                         || for each file, sorted by its path relative to src/ (byte order):
//                            u32 BE len(path) || path || sha256(file bytes) )
//
// Paths use '/' so the value is the same on every platform.
//
// The native addon the enclave loads for AES-GCM/HMAC (native/shroud_aead.c, beside src/) is
// measured by its C source, as the paths "../native/<file>": not the binary, which differs with
// the compiler, so nodes built with different toolchains still present one measurement. Whether
// the addon is built does not change the measurement either: both paths give the same bytes
// (src/crypto/aead-native.test.ts), and only the code that could run is attested.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { concatBytes, sha256, utf8Encode } from '../../crypto/index.js';

// util: the enclave's host side loads its worker through util/worker-source (session 3).
export const MEASURED_LAYERS = ['codec', 'crypto', 'enclave', 'util', 'vm'] as const;
const DOMAIN = utf8Encode('shroud/v1/measurement\u0000');
const CODE_FILE = /\.(ts|js|mjs)$/;
const EXCLUDED = /(\.test\.(ts|js)|\.fixture\.(ts|js)|\.d\.ts)$/;
/** The addon sources, relative to the measured root's parent (the repository). */
const NATIVE_DIR = 'native';
const NATIVE_FILE = /\.(c|h)$/;

function listFiles(root: string, relative: string, into: string[]): void {
  for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) listFiles(root, path, into);
    else if (entry.isFile() && CODE_FILE.test(entry.name) && !EXCLUDED.test(entry.name)) into.push(path);
  }
}

/**
 * The files measured, relative to `sourceRoot` (the `src/` or compiled `dist/src/` folder); the
 * addon's C sources as `../native/…`.
 */
export function measuredFiles(sourceRoot: string): string[] {
  const files: string[] = [];
  for (const layer of MEASURED_LAYERS) listFiles(sourceRoot, layer, files);
  const nativeDir = join(sourceRoot, '..', NATIVE_DIR);
  if (existsSync(nativeDir)) {
    for (const entry of readdirSync(nativeDir, { withFileTypes: true })) {
      if (entry.isFile() && NATIVE_FILE.test(entry.name)) files.push(`../${NATIVE_DIR}/${entry.name}`);
    }
  }
  const key = (path: string) => Buffer.from(path, 'utf8');
  return files.sort((a, b) => Buffer.compare(key(a), key(b)));
}

// Set only in the esbuild bundle (scripts/build-cli.mjs `define`): the path from the bundle's
// folder to the src/ it was built from. There every module is a file of that one folder, so
// '../../' would be the wrong root; the bundle measures its sources instead, which it is used
// only while they are unchanged (bin/shroud.js), so a bundled and a tsx node agree.
declare const SHROUD_BUNDLE_SOURCES: string | undefined;

/**
 * The folder measured by default: src/ from the sources (tsx) or dist/src/ when compiled by tsc
 * (this module is two levels below it), or the bundle's sources.
 */
export function defaultSourceRoot(): string {
  const fromBundle = typeof SHROUD_BUNDLE_SOURCES === 'string' ? SHROUD_BUNDLE_SOURCES : undefined;
  return fileURLToPath(new URL(fromBundle ?? '../../', import.meta.url));
}

/** sha256 over the enclave code bundle rooted at `sourceRoot` (default: {@link defaultSourceRoot}). */
export function enclaveMeasurement(sourceRoot: string = defaultSourceRoot()): Uint8Array {
  const parts: Uint8Array[] = [DOMAIN];
  for (const path of measuredFiles(sourceRoot)) {
    const name = utf8Encode(path);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, name.length);
    parts.push(length, name, sha256(new Uint8Array(readFileSync(join(sourceRoot, path)))));
  }
  return sha256(concatBytes(...parts));
}
