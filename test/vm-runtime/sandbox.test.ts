// The shroud/testing sandbox: bank and wasm dispatch, submessage replies, rollback, queries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { fromBech32, sha256, toBech32 } from '../../src/crypto/index.js';
import { ContractError, ContractSandbox, SandboxError, VmError } from '../../src/vm/testing/index.js';
import { contractWat, wat2wasm } from './wat.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const okResponse = (fields: { messages?: unknown[]; attributes?: unknown[]; data?: string | null }): string =>
  JSON.stringify({
    Ok: {
      messages: fields.messages ?? [],
      attributes: fields.attributes ?? [],
      events: [],
      data: fields.data ?? null,
    },
  });

/** Callee: execute saves B=1 then succeeds with data "b" (or fails); query answers {"v":1}. */
async function callee(fail: boolean): Promise<Uint8Array> {
  return wat2wasm(
    contractWat({
      execute: '(call $save_i32 (i32.const 66) (i32.const 1)) (call $blob1)',
      query: '(call $blob2)',
      blobs: [
        fail
          ? '{"Err":"b failed"}'
          : okResponse({ attributes: [{ key: 'who', value: 'b' }], data: b64('b') }),
        `{"Ok":"${b64('{"v":1}')}"}`,
      ],
    }),
  );
}

/** Caller: execute saves A=1 and returns `messages`; reply saves its msg under R and sets data "reply". */
async function caller(messages: unknown[], extraExecute = '', blobs: string[] = []): Promise<Uint8Array> {
  return wat2wasm(
    contractWat({
      execute: `(call $save_i32 (i32.const 65) (i32.const 1)) ${extraExecute} (call $blob1)`,
      reply: '(call $save (i32.const 82) (local.get $msg)) (call $blob2)',
      blobs: [okResponse({ messages }), okResponse({ data: b64('reply') }), ...blobs],
    }),
  );
}

async function setup() {
  const sb = await ContractSandbox.create();
  const alice = sb.address('alice');
  sb.setBalance(alice, [{ denom: 'ushd', amount: 1_000n }]);
  return { sb, alice };
}

function executeMsg(contract: string, codeHash: string, id: number, replyOn: string, amount = '3') {
  return {
    id,
    msg: {
      wasm: {
        execute: {
          contract_addr: contract,
          code_hash: codeHash,
          msg: b64('{}'),
          send: [{ denom: 'ushd', amount }],
        },
      },
    },
    gas_limit: null,
    reply_on: replyOn,
  };
}

const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

async function deploy(
  sb: ContractSandbox,
  sender: string,
  wasm: Uint8Array,
  label: string,
  funds: bigint = 0n,
) {
  const { codeId, codeHash } = await sb.upload(wasm);
  const { address } = await sb.instantiate(codeId, {
    sender,
    msg: {},
    label,
    funds: funds > 0n ? [{ denom: 'ushd', amount: funds }] : [],
  });
  return { address, codeHash, codeId };
}

