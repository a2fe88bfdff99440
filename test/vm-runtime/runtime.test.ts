// Region bounds, storage semantics, entry points, Response parsing, metering outcomes, cache.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { toBech32 } from '../../src/crypto/index.js';
import { ContractVm, VmError } from '../../src/vm/index.js';
import { ENV, expectVmError, INFO, meteredVm, NO_QUERIER, rawVm, run, text, writesOf } from './helpers.js';
import { buildContract, u32le } from './wat.js';

const MEMORY_BYTES = 4 * 65_536; // test contracts declare 4 pages

describe('hostile Regions', () => {
  const cases: [string, string][] = [
    ['null pointer', '(i32.const 0)'],
    ['pointer beyond memory', '(i32.const 0x7ffffff0)'],
    ['pointer at -1 (u32 max)', '(i32.const -1)'],
    ['Region straddling the end of memory', `(i32.const ${MEMORY_BYTES - 4})`],
    ['offset 0', '(call $region (i32.const 0) (i32.const 4))'],
    ['offset beyond memory', '(call $region (i32.const 0x7ffffff0) (i32.const 4))'],
    ['length beyond memory', '(call $region (i32.const 100) (i32.const 0x7fffffff))'],
    ['huge length (u32 max)', '(call $region (i32.const 100) (i32.const -1))'],
    ['data ends one byte past memory', `(call $region (i32.const ${MEMORY_BYTES - 3}) (i32.const 4))`],
  ];
  const functions: [string, (p: string) => string][] = [
    ['db_read', (p) => `(drop (call $db_read ${p}))`],
    ['db_write key', (p) => `(call $db_write ${p} (call $blob1))`],
    ['db_write value', (p) => `(call $db_write (call $blob1) ${p})`],
    ['db_remove', (p) => `(call $db_remove ${p})`],
    ['addr_validate', (p) => `(drop (call $addr_validate ${p}))`],
    [
      'addr_canonicalize input',
      (p) => `(drop (call $addr_canonicalize ${p} (call $allocate (i32.const 64))))`,
    ],
    ['addr_humanize output', (p) => `(drop (call $addr_humanize (call $blob1) ${p}))`],
    ['secp256k1_verify', (p) => `(drop (call $secp256k1_verify (call $blob1) ${p} (call $blob1)))`],
    [
      'secp256k1_recover_pubkey',
      (p) => `(drop (call $secp256k1_recover_pubkey ${p} (call $blob1) (i32.const 0)))`,
    ],
    ['ed25519_verify', (p) => `(drop (call $ed25519_verify (call $blob1) (call $blob1) ${p}))`],
    ['ed25519_batch_verify', (p) => `(drop (call $ed25519_batch_verify ${p} (call $blob1) (call $blob1)))`],
    ['secp256k1_sign', (p) => `(drop (call $secp256k1_sign (call $blob1) ${p}))`],
    ['ed25519_sign', (p) => `(drop (call $ed25519_sign ${p} (call $blob1)))`],
    ['debug', (p) => `(call $debug ${p})`],
    ['query_chain', (p) => `(drop (call $query_chain ${p}))`],
    ['dcap_quote_verify', (p) => `(drop (call $dcap_quote_verify ${p} (call $blob1)))`],
    ['entry result', (p) => `(drop (i32.const 0)) (return ${p})`],
  ];

  it('every host function turns every hostile Region into REGION_OUT_OF_BOUNDS', async () => {
    for (const [fn, make] of functions) {
      for (const [name, pointer] of cases) {
        // addr_humanize's output Region is written, not read: its length field is not used,
        // so "length beyond memory" Regions are fine there; the capacity test is separate.
        if (fn === 'addr_humanize output' && /length|ends one byte/.test(name)) continue;
        const code = await buildContract({ execute: `${make(pointer)} (call $ok)`, blobs: ['k'] });
        expectVmError('REGION_OUT_OF_BOUNDS', () => run(code), `${fn} with ${name}`);
      }
    }
  });

  it('an output Region with capacity < length is REGION_OUT_OF_BOUNDS (canonicalize, humanize)', async () => {
    const address = toBech32('shroud', new Uint8Array(20).fill(1));
    const canonicalize = await buildContract({
      execute: '(drop (call $addr_canonicalize (call $blob1) (call $allocate (i32.const 19)))) (call $ok)',
      blobs: [address],
    });
    const humanize = await buildContract({
      execute: '(drop (call $addr_humanize (call $blob1) (call $allocate (i32.const 10)))) (call $ok)',
      blobs: [new Uint8Array(20)],
    });
    expectVmError('REGION_OUT_OF_BOUNDS', () => run(canonicalize), 'canonicalize into 19 bytes');
    expectVmError('REGION_OUT_OF_BOUNDS', () => run(humanize), 'humanize into 10 bytes');
  });

  it('a contract allocate that returns an unusable Region is ALLOCATION_FAILED', async () => {
    const evil: [string, string][] = [
      ['null', '(i32.const 0)'],
      ['beyond memory', '(i32.const 0x7ffffff0)'],
      ['capacity 0', '(call $allocate (i32.const 0))'],
      ['capacity one short', '(call $allocate (i32.sub (local.get 0) (i32.const 1)))'],
      ['data outside memory', `(call $region (i32.const ${MEMORY_BYTES - 2}) (local.get 0))`],
    ];
    for (const [name, body] of evil) {
      const code = await buildContract({
        omit: ['allocate'],
        extra: `(func (export "allocate") (param i32) (result i32) ${body})`,
      });
      expectVmError('ALLOCATION_FAILED', () => run(code), `allocate returning ${name}`);
    }
  });

  it('an allocate that traps is CONTRACT_TRAP', async () => {
    const code = await buildContract({
      omit: ['allocate'],
      extra: '(func (export "allocate") (param i32) (result i32) unreachable)',
    });
    expectVmError('CONTRACT_TRAP', () => run(code));
  });
});

