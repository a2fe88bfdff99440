// Env/MessageInfo JSON fast paths (issue #4): MessageInfo without funds is a template, and the
// Env's contract part is remembered between calls; both must give JSON.stringify's bytes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { encodeEnv, encodeInfo } from '../../src/vm/runtime/json.js';
import type { ContractEnv, MessageInfo } from '../../src/vm/index.js';

/** encodeInfo as JSON.stringify of the object (CONTRACT_ABI §3.2). */
function referenceInfo(info: MessageInfo): string {
  return JSON.stringify({
    sender: info.sender,
    funds: info.funds.map((c) => ({ denom: c.denom, amount: c.amount.toString() })),
  });
}

describe('encodeInfo', () => {
  it('gives the bytes of JSON.stringify, with and without funds, for any sender', () => {
    const coin = fc.record({ denom: fc.string(), amount: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }) });
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.array(coin, { maxLength: 3 }), (sender, funds) => {
        const info = { sender, funds };
        assert.equal(encodeInfo(info), referenceInfo(info));
      }),
      { numRuns: 500 },
    );
  });
});

describe('encodeEnv contract part', () => {
  it('follows the contract from call to call (same, another, back, another code hash)', () => {
    const env = (address: string, codeHash: string): ContractEnv => ({
      block: { height: 1, time: 2n, chainId: 'c' },
      contract: { address, codeHash },
      transaction: null,
    });
    const sequence: [string, string][] = [
      ['a', 'h1'],
      ['a', 'h1'],
      ['b"quoted', 'h1'],
      ['a', 'h1'],
      ['a', 'h2'],
      ['', ''],
      ['a', 'h2'],
    ];
    for (const [i, [address, codeHash]] of sequence.entries()) {
      const text = encodeEnv(env(address, codeHash), false);
      const parsed = JSON.parse(text) as { contract: unknown };
      assert.deepEqual(parsed.contract, { address, code_hash: codeHash }, `call ${i}`);
      assert.ok(
        text.includes(JSON.stringify({ address, code_hash: codeHash })),
        `call ${i}: the contract part is JSON.stringify's`,
      );
    }
  });
});
