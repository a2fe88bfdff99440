// Token contract (contracts/token, SNIP-20 style) run through the real VM via the sandbox.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContractSandbox } from '../../src/vm/testing/index.js';
import { tokenInitMsg } from '../helpers/token.js';
import { contractWasm, dataJson, rejectsWithContractError } from './helpers.js';

const WRONG_KEY = { viewing_key_error: { msg: 'Wrong viewing key for this address or viewing key not set' } };

/** Uploads contracts/receiver (it takes the token's `receive` callback) and instantiates it as `sender`. */
async function deployReceiver(
  sb: ContractSandbox,
  sender: string,
): Promise<{ receiver: string; codeHash: string }> {
  const { codeId, codeHash } = await sb.upload(contractWasm('receiver'));
  const { address } = await sb.instantiate(codeId, { sender, msg: {}, label: 'receiver' });
  return { receiver: address, codeHash };
}

async function setup() {
  const sb = await ContractSandbox.create();
  const alice = sb.address('alice');
  const bob = sb.address('bob');
  const carol = sb.address('carol');
  const { codeId } = await sb.upload(contractWasm('token'));
  const { address: token } = await sb.instantiate(codeId, {
    sender: alice,
    label: 'token',
    msg: tokenInitMsg(
      [
        { address: alice, amount: '1000' },
        { address: bob, amount: '250' },
      ],
      { name: 'Shroud Test Token', symbol: 'STT' },
    ),
  });
  for (const [who, key] of [
    [alice, 'alice-key'],
    [bob, 'bob-key'],
  ] as const) {
    await sb.execute(token, { sender: who, msg: { set_viewing_key: { key } } });
  }
  const balance = async (address: string, key: string) => sb.query(token, { balance: { address, key } });
  return { sb, codeId, token, alice, bob, carol, balance };
}

