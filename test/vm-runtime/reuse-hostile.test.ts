// Adversarial review of instance reuse (docs/adr/010-vm-instance-reuse.md, "Review"): contract
// code written to carry data from one call into the next, or from one contract into another
// contract with the same code. Every call on a reusing VM must be indistinguishable from the
// same call on a fresh instance (CONTRACT_ABI §1.2, §6): the tests compare against
// `new ContractVm({ reuseInstances: false })` or against the module's initial values.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';

import { toBech32 } from '../../src/crypto/index.js';
import { ContractVm, validateContractCode, VmError } from '../../src/vm/index.js';
import type { CallOutcome, ContractEnv, Querier, ValidatedCode } from '../../src/vm/index.js';
import { describeOutcome, ENV, INFO, storageOf, writesOf } from './helpers.js';
import { buildContract, contractWat, u32le, u64le, wat2wasm, watBytes } from './wat.js';

const encoder = new TextEncoder();

/** Env of the contract at `address` (two contracts sharing one code differ only here). */
const envOf = (address: string): ContractEnv => ({ ...ENV, contract: { ...ENV.contract, address } });

const NO_QUERIES: Querier = { query: () => encoder.encode('{"Err":{"unknown":{}}}') };

function execute(
  vm: ContractVm,
  code: ValidatedCode,
  msg: string,
  options: { address?: string; storage?: Map<string, Uint8Array>; querier?: Querier; gasLimit?: bigint } = {},
): CallOutcome {
  return vm.call({
    code,
    entry: 'execute',
    env: envOf(options.address ?? 'shroud1victim'),
    info: INFO,
    msg: encoder.encode(msg),
    storage: storageOf(options.storage ?? new Map<string, Uint8Array>()),
    querier: options.querier ?? NO_QUERIES,
    gasLimit: options.gasLimit ?? 10_000_000_000n,
  });
}

/** Upload-validates a test contract: the attacks below must pass the chain's own checks. */
async function upload(text: string): Promise<ValidatedCode> {
  return validateContractCode(await wat2wasm(text));
}

