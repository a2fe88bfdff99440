// The worked example of docs/contracts.md §4, kept runnable so the guide cannot rot.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { ContractError, ContractSandbox } from '../../src/vm/testing/index.js';

const wasm = readFileSync(new URL('../../contracts/build/counter.wasm', import.meta.url));

describe('docs/contracts.md worked example', () => {
  it('counts, and only the owner may reset', async () => {
    const sb = await ContractSandbox.create();
    const owner = sb.address('owner');
    const other = sb.address('other');
    const { codeId } = await sb.upload(wasm);
    const { address } = await sb.instantiate(codeId, { sender: owner, msg: { count: 7 }, label: 'counter' });

    await sb.execute(address, { sender: other, msg: { increment: {} } });
    assert.deepEqual(await sb.query(address, { get_count: {} }), { count: 8 });

    await assert.rejects(
      sb.execute(address, { sender: other, msg: { reset: { count: 0 } } }),
      (e) => e instanceof ContractError && e.message === 'Unauthorized',
    );
    assert.deepEqual(
      await sb.query(address, { get_count: {} }),
      { count: 8 },
      'the failed call changed nothing',
    );
  });
});
