// Instance reuse (docs/adr/010-vm-instance-reuse.md) must be invisible: every call behaves as on
// a brand-new instance (CONTRACT_ABI §1.2, §6). Differential runs compare a VM that creates a
// fresh instance per call with one that reuses reset instances, call by call: same outcome,
// same gas, same writes, same errors. Hostile contracts then check the reset itself: garbage
// left in memory and globals, traps mid-call (out of gas, unreachable, stack overflow, host
// trap), grown memories, nested calls into the same code, and modules whose tables or data
// segments can change (never reused).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { toBech32 } from '../../src/crypto/index.js';
import { ContractVm, validateContractCode, VmError } from '../../src/vm/index.js';
import type {
  CallOutcome,
  CallRequest,
  EntryPoint,
  MessageInfo,
  Querier,
  ValidatedCode,
} from '../../src/vm/index.js';
import { describeOutcome, ENV, storageOf, writesOf } from './helpers.js';
import { buildContract, OK_EMPTY, u32le } from './wat.js';

const encoder = new TextEncoder();

/** mulberry32: a small seeded PRNG, so a failing seed is the bug report. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const address = (n: number): string => toBech32('shroud', new Uint8Array(20).fill(n));

function load(name: string): ValidatedCode {
  const url = new URL(`../../contracts/build/${name}.wasm`, import.meta.url);
  return validateContractCode(new Uint8Array(readFileSync(url)));
}

/** One side of a differential run: a VM and the storage its successful calls write to. */
class Side {
  readonly store = new Map<string, Uint8Array>();
  /** Every nested query answered, in order (the querier runs the same VM). */
  readonly nested: string[] = [];

  constructor(
    readonly vm: ContractVm,
    private readonly selftest?: ValidatedCode,
  ) {}

  /** Answers smart queries by running the selftest contract's query on the same VM. */
  readonly querier: Querier = {
    query: (request: Uint8Array, depth: number): Uint8Array => {
      const parsed = JSON.parse(Buffer.from(request).toString('utf8')) as {
        wasm?: { smart?: { msg: string } };
      };
      const msg = parsed.wasm?.smart?.msg;
      if (msg === undefined || this.selftest === undefined) return encoder.encode('{"Err":{"unknown":{}}}');
      let answer = '';
      const text = describeOutcome(() => {
        const outcome = this.call({
          code: this.selftest as ValidatedCode,
          entry: 'query',
          msg: Buffer.from(msg, 'base64'),
          queryDepth: depth,
          gasLimit: 50_000_000n,
        });
        answer =
          outcome.ok && outcome.queryResult !== null
            ? JSON.stringify({ Ok: { Ok: Buffer.from(outcome.queryResult).toString('base64') } })
            : JSON.stringify({ Ok: { Err: outcome.ok ? 'no result' : outcome.error } });
        return outcome;
      });
      this.nested.push(text);
      return encoder.encode(answer === '' ? '{"Ok":{"Err":"the nested call failed"}}' : answer);
    },
  };

  call(
    request: Omit<CallRequest, 'storage' | 'querier' | 'env' | 'gasLimit'> & {
      gasLimit?: bigint;
      queryDepth?: number;
    },
  ): CallOutcome {
    const outcome = this.vm.call({
      env: ENV,
      storage: storageOf(this.store),
      querier: this.querier,
      gasLimit: 10_000_000_000n,
      ...request,
    });
    if (outcome.ok) {
      for (const w of outcome.writes) {
        const key = Buffer.from(w.key).toString('latin1');
        if (w.value === null) this.store.delete(key);
        else this.store.set(key, w.value);
      }
    }
    return outcome;
  }
}

interface Step {
  code: ValidatedCode;
  entry: EntryPoint;
  msg: Uint8Array;
  info?: MessageInfo;
  gasLimit?: bigint;
}