describe('reuse review: a contract exporting the reset name itself', () => {
  // The instrumentation adds RESET_EXPORT only when the name is free; a contract may export a
  // function of that name (nothing in validation forbids it). The VM must then treat the
  // module as not resettable, never call the contract's function as "the reset".
  const collide = (body: string): string =>
    contractWat({
      execute: `(local $action i32)
        (local.set $action (i32.load8_u (i32.load (local.get $msg))))
        ;; s: remember a secret in globals; anything else: report what the globals hold
        (if (i32.eq (local.get $action) (i32.const 0x73))
          (then
            (global.set $g0 (i32.const 0x5ec2e7))
            (global.set $l0 (i64.const 0x0123456789abcdef))
            (return (call $ok))))
        (call $save_i32 (i32.const 65) (global.get $g0))
        (call $save_i64 (i32.const 66) (global.get $l0))
        (call $ok)`,
      extra: `(func (export "__shroud_reset") ${body})`,
    });

  it('globals do not carry over to the next call or to another contract of the same code', async () => {
    const code = await upload(collide(''));
    const vm = new ContractVm();
    const fresh = new ContractVm({ reuseInstances: false });
    for (let i = 0; i < 3; i++) {
      for (const side of [vm, fresh]) {
        writesOf(execute(side, code, 's', { address: 'shroud1alice' })); // Alice's call reads her secret
      }
      const w = writesOf(execute(vm, code, 'r', { address: 'shroud1mallory' }));
      assert.equal(u32le(w.get('A')), 0, `round ${i}: Mallory's call sees $g0 at its initial 0`);
      assert.equal(u64le(w.get('B')), 0n, `round ${i}: Mallory's call sees $l0 at its initial 0`);
      assert.equal(
        describeOutcome(() => execute(vm, code, 'r')),
        describeOutcome(() => execute(fresh, code, 'r')),
        `round ${i}: the same answer as a fresh instance`,
      );
    }
  });

  it('the host never runs contract code between calls (in the caller’s context)', async () => {
    // The victim: an honest execute that queries another contract. Its memory holds a Region at
    // 3000 over the bytes "PWND" (any contract's layout is public: its code is).
    const victim = await buildContract({
      execute: `(drop (call $query_chain (call $blob1))) (call $ok)`,
      blobs: ['{"wasm":{"smart":{}}}'],
      extra: `(data (i32.const 3000) "${watBytes(new Uint8Array([0xc4, 0x0b, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0]))}PWND")`,
    });
    // The attacker's "reset" writes into whatever storage the host's current call has, burns its
    // gas, and records that it ran.
    const attacker = await upload(
      contractWat({
        query: '(call $blob1)',
        blobs: ['{"Ok":"AA=="}'],
        extra: `(global $ran (mut i32) (i32.const 0))
          (func (export "__shroud_reset")
            (global.set $ran (i32.add (global.get $ran) (i32.const 1)))
            (call $db_write (i32.const 3000) (i32.const 3000))
            (drop (call $gas_evaporate (i32.const 1000))))`,
      }),
    );
    for (const reuseInstances of [true, false]) {
      const vm = new ContractVm({ reuseInstances });
      const querier: Querier = {
        query: (_request, depth) => {
          const outcome = vm.call({
            code: attacker,
            entry: 'query',
            env: envOf('shroud1attacker'),
            msg: encoder.encode('{}'),
            storage: storageOf(new Map()),
            querier: NO_QUERIES,
            gasLimit: 1_000_000n,
            queryDepth: depth,
          });
          assert.equal(outcome.ok, true, 'the nested query succeeds');
          return encoder.encode('{"Ok":{"Ok":"AA=="}}');
        },
      };
      const results = [0, 1, 2].map(() => describeOutcome(() => execute(vm, victim, '{}', { querier })));
      for (const [i, text] of results.entries()) {
        assert.ok(
          !text.includes(Buffer.from('PWND').toString('hex')),
          `reuse ${reuseInstances}, call ${i}: no foreign write`,
        );
        assert.equal(text, results[0], `reuse ${reuseInstances}, call ${i}: same gas and writes every time`);
      }
    }
  });

  it('raw (uninstrumented) modules exporting the name are not reused either', async () => {
    const code = await upload(collide(''));
    const vm = new ContractVm({ instrument: false });
    writesOf(execute(vm, code, 's'));
    const w = writesOf(execute(vm, code, 'r'));
    assert.equal(u32le(w.get('A')), 0, 'the next call sees $g0 at 0');
    assert.equal(vm.idleInstances.bytes, 0, 'nothing kept');
  });
});

describe('reuse review: addr_validate (shared by every contract of a VM)', () => {
  it('a byte-order mark is part of the input, not stripped (Secret: invalid address)', async () => {
    // TextDecoder strips a leading BOM unless ignoreBOM is set: "\uFEFF" + a valid address would
    // then be reported valid and normalized although its bytes differ from the address.
    const valid = toBech32('shroud', new Uint8Array(20).fill(9));
    const code = await buildContract({
      execute: `(call $save_result32 (i32.const 65) (call $addr_validate (call $blob1)))
        (call $save_result32 (i32.const 67) (call $addr_validate (call $blob2)))
        (call $ok)`,
      blobs: [valid, `\uFEFF${valid}`],
    });
    for (const vm of [new ContractVm(), new ContractVm({ reuseInstances: false })]) {
      for (let i = 0; i < 2; i++) {
        const w = writesOf(execute(vm, code, '{}'));
        assert.equal(u32le(w.get('A')), 0, `call ${i}: the plain address is valid`);
        assert.notEqual(u32le(w.get('C')), 0, `call ${i}: the address behind a BOM is not`);
      }
    }
  });
});

describe('reuse review: the addr_validate cache answers as the bech32 work would', () => {
  it('same result and gas as a VM with an empty cache, for valid, unnormalized, foreign and broken input', async () => {
    const code = await buildContract({
      execute: `(call $save_result32 (i32.const 65) (call $addr_validate (local.get $msg))) (call $ok)`,
    });
    const vm = new ContractVm();
    const inputs: string[] = [];
    for (let i = 0; i < 40; i++) {
      const valid = toBech32('shroud', new Uint8Array(20).fill(i));
      inputs.push(
        valid,
        valid.toUpperCase(),
        `\uFEFF${valid}`,
        toBech32('other', new Uint8Array(20).fill(i)),
      );
      inputs.push(valid.slice(0, -1) + (valid.endsWith('q') ? 'p' : 'q'), `${valid} `, valid);
    }
    for (const [i, input] of inputs.entries()) {
      const expected = describeOutcome(() => execute(new ContractVm(), code, input));
      assert.equal(
        describeOutcome(() => execute(vm, code, input)),
        expected,
        `input ${i} ${JSON.stringify(input)}`,
      );
    }
  });
});

