// The VM's string-keyed storage paths (issue #4): db_read hands a storage that has `getText` the
// key's latin1 text instead of a copy of its bytes, `get` receives the text as a second argument,
// and every buffered write carries its key's text. A storage with `getText` must see exactly the
// calls, outcomes, gas and writes of one without it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import {
  ContractVm,
  latin1Bytes,
  type CallOutcome,
  type ContractEnv,
  type Storage,
} from '../../src/vm/index.js';
import { builtContractCode, filledAddress } from '../helpers/memory-contract.js';
import { tokenInitMsg, transferMsg } from '../helpers/token.js';

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('latin1Bytes', () => {
  it('is the inverse of latin1 decoding for every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual(latin1Bytes(latin1(all)), all, 'all 256 byte values');
    assert.deepEqual(latin1Bytes(''), new Uint8Array(0), 'empty');
  });

  it('round-trips random keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.deepEqual(latin1Bytes(latin1(bytes)), bytes);
      }),
      { numRuns: 300 },
    );
  });
});

/** A token instance over one plain store; `withText` adds getText and records who answered. */
function tokenRun(withText: boolean) {
  const vm = new ContractVm();
  const code = builtContractCode('token');
  const store = new Map<string, Uint8Array>();
  const asked: string[] = [];
  const textMismatches: string[] = [];
  const storage: Storage = {
    get: (key, keyText) => {
      const text = latin1(key);
      if (keyText !== undefined && keyText !== text) textMismatches.push(text);
      asked.push(`get ${text}`);
      return store.get(text);
    },
    ...(withText
      ? {
          getText: (keyText: string) => {
            asked.push(`get ${keyText}`);
            return store.get(keyText);
          },
        }
      : {}),
  };
  const env: ContractEnv = {
    block: { height: 5, time: 1_700_000_000_000_000_000n, chainId: 'c', random: new Uint8Array(32).fill(3) },
    contract: { address: filledAddress(99), codeHash: code.codeHash },
    transaction: { index: 0, hash: 'AB'.repeat(32) },
  };
  const querier = { query: () => new TextEncoder().encode('{"Err":{"unknown":{}}}') };
  const writeTexts: [string, string | undefined][] = [];
  const call = (entry: 'instantiate' | 'execute', msg: unknown, sender: string): CallOutcome => {
    const outcome = vm.call({
      code,
      entry,
      env,
      info: { sender, funds: [] },
      msg: new TextEncoder().encode(JSON.stringify(msg)),
      storage,
      querier,
      gasLimit: 10_000_000_000n,
    });
    for (const write of outcome.ok ? outcome.writes : []) {
      writeTexts.push([latin1(write.key), write.keyText]);
      if (write.value === null) store.delete(latin1(write.key));
      else store.set(latin1(write.key), write.value);
    }
    return outcome;
  };
  return { call, asked, textMismatches, writeTexts, store };
}

describe('storage keyed by latin1 text', () => {
  it('a storage with getText sees the same reads and gives the same outcomes as one without', () => {
    const alice = filledAddress(1);
    const bob = filledAddress(2);
    const init = tokenInitMsg(
      [
        { address: alice, amount: '1000' },
        { address: bob, amount: '5' },
      ],
      { name: 'Text Token', symbol: 'TXT' },
    );
    const plain = tokenRun(false);
    const text = tokenRun(true);
    const calls: ['instantiate' | 'execute', unknown, string][] = [
      ['instantiate', init, alice],
      ['execute', transferMsg(bob, '7'), alice],
      ['execute', transferMsg(alice, '2'), bob],
      ['execute', transferMsg(bob, '99999'), bob], // insufficient funds: the contract's Err
      ['execute', transferMsg(alice, '1'), bob],
    ];
    for (const [i, [entry, msg, sender]] of calls.entries()) {
      const a = plain.call(entry, msg, sender);
      const b = text.call(entry, msg, sender);
      assert.deepEqual(b, a, `call ${i}: same outcome, gas and writes`);
    }
    assert.ok(plain.asked.length > 10, 'the token read its storage');
    assert.deepEqual(text.asked, plain.asked, 'the same keys were asked for, in the same order');
    assert.deepEqual(text.store, plain.store, 'the same final store');
    assert.deepEqual(plain.textMismatches, [], "get's keyText, when given, is the key's latin1");
    assert.ok(plain.writeTexts.length > 0, 'the token wrote');
    for (const [i, [expected, keyText]] of plain.writeTexts.entries()) {
      assert.equal(keyText, expected, `write ${i} carries its key's latin1 text`);
    }
  });
});
