// Structural checks on the built contracts (contracts/build/*.wasm, made by
// scripts/build-contracts.mjs before `npm test`): the upload rules of CONTRACT_ABI §1.1, §2, §6.
// Independent of the VM, so a broken build flag shows up here even if the validator changes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';
import { ALLOWED_IMPORTS, validateContractCode } from '../../src/vm/index.js';

const CONTRACTS = ['counter', 'token', 'auction', 'receiver', 'selftest'] as const;
// The chain's own allow-list (CONTRACT_ABI §2), so build and upload can never disagree.
const V1_IMPORTS = ALLOWED_IMPORTS.v1;

function loadContract(name: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(new URL(`../../contracts/build/${name}.wasm`, import.meta.url)));
}

/** Top-level section ids in order (wasm binary format §5.5.2). */
function sectionIds(wasm: Uint8Array): number[] {
  const ids: number[] = [];
  let pos = 8;
  while (pos < wasm.length) {
    const id = wasm[pos++]!;
    let size = 0;
    let shift = 0;
    for (;;) {
      const byte = wasm[pos++]!;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    ids.push(id);
    pos += size;
  }
  return ids;
}

describe('built contracts', () => {
  const wabtReady = initWabt();

  for (const name of CONTRACTS) {
    describe(name, () => {
      const wasm = loadContract(name);

      it('compiles and exports the v1 entry points and one memory', async () => {
        const module = await WebAssembly.compile(wasm);
        const exports = WebAssembly.Module.exports(module);
        for (const required of ['interface_version_8', 'allocate', 'deallocate', 'instantiate']) {
          assert.ok(
            exports.some((e) => e.name === required && e.kind === 'function'),
            `${name} exports ${required}`,
          );
        }
        assert.deepEqual(
          exports.filter((e) => e.kind === 'memory').map((e) => e.name),
          ['memory'],
          `${name} exports exactly one memory`,
        );
      });

      it('imports only allowed host functions from env', async () => {
        const module = await WebAssembly.compile(wasm);
        for (const imp of WebAssembly.Module.imports(module)) {
          assert.equal(imp.module, 'env', `${name} import ${imp.name} module`);
          assert.equal(imp.kind, 'function', `${name} import ${imp.name} kind`);
          assert.ok(V1_IMPORTS.has(imp.name), `${name} import ${imp.name} is on the v1 allow-list`);
        }
      });

      it('passes the chain upload validation as a v1 contract', () => {
        const code = validateContractCode(wasm);
        assert.equal(code.interfaceVersion, 'v1', `${name} is detected as v1`);
        const wantsRandom = name === 'token' || name === 'selftest';
        assert.deepEqual(code.features, wantsRandom ? ['random'] : [], `${name} features`);
      });

      it('has no start function and a memory without maximum', async () => {
        assert.ok(!sectionIds(wasm).includes(8), `${name} has no start section`);
        const wabt = await wabtReady;
        const parsed = wabt.readWasm(wasm, { readDebugNames: false });
        const text = parsed.toText({ foldExprs: false, inlineExport: false });
        parsed.destroy();
        const memories = text.match(/^\s*\(memory .*$/gm) ?? [];
        assert.equal(memories.length, 1, `${name} defines one memory`);
        assert.match(memories[0], /^\s*\(memory \(;0;\) \d+\)$/, `${name} memory has no maximum`);
        assert.doesNotMatch(text, /\bf(32|64)\b/, `${name} has no floating point`);
        assert.doesNotMatch(text, /\(import "env" "abort"/, `${name} does not import abort`);
      });
    });
  }

  it('the structural check catches a float (the test can fail)', async () => {
    const wabt = await wabtReady;
    const parsed = wabt.parseWat('f.wat', '(module (func (result f64) f64.const 1))');
    const { buffer } = parsed.toBinary({});
    parsed.destroy();
    const back = wabt.readWasm(buffer, { readDebugNames: false });
    assert.match(back.toText({}), /\bf(32|64)\b/);
    back.destroy();
  });
});

describe('build-contracts checks', () => {
  // Compiles deliberately bad contracts (a few seconds each) to prove the build refuses them.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const probeDir = join(root, 'contracts', 'build', `probe-${process.pid}`);
  const header = [
    "import { log } from '../../sdk/assembly';",
    "export { allocate, deallocate, interface_version_8 } from '../../sdk/assembly';",
  ].join('\n');

  function build(name: string, body: string): { status: number | null; stderr: string; wasm: boolean } {
    mkdirSync(probeDir, { recursive: true });
    const source = join(probeDir, `${name}.ts`);
    const out = join(probeDir, `${name}.wasm`);
    writeFileSync(source, `${header}\n${body}\n`);
    const result = spawnSync(
      process.execPath,
      ['scripts/build-contracts.mjs', '--source', source, '--out', out],
      { cwd: root, encoding: 'utf8' },
    );
    return { status: result.status, stderr: result.stderr, wasm: existsSync(out) };
  }

  after(() => rmSync(probeDir, { recursive: true, force: true }));

  it('refuses top-level code with side effects (it would need a start function)', () => {
    const result = build(
      'side_effect',
      'const list = new Array<u32>();\nexport function instantiate(a: u32, b: u32, c: u32): u32 { list.push(a); log("x"); return 0; }',
    );
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /top-level code with side effects/);
    assert.equal(result.wasm, false, 'no output is left behind');
  });

  it('refuses floating point', () => {
    const result = build(
      'float',
      'export function instantiate(a: u32, b: u32, c: u32): u32 { log("x"); return <u32>(<f64>a * 1.5); }',
    );
    assert.equal(result.status, 1, result.stderr);
    // The chain's validator names the rule and the float (src/vm/validate.ts FLOAT_*).
    assert.match(result.stderr, /FLOAT_(TYPE|INSTRUCTION): .*f64.*floating point is not allowed/);
    assert.equal(result.wasm, false, 'no output is left behind');
  });
});