describe('reuse review: UTF-8 from contracts is taken byte for byte (a BOM is not stripped)', () => {
  it('a result envelope behind a BOM is not JSON (serde_json rejects it too)', async () => {
    const code = await buildContract({
      execute: '(call $blob1)',
      blobs: ['\uFEFF{"Ok":{"messages":[],"attributes":[],"events":[],"data":null}}'],
    });
    for (const vm of [new ContractVm(), new ContractVm({ reuseInstances: false })]) {
      assert.throws(
        () => execute(vm, code, '{}'),
        (e: unknown) => e instanceof VmError && e.code === 'INVALID_RESPONSE',
        'INVALID_RESPONSE',
      );
    }
  });

  it('an export named BOM + "instantiate" is not the instantiate entry point', async () => {
    const text = contractWat({}).replace('(export "instantiate")', '(export "\\ef\\bb\\bfinstantiate")');
    assert.ok(text.includes('bfinstantiate'), 'the export was renamed');
    assert.ok(
      validateContractCode(await wat2wasm(contractWat({}))),
      'control: the unrenamed contract validates',
    );
    const wasm = await wat2wasm(text);
    assert.throws(
      () => validateContractCode(wasm),
      (e: unknown) => e instanceof VmError && e.code === 'MISSING_EXPORT',
      'MISSING_EXPORT: the name is not "instantiate"',
    );
  });
});

/**
 * A contract that tries every way to leave state behind, chosen by the message's first byte,
 * and one action ('d') that reports everything an instance can observe: a digest of its whole
 * memory, memory.size, every global (exported, funcref, i32, i64) at entry.
 */
