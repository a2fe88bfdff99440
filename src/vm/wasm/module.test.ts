import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { wat } from '../../../test/vm/wat.js';
import { VmError } from '../errors.js';
import { WASM_LIMITS } from '../limits.js';
import { decodeBody, maxOperandHeight } from './code.js';
import { SectionId, parseModule } from './module.js';
import { Op, fcKey } from './opcodes.js';
import { WasmWriter } from './writer.js';

/** Builds a module from raw sections: [id, payload bytes]. */
function moduleBytes(...sections: [number, number[]][]): Uint8Array {
  const w = new WasmWriter().bytes(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
  for (const [id, payload] of sections) w.section(id, Uint8Array.from(payload));
  return w.finish();
}

function parseFails(bytes: Uint8Array, pattern: RegExp, code = 'PARSE_ERROR'): void {
  assert.throws(
    () => parseModule(bytes),
    (e: unknown) => e instanceof VmError && e.code === code && pattern.test(e.message),
  );
}

const RICH = wat(`(module
  (type $t (func (param i32) (result i32)))
  (import "env" "f" (func $imp (type $t)))
  (import "env" "tab" (table 2 funcref))
  (import "env" "g" (global $ig i64))
  (memory 2)
  (global $g (mut i32) (i32.const 7))
  (global i64 (global.get $ig))
  (table $own 4 funcref)
  (func $a (type $t) (local i32 i32) (local i64) (i32.add (local.get 0) (call $imp (local.get 0))))
  (func $b (export "b") (param i32) (result i32 i32) (local.get 0) (local.get 0))
  (elem (table $own) (i32.const 0) func $a $b)
  (elem $passive func $a)
  (elem declare func $b)
  (elem (table $own) (i32.const 2) funcref (ref.func $a) (ref.null func))
  (data (i32.const 16) "hi")
  (data $p "passive")
  (func (export "init") (memory.init $p (i32.const 0) (i32.const 0) (i32.const 3)) (data.drop $p) (elem.drop $passive))
  (export "mem" (memory 0))
  (export "g" (global $g)))`);

describe('parseModule', () => {
  it('parses every section of a rich module', () => {
    const m = parseModule(RICH);
    assert.equal(m.types.length >= 2, true, 'types');
    assert.deepEqual(m.types[0], { params: [0x7f], results: [0x7f] });
    assert.deepEqual(
      m.imports.map((i) => [i.module, i.name, i.kind]),
      [
        ['env', 'f', 'func'],
        ['env', 'tab', 'table'],
        ['env', 'g', 'global'],
      ],
    );
    assert.equal(m.importedFunctionCount, 1);
    assert.deepEqual(m.memories, [{ min: 2 }]);
    assert.equal(m.tables.length, 1);
    assert.equal(m.globals.length, 2);
    assert.deepEqual(m.globals[0]?.init, Uint8Array.of(0x41, 7, 0x0b));
    assert.equal(m.globals[0]?.mutable, true);
    assert.equal(m.elementCount, 4);
    assert.equal(m.dataSegmentCount, 2);
    assert.equal(m.dataCount, 2, 'datacount section (memory.init needs it)');
    assert.equal(m.bodies.length, 3);
    assert.deepEqual(m.bodies[0]?.locals, [
      { count: 2, valType: 0x7f },
      { count: 1, valType: 0x7e },
    ]);
    assert.equal(m.bodies[0]?.localCount, 3);
    assert.deepEqual(
      m.exports.map((e) => [e.name, e.kind]),
      [
        ['b', 'func'],
        ['init', 'func'],
        ['mem', 'memory'],
        ['g', 'global'],
      ],
    );
    assert.equal(m.functionTypeIndices.length, 4);
    assert.deepEqual(
      m.sections.filter((s) => s.id !== SectionId.custom).map((s) => s.id),
      [1, 2, 3, 4, 5, 6, 7, 9, 12, 10, 11],
    );
  });

  it('records custom sections with their names', () => {
    const bytes = moduleBytes([0, [4, 0x6e, 0x61, 0x6d, 0x65, 1, 2, 3]]);
    const m = parseModule(bytes);
    assert.equal(m.sections[0]?.name, 'name');
  });

  it('reads the start section', () => {
    assert.equal(parseModule(wat('(module (func $s) (start $s))')).start, 0);
  });

  const structural: [string, Uint8Array, RegExp][] = [
    ['unknown section id', moduleBytes([13, [0]]), /unknown section id 13/],
    ['duplicate section', moduleBytes([1, [0]], [1, [0]]), /out of order or duplicated/],
    ['trailing bytes in a section', moduleBytes([1, [0, 0]]), /trailing bytes/],
    [
      'section longer than the module',
      Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 9, 0),
      /exceeds the bytes left/,
    ],
    [
      'function without body',
      moduleBytes([1, [1, 0x60, 0, 0]], [3, [1, 0]]),
      /declares 1 functions, code section has 0/,
    ],
    [
      'function with an unknown type',
      moduleBytes([1, [1, 0x60, 0, 0]], [3, [1, 5]], [10, [1, 2, 0, 0x0b]]),
      /uses type 5/,
    ],
    ['invalid value type', moduleBytes([1, [1, 0x60, 1, 0x55, 0]]), /invalid value type 0x55/],
    ['bad function type tag', moduleBytes([1, [1, 0x61, 0, 0]]), /0x60/],
    ['shared memory flag', moduleBytes([5, [1, 3, 1, 1]]), /invalid limits flag 3/],
    ['memory max below min', moduleBytes([5, [1, 1, 2, 1]]), /maximum 1 invalid/],
    [
      'duplicate export name',
      moduleBytes(
        [1, [1, 0x60, 0, 0]],
        [3, [2, 0, 0]],
        [7, [2, 1, 0x61, 0, 0, 1, 0x61, 0, 1]],
        [10, [2, 2, 0, 0x0b, 2, 0, 0x0b]],
      ),
      /duplicate export name "a"/,
    ],
    [
      'body not ending in end',
      moduleBytes([1, [1, 0x60, 0, 0]], [3, [1, 0]], [10, [1, 2, 0, 0x01]]),
      /does not end with 'end'/,
    ],
    ['empty body', moduleBytes([1, [1, 0x60, 0, 0]], [3, [1, 0]], [10, [1, 0, 0x0b]]), /empty/],
    [
      'datacount mismatch',
      moduleBytes([5, [1, 0, 1]], [12, [2]], [11, [1, 1, 0]]),
      /datacount 2 differs from 1/,
    ],
    ['bad UTF-8 import name', moduleBytes([2, [1, 1, 0xff, 1, 0x61, 0, 0]]), /UTF-8/],
    [
      'bad constant expression',
      moduleBytes([6, [1, 0x7f, 0, 0x6a, 0x0b]]),
      /constant expression opcode 0x6a/,
    ],
    ['bad element flags', moduleBytes([9, [1, 9, 0]]), /element segment flags 9/],
    ['bad data flags', moduleBytes([11, [1, 3]]), /data segment flags 3/],
  ];
  for (const [name, bytes, pattern] of structural) {
    it(`PARSE_ERROR: ${name}`, () => parseFails(bytes, pattern));
  }

  it('LIMIT_EXCEEDED for a table over the limit and too many imports', () => {
    parseFails(moduleBytes([4, [1, 0x70, 0, 0x80, 0x80, 0x10]]), /table size/, 'LIMIT_EXCEEDED');
    const imports = [WASM_LIMITS.maxImports + 1];
    for (let i = 0; i <= WASM_LIMITS.maxImports; i++) imports.push(1, 0x61, 1, 0x62, 0, 0);
    const bytes = new WasmWriter()
      .bytes(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0))
      .section(
        2,
        new WasmWriter()
          .u32(WASM_LIMITS.maxImports + 1)
          .bytes(Uint8Array.from(imports.slice(1)))
          .finish(),
      )
      .finish();
    parseFails(bytes, /import count/, 'LIMIT_EXCEEDED');
  });
});

