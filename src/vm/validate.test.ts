import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import { contract, wat } from '../../test/vm/wat.js';
import { type VmErrorCode, VmError } from './errors.js';
import { type ValidatedCode, validateContractCode } from './validate.js';
import { parseModule } from './wasm/index.js';

function rejects(
  upload: Uint8Array,
  code: VmErrorCode,
  pattern?: RegExp,
  limits?: Parameters<typeof validateContractCode>[1],
): void {
  assert.throws(
    () => validateContractCode(upload, limits),
    (error: unknown) => {
      assert.ok(error instanceof VmError, `expected VmError, got ${String(error)}`);
      assert.equal(error.code, code, `wrong code; message: ${error.message}`);
      if (pattern) assert.match(error.message, pattern);
      return true;
    },
  );
}

const V010_ENTRIES = ['allocate', 'deallocate', 'init', 'handle', 'query'];

describe('validateContractCode: good modules', () => {
  it('accepts a minimal v1 contract and reports hash, version and exports', () => {
    const wasm = contract({ entries: ['allocate', 'deallocate', 'instantiate', 'execute', 'query'] });
    const code: ValidatedCode = validateContractCode(wasm);
    assert.equal(code.interfaceVersion, 'v1');
    assert.equal(code.codeHash, createHash('sha256').update(wasm).digest('hex'));
    assert.match(code.codeHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(code.exports, [
      'interface_version_8',
      'allocate',
      'deallocate',
      'instantiate',
      'execute',
      'query',
    ]);
    assert.deepEqual(code.features, []);
    assert.deepEqual(code.wasm, wasm);
  });

  it('accepts a v0.10 contract with v0.10 imports', () => {
    const imports = [
      'db_read',
      'db_write',
      'db_remove',
      'canonicalize_address',
      'humanize_address',
      'query_chain',
      'debug_print',
    ]
      .map((name) => `(import "env" "${name}" (func (param i32)))`)
      .join('\n');
    const code = validateContractCode(
      contract({ marker: 'cosmwasm_vm_version_3', entries: V010_ENTRIES, imports }),
    );
    assert.equal(code.interfaceVersion, 'v0.10');
  });

  it('accepts every v1 import of CONTRACT_ABI §2', () => {
    const names = [
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
    ];
    const imports = names.map((name) => `(import "env" "${name}" (func (param i32)))`).join('\n');
    assert.equal(validateContractCode(contract({ imports })).interfaceVersion, 'v1');
  });

  it('accepts gzip uploads and returns the uncompressed bytes', () => {
    const wasm = contract();
    const code = validateContractCode(gzipSync(wasm));
    assert.deepEqual(code.wasm, wasm);
    assert.equal(code.codeHash, createHash('sha256').update(wasm).digest('hex'));
  });

  it('collects supported requires_* features, sorted', () => {
    const extra =
      '(func (export "requires_staking")) (func (export "requires_random")) (func (export "requires_"))';
    assert.deepEqual(validateContractCode(contract({ extra })).features, ['random', 'staking']);
  });

  it('accepts 192 initial pages, bulk memory, sign extension, multi-value and saturating-free integer code', () => {
    const extra = `(func (export "work") (param i32) (result i32 i32)
      (memory.fill (i32.const 0) (i32.const 1) (i32.const 16))
      (memory.copy (i32.const 32) (i32.const 0) (i32.const 16))
      (i32.extend8_s (local.get 0))
      (block (result i32 i32) (i32.const 1) (i32.const 2)) drop)`;
    validateContractCode(contract({ memory: '(memory (export "memory") 192)', extra }));
  });

  it('accepts the AssemblyScript contracts of contracts/build when present', async () => {
    const { readdirSync, readFileSync, existsSync } = await import('node:fs');
    const dir = new URL('../../contracts/build/', import.meta.url);
    if (!existsSync(dir)) return;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.wasm'))) {
      const code = validateContractCode(readFileSync(new URL(file, dir)));
      assert.equal(code.interfaceVersion, 'v1', `${file} interface version`);
    }
  });
});