function hoarderWat(tag: string): string {
  const scribble = `(func $scribble
      (global.set $g0 (i32.const 0x5ec2e7))
      (global.set $g1 (i32.const -1))
      (global.set $l0 (i64.const 0x0123456789abcdef))
      (global.set $exp (i32.const 0x5ec))
      (global.set $fr (ref.null func))
      (i32.store (i32.const 8) (i32.const 0x5ec2e7))
      (memory.fill (i32.const 3000) (i32.const 0x21) (i32.const 8)) ;; over the active segment at 3000
      (memory.fill (i32.const 32768) (i32.const 0x5a)
        (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 32768))))`;
  const execute = `(local $action i32) (local $d i64)
      (local.set $action (i32.load8_u (i32.load (local.get $msg))))
      (if (i32.eq (local.get $action) (i32.const 0x64)) ;; d: report
        (then
          (local.set $d (call $digest))
          (call $save_i64 (i32.const 68) (local.get $d))
          (call $save_i32 (i32.const 65) (global.get $g0))
          (call $save_i32 (i32.const 66) (global.get $g1))
          (call $save_i64 (i32.const 67) (global.get $l0))
          (call $save_i32 (i32.const 69) (global.get $exp))
          (call $save_i32 (i32.const 70) (ref.is_null (global.get $fr)))
          (call $save_i32 (i32.const 71) (memory.size))
          (return (call $ok))))
      (call $scribble)
      ;; l: the last bytes of memory; c: memory.copy of a data segment to the end
      (if (i32.eq (local.get $action) (i32.const 0x6c))
        (then (i64.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 8)) (i64.const -2))))
      (if (i32.eq (local.get $action) (i32.const 0x63))
        (then (memory.copy (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 8)) (i32.const 1024) (i32.const 8))))
      ;; i: a passive segment into memory (kept: no data.drop); a: memory.init of an active
      ;; segment, dropped at instantiation (traps on a fresh instance too)
      (if (i32.eq (local.get $action) (i32.const 0x69))
        (then (memory.init $secret (i32.const 200000) (i32.const 0) (i32.const 8))))
      (if (i32.eq (local.get $action) (i32.const 0x61))
        (then (memory.init 0 (i32.const 200000) (i32.const 0) (i32.const 8))))
      ;; g: grow, write into the new page, trap; G: grow and succeed
      (if (i32.eq (local.get $action) (i32.const 0x67))
        (then (drop (memory.grow (i32.const 1))) (i32.store (i32.const 270000) (i32.const 7)) unreachable))
      (if (i32.eq (local.get $action) (i32.const 0x47))
        (then (drop (memory.grow (i32.const 1))) (i32.store (i32.const 270000) (i32.const 7))))
      ;; h: a trap inside a host import (db_read's allocate runs out of memory)
      (if (i32.eq (local.get $action) (i32.const 0x68))
        (then (global.set $heap (i32.const -16)) (drop (call $db_read (call $key (i32.const 107))))))
      (if (i32.eq (local.get $action) (i32.const 0x6f)) (then (loop $forever (br $forever))))
      (if (i32.eq (local.get $action) (i32.const 0x73)) (then (drop (call $deeper (i32.const 0)))))
      ;; q: a nested query into the same code that traps; r: one that succeeds (re-entrancy)
      (if (i32.eq (local.get $action) (i32.const 0x71)) (then (drop (call $query_chain (call $blob1)))))
      (if (i32.eq (local.get $action) (i32.const 0x72))
        (then
          (drop (call $query_chain (call $blob2)))
          (call $save_i32 (i32.const 65) (global.get $g0))
          (call $save_i32 (i32.const 66) (i32.load (i32.const 8)))))
      (if (i32.eq (local.get $action) (i32.const 0x65)) (then (return (call $blob3))))
      (call $ok)`;
  return contractWat({
    execute,
    query: `(call $scribble)
      (if (i32.eq (i32.load8_u (i32.load (local.get $msg))) (i32.const 0x74)) (then unreachable))
      (call $blob4)`,
    blobs: ['{"t":1}', '{"n":1}', '{"Err":"hoarder error"}', '{"Ok":"AA=="}', tag],
    extra: `(global $exp (export "exp") (mut i32) (i32.const 3))
      (global $fr (mut funcref) (ref.func $allocate))
      (data $secret "SECRET!!")
      (data (i32.const 3000) "SEGMENT!")
      ${scribble}
      (func $deeper (param $n i32) (result i32)
        (global.set $g1 (local.get $n))
        (i32.add (call $deeper (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
      (func $digest (result i64)
        (local $p i32) (local $end i32) (local $h i64)
        (local.set $end (i32.mul (memory.size) (i32.const 65536)))
        (local.set $h (i64.const 0xcbf29ce484222325))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $h (i64.rotl
              (i64.mul (i64.xor (local.get $h) (i64.load (local.get $p))) (i64.const 0x100000001b3))
              (i64.const 5)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $next)))
        (local.get $h))`,
  });
}

/** A VM plus a querier that runs nested queries ('t' traps, else succeeds) on the same VM. */
class Runner {
  readonly vm: ContractVm;
  constructor(options: ConstructorParameters<typeof ContractVm>[0]) {
    this.vm = new ContractVm(options);
  }

  querier(code: ValidatedCode): Querier {
    return {
      query: (request, depth) => {
        const outcome = this.vm.call({
          code,
          entry: 'query',
          env: envOf('shroud1nested'),
          msg: encoder.encode(Buffer.from(request).toString('utf8').includes('"t"') ? 't' : 'n'),
          storage: storageOf(new Map()),
          querier: NO_QUERIES,
          gasLimit: 50_000_000n,
          queryDepth: depth,
        });
        return encoder.encode(JSON.stringify({ Ok: { Ok: outcome.ok ? 'AA==' : 'x' } }));
      },
    };
  }

  run(code: ValidatedCode, action: string, address: string, gasLimit = 200_000_000n): string {
    return describeOutcome(() =>
      execute(this.vm, code, action, {
        address,
        storage: new Map([['k', encoder.encode('a secret value')]]),
        querier: this.querier(code),
        gasLimit,
      }),
    );
  }
}

