import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { VmError } from '../errors.js';
import { WasmReader } from './reader.js';
import { WasmWriter } from './writer.js';

const reader = (...bytes: number[]): WasmReader => new WasmReader(Uint8Array.from(bytes));

function assertParseError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(
    fn,
    (error: unknown) =>
      error instanceof VmError && error.code === 'PARSE_ERROR' && pattern.test(error.message),
  );
}

describe('WasmReader LEB128', () => {
  it('decodes u32 values including the maximum', () => {
    assert.equal(reader(0x00).u32(), 0);
    assert.equal(reader(0x7f).u32(), 127);
    assert.equal(reader(0x80, 0x01).u32(), 128);
    assert.equal(reader(0xe5, 0x8e, 0x26).u32(), 624485);
    assert.equal(reader(0xff, 0xff, 0xff, 0xff, 0x0f).u32(), 0xffffffff);
  });

  it('accepts a padded (non-minimal) u32 within 5 bytes, as the spec does, and counts it', () => {
    const r = reader(0x80, 0x80, 0x80, 0x80, 0x00);
    assert.equal(r.u32(), 0);
    assert.equal(r.nonMinimalLebs, 1);
  });

  it('rejects an overlong u32 (6 bytes)', () => {
    assertParseError(() => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x00).u32(), /overlong/);
  });

  it('rejects a u32 whose 5th byte sets bits above 32', () => {
    assertParseError(() => reader(0xff, 0xff, 0xff, 0xff, 0x1f).u32(), /out of range/);
  });

  it('rejects a truncated LEB128', () => {
    assertParseError(() => reader(0x80, 0x80).u32(), /end of input/);
  });

  it('decodes i32 extremes and rejects bad sign extension in the last byte', () => {
    assert.equal(reader(0x7f).i32(), -1);
    assert.equal(reader(0x80, 0x80, 0x80, 0x80, 0x78).i32(), -0x80000000);
    assert.equal(reader(0xff, 0xff, 0xff, 0xff, 0x07).i32(), 0x7fffffff);
    assertParseError(() => reader(0xff, 0xff, 0xff, 0xff, 0x0f).i32(), /out of range/);
    assertParseError(() => reader(0x80, 0x80, 0x80, 0x80, 0x70).i32(), /out of range/);
    assertParseError(() => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x00).i32(), /overlong/);
  });

  it('decodes i64 extremes and rejects out-of-range and overlong encodings', () => {
    const max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
    const min = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f];
    assert.equal(reader(...max).i64(), (1n << 63n) - 1n);
    assert.equal(reader(...min).i64(), -(1n << 63n));
    assertParseError(
      () => reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).i64(),
      /out of range/,
    );
    assertParseError(
      () => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00).i64(),
      /overlong/,
    );
  });

  it('decodes u64 and rejects bits above 64', () => {
    assert.equal(reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).u64(), (1n << 64n) - 1n);
    assertParseError(
      () => reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03).u64(),
      /out of range/,
    );
  });

  it('round-trips random values through the writer (u32, i32, i64, u64)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (u, i, l, ul) => {
          const bytes = new WasmWriter().u32(u).i32(i).i64(l).u64(ul).finish();
          const r = new WasmReader(bytes);
          assert.equal(r.u32(), u);
          assert.equal(r.i32(), i);
          assert.equal(r.i64(), l);
          assert.equal(r.u64(), ul);
          assert.ok(r.atEnd(), 'all bytes consumed');
          assert.equal(r.nonMinimalLebs, 0, 'writer emits minimal encodings');
        },
      ),
    );
  });
});

describe('WasmReader bounds', () => {
  it('rejects a vector count larger than the bytes left', () => {
    assertParseError(() => reader(0x05, 0x01, 0x02).count('thing', 1000), /exceeds the bytes left/);
  });

  it('rejects a vector count over its limit with LIMIT_EXCEEDED', () => {
    assert.throws(
      () => reader(0x05, 1, 2, 3, 4, 5).count('thing', 4),
      (e: unknown) => e instanceof VmError && e.code === 'LIMIT_EXCEEDED',
    );
  });

  it('rejects a name that is not UTF-8 and reads a good one', () => {
    assertParseError(() => reader(0x02, 0xc3, 0x28).name(), /UTF-8/);
    assert.equal(reader(0x03, 0x65, 0x6e, 0x76).name(), 'env');
  });

  it('refuses to read past the end', () => {
    assertParseError(() => reader(0x01).bytesView(2), /need 2 bytes/);
    assertParseError(() => reader().u8(), /end of input/);
  });
});
