// Structural checks on the built contracts (contracts/build/*.wasm, made by
// scripts/build-contracts.mjs before `npm test`): the upload rules of CONTRACT_ABI §1.1, §2, §6.
// Independent of the VM, so a broken build flag shows up here even if the validator changes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import initWabt from 'wabt';
import { validateContractCode } from '../../src/vm/index.js';

const CONTRACTS = ['counter', 'token', 'auction', 'receiver', 'selftest'] as const;
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