describe('validateContractCode: container and size', () => {
  it('NOT_WASM for bytes that are neither wasm nor gzip', () => {
    rejects(new TextEncoder().encode('hello world, not wasm'), 'NOT_WASM');
    rejects(new Uint8Array(0), 'NOT_WASM');
  });

  it('BAD_VERSION for wasm version 2', () => {
    const wasm = contract();
    wasm[4] = 2;
    rejects(wasm, 'BAD_VERSION');
  });

  it('PARSE_ERROR for a truncated module', () => {
    const wasm = contract();
    rejects(wasm.subarray(0, wasm.length - 7), 'PARSE_ERROR');
    rejects(wasm.subarray(0, 6), 'PARSE_ERROR');
  });

  it('PARSE_ERROR for an overlong LEB128 section size', () => {
    // Type section, size 4 written in 6 bytes (u32 allows at most 5).
    const bytes = Uint8Array.of(
      0,
      0x61,
      0x73,
      0x6d,
      1,
      0,
      0,
      0,
      0x01,
      0x84,
      0x80,
      0x80,
      0x80,
      0x80,
      0x00,
      0x01,
      0x60,
      0x00,
      0x00,
    );
    rejects(bytes, 'PARSE_ERROR', /overlong/);
  });

  it('PARSE_ERROR for an unknown opcode, naming the function', () => {
    const wasm = contract({ extra: '(func (export "x") nop)' });
    const module = parseModule(wasm);
    const body = module.bodies[module.bodies.length - 1];
    assert.ok(body);
    assert.equal(wasm[body.codeOffset], 0x01, 'nop found');
    wasm[body.codeOffset] = 0xff;
    rejects(wasm, 'PARSE_ERROR', /unknown opcode 0xff in function 4/);
  });

  it('PARSE_ERROR for sections out of order', () => {
    // memory section (5) before type section (1)
    const bytes = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 1, 1, 1, 0);
    rejects(bytes, 'PARSE_ERROR', /out of order/);
  });

  it('TOO_LARGE for a module over the size limit (raw), and the limit is a parameter', () => {
    const big = wat(`(module (memory 1) (data (i32.const 0) "${'\\00'.repeat(2 * 1024 * 1024)}"))`);
    rejects(big, 'TOO_LARGE');
    rejects(contract(), 'TOO_LARGE', undefined, { maxCodeBytes: 100 });
  });

  it('GZIP_ERROR for a gzip bomb inflating past 2 MiB, and for corrupt gzip', () => {
    const bomb = gzipSync(new Uint8Array(3 * 1024 * 1024));
    assert.ok(bomb.length < 10_000, 'bomb is small compressed');
    rejects(bomb, 'GZIP_ERROR', /limit/);
    const corrupt = gzipSync(contract());
    corrupt[corrupt.length - 5] = (corrupt[corrupt.length - 5] ?? 0) ^ 0xff; // break the CRC/length trailer
    rejects(corrupt, 'GZIP_ERROR', /corrupt/);
  });

  it('INVALID_WASM for a module that parses but does not type-check', () => {
    rejects(contract({ extra: '(func (export "bad") (result i32) (i64.const 0))' }), 'INVALID_WASM');
  });

  it('TOO_MANY_FUNCTIONS and TOO_MANY_LOCALS against the limits', () => {
    rejects(contract(), 'TOO_MANY_FUNCTIONS', undefined, { maxFunctions: 3 });
    rejects(contract({ extra: '(func (local i32 i32 i32 i32 i32))' }), 'TOO_MANY_LOCALS', undefined, {
      maxLocalsPerFunction: 4,
    });
  });
});

