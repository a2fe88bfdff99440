import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '../../crypto/index.js';
import { hasErrorCode } from '../../errors.js';
import { encodeSignBytes } from './sign-bytes.js';

const id = new Uint8Array(32).map((_, i) => i);

describe('sign bytes', () => {
  it('matches the documented layout byte for byte', () => {
    const bytes = encodeSignBytes('c', 1, 258, 3, 2, id);
    const expected =
      '7368726f75642f636f6e732f76310000' + // "shroud/cons/v1\0\0"
      '01' + // proposal
      '01' +
      '63' + // chain id "c"
      '0000000000000102' + // height 258
      '00000003' + // round 3
      '00000002' + // POL round 2
      '01' +
      bytesToHex(id);
    assert.equal(bytesToHex(bytes), expected);
    const nilPrecommit = encodeSignBytes('c', 3, 1, 0, -1, null);
    assert.equal(bytesToHex(nilPrecommit.subarray(16, 18)), '0301');
    assert.equal(bytesToHex(nilPrecommit.subarray(31, 35)), 'ffffffff', 'POL round -1');
    assert.equal(bytesToHex(nilPrecommit.subarray(35)), '00' + '00'.repeat(32));
  });

  it('differs in every field (no two messages share sign bytes)', () => {
    const base = encodeSignBytes('chain', 2, 5, 1, -1, id);
    const variants = [
      encodeSignBytes('chain', 3, 5, 1, -1, id),
      encodeSignBytes('chaim', 2, 5, 1, -1, id),
      encodeSignBytes('chain', 2, 6, 1, -1, id),
      encodeSignBytes('chain', 2, 5, 2, -1, id),
      encodeSignBytes('chain', 2, 5, 1, -1, null),
      encodeSignBytes(
        'chain',
        2,
        5,
        1,
        -1,
        id.map((b) => b ^ 1),
      ),
    ];
    for (const [i, v] of variants.entries()) assert.notDeepEqual(v, base, `variant ${i}`);
  });

  it('rejects out-of-range fields', () => {
    const bad: [string, () => Uint8Array][] = [
      ['empty chain id', () => encodeSignBytes('', 2, 1, 0, -1, null)],
      ['long chain id', () => encodeSignBytes('x'.repeat(65), 2, 1, 0, -1, null)],
      ['non-ASCII chain id', () => encodeSignBytes('chaîne', 2, 1, 0, -1, null)],
      ['height 0', () => encodeSignBytes('c', 2, 0, 0, -1, null)],
      ['fractional round', () => encodeSignBytes('c', 2, 1, 0.5, -1, null)],
      ['vote with POL round', () => encodeSignBytes('c', 2, 1, 3, 1, null)],
      ['POL round = round', () => encodeSignBytes('c', 1, 1, 3, 3, id)],
      ['nil proposal', () => encodeSignBytes('c', 1, 1, 0, -1, null)],
      ['short value id', () => encodeSignBytes('c', 2, 1, 0, -1, new Uint8Array(31))],
    ];
    for (const [name, fn] of bad) {
      assert.throws(fn, (e) => hasErrorCode(e, 'INVALID_ARGUMENT'), name);
    }
  });
});