describe('reuse review: nothing of a call survives into the next (fresh-instance reference)', () => {
  it('every hostile ending, then a full report, across contracts sharing code, modules evicted and recompiled', async () => {
    const codeA = await upload(hoarderWat('A'));
    const codeB = await upload(hoarderWat('B'));
    const gzipped = validateContractCode(gzipSync(await wat2wasm(hoarderWat('A'))));
    assert.equal(gzipped.codeHash, codeA.codeHash, 'a gzipped upload of the same code has the same hash');
    const reference = new Runner({ reuseInstances: false });
    const reusing = [new Runner({}), new Runner({ cacheSize: 1 })];
    const actions = 'lcigGahosqrex';
    let seed = 0x5eed;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const endings = new Set<string>();
    let reused = false;
    for (let i = 0; i < 120; i++) {
      const action = actions[random(actions.length)] as string;
      const code = [codeA, codeB, gzipped][random(3)] as ValidatedCode;
      const owner = `shroud1owner${random(3)}`;
      const next = `shroud1other${random(3)}`;
      const gas = action === 'o' ? 20_000_000n : 200_000_000n;
      const expected = reference.run(code, action, owner, gas);
      const report = reference.run(code, 'd', next);
      const parsed = JSON.parse(expected) as { ok?: boolean; vmError?: string };
      endings.add(parsed.vmError ?? (parsed.ok === true ? 'Ok' : 'Err'));
      for (const [k, runner] of reusing.entries()) {
        const note = `step ${i} (${action}), vm ${k}`;
        assert.equal(
          runner.run(code, action, owner, gas),
          expected,
          `${note}: the hostile call as on a fresh instance`,
        );
        assert.equal(runner.run(code, 'd', next), report, `${note}: the next call sees a fresh instance`);
        reused ||= runner.vm.idleInstances.bytes > 0;
      }
    }
    assert.ok(reused, 'instances were reused');
    assert.deepEqual(
      [...endings].sort(),
      ['CONTRACT_TRAP', 'Err', 'OUT_OF_GAS', 'Ok', 'STACK_OVERFLOW'],
      'the run covers every ending',
    );
    // The report itself: the initial globals (an exported one and a funcref one included).
    const w = writesOf(execute(reusing[0]?.vm as ContractVm, codeA, 'd'));
    assert.deepEqual(
      [
        u32le(w.get('A')),
        u32le(w.get('B')),
        u64le(w.get('C')),
        u32le(w.get('E')),
        u32le(w.get('F')),
        u32le(w.get('G')),
      ],
      [0, 0, 0n, 3, 0, 4],
      'g0, g1, l0, exported global, funcref is not null, 4 pages',
    );
  });
});

/** wat2wasm with the features a hostile module may use beyond the default set. */
async function wat2wasmWith(text: string, features: Record<string, boolean>): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const module = wabt.parseWat('hostile.wat', text, features);
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