describe('decodeBody', () => {
  const context = { functionIndex: 7, codeOffset: 100 };

  it('decodes immediates of every shape, including 0xFC ops', () => {
    const m = parseModule(RICH);
    const body = m.bodies[2];
    assert.ok(body);
    const ops = decodeBody(body.code, context).map((i) => i.op);
    assert.deepEqual(ops, [Op.i32_const, Op.i32_const, Op.i32_const, fcKey(8), fcKey(9), fcKey(13), Op.end]);
  });

  it('rejects else outside if, unbalanced blocks and bytes after the final end', () => {
    const fails = (code: number[], pattern: RegExp): void =>
      assert.throws(
        () => decodeBody(Uint8Array.from(code), context),
        (e: unknown) => e instanceof VmError && e.code === 'PARSE_ERROR' && pattern.test(e.message),
      );
    fails([0x02, 0x40, 0x05, 0x0b, 0x0b], /'else' outside 'if'/);
    fails([0x02, 0x40, 0x0b], /ends inside a block/);
    fails([0x0b, 0x01], /after the final 'end'/);
    fails([0x06, 0x0b], /unknown opcode 0x6 in function 7/);
    fails([0xfc, 0x12, 0x0b], /unknown opcode 0xfc 18/);
    fails([0x3f, 0x01, 0x1a, 0x0b], /memory index must be 0/);
  });

  it('bounds block nesting', () => {
    const depth = WASM_LIMITS.maxBlockDepth + 1;
    const code = [
      ...Array<number[]>(depth).fill([0x02, 0x40]).flat(),
      ...Array<number>(depth + 1).fill(0x0b),
    ];
    assert.throws(
      () => decodeBody(Uint8Array.from(code), context),
      (e: unknown) => e instanceof VmError && /nested deeper/.test(e.message),
    );
  });

  it('computes the max operand height with multi-value blocks and calls', () => {
    const m = parseModule(
      wat(`(module (func $two (result i32 i32) (i32.const 1) (i32.const 2))
        (func (result i32) (call $two) (block (param i32 i32) (result i32) (i32.add)) (i32.const 3) (i32.const 4) (i32.add) (i32.add)))`),
    );
    const body = m.bodies[1];
    assert.ok(body);
    // call → 2; block keeps 2, add → 1; +3 → 2; +4 → 3; add → 2; add → 1. Max 3.
    assert.equal(maxOperandHeight(m, decodeBody(body.code, context)), 3);
  });
});
