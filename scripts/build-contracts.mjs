#!/usr/bin/env node
// Builds the AssemblyScript contracts (contracts/<name>/assembly/index.ts) into
// contracts/build/<name>.wasm and checks each output against the upload rules of
// CONTRACT_ABI §1.1, §2 and §6 (no start function, one defined memory without maximum,
// imports only from `env` on the v1 allow-list, no f32/f64 anywhere, required exports).
//
// Runs before every `npm test`, so it is incremental: a contract is rebuilt only when the
// SHA-256 of its inputs (its sources, the SDK, this script, the compiler version) differs from
// the one recorded in contracts/build/<name>.inputs. Content hashes, not mtimes, because git
// checkouts and copies change mtimes without changing anything.
//
// Usage: node scripts/build-contracts.mjs [--force] [name...]
/* global WebAssembly */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const contractsDir = join(root, 'contracts');
const buildDir = join(contractsDir, 'build');
const sdkDir = join(contractsDir, 'sdk');

/**
 * Compiler flags. Why each one:
 * - `--runtime ./contracts/sdk/runtime/bump`: a never-freeing bump allocator. The host makes a
 *   fresh instance per call (CONTRACT_ABI §1.2), so no GC is needed, and unlike asc's `stub`
 *   runtime it needs no start function (see the comment in that file).
 * - `--use abort=...`: our own abort that logs via `debug` and traps; an `abort` import would
 *   fail the upload (§2).
 * - `--disable ...`: only MVP wasm (plus nothing): the enclave's runtime is not required to
 *   accept bulk-memory, sign-extension or non-trapping float-to-int opcodes.
 * - `-O3`: metering charges per instruction (§6), so optimise for speed. Output is
 *   deterministic for the same inputs.
 */
const ASC_FLAGS = [
  '--runtime',
  './contracts/sdk/runtime/bump',
  '--use',
  'abort=contracts/sdk/assembly/abi/contractAbort',
  '--disable',
  'bulk-memory,sign-extension,nontrapping-f2i,mutable-globals',
  '--initialMemory',
  '1',
  '-O3',
];

/** CONTRACT_ABI §2: the v1 import allow-list (module `env`). */
const V1_IMPORTS = new Set([
  'db_read',
  'db_write',
  'db_remove',
  'addr_validate',
  'addr_canonicalize',
  'addr_humanize',
  'secp256k1_verify',
  'secp256k1_recover_pubkey',
  'secp256k1_sign',
  'ed25519_verify',
  'ed25519_batch_verify',
  'ed25519_sign',
  'dcap_quote_verify',
  'debug',
  'query_chain',
  'gas_evaporate',
  'check_gas',
]);
const REQUIRED_EXPORTS = ['interface_version_8', 'allocate', 'deallocate', 'instantiate'];

/** @param {string} dir @returns {string[]} every file under dir, sorted, as absolute paths */
function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory())
        return entry.name === 'build' || entry.name === 'node_modules' ? [] : listFiles(path);
      return [path];
    })
    .sort();
}

/** @returns {string[]} names of contract folders (those with assembly/index.ts), except the SDK */
function contractNames() {
  return readdirSync(contractsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'sdk' && e.name !== 'build')
    .filter((e) => existsSync(join(contractsDir, e.name, 'assembly', 'index.ts')))
    .map((e) => e.name)
    .sort();
}