/** Runs the same steps on a fresh-instance VM and a reusing VM; every result must match. */
function differential(
  steps: Iterable<Step>,
  selftest?: ValidatedCode,
): { calls: number; reused: boolean; kinds: Set<string> } {
  const fresh = new Side(new ContractVm({ reuseInstances: false }), selftest);
  const reusing = new Side(new ContractVm(), selftest);
  let calls = 0;
  let reused = false;
  const kinds = new Set<string>();
  for (const step of steps) {
    const request = {
      code: step.code,
      entry: step.entry,
      msg: step.msg,
      ...(step.info === undefined ? {} : { info: step.info }),
      ...(step.gasLimit === undefined ? {} : { gasLimit: step.gasLimit }),
    };
    const expected = describeOutcome(() => fresh.call(request));
    const actual = describeOutcome(() => reusing.call(request));
    const what = `call ${calls}: ${step.entry} ${Buffer.from(step.msg).toString('utf8').slice(0, 120)}`;
    assert.equal(actual, expected, `${what}: the reused instance answers like a fresh one`);
    reused ||= reusing.vm.idleInstances.bytes > 0;
    const parsed = JSON.parse(expected) as { ok?: boolean; vmError?: string };
    kinds.add(parsed.vmError ?? (parsed.ok === true ? 'Ok' : 'Err'));
    calls++;
  }
  assert.deepEqual(reusing.nested, fresh.nested, 'nested queries answered identically');
  assert.deepEqual(
    [...reusing.store.entries()].sort(),
    [...fresh.store.entries()].sort(),
    'final storage identical',
  );
  return { calls, reused, kinds };
}

const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));
const infoOf = (sender: string, funds: MessageInfo['funds'] = []): MessageInfo => ({ sender, funds });

