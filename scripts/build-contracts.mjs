#!/usr/bin/env node
// Builds the AssemblyScript contracts (contracts/<name>/assembly/index.ts) into
// contracts/build/<name>.wasm and checks each output with the chain's own upload validation
// (src/vm validateContractCode: CONTRACT_ABI §1.1, §2 and §6 — no start function, one defined
// memory without maximum, imports only from `env` on the v1 allow-list, no f32/f64 anywhere,
// required exports), loaded through tsx, so the build and the chain hold one copy of the rules.
// The start function of asc's stub runtime is folded into a global initialiser first.
//
// Runs before every `npm test`, so it is incremental: a contract is rebuilt only when the
// SHA-256 of its inputs (its sources, the SDK, this script, the compiler version) differs from
// the one recorded in contracts/build/<name>.inputs. Content hashes, not mtimes, because git
// checkouts and copies change mtimes without changing anything.
//
// Usage: node scripts/build-contracts.mjs [--force] [name...]
//        node scripts/build-contracts.mjs --source <file.ts> --out <file.wasm>   (one file, no stamp)
/* global WebAssembly */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const contractsDir = join(root, 'contracts');
const buildDir = join(contractsDir, 'build');
const sdkDir = join(contractsDir, 'sdk');

/**
 * Compiler flags. Why each one:
 * - `--runtime stub`: AssemblyScript's never-freeing bump allocator, no GC and no shadow stack.
 *   The host makes a fresh instance per call (CONTRACT_ABI §1.2), so nothing needs freeing, and
 *   under per-instruction metering (§6) it is the cheapest: measured against a GC-capable
 *   runtime, counter `increment` costs 225k instead of 367k wasm gas and the module is 40%
 *   smaller. Its one drawback, a start function that sets the heap pointer (a start section
 *   fails the upload, §6), is removed by `foldStartFunction` below.
 * - `--use abort=...`: our own abort that logs via `debug` and traps; an `abort` import would
 *   fail the upload (§2).
 * - `--disable ...`: MVP wasm only; the chain's runtime need not accept bulk-memory,
 *   sign-extension or non-trapping float-to-int opcodes.
 * - `-O3`: metering charges per instruction, so optimise for speed. Output is deterministic for
 *   the same inputs.
 */
const ASC_FLAGS = [
  '--runtime',
  'stub',
  '--use',
  'abort=contracts/sdk/assembly/abi/contractAbort',
  '--disable',
  'bulk-memory,sign-extension,nontrapping-f2i,mutable-globals',
  '--initialMemory',
  '1',
  '-O3',
];

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

/** @param {Uint8Array} bytes @param {{ pos: number }} cursor */
function readS32(bytes, cursor) {
  let result = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[cursor.pos++];
    if (byte === undefined) throw new Error('truncated LEB128');
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80 && shift < 35);
  return shift < 32 && byte & 0x40 ? result | (-1 << shift) : result;
}