/** @param {string} name */
function inputsHash(name, ascVersion) {
  const hash = createHash('sha256');
  hash.update(`asc ${ascVersion}\n${ASC_FLAGS.join(' ')}\n`);
  const files = [
    fileURLToPath(import.meta.url),
    ...listFiles(sdkDir),
    ...listFiles(join(contractsDir, name)),
  ];
  for (const file of files) {
    hash.update(`${relative(root, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

function ascVersion() {
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules', 'assemblyscript', 'package.json'), 'utf8'));
  return String(pkg.version);
}

// --- Structural checks on the output (a tiny section reader; CONTRACT_ABI §6) -----------------

/** @param {Uint8Array} bytes @param {{ pos: number }} cursor */
function readU32(bytes, cursor) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[cursor.pos++];
    if (byte === undefined) throw new Error('truncated LEB128');
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
    if (shift > 35) throw new Error('LEB128 too long');
  }
}

/** @param {Uint8Array} bytes @returns {{ id: number, start: number, end: number }[]} */
function sections(bytes) {
  const out = [];
  const cursor = { pos: 8 };
  while (cursor.pos < bytes.length) {
    const id = bytes[cursor.pos++];
    const size = readU32(bytes, cursor);
    out.push({ id, start: cursor.pos, end: cursor.pos + size });
    cursor.pos += size;
  }
  return out;
}

/**
 * Returns the list of problems (empty = acceptable). Floats are found in the disassembly
 * (wabt), which covers types, locals, globals and instructions alike.
 * @param {Uint8Array} wasm
 */
async function checkWasm(wasm) {
  const problems = [];
  const module = await WebAssembly.compile(wasm);
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') problems.push(`non-function import ${imp.module}.${imp.name}`);
    else if (imp.module !== 'env' || !V1_IMPORTS.has(imp.name))
      problems.push(`import not on the v1 allow-list: ${imp.module}.${imp.name}`);
  }
  const exports = WebAssembly.Module.exports(module);
  for (const name of REQUIRED_EXPORTS) {
    if (!exports.some((e) => e.name === name && e.kind === 'function'))
      problems.push(`missing export ${name}`);
  }
  const memories = exports.filter((e) => e.kind === 'memory');
  if (memories.length !== 1 || memories[0]?.name !== 'memory')
    problems.push('exactly one exported memory named `memory` is required');
  const ids = sections(wasm).map((s) => s.id);
  if (ids.includes(8)) problems.push('start section present (top-level code with side effects?)');
  const memorySection = sections(wasm).find((s) => s.id === 5);
  if (memorySection) {
    const cursor = { pos: memorySection.start };
    const count = readU32(wasm, cursor);
    const flags = wasm[cursor.pos];
    if (count !== 1) problems.push(`${count} memories defined`);
    if (flags !== 0) problems.push('memory declares a maximum');
  } else problems.push('no memory defined in the module');
  const wabt = await (await import('wabt')).default();
  const parsed = wabt.readWasm(wasm, { readDebugNames: false });
  const text = parsed.toText({ foldExprs: false, inlineExport: false });
  parsed.destroy();
  const float = /\bf(32|64)\b/.exec(text);
  if (float)
    problems.push(`floating point in module: ${text.slice(Math.max(0, float.index - 40), float.index + 20)}`);
  return problems;
}

// --- Main -------------------------------------------------------------------------------------

async function main() {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const names = contractNames().filter((n) => wanted.length === 0 || wanted.includes(n));
  const version = ascVersion();
  mkdirSync(buildDir, { recursive: true });
  const stale = names.filter((name) => {
    const wasmPath = join(buildDir, `${name}.wasm`);
    const stampPath = join(buildDir, `${name}.inputs`);
    if (force || !existsSync(wasmPath) || !existsSync(stampPath)) return true;
    return readFileSync(stampPath, 'utf8').trim() !== inputsHash(name, version);
  });
  if (stale.length === 0) return;
  process.chdir(root);
  const asc = (await import('assemblyscript/asc')).default;
  let failed = false;
  for (const name of stale) {
    const started = process.hrtime.bigint();
    const wasmPath = join(buildDir, `${name}.wasm`);
    // A per-process temporary name: two `npm test` runs may build at the same time.
    const tmpPath = `${wasmPath}.${process.pid}.tmp`;
    const { error, stderr } = await asc.main(
      [`contracts/${name}/assembly/index.ts`, '-o', relative(root, tmpPath), ...ASC_FLAGS],
      {},
    );
    if (error) {
      console.error(`build-contracts: ${name}: compile failed\n${stderr.toString()}`);
      failed = true;
      continue;
    }
    const wasm = readFileSync(tmpPath);
    const problems = await checkWasm(wasm);
    if (problems.length > 0) {
      console.error(
        `build-contracts: ${name}: output violates the contract ABI:\n  ${problems.join('\n  ')}`,
      );
      failed = true;
      continue;
    }
    renameSync(tmpPath, wasmPath);
    writeFileSync(join(buildDir, `${name}.inputs`), `${inputsHash(name, version)}\n`);
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    console.log(`build-contracts: ${name}.wasm ${wasm.length} bytes (${ms} ms)`);
  }
  if (failed) process.exit(1);
}

await main();