describe('ContractSandbox basics', () => {
  it('uploads with real validation, instantiates at a deterministic 32-byte address, moves funds first', async () => {
    const { sb, alice } = await setup();
    const wasm = await callee(false);
    const { codeId, codeHash } = await sb.upload(wasm);
    assert.equal(codeId, 1);
    assert.match(codeHash, /^[0-9a-f]{64}$/);
    const { address, response, gasUsed } = await sb.instantiate(codeId, {
      sender: alice,
      msg: { init: true },
      label: 'one',
      funds: [{ denom: 'ushd', amount: 100 }],
    });
    assert.equal(fromBech32(address).prefix, 'shroud');
    assert.equal(fromBech32(address).data.length, 32);
    assert.deepEqual(response.messages, []);
    assert.ok(gasUsed > 0n);
    assert.equal(sb.getBalance(address, 'ushd'), 100n);
    assert.equal(sb.getBalance(alice, 'ushd'), 900n);
    const again = await ContractSandbox.create();
    again.setBalance(alice, [{ denom: 'ushd', amount: 1000n }]);
    await again.upload(wasm);
    const second = await again.instantiate(1, { sender: alice, msg: {}, label: 'one' });
    assert.equal(second.address, address, 'same code id and counter → same address');
  });

  it('rejects invalid uploads with the validation VmError', async () => {
    const sb = await ContractSandbox.create();
    await assert.rejects(
      async () => sb.upload(new Uint8Array([1, 2, 3])),
      (e: unknown) => e instanceof VmError && e.code === 'NOT_WASM',
    );
  });

  it('rejects duplicate and oversized labels, unknown code ids and unknown contracts', async () => {
    const { sb, alice } = await setup();
    const { codeId } = await sb.upload(await callee(false));
    await sb.instantiate(codeId, { sender: alice, msg: {}, label: 'x' });
    const code = (c: string) => (e: unknown) => e instanceof SandboxError && e.code === c;
    await assert.rejects(
      async () => sb.instantiate(codeId, { sender: alice, msg: {}, label: 'x' }),
      code('INVALID_LABEL'),
    );
    await assert.rejects(
      async () => sb.instantiate(codeId, { sender: alice, msg: {}, label: 'y'.repeat(513) }),
      code('INVALID_LABEL'),
    );
    await assert.rejects(
      async () => sb.instantiate(9, { sender: alice, msg: {}, label: 'z' }),
      code('NO_SUCH_CODE'),
    );
    await assert.rejects(
      async () => sb.execute(sb.address('nobody'), { sender: alice, msg: {} }),
      code('NO_SUCH_CONTRACT'),
    );
    await assert.rejects(
      async () =>
        sb.instantiate(codeId, {
          sender: alice,
          msg: {},
          label: 'rich',
          funds: [{ denom: 'ushd', amount: 5000 }],
        }),
      code('INSUFFICIENT_FUNDS'),
    );
  });

  it('query returns parsed JSON; a contract Err is a ContractError with the contract’s text', async () => {
    const { sb, alice } = await setup();
    const ok = await deploy(sb, alice, await callee(false), 'ok');
    const bad = await deploy(sb, alice, await callee(true), 'bad');
    assert.deepEqual(await sb.query(ok.address, {}), { v: 1 });
    await assert.rejects(
      async () => sb.execute(bad.address, { sender: alice, msg: {} }),
      (e: unknown) => e instanceof ContractError && e.message === 'b failed' && e.contract === bad.address,
    );
    assert.equal(sb.getStorage(bad.address, 'B'), undefined, 'the failed call wrote nothing');
  });

  it('blocks: env carries height, time (ns string) and chain id; advanceBlock moves them', async () => {
    const { sb, alice } = await setup();
    const wasm = await wat2wasm(
      contractWat({
        execute: '(call $save (i32.const 69) (local.get $env)) (call $ok)',
        features: ['random'],
      }),
    );
    const { address } = await deploy(sb, alice, wasm, 'env');
    await sb.execute(address, { sender: alice, msg: {} });
    const before = JSON.parse(text(sb.getStorage(address, 'E')) ?? '') as {
      block: { height: number; time: string; random: string };
    };
    assert.equal(before.block.height, sb.block.height);
    const randomBefore = before.block.random;
    sb.advanceBlock(3);
    await sb.execute(address, { sender: alice, msg: {} });
    const after = JSON.parse(text(sb.getStorage(address, 'E')) ?? '') as {
      block: { height: number; time: string; random: string };
      contract: { code_hash: string };
    };
    assert.equal(after.block.height, before.block.height + 3);
    assert.equal(BigInt(after.block.time) - BigInt(before.block.time), 15_000_000_000n);
    assert.notEqual(after.block.random, randomBefore);
    assert.equal(after.contract.code_hash, sb.codeHashOf(address));
  });
});

