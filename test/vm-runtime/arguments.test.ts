// Entry-point arguments given as text (Env, MessageInfo) are written into contract memory as
// UTF-8 directly (CallContext.allocateRegion): the contract must receive exactly the bytes
// TextEncoder gives, for any text (non-ASCII, lone surrogates as U+FFFD), and the size asked of
// `allocate` must be that byte length (it is metered: gas depends on it).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { encodeEnv, encodeInfo } from '../../src/vm/runtime/json.js';
import type { ContractEnv, MessageInfo } from '../../src/vm/index.js';
import { ENV, meteredVm, run, writesOf } from './helpers.js';
import { buildContract } from './wat.js';

describe('text arguments', () => {
  it('arrive as the TextEncoder bytes of the Env and MessageInfo JSON, for any characters', async () => {
    // Saves the env Region under key E and the info Region under key I.
    const code = await buildContract({
      execute: `(call $save (i32.const 69) (local.get $env))
        (call $save (i32.const 73) (local.get $info))
        (call $ok)`,
    });
    const texts = [
      'shroud-1',
      'chaîne-é',
      'emoji-😀',
      'lone-\ud800-surrogate',
      'tail-\udfff',
      '"quoted\\\n"',
    ];
    for (const text of texts) {
      const env: ContractEnv = {
        ...ENV,
        block: { ...ENV.block, chainId: text },
        contract: { address: `shroud1${text}`, codeHash: ENV.contract.codeHash },
      };
      const info: MessageInfo = { sender: text, funds: [{ denom: text, amount: 5n }] };
      for (const vm of [meteredVm, undefined]) {
        const w = writesOf(run(code, { vm, env, info }));
        const note = `${JSON.stringify(text)} (${vm === undefined ? 'raw' : 'metered'})`;
        assert.deepEqual(w.get('E'), new TextEncoder().encode(encodeEnv(env, false)), `${note}: env bytes`);
        assert.deepEqual(w.get('I'), new TextEncoder().encode(encodeInfo(info)), `${note}: info bytes`);
      }
    }
  });
});