describe('instance reuse: differential runs against a fresh instance per call', () => {
  it('token: 1,500 random transfers, sends, viewing keys, bad messages and queries', () => {
    const token = load('token');
    const users = [1, 2, 3, 4].map(address);
    const random = prng(0x5eed1);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    function* steps(): Generator<Step> {
      yield {
        code: token,
        entry: 'instantiate',
        info: infoOf(users[0] as string),
        msg: json({
          name: 'Diff Token',
          symbol: 'DIFF',
          decimals: 6,
          initial_balances: users.slice(0, 3).map((a) => ({ address: a, amount: '1000000' })),
          prng_seed: Buffer.from('seed').toString('base64'),
        }),
      };
      for (let i = 0; i < 1500; i++) {
        const sender = pick(users);
        const r = random();
        let msg: unknown;
        let entry: EntryPoint = 'execute';
        if (r < 0.55) {
          // Amounts past the balance fail with the contract's Err (insufficient funds).
          const amount = String(Math.floor(random() * (random() < 0.1 ? 5_000_000 : 5_000)));
          msg = { transfer: { recipient: random() < 0.05 ? 'shroud1bad' : pick(users), amount } };
        } else if (r < 0.62) {
          msg = { send: { recipient: pick(users), amount: String(Math.floor(random() * 100)) } };
        } else if (r < 0.7) {
          msg = { set_viewing_key: { key: `key-${Math.floor(random() * 4)}` } };
        } else if (r < 0.75) {
          msg = { create_viewing_key: { entropy: `e${i}` } };
        } else if (r < 0.8) {
          msg = random() < 0.5 ? { transfer: { amount: 'x' } } : { nope: {} };
        } else if (r < 0.85) {
          // A limit that runs out somewhere inside the call: OUT_OF_GAS mid-call.
          yield {
            code: token,
            entry,
            info: infoOf(sender),
            msg: json({ transfer: { recipient: pick(users), amount: '1' } }),
            gasLimit: BigInt(Math.floor(random() * 600_000)),
          };
          continue;
        } else {
          entry = 'query';
          const who = pick(users);
          msg =
            random() < 0.5
              ? { balance: { address: who, key: `key-${Math.floor(random() * 4)}` } }
              : random() < 0.5
                ? { token_info: {} }
                : {
                    transfer_history: { address: who, key: `key-${Math.floor(random() * 4)}`, page_size: 3 },
                  };
        }
        yield { code: token, entry, msg: json(msg), ...(entry === 'query' ? {} : { info: infoOf(sender) }) };
      }
    }
    const { calls, reused, kinds } = differential(steps());
    assert.equal(calls, 1501);
    assert.ok(reused, 'the reusing VM kept instances');
    assert.deepEqual([...kinds].sort(), ['Err', 'OUT_OF_GAS', 'Ok'], 'the run covers every ending');
  });

  it('counter, auction and selftest interleaved: 1,500 calls incl. panics, nested queries into the same code, out of gas', () => {
    const counter = load('counter');
    const auction = load('auction');
    const selftest = load('selftest');
    const users = [5, 6, 7].map(address);
    const random = prng(0x5eed2);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const smart = (inner: unknown): unknown => ({
      smart: {
        contract: address(9),
        code_hash: selftest.codeHash,
        msg: JSON.stringify(inner),
      },
    });
    function* steps(): Generator<Step> {
      yield {
        code: counter,
        entry: 'instantiate',
        info: infoOf(users[0] as string),
        msg: json({ count: 1 }),
      };
      yield {
        code: auction,
        entry: 'instantiate',
        info: infoOf(users[0] as string),
        msg: json({ item: 'x', ends_at: Number(ENV.block.height) + 1000, min_bid: '5' }),
      };
      yield { code: selftest, entry: 'instantiate', info: infoOf(users[0] as string), msg: json({}) };
      for (let i = 0; i < 1500; i++) {
        const sender = pick(users);
        const r = random();
        const gasLimit = random() < 0.08 ? BigInt(Math.floor(random() * 300_000)) : undefined;
        const base = { info: infoOf(sender), ...(gasLimit === undefined ? {} : { gasLimit }) };
        if (r < 0.2) {
          yield {
            code: counter,
            entry: 'execute',
            ...base,
            msg: json(random() < 0.8 ? { increment: {} } : { reset: { count: Math.floor(random() * 9) } }),
          };
        } else if (r < 0.3) {
          yield { code: counter, entry: 'query', msg: json({ get_count: {} }) };
        } else if (r < 0.45) {
          const amount = Math.floor(random() * 20);
          yield {
            code: auction,
            entry: 'execute',
            ...base,
            info: infoOf(sender, [{ denom: 'ushd', amount: BigInt(Math.floor(random() * 25)) }]),
            msg: json({ bid: { amount: String(amount) } }),
          };
        } else if (r < 0.5) {
          yield { code: auction, entry: 'query', msg: json({ status: {} }) };
        } else if (r < 0.8) {
          const k = random();
          const msg =
            k < 0.25
              ? { storage: { key: `k${Math.floor(random() * 5)}`, value: `v${i}` } }
              : k < 0.4
                ? { append: { item: `item-${i}` } }
                : k < 0.55
                  ? { panic: {} }
                  : k < 0.7
                    ? { fail: { message: `fail ${i}` } }
                    : { context: {} };
          yield { code: selftest, entry: 'execute', ...base, msg: json(msg) };
        } else {
          const k = random();
          const msg =
            k < 0.3
              ? smart(random() < 0.5 ? { list: {} } : smart({ u128: { a: String(i), b: '7' } }))
              : k < 0.5
                ? { u128: { a: String(i * 1000), b: String(i) } }
                : k < 0.7
                  ? { storage: {} }
                  : k < 0.85
                    ? { list: {} }
                    : { sha256: { data: Buffer.from(`d${i}`).toString('base64') } };
          yield {
            code: selftest,
            entry: 'query',
            msg: json(msg),
            ...(gasLimit === undefined ? {} : { gasLimit }),
          };
        }
      }
    }
    const { calls, reused, kinds } = differential(steps(), selftest);
    assert.equal(calls, 1503);
    assert.ok(reused, 'the reusing VM kept instances');
    assert.deepEqual(
      [...kinds].sort(),
      ['CONTRACT_TRAP', 'Err', 'OUT_OF_GAS', 'Ok', 'UNAUTHORIZED_WRITE'],
      'the run covers every ending',
    );
  });
});