describe('message dispatch', () => {
  it('bank send from the contract; funds attached to execute arrive first', async () => {
    const { sb, alice } = await setup();
    const bob = sb.address('bob');
    const send = {
      id: 0,
      msg: { bank: { send: { to_address: bob, amount: [{ denom: 'ushd', amount: '40' }] } } },
      reply_on: 'never',
    };
    const { address } = await deploy(sb, alice, await caller([send]), 'sender');
    await sb.execute(address, { sender: alice, msg: {}, funds: [{ denom: 'ushd', amount: 50 }] });
    assert.equal(sb.getBalance(bob, 'ushd'), 40n);
    assert.equal(sb.getBalance(address, 'ushd'), 10n);
    assert.equal(sb.getBalance(alice, 'ushd'), 950n);
  });

  it('a bank send the contract cannot pay rolls back the whole call (storage and balances)', async () => {
    const { sb, alice } = await setup();
    const send = {
      id: 0,
      msg: { bank: { send: { to_address: alice, amount: [{ denom: 'ushd', amount: '999' }] } } },
      reply_on: 'never',
    };
    const { address } = await deploy(sb, alice, await caller([send]), 'broke');
    await assert.rejects(
      async () => sb.execute(address, { sender: alice, msg: {}, funds: [{ denom: 'ushd', amount: 5 }] }),
      (e: unknown) => e instanceof SandboxError && e.code === 'INSUFFICIENT_FUNDS',
    );
    assert.equal(sb.getStorage(address, 'A'), undefined);
    assert.equal(sb.getBalance(alice, 'ushd'), 1000n);
    assert.equal(sb.getBalance(address, 'ushd'), 0n);
  });

  it('bank burn removes coins from the contract', async () => {
    const { sb, alice } = await setup();
    const burn = {
      id: 0,
      msg: { bank: { burn: { amount: [{ denom: 'ushd', amount: '4' }] } } },
      reply_on: 'never',
    };
    const { address } = await deploy(sb, alice, await caller([burn]), 'burner', 10n);
    await sb.execute(address, { sender: alice, msg: {} });
    assert.equal(sb.getBalance(address, 'ushd'), 6n);
  });

  it('wasm execute runs the target with the funds; a wrong code hash is refused', async () => {
    const { sb, alice } = await setup();
    const b = await deploy(sb, alice, await callee(false), 'b');
    const a = await deploy(
      sb,
      alice,
      await caller([executeMsg(b.address, b.codeHash, 0, 'never')]),
      'a',
      10n,
    );
    const { response } = await sb.execute(a.address, { sender: alice, msg: {} });
    assert.equal(response.messages.length, 1);
    assert.deepEqual(sb.getStorage(b.address, 'B'), new Uint8Array([1, 0, 0, 0]));
    assert.equal(sb.getBalance(b.address, 'ushd'), 3n);
    const wrong = await deploy(
      sb,
      alice,
      await caller([executeMsg(b.address, 'ff'.repeat(32), 0, 'never')]),
      'wrong',
      10n,
    );
    await assert.rejects(
      async () => sb.execute(wrong.address, { sender: alice, msg: {} }),
      (e: unknown) => e instanceof SandboxError && e.code === 'CODE_HASH_MISMATCH',
    );
  });

  it('wasm instantiate from a contract; the reply data carries the new address', async () => {
    const { sb, alice } = await setup();
    const b = await sb.upload(await callee(false));
    const instantiate = {
      id: 5,
      msg: {
        wasm: {
          instantiate: {
            admin: null,
            code_id: b.codeId,
            code_hash: b.codeHash,
            msg: b64('{}'),
            send: [],
            label: 'child',
          },
        },
      },
      reply_on: 'success',
    };
    const a = await deploy(sb, alice, await caller([instantiate]), 'factory');
    await sb.execute(a.address, { sender: alice, msg: {} });
    const reply = JSON.parse(text(sb.getStorage(a.address, 'R')) ?? '') as {
      id: number;
      result: { ok: { data: string } };
    };
    assert.equal(reply.id, 5);
    const data = Buffer.from(reply.result.ok.data, 'base64');
    assert.equal(data[0], 0x0a, 'MsgInstantiateContractResponse.address');
    const child = data.subarray(2, 2 + (data[1] as number)).toString();
    assert.equal(sb.codeHashOf(child), b.codeHash);
  });
});