describe('validateContractCode: memory and start', () => {
  it('NO_MEMORY without a memory', () => rejects(contract({ memory: '' }), 'NO_MEMORY'));
  it('MULTIPLE_MEMORIES with two memories', () =>
    rejects(contract({ memory: '(memory 1) (memory 1)' }), 'MULTIPLE_MEMORIES'));
  it('IMPORTED_MEMORY with an imported memory', () =>
    rejects(contract({ memory: '', imports: '(import "env" "memory" (memory 1))' }), 'IMPORTED_MEMORY'));
  it('MEMORY_TOO_LARGE above 192 initial pages', () =>
    rejects(contract({ memory: '(memory 193)' }), 'MEMORY_TOO_LARGE', /193/));
  it('MEMORY_TOO_LARGE for a huge initial memory', () =>
    rejects(contract({ memory: '(memory 65536)' }), 'MEMORY_TOO_LARGE'));
  it('MEMORY_MAX_DECLARED when a maximum is declared', () =>
    rejects(contract({ memory: '(memory 1 2)' }), 'MEMORY_MAX_DECLARED'));
  it('START_FUNCTION with a start function', () =>
    rejects(contract({ extra: '(func $s) (start $s)' }), 'START_FUNCTION'));
});

describe('validateContractCode: exports and features', () => {
  it('MISSING_INTERFACE_VERSION without a marker', () =>
    rejects(contract({ marker: null }), 'MISSING_INTERFACE_VERSION'));
  it('MISSING_INTERFACE_VERSION for an unknown marker version', () =>
    rejects(contract({ marker: 'interface_version_7' }), 'MISSING_INTERFACE_VERSION'));
  it('MISSING_EXPORT without allocate', () =>
    rejects(contract({ entries: ['deallocate', 'instantiate'] }), 'MISSING_EXPORT', /allocate/));
  it('MISSING_EXPORT without instantiate (v1)', () =>
    rejects(contract({ entries: ['allocate', 'deallocate'] }), 'MISSING_EXPORT', /instantiate/));
  it('MISSING_EXPORT for a v0.10 contract without init', () =>
    rejects(
      contract({ marker: 'cosmwasm_vm_version_3', entries: ['allocate', 'deallocate', 'handle', 'query'] }),
      'MISSING_EXPORT',
      /init/,
    ));
  it('MISSING_EXPORT when allocate is exported but is not a function', () =>
    rejects(
      contract({
        entries: ['deallocate', 'instantiate'],
        extra: '(global (export "allocate") i32 (i32.const 0))',
      }),
      'MISSING_EXPORT',
    ));
  it('UNSUPPORTED_FEATURE for requires_water', () =>
    rejects(contract({ extra: '(func (export "requires_water"))' }), 'UNSUPPORTED_FEATURE', /water/));
  it('INSTRUMENT_ERROR when the contract exports a reserved metering name', () =>
    rejects(
      contract({ extra: '(global (export "gas_limit") i64 (i64.const 0))' }),
      'INSTRUMENT_ERROR',
      /gas_limit/,
    ));
});

describe('validateContractCode: imports', () => {
  it('FORBIDDEN_IMPORT for an import not on the v1 list', () =>
    rejects(
      contract({ imports: '(import "env" "db_scan" (func (param i32 i32 i32) (result i32)))' }),
      'FORBIDDEN_IMPORT',
      /env\.db_scan/,
    ));
  it('FORBIDDEN_IMPORT for a v0.10 import in a v1 contract', () =>
    rejects(
      contract({ imports: '(import "env" "canonicalize_address" (func (param i32 i32) (result i32)))' }),
      'FORBIDDEN_IMPORT',
    ));
  it('FORBIDDEN_IMPORT for a v1 import in a v0.10 contract', () =>
    rejects(
      contract({
        marker: 'cosmwasm_vm_version_3',
        entries: V010_ENTRIES,
        imports: '(import "env" "addr_validate" (func (param i32) (result i32)))',
      }),
      'FORBIDDEN_IMPORT',
    ));
  it('FORBIDDEN_IMPORT for an allowed name from another module', () =>
    rejects(
      contract({ imports: '(import "host" "db_read" (func (param i32) (result i32)))' }),
      'FORBIDDEN_IMPORT',
      /host\.db_read/,
    ));
  it('ABORT_IMPORT for env.abort', () =>
    rejects(contract({ imports: '(import "env" "abort" (func (param i32 i32 i32 i32)))' }), 'ABORT_IMPORT'));
  it('NON_FUNCTION_IMPORT for an imported global', () =>
    rejects(contract({ imports: '(import "env" "db_read" (global i32))' }), 'NON_FUNCTION_IMPORT', /global/));
  it('NON_FUNCTION_IMPORT for an imported table', () =>
    rejects(
      contract({ imports: '(import "env" "table" (table 1 funcref))' }),
      'NON_FUNCTION_IMPORT',
      /table/,
    ));
});

