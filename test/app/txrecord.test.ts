// The binary tx index record (src/app/txrecord.ts): round trip, JSON records of earlier builds
// still decode, truncated or unknown records are refused, and `/tx/<hash>` still answers JSON.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIndexedTx, encodeIndexedTx, type IndexedTx } from '../../src/app/index.js';
import { encodeTxRecord } from '../../src/app/txrecord.js';

const sample: IndexedTx = {
  height: 123_456_789_012n,
  index: 7,
  result: {
    code: 104,
    codespace: 'compute',
    log: 'failed: ünïcödé ✓',
    data: new Uint8Array([0, 1, 2, 255]),
    gasWanted: 300_000n,
    gasUsed: 299_999n,
    events: [
      { type: 'tx', attributes: [{ key: 'fee', value: '30000ushd', index: true }] },
      {
        type: 'wasm',
        attributes: [
          { key: 'contract_address', value: 'shroud1xyz', index: true },
          { key: 'encrypted:amount', value: 'AAEC', index: false },
        ],
      },
      { type: 'empty', attributes: [] },
    ],
  },
};

describe('tx index record', () => {
  it('round-trips every field, and equals the JSON form once decoded', () => {
    const binary = encodeTxRecord(sample);
    assert.notEqual(binary[0], 0x7b, 'not JSON');
    assert.deepEqual(decodeIndexedTx(binary), sample);
    assert.deepEqual(decodeIndexedTx(encodeIndexedTx(sample)), sample, 'JSON of earlier builds');
    assert.ok(binary.length < encodeIndexedTx(sample).length, 'smaller than JSON');
  });

  it('refuses truncated, extended and unknown-version records', () => {
    const binary = encodeTxRecord(sample);
    for (const cut of [1, 9, 20, binary.length - 1]) {
      assert.throws(() => decodeIndexedTx(binary.subarray(0, cut)), RangeError, `cut at ${cut}`);
    }
    assert.throws(() => decodeIndexedTx(new Uint8Array([...binary, 0])), RangeError, 'trailing byte');
    assert.throws(() => decodeIndexedTx(new Uint8Array([2, ...binary.subarray(1)])), RangeError, 'version');
  });
  it('writes u64s big-endian at the layout offsets, up to 2^64 - 1, and refuses values out of range', () => {
    for (const value of [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 0xffff_ffff_ffff_ffffn]) {
      const record = { ...sample, height: value, result: { ...sample.result, gasWanted: value } };
      const binary = encodeTxRecord(record);
      const expected = Buffer.alloc(8);
      expected.writeBigUInt64BE(value);
      assert.deepEqual(binary.subarray(1, 9), new Uint8Array(expected), `height ${value} at bytes 1..9`);
      assert.deepEqual(decodeIndexedTx(binary), record, `round trip of ${value}`);
    }
    for (const value of [-1n, 0x1_0000_0000_0000_0000n]) {
      assert.throws(() => encodeTxRecord({ ...sample, height: value }), RangeError, `height ${value}`);
    }
  });
});