describe('submessage replies', () => {
  async function scenario(replyOn: string, fail: boolean) {
    const { sb, alice } = await setup();
    const b = await deploy(sb, alice, await callee(fail), 'b');
    const a = await deploy(
      sb,
      alice,
      await caller([executeMsg(b.address, b.codeHash, 7, replyOn)]),
      'a',
      10n,
    );
    return { sb, alice, a, b };
  }

  it('reply_on always + success: the reply gets events and data; everything is kept', async () => {
    const { sb, alice, a, b } = await scenario('always', false);
    await sb.execute(a.address, { sender: alice, msg: {} });
    const reply = JSON.parse(text(sb.getStorage(a.address, 'R')) ?? '') as {
      id: number;
      result: { ok: { events: { type: string }[]; data: string } };
    };
    assert.equal(reply.id, 7);
    assert.equal(Buffer.from(reply.result.ok.data, 'base64').toString(), 'b');
    assert.equal(reply.result.ok.events[0]?.type, 'wasm');
    assert.ok(sb.getStorage(b.address, 'B'));
    assert.equal(sb.getBalance(b.address, 'ushd'), 3n);
  });

  it('reply_on always + failure: the failed submessage is rolled back, the caller’s changes stay', async () => {
    const { sb, alice, a, b } = await scenario('always', true);
    await sb.execute(a.address, { sender: alice, msg: {} });
    const reply = JSON.parse(text(sb.getStorage(a.address, 'R')) ?? '') as unknown;
    assert.deepEqual(reply, { id: 7, result: { error: 'b failed' } });
    assert.ok(sb.getStorage(a.address, 'A'), 'caller writes kept');
    assert.equal(sb.getStorage(b.address, 'B'), undefined, 'callee writes rolled back');
    assert.equal(sb.getBalance(b.address, 'ushd'), 0n, 'funds sent with the failed call came back');
    assert.equal(sb.getBalance(a.address, 'ushd'), 10n);
  });

  it('reply_on error: called on failure, not on success', async () => {
    const failing = await scenario('error', true);
    await failing.sb.execute(failing.a.address, { sender: failing.alice, msg: {} });
    assert.ok(failing.sb.getStorage(failing.a.address, 'R'), 'reply on error');
    const passing = await scenario('error', false);
    await passing.sb.execute(passing.a.address, { sender: passing.alice, msg: {} });
    assert.equal(passing.sb.getStorage(passing.a.address, 'R'), undefined, 'no reply on success');
    assert.ok(passing.sb.getStorage(passing.b.address, 'B'));
  });

  it('reply_on success: called on success; a failure aborts and rolls back the whole tree', async () => {
    const passing = await scenario('success', false);
    await passing.sb.execute(passing.a.address, { sender: passing.alice, msg: {} });
    assert.ok(passing.sb.getStorage(passing.a.address, 'R'));
    const failing = await scenario('success', true);
    await assert.rejects(
      async () =>
        failing.sb.execute(failing.a.address, {
          sender: failing.alice,
          msg: {},
          funds: [{ denom: 'ushd', amount: 7 }],
        }),
      (e: unknown) => e instanceof ContractError && e.message === 'b failed',
    );
    assert.equal(failing.sb.getStorage(failing.a.address, 'A'), undefined, 'caller writes rolled back');
    assert.equal(failing.sb.getBalance(failing.a.address, 'ushd'), 10n, 'attached funds returned');
    assert.equal(failing.sb.getBalance(failing.alice, 'ushd'), 990n);
  });

  it('reply_on never + failure: the whole call fails', async () => {
    const { sb, alice, a } = await scenario('never', true);
    await assert.rejects(async () => sb.execute(a.address, { sender: alice, msg: {} }), ContractError);
    assert.equal(sb.getStorage(a.address, 'A'), undefined);
  });

  it('a VM failure in a submessage is caught by reply_on error like a contract error', async () => {
    const { sb, alice } = await setup();
    const trapping = await deploy(sb, alice, await wat2wasm(contractWat({ execute: 'unreachable' })), 'trap');
    const a = await deploy(
      sb,
      alice,
      await caller([executeMsg(trapping.address, trapping.codeHash, 9, 'error', '0')]),
      'a',
    );
    await sb.execute(a.address, { sender: alice, msg: {} });
    const reply = JSON.parse(text(sb.getStorage(a.address, 'R')) ?? '') as {
      id: number;
      result: { error: string };
    };
    assert.equal(reply.id, 9);
    assert.match(reply.result.error, /CONTRACT_TRAP/);
  });
});