describe('storage semantics', () => {
  it('reads see the call’s own writes and removes; writes come back in order, one per key', async () => {
    const code = await buildContract({
      execute: `(call $save_i32 (i32.const 65) (i32.const 1))
                (call $save (i32.const 66) (call $db_read (call $key (i32.const 65))))
                (call $db_remove (call $key (i32.const 67)))
                (call $save_i32 (i32.const 68) (call $db_read (call $key (i32.const 67))))
                (call $save_i32 (i32.const 65) (i32.const 2))
                (call $ok)`,
    });
    const storage = new Map([['C', new Uint8Array([9])]]);
    const outcome = run(code, { storage });
    assert.ok(outcome.ok);
    if (!outcome.ok) return;
    const keys = outcome.writes.map((w) => Buffer.from(w.key).toString('latin1'));
    assert.deepEqual(keys, ['B', 'C', 'D', 'A'], 'ordered by each key’s last change');
    const w = writesOf(outcome);
    assert.equal(u32le(w.get('A')), 2);
    assert.equal(u32le(w.get('B')), 1, 'read-your-writes');
    assert.equal(w.get('C'), null, 'removal is a null write');
    assert.equal(u32le(w.get('D')), 0, 'removed key reads as missing');
    assert.deepEqual(storage.get('C'), new Uint8Array([9]), 'the caller’s storage is untouched');
  });

  it('a contract Err returns no writes', async () => {
    const code = await buildContract({
      execute: '(call $save_i32 (i32.const 65) (i32.const 1)) (call $blob1)',
      blobs: ['{"Err":"Generic error: nope"}'],
    });
    const outcome = run(code);
    assert.deepEqual(outcome, { ok: false, error: 'Generic error: nope', gasUsed: outcome.gasUsed });
    assert.equal('writes' in outcome, false);
  });

  it('a trap after writes is a VmError and nothing is written', async () => {
    const code = await buildContract({
      execute: '(call $save_i32 (i32.const 65) (i32.const 1)) unreachable',
    });
    const storage = new Map<string, Uint8Array>();
    expectVmError('CONTRACT_TRAP', () => run(code, { storage }));
    assert.equal(storage.size, 0);
  });

  it('a Storage that throws is HOST_FAILURE, not a contract trap', async () => {
    const code = await buildContract({
      execute: '(drop (call $db_read (call $key (i32.const 65)))) (call $ok)',
    });
    const failing = {
      get: () => {
        throw new Error('disk read failed');
      },
    };
    expectVmError('HOST_FAILURE', () =>
      rawVm.call({
        code,
        entry: 'execute',
        env: ENV,
        info: INFO,
        msg: new Uint8Array([0x7b, 0x7d]),
        storage: failing,
        querier: NO_QUERIER,
        gasLimit: 1_000_000n,
      }),
    );
  });

  it('db_write and db_remove in a query trap with UNAUTHORIZED_WRITE', async () => {
    const write = await buildContract({ query: '(call $save_i32 (i32.const 65) (i32.const 1)) (call $ok)' });
    const remove = await buildContract({ query: '(call $db_remove (call $key (i32.const 65))) (call $ok)' });
    expectVmError('UNAUTHORIZED_WRITE', () => run(write, { entry: 'query' }), 'db_write');
    expectVmError('UNAUTHORIZED_WRITE', () => run(remove, { entry: 'query' }), 'db_remove');
    expectVmError(
      'UNAUTHORIZED_WRITE',
      () => run(write, { entry: 'query', vm: meteredVm }),
      'db_write, metered',
    );
  });

  it('queries can read storage', async () => {
    const code = await buildContract({
      query: '(drop (call $db_read (call $key (i32.const 65)))) (call $blob1)',
      blobs: ['{"Ok":"e30="}'],
    });
    const outcome = run(code, { entry: 'query', storage: new Map([['A', new Uint8Array([1])]]) });
    assert.ok(outcome.ok && outcome.queryResult !== null);
    if (outcome.ok) assert.equal(text(outcome.queryResult), '{}');
  });
});