/**
 * A contract that records what it sees at entry (globals, a zero area, a data segment byte,
 * memory.size) under keys A..F, then leaves garbage everywhere and ends as the message's first
 * byte says: o = Ok, e = Err, u = unreachable, g = endless loop (out of gas), s = endless
 * recursion (stack overflow), m = grow memory then Ok, h = host trap (null Region).
 */
async function garbageContract(): Promise<ValidatedCode> {
  const segment = 1024 + OK_EMPTY.length + 16; // $blob1 (contractWat lays blobs out from 1024)
  return buildContract({
    blobs: ['PRISTINE', '{"Err":"garbage error"}'],
    execute: `(local $action i32)
      (local.set $action (i32.load8_u (i32.load (local.get $msg))))
      (call $save_i32 (i32.const 65) (global.get $g0))
      (call $save_i64 (i32.const 66) (global.get $l0))
      (call $save_i32 (i32.const 67) (i32.load (i32.const 60000)))
      (call $save_i32 (i32.const 68) (i32.load (i32.const ${segment})))
      (call $save_i32 (i32.const 69) (memory.size))
      (call $save_i32 (i32.const 70) (global.get $counter))
      (global.set $g0 (i32.add (global.get $g0) (i32.const 1)))
      (global.set $l0 (i64.const -1))
      (global.set $counter (i32.const 99))
      (i32.store (i32.const 60000) (i32.const 0xdeadbeef))
      (i32.store (i32.const ${segment}) (i32.const 0x21212121))
      (memory.fill (i32.const 100000) (i32.const 0xaa) (i32.const 4096))
      (if (i32.eq (local.get $action) (i32.const 0x75)) (then unreachable))
      (if (i32.eq (local.get $action) (i32.const 0x67)) (then (loop $forever (br $forever))))
      (if (i32.eq (local.get $action) (i32.const 0x73)) (then (drop (call $deeper (i32.const 0)))))
      (if (i32.eq (local.get $action) (i32.const 0x6d)) (then (drop (memory.grow (i32.const 1)))))
      (if (i32.eq (local.get $action) (i32.const 0x68)) (then (drop (call $db_read (i32.const 0)))))
      (if (i32.eq (local.get $action) (i32.const 0x65)) (then (return (call $blob2))))
      (call $ok)`,
    extra: `(global $counter (mut i32) (i32.const 7))
      (func $deeper (param $n i32) (result i32)
        (global.set $g1 (local.get $n))
        (i32.add (call $deeper (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))`,
  });
}

const PRISTINE_WORD = Buffer.from('PRIS').readUInt32LE(0);

/** A querier that answers every query_chain by running `code`'s query on `vm` (a nested call). */
function nestedQuerier(vm: ContractVm, code: ValidatedCode): Querier & { calls: number } {
  const querier = {
    calls: 0,
    query: (_request: Uint8Array, depth: number): Uint8Array => {
      querier.calls++;
      const outcome = vm.call({
        code,
        entry: 'query',
        env: ENV,
        msg: encoder.encode('{}'),
        storage: storageOf(new Map()),
        querier,
        gasLimit: 1_000_000n,
        queryDepth: depth,
      });
      assert.equal(outcome.ok, true, 'the nested query succeeds');
      return encoder.encode('{"Ok":{"Ok":"AA=="}}');
    },
  };
  return querier;
}

/** One execute of `code` with `querier`, empty storage and a 10M gas limit. */
function executeWith(vm: ContractVm, code: ValidatedCode, querier: Querier): CallOutcome {
  return vm.call({
    code,
    entry: 'execute',
    env: ENV,
    info: infoOf('shroud1sender'),
    msg: encoder.encode('{}'),
    storage: storageOf(new Map()),
    querier,
    gasLimit: 10_000_000n,
  });
}

function callGarbage(
  vm: ContractVm,
  code: ValidatedCode,
  action: string,
  gasLimit = 50_000_000n,
): CallOutcome {
  return vm.call({
    code,
    entry: 'execute',
    env: ENV,
    info: infoOf('shroud1sender'),
    msg: encoder.encode(action),
    storage: storageOf(new Map()),
    querier: { query: () => encoder.encode('{"Err":{"unknown":{}}}') },
    gasLimit,
  });
}