describe('validateContractCode: floating point and SIMD', () => {
  it('FLOAT_TYPE for a float param', () =>
    rejects(contract({ extra: '(func (param f32))' }), 'FLOAT_TYPE', /f32/));
  it('FLOAT_TYPE for a float result', () =>
    rejects(contract({ extra: '(func (result f64) (f64.const 0))' }), 'FLOAT_TYPE', /f64/));
  it('FLOAT_TYPE for a float local, naming the function', () =>
    rejects(contract({ extra: '(func (local f64))' }), 'FLOAT_TYPE', /function 4 has a f64 local/));
  it('FLOAT_TYPE for a float global', () =>
    rejects(contract({ extra: '(global f32 (f32.const 1))' }), 'FLOAT_TYPE', /global 0/));
  it('FLOAT_TYPE for a float-typed block', () =>
    rejects(contract({ extra: '(func (block (result f32) (f32.const 0)) drop)' }), 'FLOAT_TYPE', /block/));
  it('FLOAT_INSTRUCTION for f32.const, naming function and byte offset', () =>
    rejects(
      contract({ extra: '(func (drop (f32.const 1.5)))' }),
      'FLOAT_INSTRUCTION',
      /f32\.const in function 4 at byte \d+/,
    ));
  it('FLOAT_INSTRUCTION for float arithmetic hidden behind reinterprets', () =>
    rejects(
      contract({
        extra:
          '(func (param i64) (result i64) (i64.reinterpret_f64 (f64.add (f64.reinterpret_i64 (local.get 0)) (f64.reinterpret_i64 (local.get 0)))))',
      }),
      'FLOAT_INSTRUCTION',
      /f64\.reinterpret_i64/,
    ));
  it('FLOAT_INSTRUCTION for a float load and store', () => {
    rejects(
      contract({ extra: '(func (drop (i32.reinterpret_f32 (f32.load (i32.const 0)))))' }),
      'FLOAT_INSTRUCTION',
      /f32\.load/,
    );
    rejects(
      contract({ extra: '(func (param i64) (f64.store (i32.const 0) (f64.reinterpret_i64 (local.get 0))))' }),
      'FLOAT_INSTRUCTION',
      /f64\.reinterpret_i64/,
    );
  });
  it('FLOAT_INSTRUCTION for a saturating truncation (0xFC 0-7)', () =>
    rejects(
      contract({
        extra: '(func (param i32) (result i32) (i32.trunc_sat_f32_s (f32.reinterpret_i32 (local.get 0))))',
      }),
      'FLOAT_INSTRUCTION',
    ));
  it('FLOAT_INSTRUCTION for a float comparison', () =>
    rejects(
      contract({
        extra:
          '(func (param i32) (result i32) (f32.lt (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 0))))',
      }),
      'FLOAT_INSTRUCTION',
    ));
  it('SIMD_INSTRUCTION for a v128 instruction', () =>
    rejects(
      contract({ extra: '(func (drop (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4))))' }),
      'SIMD_INSTRUCTION',
      /function 4/,
    ));
  it('SIMD_INSTRUCTION for a v128 param or local even without SIMD instructions', () => {
    rejects(contract({ extra: '(func (param v128))' }), 'SIMD_INSTRUCTION', /v128/);
    rejects(contract({ extra: '(func (local v128))' }), 'SIMD_INSTRUCTION', /v128/);
  });
});

describe('validateContractCode: other instructions', () => {
  it('UNSUPPORTED_INSTRUCTION for table.grow (unmetered table bulk op)', () =>
    rejects(
      contract({ extra: '(table 1 funcref) (func (drop (table.grow (ref.null func) (i32.const 1))))' }),
      'UNSUPPORTED_INSTRUCTION',
      /table\.grow/,
    ));
  it('UNSUPPORTED_INSTRUCTION for a tail call', () =>
    rejects(contract({ extra: '(func $t (return_call $t))' }), 'UNSUPPORTED_INSTRUCTION', /tail call/));
});