/** @param {number} value unsigned */
function encodeU32(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** @param {number} value signed 32-bit */
function encodeS32(value) {
  const out = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/**
 * Removes the start section asc's stub runtime needs, by moving its only effect into a global
 * initialiser. The start function must be exactly `i32.const N; global.set G; end` and global G
 * a mutable i32 initialised to `i32.const 0`: then initialising G to N instead is the same
 * program, and the start section can go (CONTRACT_ABI §6 rejects it). Anything else in the
 * start function means the contract has top-level code with side effects: an error.
 * @param {Uint8Array} wasm
 * @returns {Uint8Array}
 */
function foldStartFunction(wasm) {
  const all = sections(wasm);
  const start = all.find((s) => s.id === 8);
  if (!start) return wasm;
  const startIndex = readU32(wasm, { pos: start.start });
  // Imported functions come first in the function index space; imported globals likewise.
  let importedFunctions = 0;
  const importSection = all.find((s) => s.id === 2);
  if (importSection) {
    const cursor = { pos: importSection.start };
    const count = readU32(wasm, cursor);
    for (let i = 0; i < count; i++) {
      for (let name = 0; name < 2; name++) {
        const length = readU32(wasm, cursor); // module name, then field name
        cursor.pos += length;
      }
      const kind = wasm[cursor.pos++];
      if (kind !== 0) throw new Error('only function imports are expected');
      readU32(wasm, cursor);
      importedFunctions++;
    }
  }
  const code = all.find((s) => s.id === 10);
  if (!code) throw new Error('no code section');
  const cursor = { pos: code.start };
  const bodies = readU32(wasm, cursor);
  const target = startIndex - importedFunctions;
  if (target < 0 || target >= bodies) throw new Error('start function is imported');
  for (let i = 0; i < target; i++) {
    const length = readU32(wasm, cursor);
    cursor.pos += length;
  }
  const size = readU32(wasm, cursor);
  const body = { pos: cursor.pos };
  const bodyEnd = cursor.pos + size;
  const locals = readU32(wasm, body);
  const constOp = wasm[body.pos++];
  const value = readS32(wasm, body);
  const setOp = wasm[body.pos++];
  const globalIndex = readU32(wasm, body);
  const endOp = wasm[body.pos++];
  if (locals !== 0 || constOp !== 0x41 || setOp !== 0x24 || endOp !== 0x0b || body.pos !== bodyEnd) {
    throw new Error(
      'the start function does more than set the heap pointer: remove top-level code with side effects ' +
        '(module-level `new`, calls or non-constant initialisers)',
    );
  }
  const globalSection = all.find((s) => s.id === 6);
  if (!globalSection) throw new Error('no global section');
  const g = { pos: globalSection.start };
  const globalCount = readU32(wasm, g);
  const rebuilt = [...encodeU32(globalCount)];
  let patched = false;
  for (let i = 0; i < globalCount; i++) {
    const from = g.pos;
    const type = wasm[g.pos++];
    const mutable = wasm[g.pos++];
    const initOp = wasm[g.pos++];
    const initValue = initOp === 0x41 ? readS32(wasm, g) : NaN;
    const initEnd = wasm[g.pos++];
    if (initOp !== 0x41 || initEnd !== 0x0b) throw new Error(`global ${i} has an unexpected initialiser`);
    if (i === globalIndex) {
      if (type !== 0x7f || mutable !== 1 || initValue !== 0)
        throw new Error('start sets an unexpected global');
      rebuilt.push(type, mutable, 0x41, ...encodeS32(value), 0x0b);
      patched = true;
    } else rebuilt.push(...wasm.subarray(from, g.pos));
  }
  if (!patched || g.pos !== globalSection.end) throw new Error('could not patch the heap pointer global');
  const parts = [wasm.subarray(0, 8)];
  for (const section of all) {
    if (section.id === 8) continue;
    const payload = section.id === 6 ? Uint8Array.from(rebuilt) : wasm.subarray(section.start, section.end);
    parts.push(Uint8Array.from([section.id, ...encodeU32(payload.length)]), payload);
  }
  return Buffer.concat(parts);
}

/** @type {Promise<typeof import('../src/vm/index.ts')> | undefined} */
let chainVm;

/**
 * The chain's upload validation (src/vm), imported through tsx the first time a build needs it
 * (an up-to-date tree never pays for it: ~0.5-1 s).
 */
function loadChainVm() {
  chainVm ??= import('tsx/esm/api').then(({ tsImport }) => tsImport('../src/vm/index.ts', import.meta.url));
  return chainVm;
}

/**
 * Returns the list of problems (empty = acceptable): what validateContractCode refuses (each
 * with its VmError code), a contract that is not v1, and one rule the validator leaves to
 * instantiation: the memory is exported as `memory` (CONTRACT_ABI §1.1).
 * Built contracts are validated again on every test run (test/contracts/build.test.ts), so a
 * validator change that refuses an existing build is caught there without a rebuild.
 * @param {Uint8Array} wasm
 */
async function checkWasm(wasm) {
  const { validateContractCode } = await loadChainVm();
  const problems = [];
  try {
    const code = validateContractCode(wasm);
    if (code.interfaceVersion !== 'v1') problems.push(`interface ${code.interfaceVersion}, not v1`);
  } catch (err) {
    problems.push(
      err instanceof Error && 'code' in err ? `${String(err.code)}: ${err.message}` : String(err),
    );
  }
  const memories = WebAssembly.Module.exports(await WebAssembly.compile(wasm)).filter(
    (e) => e.kind === 'memory',
  );
  if (memories.length !== 1 || memories[0]?.name !== 'memory')
    problems.push('exactly one exported memory named `memory` is required');
  return problems;
}

// --- Main -------------------------------------------------------------------------------------

/**
 * Compiles, folds and checks one contract source into `outPath`.
 * @returns {Promise<string[]>} problems (empty on success)
 */
async function buildOne(asc, sourcePath, outPath) {
  // A per-process temporary name: two `npm test` runs may build at the same time.
  const tmpPath = `${outPath}.${process.pid}.tmp`;
  const { error, stderr } = await asc.main(
    [relative(root, sourcePath), '-o', relative(root, tmpPath), ...ASC_FLAGS],
    {},
  );
  if (error) return [`compile failed\n${stderr.toString()}`];
  let wasm;
  try {
    wasm = foldStartFunction(readFileSync(tmpPath));
  } catch (err) {
    rmSync(tmpPath, { force: true });
    return [err instanceof Error ? err.message : String(err)];
  }
  const problems = await checkWasm(wasm);
  if (problems.length > 0) {
    rmSync(tmpPath, { force: true });
    return problems;
  }
  writeFileSync(tmpPath, wasm);
  renameSync(tmpPath, outPath);
  return [];
}

async function main() {
  const args = process.argv.slice(2);
  // `--source <file.ts> --out <file.wasm>`: build one file without stamps (used by tests).
  const sourceAt = args.indexOf('--source');
  if (sourceAt >= 0) {
    const source = args[sourceAt + 1];
    const out = args[args.indexOf('--out') + 1];
    if (!source || !out || args.indexOf('--out') < 0)
      throw new Error('usage: --source <file.ts> --out <file.wasm>');
    process.chdir(root);
    const asc = (await import('assemblyscript/asc')).default;
    const problems = await buildOne(asc, source, out);
    if (problems.length > 0) {
      console.error(`build-contracts: ${source}: ${problems.join('\n  ')}`);
      process.exit(1);
    }
    return;
  }
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
    const problems = await buildOne(asc, join(contractsDir, name, 'assembly', 'index.ts'), wasmPath);
    if (problems.length > 0) {
      console.error(`build-contracts: ${name}: ${problems.join('\n  ')}`);
      failed = true;
      continue;
    }
    const size = readFileSync(wasmPath).length;
    writeFileSync(join(buildDir, `${name}.inputs`), `${inputsHash(name, version)}\n`);
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    console.log(`build-contracts: ${name}.wasm ${size} bytes (${ms} ms)`);
  }
  if (failed) process.exit(1);
}

await main();