function assertPristine(outcome: CallOutcome, note: string): void {
  const w = writesOf(outcome);
  assert.equal(u32le(w.get('A')), 0, `${note}: global $g0 is its initial 0`);
  assert.equal(Buffer.from(w.get('B') ?? []).readBigInt64LE(0), 0n, `${note}: i64 global $l0 is 0`);
  assert.equal(u32le(w.get('C')), 0, `${note}: memory written by an earlier call is zero`);
  assert.equal(u32le(w.get('D')), PRISTINE_WORD, `${note}: the data segment holds its initial bytes`);
  assert.equal(u32le(w.get('E')), 4, `${note}: memory.size is the initial 4 pages`);
  assert.equal(u32le(w.get('F')), 7, `${note}: global $counter is its initial 7`);
}

describe('instance reuse: a reset instance is pristine', () => {
  it('after garbage, Err, traps (unreachable, out of gas, stack overflow, host) and grown memory', async () => {
    const code = await garbageContract();
    const vm = new ContractVm();
    const expectedErrors: Record<string, string> = {
      u: 'CONTRACT_TRAP',
      g: 'OUT_OF_GAS',
      s: 'STACK_OVERFLOW',
      h: 'REGION_OUT_OF_BOUNDS',
    };
    const random = prng(0x6a7b);
    const actions = 'oeugsmh';
    let okCalls = 0;
    for (let i = 0; i < 300; i++) {
      const action = actions[Math.floor(random() * actions.length)] as string;
      const note = `call ${i} (${action})`;
      const expected = expectedErrors[action];
      if (expected !== undefined) {
        assert.throws(
          () => callGarbage(vm, code, action, action === 'g' ? 2_000_000n : 50_000_000n),
          (e: unknown) => e instanceof VmError && e.code === expected,
          `${note}: fails with ${expected}`,
        );
      } else {
        const outcome = callGarbage(vm, code, action);
        if (action === 'e') {
          assert.deepEqual(outcome.ok ? 'ok' : outcome.error, 'garbage error', `${note}: the contract's Err`);
        } else {
          assertPristine(outcome, note);
          okCalls++;
        }
      }
      // Follow every call with a plain one: it must see the pristine state.
      assertPristine(callGarbage(vm, code, 'o'), `after ${note}`);
      assert.ok(vm.idleInstances.bytes > 0, `${note}: an instance is kept for the next call`);
    }
    assert.ok(okCalls > 0, 'some random calls succeeded');
  });

  it('gas is the same on a fresh and on a reused instance, for every ending', async () => {
    const code = await garbageContract();
    const fresh = new ContractVm({ reuseInstances: false });
    const reusing = new ContractVm();
    for (const action of 'ougsmhe'.repeat(3)) {
      const gasLimit = action === 'g' ? 3_000_000n : 50_000_000n;
      const a = describeOutcome(() => callGarbage(fresh, code, action, gasLimit));
      const b = describeOutcome(() => callGarbage(reusing, code, action, gasLimit));
      assert.equal(b, a, `action ${action}: same outcome, gas and writes`);
    }
  });

  it('a memory that grew is not reused; the next call gets the initial size', async () => {
    const code = await garbageContract();
    const vm = new ContractVm();
    assertPristine(callGarbage(vm, code, 'o'), 'first call');
    const idle = vm.idleInstances.bytes;
    assert.equal(idle, 4 * 65_536, 'one 4-page instance idle');
    callGarbage(vm, code, 'm');
    // The grown instance was dropped; the idle one was taken by the grow call, so none is left.
    assert.equal(vm.idleInstances.bytes, 0, 'the grown instance is not kept');
    assertPristine(callGarbage(vm, code, 'o'), 'after a grow');
  });

  it('a nested call into the same code runs on another instance and both see their own state', async () => {
    // execute: saves its global, bumps it, calls query_chain (the querier re-enters the VM with
    // the same code's query, which bumps the same-named global), then saves the global again.
    const code = await buildContract({
      execute: `(call $save_i32 (i32.const 65) (global.get $g0))
        (global.set $g0 (i32.const 41))
        (drop (call $query_chain (call $blob1)))
        (call $save_i32 (i32.const 66) (global.get $g0))
        (call $ok)`,
      query: `(global.set $g0 (i32.add (global.get $g0) (i32.const 1000)))
        (call $blob2)`,
      blobs: ['{"wasm":{"smart":{}}}', '{"Ok":"AA=="}'],
    });
    const vm = new ContractVm();
    const querier = nestedQuerier(vm, code);
    for (let i = 0; i < 4; i++) {
      const w = writesOf(executeWith(vm, code, querier));
      assert.equal(u32le(w.get('A')), 0, `call ${i}: the outer call starts pristine`);
      assert.equal(u32le(w.get('B')), 41, `call ${i}: the nested call did not touch the outer instance`);
    }
    assert.equal(querier.calls, 4);
    assert.ok(vm.idleInstances.bytes >= 2 * 4 * 65_536, 'two instances idle (outer and nested)');
  });
});

