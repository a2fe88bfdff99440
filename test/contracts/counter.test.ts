// Counter contract (contracts/counter) run through the real VM via the shroud/testing sandbox.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ContractError, ContractSandbox } from '../../src/vm/testing/index.js';

function wasm(name: string): Uint8Array {
  return readFileSync(new URL(`../../contracts/build/${name}.wasm`, import.meta.url));
}

async function setup() {
  const sb = await ContractSandbox.create();
  const owner = sb.address('owner');
  const other = sb.address('other');
  const { codeId } = await sb.upload(wasm('counter'));
  const { address, response } = await sb.instantiate(codeId, {
    sender: owner,
    msg: { count: 7 },
    label: 'counter',
  });
  return { sb, owner, other, address, response };
}

describe('counter contract', () => {
  it('instantiates with a count and answers get_count', async () => {
    const { sb, address, response } = await setup();
    assert.deepEqual(await sb.query(address, { get_count: {} }), { count: 7 });
    assert.deepEqual(
      response.attributes.map((a) => [a.key, a.value]),
      [
        ['method', 'instantiate'],
        ['owner', sb.address('owner')],
      ],
    );
  });

  it('increments for anyone', async () => {
    const { sb, other, address } = await setup();
    await sb.execute(address, { sender: other, msg: { increment: {} } });
    await sb.execute(address, { sender: other, msg: { increment: {} } });
    assert.deepEqual(await sb.query(address, { get_count: {} }), { count: 9 });
  });

  it('lets the owner reset', async () => {
    const { sb, owner, address } = await setup();
    await sb.execute(address, { sender: owner, msg: { reset: { count: 100 } } });
    assert.deepEqual(await sb.query(address, { get_count: {} }), { count: 100 });
  });

  it('refuses a reset by someone else and leaves the count alone', async () => {
    const { sb, other, address } = await setup();
    await assert.rejects(
      async () => sb.execute(address, { sender: other, msg: { reset: { count: 0 } } }),
      (e: unknown) => e instanceof ContractError && e.message === 'Unauthorized',
    );
    assert.deepEqual(await sb.query(address, { get_count: {} }), { count: 7 });
  });

  it('reports bad messages with serde-style errors', async () => {
    const { sb, owner, address } = await setup();
    const cases: [unknown, RegExp][] = [
      [{ decrement: {} }, /^Error parsing into type ExecuteMsg: unknown variant `decrement`/],
      [{ reset: {} }, /^Error parsing into type ExecuteMsg::Reset: missing field `count`$/],
      [{ reset: { count: '5' } }, /invalid type: string for `count`, expected u64/],
      [{ reset: { count: 1.5 } }, /expected u64/],
      [{ reset: { count: -1 } }, /expected u64/],
      [{ reset: { count: 18446744073709551616n.toString() } }, /invalid type: string/],
    ];
    for (const [msg, expected] of cases) {
      await assert.rejects(
        async () => sb.execute(address, { sender: owner, msg }),
        (e: unknown) => e instanceof ContractError && expected.test(e.message),
        `execute ${JSON.stringify(msg)} fails with ${String(expected)}`,
      );
    }
    await assert.rejects(
      async () => sb.query(address, { get_counter: {} }),
      (e: unknown) => e instanceof ContractError && /unknown variant `get_counter`/.test(e.message),
    );
  });

  it('refuses a count that is not a JSON integer at instantiate', async () => {
    const sb = await ContractSandbox.create();
    const { codeId } = await sb.upload(wasm('counter'));
    await assert.rejects(
      async () => sb.instantiate(codeId, { sender: sb.address('a'), msg: { count: 1e30 }, label: 'c' }),
      (e: unknown) => e instanceof ContractError && /expected u64/.test(e.message),
    );
  });
});

describe('contract gas', () => {
  // Regression guard for the SDK's cost (wasm gas; 1000 wasm gas = 1 SDK gas). Measured on
  // 2026-11-27 with the stub runtime: counter instantiate ≈ 524k, increment ≈ 225k (of which
  // 43k is host storage gas), token transfer ≈ 546k. Budgets leave about 2× headroom.
  it('keeps typical calls within budget', async () => {
    const sb = await ContractSandbox.create();
    const a = sb.address('a');
    const { codeId } = await sb.upload(wasm('counter'));
    const created = await sb.instantiate(codeId, { sender: a, msg: { count: 1 }, label: 'c' });
    const incremented = await sb.execute(created.address, { sender: a, msg: { increment: {} } });
    const token = await sb.upload(wasm('token'));
    const t = await sb.instantiate(token.codeId, {
      sender: a,
      label: 't',
      msg: { name: 'Tok', symbol: 'TOK', decimals: 6, initial_balances: [{ address: a, amount: '1000' }] },
    });
    const transfer = await sb.execute(t.address, {
      sender: a,
      msg: { transfer: { recipient: sb.address('b'), amount: '5' } },
    });
    for (const [label, gas, budget] of [
      ['counter instantiate', created.gasUsed, 1_000_000n],
      ['counter increment', incremented.gasUsed, 500_000n],
      ['token transfer', transfer.gasUsed, 1_100_000n],
    ] as const) {
      assert.ok(gas > 0n && gas < budget, `${label} used ${gas} wasm gas (budget ${budget})`);
    }
  });
});