describe('query_chain through the sandbox', () => {
  it('answers bank balance, all_balances and wasm smart queries; unknown contracts are no_such_contract', async () => {
    const { sb, alice } = await setup();
    const b = await deploy(sb, alice, await callee(false), 'b');
    const requests = [
      { bank: { balance: { address: alice, denom: 'ushd' } } },
      { bank: { all_balances: { address: alice } } },
      { wasm: { smart: { contract_addr: b.address, callback_code_hash: b.codeHash, msg: b64('{}') } } },
      {
        wasm: {
          smart: { contract_addr: sb.address('ghost'), callback_code_hash: b.codeHash, msg: b64('{}') },
        },
      },
      { staking: { bonded_denom: {} } },
    ].map((r) => JSON.stringify(r));
    // Save each answer under its own key: Q, T, U, V, W.
    const keys = [81, 84, 85, 86, 87];
    const body = requests
      .map((_r, i) => `(call $save (i32.const ${keys[i]}) (call $query_chain (call $blob${i + 3})))`)
      .join(' ');
    const a = await deploy(sb, alice, await caller([], body, requests), 'querier');
    await sb.execute(a.address, { sender: alice, msg: {} });
    const answer = (key: string) =>
      JSON.parse(text(sb.getStorage(a.address, key)) ?? '') as {
        Ok?: { Ok?: string; Err?: string };
        Err?: unknown;
      };
    const inner = (key: string) =>
      JSON.parse(Buffer.from(answer(key).Ok?.Ok ?? '', 'base64').toString()) as unknown;
    assert.deepEqual(inner('Q'), { amount: { denom: 'ushd', amount: '1000' } });
    assert.deepEqual(inner('T'), { amount: [{ denom: 'ushd', amount: '1000' }] });
    assert.deepEqual(inner('U'), { v: 1 });
    assert.deepEqual(answer('V'), { Err: { no_such_contract: { addr: sb.address('ghost') } } });
    assert.deepEqual(answer('W'), { Err: { unsupported_request: { kind: 'staking' } } });
  });
});

describe('sandbox promises', () => {
  it('failures are rejections, not synchronous throws (assert.rejects on the promise works)', async () => {
    const { sb, alice } = await setup();
    const bad = await deploy(sb, alice, await callee(true), 'bad');
    await assert.rejects(sb.execute(bad.address, { sender: alice, msg: {} }), ContractError);
    await assert.rejects(sb.query(sb.address('ghost'), {}), SandboxError);
    await assert.rejects(sb.upload(new Uint8Array([0])), VmError);
    await assert.rejects(sb.instantiate(42, { sender: alice, msg: {}, label: 'x' }), SandboxError);
  });
});

