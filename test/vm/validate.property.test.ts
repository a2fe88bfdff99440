// Property: random damage to a valid contract never makes validation fail with anything but a
// VmError (no TypeError, RangeError, hang or crash), and whatever it accepts is instrumentable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { VmError } from '../../src/vm/errors.js';
import { validateContractCode } from '../../src/vm/validate.js';
import { contract } from './wat.js';

const BASE = contract({
  imports:
    '(import "env" "db_read" (func $db_read (param i32) (result i32))) (import "env" "debug" (func $debug (param i32)))',
  entries: ['allocate', 'deallocate', 'instantiate', 'execute', 'query'],
  extra: `(global $g (mut i32) (i32.const 16))
    (table 2 funcref) (elem (i32.const 0) $a $b)
    (type $t (func (param i32) (result i32)))
    (func $a (type $t) (i32.add (local.get 0) (global.get $g)))
    (func $b (type $t) (local i64) (block (result i32) (br_table 0 0 (local.get 0) (local.get 0))))
    (func (export "work") (param i32) (result i32) (local i32)
      (loop $l (if (i32.lt_u (local.get 1) (local.get 0)) (then (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br $l))))
      (memory.fill (i32.const 0) (i32.const 1) (local.get 0))
      (drop (memory.grow (i32.const 1)))
      (call_indirect (type $t) (local.get 1) (i32.and (local.get 0) (i32.const 1))))
    (data (i32.const 64) "shroud")
    (func (export "requires_random"))`,
});

type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number };

const position = fc.integer({ min: 0, max: BASE.length - 1 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 8 }) }),
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  const b = Array.from(bytes);
  if (m.kind === 'set') b[m.at] = m.value;
  else if (m.kind === 'truncate') b.length = m.at;
  else if (m.kind === 'insert') b.splice(m.at, 0, ...m.bytes);
  else b.splice(m.at, m.length);
  return Uint8Array.from(b);
}

describe('validateContractCode under random mutation', () => {
  it('the unmutated base module is valid', () => {
    assert.equal(validateContractCode(BASE).interfaceVersion, 'v1');
  });

  it('either accepts or throws a VmError, never anything else', () => {
    const codes = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const bytes = mutations.reduce(apply, BASE);
        try {
          const code = validateContractCode(bytes);
          codes.set('accepted', (codes.get('accepted') ?? 0) + 1);
          assert.equal(code.wasm.length, bytes.length);
        } catch (error) {
          assert.ok(error instanceof VmError, `non-VmError thrown: ${String(error)}`);
          assert.notEqual(
            error.code,
            'INSTRUMENT_ERROR',
            `instrumentation failed on an accepted module: ${error.message}`,
          );
          codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
        }
      }),
      { numRuns: 1500 },
    );
    // The run must have exercised both outcomes, or it proves nothing.
    assert.ok((codes.get('accepted') ?? 0) > 0, `some mutants accepted: ${JSON.stringify([...codes])}`);
    assert.ok((codes.get('PARSE_ERROR') ?? 0) > 0, `some mutants unparseable: ${JSON.stringify([...codes])}`);
  });
});