describe('instance reuse: bounds', () => {
  it('a module evicted from the cache during its own call (nested call to other code) keeps no instance', async () => {
    const outer = await buildContract({
      execute: `(drop (call $query_chain (call $blob1))) (call $ok)`,
      blobs: ['{"wasm":{"smart":{}}}'],
    });
    const inner = await buildContract({ query: '(call $blob1)', blobs: ['{"Ok":"AA=="}'] });
    const vm = new ContractVm({ cacheSize: 1 });
    const querier = nestedQuerier(vm, inner);
    for (let i = 0; i < 3; i++) {
      writesOf(executeWith(vm, outer, querier));
      assert.equal(vm.cachedModules, 1, `call ${i}: the inner module evicted the outer one`);
      assert.equal(vm.idleInstances.bytes, 4 * 65_536, `call ${i}: only the inner module's instance is idle`);
    }
  });
});

describe('instance reuse: modules whose tables or segments can change are never reused', () => {
  it('table.set: a later call sees the initial table', async () => {
    const code = await buildContract({
      execute: `(call $save_i32 (i32.const 65) (call_indirect (type $answer) (i32.const 0)))
        (table.set $t (i32.const 0) (ref.func $two))
        (call $ok)`,
      extra: `(type $answer (func (result i32)))
        (table $t 2 funcref)
        (elem (table $t) (i32.const 0) func $one $two)
        (func $one (result i32) (i32.const 1))
        (func $two (result i32) (i32.const 2))`,
    });
    const vm = new ContractVm();
    for (let i = 0; i < 3; i++) {
      const w = writesOf(callGarbage(vm, code, 'x'));
      assert.equal(u32le(w.get('A')), 1, `call ${i}: table entry 0 is still $one`);
      assert.equal(vm.idleInstances.bytes, 0, `call ${i}: the instance was not kept`);
    }
  });

  it('data.drop: a later call can still memory.init the passive segment', async () => {
    const code = await buildContract({
      execute: `(memory.init $passive (i32.const 50000) (i32.const 0) (i32.const 4))
        (call $save_i32 (i32.const 65) (i32.load (i32.const 50000)))
        (data.drop $passive)
        (call $ok)`,
      extra: `(data $passive "WXYZ")`,
    });
    const vm = new ContractVm();
    for (let i = 0; i < 3; i++) {
      const w = writesOf(callGarbage(vm, code, 'x'));
      assert.equal(u32le(w.get('A')), Buffer.from('WXYZ').readUInt32LE(0), `call ${i}: segment intact`);
      assert.equal(vm.idleInstances.bytes, 0, `call ${i}: the instance was not kept`);
    }
  });

  it('uninstrumented modules (bench/test switch) are never reused', async () => {
    const code = await garbageContract();
    const vm = new ContractVm({ instrument: false });
    for (let i = 0; i < 3; i++) {
      assertPristine(callGarbage(vm, code, 'o'), `call ${i}`);
      assert.equal(vm.idleInstances.bytes, 0, `call ${i}: nothing kept`);
    }
  });
});