describe('admin, migrate and limits', () => {
  it('migrate: only the admin, runs the new code’s migrate entry, switches the code', async () => {
    const { sb, alice } = await setup();
    const v1 = await sb.upload(await callee(false));
    const v2 = await sb.upload(
      await wat2wasm(contractWat({ migrate: '(call $save_i32 (i32.const 71) (i32.const 2)) (call $ok)' })),
    );
    const { address } = await sb.instantiate(v1.codeId, { sender: alice, msg: {}, label: 'm', admin: alice });
    await assert.rejects(
      sb.migrate(address, { sender: sb.address('mallory'), codeId: v2.codeId, msg: {} }),
      (e: unknown) => e instanceof SandboxError && e.code === 'UNAUTHORIZED',
    );
    assert.equal(sb.codeHashOf(address), v1.codeHash, 'a refused migrate changes nothing');
    await sb.migrate(address, { sender: alice, codeId: v2.codeId, msg: {} });
    assert.equal(sb.codeHashOf(address), v2.codeHash);
    assert.deepEqual(sb.getStorage(address, 'G'), new Uint8Array([2, 0, 0, 0]));
  });

  it('update_admin / clear_admin messages from the admin contract; others are refused', async () => {
    const { sb, alice } = await setup();
    const target = await sb.upload(await callee(false));
    const v2 = await sb.upload(await wat2wasm(contractWat({ migrate: '(call $ok)' })));
    const bob = sb.address('bob');
    // Contract addresses are bech32(sha256(codeId u64 BE ‖ instance counter u64 BE)): the target
    // will be instance 2, after the admin contract (instance 1), so its address is known up front.
    const be = (n: number) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt(n));
      return b;
    };
    const targetAddress = toBech32('shroud', sha256(new Uint8Array([...be(target.codeId), ...be(2)])));
    const update = {
      id: 0,
      msg: { wasm: { update_admin: { contract_addr: targetAddress, admin: bob } } },
      reply_on: 'never',
    };
    const admin = await deploy(sb, alice, await caller([update]), 'admin');
    const { address } = await sb.instantiate(target.codeId, {
      sender: alice,
      msg: {},
      label: 't',
      admin: admin.address,
    });
    assert.equal(address, targetAddress, 'documented address derivation');
    await assert.rejects(
      sb.migrate(address, { sender: bob, codeId: v2.codeId, msg: {} }),
      SandboxError,
      'bob is not admin yet',
    );
    await sb.execute(admin.address, { sender: alice, msg: {} });
    await sb.migrate(address, { sender: bob, codeId: v2.codeId, msg: {} });
    assert.equal(sb.codeHashOf(address), v2.codeHash, 'bob became admin and migrated');

    const clear = { id: 0, msg: { wasm: { clear_admin: { contract_addr: address } } }, reply_on: 'never' };
    const intruder = await deploy(sb, alice, await caller([clear]), 'intruder');
    await assert.rejects(
      sb.execute(intruder.address, { sender: alice, msg: {} }),
      (e: unknown) => e instanceof SandboxError && e.code === 'UNAUTHORIZED',
    );
  });

  it('messages the sandbox does not model are refused', async () => {
    const { sb, alice } = await setup();
    const staking = await deploy(
      sb,
      alice,
      await caller([
        {
          id: 0,
          msg: { staking: { delegate: { validator: 'v', amount: { denom: 'u', amount: '1' } } } },
          reply_on: 'never',
        },
      ]),
      'staker',
    );
    await assert.rejects(
      sb.execute(staking.address, { sender: alice, msg: {} }),
      (e: unknown) => e instanceof SandboxError && e.code === 'UNSUPPORTED_MESSAGE',
    );
  });
});

describe('transaction events', () => {
  it('lists wasm and transfer events of the successful calls; a failed submessage’s are dropped', async () => {
    const { sb, alice } = await setup();
    const ok = await deploy(sb, alice, await callee(false), 'ok');
    const bad = await deploy(sb, alice, await callee(true), 'bad');
    const bob = sb.address('bob');
    const send = {
      id: 0,
      msg: { bank: { send: { to_address: bob, amount: [{ denom: 'ushd', amount: '1' }] } } },
      reply_on: 'never',
    };
    const a = await deploy(
      sb,
      alice,
      await caller([
        send,
        executeMsg(ok.address, ok.codeHash, 1, 'never', '0'),
        executeMsg(bad.address, bad.codeHash, 2, 'error', '0'),
      ]),
      'a',
      5n,
    );
    const { events } = await sb.execute(a.address, { sender: alice, msg: {} });
    const summary = events.map(
      (e) =>
        `${e.type}:${e.attributes.find((x) => x.key === 'contract_address' || x.key === 'recipient')?.value ?? ''}`,
    );
    assert.deepEqual(summary, [
      `wasm:${a.address}`,
      `transfer:${bob}`,
      `wasm:${ok.address}`,
      `wasm:${a.address}`,
    ]);
  });
});