describe('token contract', () => {
  it('answers token_info and the initial balances', async () => {
    const { sb, token, alice, bob, balance } = await setup();
    assert.deepEqual(await sb.query(token, { token_info: {} }), {
      token_info: { name: 'Shroud Test Token', symbol: 'STT', decimals: 6, total_supply: '1250' },
    });
    assert.deepEqual(await balance(alice, 'alice-key'), { balance: { amount: '1000' } });
    assert.deepEqual(await balance(bob, 'bob-key'), { balance: { amount: '250' } });
  });

  it('refuses balance queries with a wrong or missing viewing key', async () => {
    const { alice, carol, balance } = await setup();
    assert.deepEqual(await balance(alice, 'bob-key'), WRONG_KEY);
    assert.deepEqual(await balance(alice, ''), WRONG_KEY);
    assert.deepEqual(await balance(carol, 'anything'), WRONG_KEY, 'no key set');
  });

  it('transfers and reports success in data', async () => {
    const { sb, token, alice, bob, carol, balance } = await setup();
    const { response } = await sb.execute(token, {
      sender: alice,
      msg: { transfer: { recipient: carol, amount: '300' } },
    });
    assert.deepEqual(dataJson(response.data), { transfer: { status: 'success' } });
    assert.equal(response.attributes.length, 0, 'no attribute reveals the amount');
    await sb.execute(token, { sender: carol, msg: { set_viewing_key: { key: 'carol-key' } } });
    assert.deepEqual(await balance(alice, 'alice-key'), { balance: { amount: '700' } });
    assert.deepEqual(await balance(carol, 'carol-key'), { balance: { amount: '300' } });
    assert.deepEqual(await balance(bob, 'bob-key'), { balance: { amount: '250' } });
  });

  it('fails a transfer beyond the balance with the SNIP-20 error and changes nothing', async () => {
    const { sb, token, bob, carol, balance } = await setup();
    await rejectsWithContractError(
      () => sb.execute(token, { sender: bob, msg: { transfer: { recipient: carol, amount: '251' } } }),
      'Generic error: insufficient funds: balance=250, required=251',
    );
    assert.deepEqual(await balance(bob, 'bob-key'), { balance: { amount: '250' } });
  });

  it('rejects bad amounts and addresses', async () => {
    const { sb, token, alice } = await setup();
    const cases: [unknown, RegExp][] = [
      [{ transfer: { recipient: 'shroud1nope', amount: '1' } }, /^Generic error: addr_validate errored: /],
      [
        { transfer: { recipient: alice.toUpperCase(), amount: '1' } },
        /^Generic error: addr_validate errored: /,
      ],
      [{ transfer: { recipient: alice, amount: 1 } }, /expected a string-encoded integer/],
      [{ transfer: { recipient: alice, amount: '-1' } }, /invalid Uint128/],
      [
        { transfer: { recipient: alice, amount: '340282366920938463463374607431768211456' } },
        /invalid Uint128/,
      ],
      [{ transfer: { amount: '1' } }, /missing field `recipient`/],
      [{ burn: { amount: '1' } }, /unknown variant `burn`/],
    ];
    for (const [msg, expected] of cases) {
      await rejectsWithContractError(
        () => sb.execute(token, { sender: alice, msg }),
        expected,
        `execute ${JSON.stringify(msg)}`,
      );
    }
  });

  it('refuses raw messages with duplicate keys or broken JSON', async () => {
    const { sb, token, alice, bob, balance } = await setup();
    const raw = (text: string) => new TextEncoder().encode(text);
    await rejectsWithContractError(
      () =>
        sb.execute(token, {
          sender: alice,
          msg: raw(`{"transfer":{"recipient":"${bob}","amount":"1","amount":"900"}}`),
        }),
      /^Error parsing into type ExecuteMsg: duplicate key `amount`/,
    );
    await rejectsWithContractError(
      () => sb.execute(token, { sender: alice, msg: raw('{"transfer":') }),
      /^Error parsing into type ExecuteMsg: EOF while parsing a value/,
    );
    assert.deepEqual(await balance(alice, 'alice-key'), { balance: { amount: '1000' } });
    await sb.execute(token, { sender: alice, msg: { transfer: { recipient: bob, amount: '1' } } });
    const huge = (await sb.query(
      token,
      raw(
        `{"transfer_history":{"address":"${alice}","key":"alice-key","page":18446744073709551615,"page_size":100}}`,
      ),
    )) as { transfer_history: { txs: unknown[] } };
    assert.deepEqual(huge.transfer_history.txs, [], 'page × page_size does not overflow');
  });

  it('handles amounts above 2^64 exactly', async () => {
    const sb = await ContractSandbox.create();
    const whale = sb.address('whale');
    const { codeId } = await sb.upload(contractWasm('token'));
    const big = '340282366920938463463374607431768211455'; // 2^128 - 1
    const { address: token } = await sb.instantiate(codeId, {
      sender: whale,
      label: 't',
      msg: { name: 'Big', symbol: 'BIG', decimals: 0, initial_balances: [{ address: whale, amount: big }] },
    });
    await sb.execute(token, { sender: whale, msg: { set_viewing_key: { key: 'k' } } });
    await sb.execute(token, {
      sender: whale,
      msg: { transfer: { recipient: sb.address('minnow'), amount: '18446744073709551617' } },
    });
    assert.deepEqual(await sb.query(token, { balance: { address: whale, key: 'k' } }), {
      balance: { amount: (2n ** 128n - 1n - 18446744073709551617n).toString() },
    });
    await rejectsWithContractError(
      () =>
        sb.instantiate(codeId, {
          sender: whale,
          label: 't2',
          msg: {
            name: 'Big',
            symbol: 'BIG',
            decimals: 0,
            initial_balances: [
              { address: whale, amount: big },
              { address: whale, amount: '1' },
            ],
          },
        }),
      'Generic error: The sum of all initial balances exceeds the maximum possible total supply',
    );
  });

  it('validates instantiate parameters', async () => {
    const sb = await ContractSandbox.create();
    const { codeId } = await sb.upload(contractWasm('token'));
    const base = { name: 'Token', symbol: 'TOK', decimals: 6 };
    const cases: [object, RegExp][] = [
      [{ ...base, symbol: 'tok' }, /Ticker symbol is not in expected format/],
      [{ ...base, name: 'ab' }, /Name is not in the expected format/],
      [{ ...base, decimals: 19 }, /Decimals must not exceed 18/],
      [{ ...base, initial_balances: [{ address: 'nope', amount: '1' }] }, /addr_validate errored/],
      [{ name: 'Token', symbol: 'TOK' }, /missing field `decimals`/],
    ];
    let n = 0;
    for (const [msg, expected] of cases) {
      await rejectsWithContractError(
        () => sb.instantiate(codeId, { sender: sb.address('x'), label: `t${n++}`, msg }),
        expected,
        `instantiate ${JSON.stringify(msg)}`,
      );
    }
  });

  it('creates a random viewing key that works for queries', async () => {
    const { sb, token, carol, balance } = await setup();
    const created = await sb.execute(token, {
      sender: carol,
      msg: { create_viewing_key: { entropy: 'xyz' } },
    });
    const { create_viewing_key: answer } = dataJson(created.response.data) as {
      create_viewing_key: { key: string };
    };
    assert.match(answer.key, /^api_key_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(await balance(carol, answer.key), { balance: { amount: '0' } });
    sb.advanceBlock();
    const again = await sb.execute(token, { sender: carol, msg: { create_viewing_key: { entropy: 'xyz' } } });
    const second = (dataJson(again.response.data) as { create_viewing_key: { key: string } })
      .create_viewing_key.key;
    assert.notEqual(second, answer.key, 'a new block gives a new key');
    assert.deepEqual(await balance(carol, answer.key), WRONG_KEY, 'the old key no longer works');
    assert.deepEqual(await balance(carol, second), { balance: { amount: '0' } });
  });

  it('keeps a paged transfer history per address, newest first', async () => {
    const { sb, token, alice, bob, carol } = await setup();
    for (const [from, to, amount] of [
      [alice, bob, '10'],
      [bob, carol, '20'],
      [alice, carol, '30'],
    ] as const) {
      await sb.execute(token, {
        sender: from,
        msg: { transfer: { recipient: to, amount, memo: `m${amount}` } },
      });
      sb.advanceBlock();
    }
    const history = (await sb.query(token, {
      transfer_history: { address: alice, key: 'alice-key', page_size: 10 },
    })) as {
      transfer_history: {
        txs: { id: number; from: string; receiver: string; coins: unknown; memo: string }[];
        total: number;
      };
    };
    assert.equal(history.transfer_history.total, 2);
    assert.deepEqual(
      history.transfer_history.txs.map((t) => [t.id, t.from, t.receiver, t.coins, t.memo]),
      [
        [3, alice, carol, { denom: 'STT', amount: '30' }, 'm30'],
        [1, alice, bob, { denom: 'STT', amount: '10' }, 'm10'],
      ],
    );
    const tx = history.transfer_history.txs[0] as unknown as Record<string, unknown>;
    assert.equal(tx['block_height'], 3);
    assert.equal(tx['sender'], alice);
    const page1 = (await sb.query(token, {
      transfer_history: { address: bob, key: 'bob-key', page: 1, page_size: 1 },
    })) as { transfer_history: { txs: { id: number }[]; total: number } };
    assert.deepEqual(
      page1.transfer_history.txs.map((t) => t.id),
      [1],
    );
    assert.equal(page1.transfer_history.total, 2);
    const beyond = (await sb.query(token, {
      transfer_history: { address: bob, key: 'bob-key', page: 5, page_size: 1 },
    })) as { transfer_history: { txs: unknown[] } };
    assert.deepEqual(beyond.transfer_history.txs, []);
    const huge = (await sb.query(token, {
      transfer_history: { address: bob, key: 'bob-key', page: 1_000_000_000_000_000, page_size: 100 },
    })) as { transfer_history: { txs: unknown[] } };
    assert.deepEqual(huge.transfer_history.txs, [], 'a huge page does not overflow');
    assert.deepEqual(
      await sb.query(token, { transfer_history: { address: alice, key: 'bob-key', page_size: 10 } }),
      WRONG_KEY,
    );
  });

  it('sends to a contract and calls its receive with the code hash', async () => {
    const { sb, token, alice, balance } = await setup();
    const { receiver, codeHash } = await deployReceiver(sb, alice);
    const payload = Buffer.from('hello').toString('base64');
    const { response } = await sb.execute(token, {
      sender: alice,
      msg: { send: { recipient: receiver, recipient_code_hash: codeHash, amount: '40', msg: payload } },
    });
    assert.deepEqual(dataJson(response.data), { send: { status: 'success' } });
    const sent = response.messages[0]?.msg;
    assert.ok(sent?.kind === 'wasm_execute', 'a wasm execute message');
    assert.equal(sent.codeHash, codeHash);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(sent.msg)), {
      receive: { sender: alice, from: alice, amount: '40', msg: payload },
    });
    assert.deepEqual(await sb.query(receiver, { last_receive: {} }), {
      count: 1,
      sender: alice,
      from: alice,
      amount: '40',
      token,
      msg: 'hello',
    });
    assert.deepEqual(await balance(alice, 'alice-key'), { balance: { amount: '960' } });
  });

  it('rolls the send back when the receiver fails', async () => {
    const { sb, token, alice, balance } = await setup();
    const { receiver, codeHash } = await deployReceiver(sb, alice);
    await rejectsWithContractError(
      () =>
        sb.execute(token, {
          sender: alice,
          msg: {
            send: {
              recipient: receiver,
              recipient_code_hash: codeHash,
              amount: '40',
              msg: Buffer.from('fail').toString('base64'),
            },
          },
        }),
      'Generic error: receiver refused',
    );
    assert.deepEqual(await balance(alice, 'alice-key'), { balance: { amount: '1000' } });
    assert.deepEqual(await sb.query(receiver, { last_receive: {} }), {
      count: 0,
      sender: '',
      from: '',
      amount: '',
      token: '',
      msg: '',
    });
  });

  it('uses a registered receiver hash and skips the callback without one', async () => {
    const { sb, token, alice, carol } = await setup();
    const plain = await sb.execute(token, {
      sender: alice,
      msg: { send: { recipient: carol, amount: '1' } },
    });
    assert.equal(plain.response.messages.length, 0, 'no callback for an account');
    const { receiver, codeHash } = await deployReceiver(sb, alice);
    // A contract registers its own hash (the receiver has no such message, so register as if
    // the receiver were the sender: the token keys the hash by the message sender).
    await sb.execute(token, { sender: receiver, msg: { register_receive: { code_hash: codeHash } } });
    await sb.execute(token, { sender: alice, msg: { send: { recipient: receiver, amount: '2' } } });
    assert.equal(((await sb.query(receiver, { last_receive: {} })) as { count: number }).count, 1);
  });
});