describe('entry points and JSON', () => {
  const saveArgs = (args: string[]) =>
    args
      .map(
        (a, i) =>
          `(call $save (i32.const ${65 + i}) (local.get $${a})) (call $save_i32 (i32.const ${97 + i}) (local.get $${a}))`,
      )
      .join(' ');

  it('instantiate gets env, info, msg (allocated env, msg, info) with the §3 shapes', async () => {
    const code = await buildContract({ instantiate: `${saveArgs(['env', 'info', 'msg'])} (call $ok)` });
    const w = writesOf(run(code, { entry: 'instantiate', msg: '{"count":1}' }));
    assert.deepEqual(JSON.parse(text(w.get('A'))), {
      block: { height: 12345, time: '1700000000123456789', chain_id: 'shroud-1' },
      contract: { address: ENV.contract.address, code_hash: ENV.contract.codeHash },
      transaction: { index: 3, hash: 'CAFE' },
    });
    assert.deepEqual(JSON.parse(text(w.get('B'))), {
      sender: INFO.sender,
      funds: [{ denom: 'ushd', amount: '1000' }],
    });
    assert.equal(text(w.get('C')), '{"count":1}');
    const [env, info, msg] = ['a', 'b', 'c'].map((k) => u32le(w.get(k)));
    assert.ok(
      (env as number) < (msg as number) && (msg as number) < (info as number),
      'allocation order env, msg, info',
    );
  });

  it('execute allocates msg, env, info; query msg, env; reply and migrate env, msg', async () => {
    const code = await buildContract({
      execute: `${saveArgs(['env', 'info', 'msg'])} (call $ok)`,
      migrate: `${saveArgs(['env', 'msg'])} (call $ok)`,
      reply: `${saveArgs(['env', 'msg'])} (call $ok)`,
    });
    const ex = writesOf(run(code, { entry: 'execute' }));
    const [env, info, msg] = ['a', 'b', 'c'].map((k) => u32le(ex.get(k)));
    assert.ok(
      (msg as number) < (env as number) && (env as number) < (info as number),
      'execute: msg, env, info',
    );
    for (const entry of ['migrate', 'reply'] as const) {
      const w = writesOf(run(code, { entry }));
      assert.ok(u32le(w.get('a')) < u32le(w.get('b')), `${entry}: env before msg`);
      assert.equal(text(w.get('B')), '{}', `${entry}: msg`);
    }
  });

  it('passes the message bytes through unchanged (even when not UTF-8)', async () => {
    const code = await buildContract({ execute: '(call $save (i32.const 77) (local.get $msg)) (call $ok)' });
    const msg = new Uint8Array([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    assert.deepEqual(writesOf(run(code, { msg })).get('M'), msg);
  });

  it('random is given only to contracts exporting requires_random, and never to queries', async () => {
    const plain = await buildContract({ execute: '(call $save (i32.const 65) (local.get $env)) (call $ok)' });
    const random = await buildContract({
      execute: '(call $save (i32.const 65) (local.get $env)) (call $ok)',
      features: ['random'],
    });
    const envOf = (code: typeof plain) =>
      JSON.parse(text(writesOf(run(code)).get('A'))) as { block: Record<string, unknown> };
    assert.equal(envOf(plain).block.random, undefined);
    assert.equal(envOf(random).block.random, Buffer.from(new Uint8Array(32).fill(7)).toString('base64'));
  });

  it('transaction is null when absent', async () => {
    const code = await buildContract({ execute: '(call $save (i32.const 65) (local.get $env)) (call $ok)' });
    const env = { ...ENV, transaction: null };
    assert.equal(
      (JSON.parse(text(writesOf(run(code, { env })).get('A'))) as { transaction: unknown }).transaction,
      null,
    );
  });

  it('parses Ok/ok and Err/error envelopes; Response fields become typed values', async () => {
    const to = toBech32('shroud', new Uint8Array(20).fill(2));
    const response =
      `{"messages":[{"id":7,"msg":{"bank":{"send":{"to_address":"${to}","amount":[{"denom":"ushd","amount":"5"}]}}},"gas_limit":null,"reply_on":"always"}],` +
      '"attributes":[{"key":"k","value":"v"},{"key":"p","value":"q","encrypted":false}],' +
      '"events":[{"type":"t","attributes":[{"key":"a","value":"b"}]}],"data":"aGk="}';
    for (const key of ['Ok', 'ok']) {
      const code = await buildContract({ execute: '(call $blob1)', blobs: [`{"${key}":${response}}`] });
      const outcome = run(code);
      assert.ok(outcome.ok && outcome.response !== null, key);
      if (!outcome.ok || outcome.response === null) continue;
      assert.deepEqual(outcome.response.messages, [
        {
          id: 7,
          gasLimit: null,
          replyOn: 'always',
          msg: { kind: 'bank_send', toAddress: to, amount: [{ denom: 'ushd', amount: 5n }] },
        },
      ]);
      assert.deepEqual(outcome.response.attributes, [
        { key: 'k', value: 'v', encrypted: true },
        { key: 'p', value: 'q', encrypted: false },
      ]);
      assert.equal(outcome.response.events[0]?.type, 't', key);
      assert.equal(text(outcome.response.data), 'hi', key);
    }
    for (const key of ['Err', 'error']) {
      const code = await buildContract({
        execute: '(call $blob1)',
        blobs: [`{"${key}":"Generic error: x"}`],
      });
      const outcome = run(code);
      assert.equal(outcome.ok, false, key);
      if (!outcome.ok) assert.equal(outcome.error, 'Generic error: x', key);
    }
  });

  it('rejects bad results with INVALID_RESPONSE', async () => {
    const bad = [
      ['unknown Response field', '{"Ok":{"messages":[],"attributes":[],"events":[],"data":null,"extra":1}}'],
      ['not JSON', '{"Ok":'],
      ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
      ['no envelope key', '{"Result":{}}'],
      ['two envelope keys', '{"Ok":{},"Err":"x"}'],
      ['envelope is an array', '[1]'],
      ['data not base64', '{"Ok":{"data":"***"}}'],
      [
        'coin amount a number',
        '{"Ok":{"messages":[{"id":0,"msg":{"bank":{"burn":{"amount":[{"denom":"u","amount":5}]}}},"reply_on":"never"}]}}',
      ],
      [
        'bad reply_on',
        '{"Ok":{"messages":[{"id":0,"msg":{"bank":{"burn":{"amount":[]}}},"reply_on":"sometimes"}]}}',
      ],
      ['unknown CosmosMsg', '{"Ok":{"messages":[{"id":0,"msg":{"teleport":{}},"reply_on":"never"}]}}'],
      ['unknown wasm variant', '{"Ok":{"messages":[{"id":0,"msg":{"wasm":{"fly":{}}},"reply_on":"never"}]}}'],
      ['attributes not an array', '{"Ok":{"attributes":{}}}'],
    ] as const;
    for (const [name, result] of bad) {
      const code = await buildContract({ execute: '(call $blob1)', blobs: [result] });
      expectVmError('INVALID_RESPONSE', () => run(code), name);
    }
    const query = await buildContract({ query: '(call $blob1)', blobs: ['{"Ok":"not base64!"}'] });
    expectVmError('INVALID_RESPONSE', () => run(query, { entry: 'query' }), 'query result not base64');
  });

  it('a missing entry point is MISSING_EXPORT; missing info is a RangeError (caller bug)', async () => {
    const code = await buildContract({ omit: ['execute', 'migrate'] });
    expectVmError('MISSING_EXPORT', () => run(code, { entry: 'execute' }), 'execute');
    expectVmError('MISSING_EXPORT', () => run(code, { entry: 'migrate' }), 'migrate');
    assert.throws(
      () =>
        new ContractVm().call({
          code,
          entry: 'execute',
          env: ENV,
          msg: new Uint8Array(),
          storage: { get: () => undefined },
          querier: { query: () => new Uint8Array() },
          gasLimit: 1n,
        }),
      RangeError,
    );
  });

  it('v0.10 contracts: init/handle get the v0.10 env, query gets only msg', async () => {
    const code = await buildContract({
      v010: true,
      instantiate: '(call $save (i32.const 65) (local.get $env)) (call $ok)',
      execute: '(call $save (i32.const 66) (local.get $msg)) (call $ok)',
      query: '(call $blob1)',
      blobs: ['{"Ok":"e30="}'],
    });
    const env = JSON.parse(text(writesOf(run(code, { entry: 'instantiate' })).get('A'))) as Record<
      string,
      unknown
    >;
    assert.deepEqual(env, {
      block: { height: 12345, time: 1700000000, chain_id: 'shroud-1' },
      message: { sender: INFO.sender, sent_funds: [{ denom: 'ushd', amount: '1000' }] },
      contract: { address: ENV.contract.address },
      contract_key: null,
      contract_code_hash: ENV.contract.codeHash,
    });
    assert.equal(text(writesOf(run(code, { entry: 'execute', msg: '{"x":1}' })).get('B')), '{"x":1}');
    const q = run(code, { entry: 'query' });
    assert.ok(q.ok && text(q.queryResult) === '{}');
    expectVmError('MISSING_EXPORT', () => run(code, { entry: 'reply' }), 'no reply in v0.10');
  });
});

describe('metering outcomes (instrumented)', () => {
  it('an endless loop is OUT_OF_GAS with gasUsed = limit', async () => {
    const code = await buildContract({ execute: '(loop $l (br $l)) (call $ok)' });
    const error = expectVmError('OUT_OF_GAS', () => run(code, { vm: meteredVm, gasLimit: 1_000_000n }));
    assert.equal(error.gasUsed, 1_000_000n);
  });

  it('unbounded recursion is STACK_OVERFLOW, never a RangeError', async () => {
    const code = await buildContract({
      execute: '(call $recurse (i32.const 0)) (call $ok)',
      extra: '(func $recurse (param i32) (call $recurse (i32.add (local.get 0) (i32.const 1))))',
    });
    expectVmError('STACK_OVERFLOW', () => run(code, { vm: meteredVm }));
  });

  it('unreachable and out-of-bounds memory access are CONTRACT_TRAP', async () => {
    const trap = await buildContract({ execute: 'unreachable' });
    const oob = await buildContract({ execute: '(drop (i32.load (i32.const 0x7ffffff0))) (call $ok)' });
    const divide = await buildContract({
      execute: '(drop (i32.div_u (i32.const 1) (i32.const 0))) (call $ok)',
    });
    for (const [name, code] of [
      ['unreachable', trap],
      ['load oob', oob],
      ['divide by zero', divide],
    ] as const) {
      expectVmError('CONTRACT_TRAP', () => run(code, { vm: meteredVm }), name);
    }
  });

  it('a host charge that does not fit is OUT_OF_GAS in metered code too', async () => {
    const code = await buildContract({ execute: '(drop (call $gas_evaporate (i32.const 1000))) (call $ok)' });
    expectVmError('OUT_OF_GAS', () => run(code, { vm: meteredVm, gasLimit: 500_000n }));
  });

  it('metered gas is deterministic and includes instruction costs', async () => {
    const code = await buildContract({ execute: '(call $save_i32 (i32.const 65) (i32.const 1)) (call $ok)' });
    const first = run(code, { vm: meteredVm });
    const second = run(code, { vm: new ContractVm() });
    assert.equal(first.gasUsed, second.gasUsed);
    assert.ok(first.gasUsed > 2_000n, `instructions are charged too (${first.gasUsed})`);
  });
});

describe('module cache', () => {
  it('compiles once per code hash', async () => {
    const vm = new ContractVm({ instrument: false });
    const code = await buildContract({ execute: '(call $ok)' });
    for (let i = 0; i < 5; i++) run(code, { vm });
    assert.equal(vm.cacheStats.compilations, 1);
    assert.equal(vm.cacheStats.hits, 4);
  });

  it('evicts the least recently used module beyond cacheSize', async () => {
    const vm = new ContractVm({ cacheSize: 2 });
    const codes = await Promise.all(
      [1, 2, 3].map((i) => buildContract({ execute: `(drop (i32.const ${i})) (call $ok)` })),
    );
    const [a, b, c] = codes as [(typeof codes)[0], (typeof codes)[0], (typeof codes)[0]];
    run(a, { vm });
    run(b, { vm });
    run(a, { vm }); // a is now most recent
    run(c, { vm }); // evicts b
    assert.equal(vm.cachedModules, 2);
    assert.equal(vm.cacheStats.evictions, 1);
    assert.equal(vm.cacheStats.compilations, 3);
    run(a, { vm });
    assert.equal(vm.cacheStats.compilations, 3, 'a stayed cached');
    run(b, { vm });
    assert.equal(vm.cacheStats.compilations, 4, 'b was evicted and is compiled again');
  });

  it('rejects a cacheSize below 1', () => {
    assert.throws(() => new ContractVm({ cacheSize: 0 }), RangeError);
  });

  it('each call gets a fresh instance (globals do not leak between calls)', async () => {
    const code = await buildContract({
      execute:
        '(global.set $g0 (i32.add (global.get $g0) (i32.const 1))) (call $save_i32 (i32.const 65) (global.get $g0)) (call $ok)',
    });
    for (let i = 0; i < 3; i++) assert.equal(u32le(writesOf(run(code)).get('A')), 1, `call ${i}`);
  });

  it('VmError is exported and typed', () => {
    assert.equal(new VmError('OUT_OF_GAS', 'x').code, 'OUT_OF_GAS');
  });
});

describe('memory reuse is invisible to contracts', () => {
  it('a later call sees zeroed memory, its data segments and the initial size, even after another grew it', async () => {
    const code = await buildContract({
      execute: `(call $save_i32 (i32.const 65) (i32.load (i32.const 60000)))
                (call $save_i32 (i32.const 66) (memory.size))
                (call $save_i32 (i32.const 67) (i32.load8_u (i32.load (call $blob1))))
                (i32.store (i32.const 60000) (i32.const 0xdeadbeef))
                (i32.store8 (i32.load (call $blob1)) (i32.const 0x21))
                (if (i32.load8_u (local.get $msg)) (then (drop (memory.grow (i32.const 1)))))
                (call $ok)`,
      blobs: ['XYZ'],
    });
    for (const vm of [meteredVm, new ContractVm({ instrument: false })]) {
      for (let i = 0; i < 4; i++) {
        const w = writesOf(run(code, { vm, msg: i % 2 === 0 ? '' : 'g' }));
        assert.equal(u32le(w.get('A')), 0, `call ${i}: memory written by an earlier call is zero`);
        assert.equal(u32le(w.get('B')), 4, `call ${i}: memory.size is the initial 4 pages`);
        assert.equal(u32le(w.get('C')), 'X'.charCodeAt(0), `call ${i}: data segment byte restored`);
      }
    }
  });
});