describe('reuse review: instance state that upload validation keeps out', () => {
  it('imported globals and tables, a second memory, a start function are rejected', async () => {
    // [imports, definitions, expected rejection, wabt features]
    const cases: [string, string, string, Record<string, boolean>][] = [
      ['(import "env" "g" (global (mut i32)))', '', 'NON_FUNCTION_IMPORT', {}],
      // An initializer reading an import: the reset would replay it (still correct), never reached.
      ['(import "env" "g" (global i32))', '(global $x (mut i32) (global.get 0))', 'NON_FUNCTION_IMPORT', {}],
      ['(import "env" "t" (table 1 funcref))', '', 'NON_FUNCTION_IMPORT', {}],
      ['', '(memory $second 1)', 'MULTIPLE_MEMORIES', { multi_memory: true }],
      ['', '(func $boot (global.set $g0 (i32.const 1))) (start $boot)', 'START_FUNCTION', {}],
    ];
    for (const [imports, extra, expected, features] of cases) {
      const full = contractWat({ extra }).replace('(module', `(module ${imports}`);
      let wasm: Uint8Array;
      try {
        wasm = await wat2wasmWith(full, { mutable_globals: true, sign_extension: true, ...features });
      } catch (error) {
        assert.fail(`${imports}${extra}: the test module must assemble: ${String(error)}`);
      }
      assert.throws(
        () => validateContractCode(wasm),
        (e: unknown) => e instanceof VmError && e.code === expected,
        `${imports}${extra}: rejected with ${expected}`,
      );
    }
  });

  it('global initializers beyond constants: rejected by this engine, or reset like any other', async () => {
    for (const init of ['(global.get $k)', '(i32.add (i32.const 40) (i32.const 2))']) {
      const text = contractWat({
        execute: `(call $save_i32 (i32.const 65) (global.get $odd)) (global.set $odd (i32.const 7)) (call $ok)`,
        extra: `(global $k i32 (i32.const 42)) (global $odd (mut i32) ${init})`,
      });
      const wasm = await wat2wasmWith(text, {
        mutable_globals: true,
        sign_extension: true,
        extended_const: true,
      });
      let code: ValidatedCode;
      try {
        code = validateContractCode(wasm);
      } catch (error) {
        // Our parser (PARSE_ERROR) or the engine (INVALID_WASM, Node 20) refuses them today.
        assert.ok(
          error instanceof VmError && (error.code === 'INVALID_WASM' || error.code === 'PARSE_ERROR'),
          `${init}: rejected (${String(error)})`,
        );
        continue;
      }
      const vm = new ContractVm();
      for (let i = 0; i < 3; i++) {
        assert.equal(u32le(writesOf(execute(vm, code, '{}')).get('A')), 42, `${init}, call ${i}: initial 42`);
      }
    }
  });

  it('elem.drop modules are never reused (like table.set and data.drop)', async () => {
    const code = await buildContract({
      execute: `(elem.drop $e) (global.set $g0 (i32.const 9)) (call $save_i32 (i32.const 65) (global.get $g0)) (call $ok)`,
      extra: '(table 1 funcref) (elem $e func $allocate)',
    });
    const vm = new ContractVm();
    for (let i = 0; i < 3; i++) {
      writesOf(execute(vm, code, '{}'));
      assert.equal(vm.idleInstances.bytes, 0, `call ${i}: not kept`);
    }
  });

  it('call_indirect reaches exactly the contract’s table entries (the injected functions are in none)', async () => {
    const code = await upload(
      contractWat({
        execute: `(call_indirect (type $void) (i32.load8_u (i32.load (local.get $msg))))
          (call $save_i32 (i32.const 65) (global.get $g0))
          (call $ok)`,
        extra: `(type $void (func))
          (table 3 3 funcref)
          (elem (i32.const 0) func $one $two $three)
          (func $one (global.set $g0 (i32.const 1)))
          (func $two (global.set $g0 (i32.const 2)))
          (func $three (global.set $g0 (i32.const 3)))`,
      }),
    );
    const fresh = new ContractVm({ reuseInstances: false });
    const vm = new ContractVm();
    for (const slot of [0, 1, 2, 3, 4, 255, 0, 2]) {
      const msg = String.fromCharCode(slot);
      const expected = describeOutcome(() => execute(fresh, code, msg));
      assert.equal(
        describeOutcome(() => execute(vm, code, msg)),
        expected,
        `slot ${slot}: as on a fresh instance`,
      );
      if (slot < 3) assert.equal(u32le(writesOf(execute(vm, code, msg)).get('A')), slot + 1, `slot ${slot}`);
      else assert.ok(expected.includes('CONTRACT_TRAP'), `slot ${slot}: outside the table traps`);
    }
  });

  it('an instantiation that fails half-way leaves nothing for the next module of the same memory shape', async () => {
    // Active segments are written in order; the second is out of bounds, so instantiation traps
    // after the first wrote its bytes into a pooled memory.
    const failing = await buildContract({
      extra: `(data (i32.const 40000) "SECRET!!") (data (i32.const 262140) "12345678")`,
    });
    const reporter = await upload(hoarderWat('R'));
    const reference = new Runner({ reuseInstances: false });
    const runner = new Runner({});
    const expected = reference.run(reporter, 'd', 'shroud1r');
    for (let i = 0; i < 3; i++) {
      assert.throws(
        () => execute(runner.vm, failing, '{}'),
        (e: unknown) => e instanceof VmError && e.code === 'CONTRACT_TRAP',
        `call ${i}: instantiation fails`,
      );
      assert.equal(
        runner.run(reporter, 'd', 'shroud1r'),
        expected,
        `call ${i}: the next module sees zeroed memory`,
      );
    }
  });
});
