import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { GAS_GLOBAL, instrumentContract, instrumentResettable, RESET_EXPORT } from '../instrument.js';
import { wat2wasm } from '../../../test/vm-runtime/wat.js';
import { importMemory } from './memory-pool.js';
import { InstancePool, resetInstance, snapshotMemory } from './instance-pool.js';
import type { ReadyInstance } from './instance-pool.js';

const MODULE = `(module
  (memory (export "memory") 1)
  (global $a (mut i32) (i32.const 5))
  (global $b (mut i64) (i64.const -3))
  (global $c i32 (i32.const 9))
  (func (export "scribble")
    (global.set $a (i32.const 100))
    (global.set $b (i64.const 100))
    (i32.store (i32.const 4000) (i32.const 0x01020304))
    (i32.store8 (i32.const 16) (i32.const 0x7a)))
  (func (export "a") (result i32) (global.get $a))
  (func (export "b") (result i64) (global.get $b))
  (func (export "c") (result i32) (global.get $c))
  (data (i32.const 16) "hi"))`;

async function instrumented(text: string, reset = true): Promise<WebAssembly.Module> {
  const { wasm } = importMemory(instrumentContract(await wat2wasm(text), { reset }));
  return new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
}

function ready(module: WebAssembly.Module, pages = 1): ReadyInstance {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 192 });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  (instance.exports[GAS_GLOBAL] as WebAssembly.Global).value = 1_000_000n;
  const reset = instance.exports[RESET_EXPORT];
  return {
    memory,
    exports: instance.exports,
    allocate: null,
    meter: { gas: null, exhausted: null, stackExhausted: null },
    reset: typeof reset === 'function' ? (reset as () => void) : null,
  };
}

/** Calls an export with plenty of gas (the reset export sets the gas global to 0). */
const call = <T>(r: ReadyInstance, name: string): T => {
  (r.exports[GAS_GLOBAL] as WebAssembly.Global).value = 1_000_000n;
  return (r.exports[name] as () => T)();
};

describe('RESET_EXPORT (instrumentContract { reset: true })', () => {
  it('is added only when asked', async () => {
    const withReset = await instrumented(MODULE, true);
    const without = await instrumented(MODULE, false);
    const names = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => e.name);
    assert.ok(names(withReset).includes(RESET_EXPORT));
    assert.ok(!names(without).includes(RESET_EXPORT));
  });

  it('is left out when a table or segment can change, or the name is taken', async () => {
    const control = await instrumented('(module (memory 1) (table 1 funcref) (func (export "x")))');
    assert.ok(
      WebAssembly.Module.exports(control).some((e) => e.name === RESET_EXPORT),
      'control: a module without such instructions gets it',
    );
    const cases = [
      '(table 1 funcref) (func $f) (func (export "x") (table.set (i32.const 0) (ref.func $f))) (elem declare func $f)',
      '(data $p "zz") (func (export "x") (data.drop $p))',
      '(table 1 funcref) (elem $e func) (func (export "x") (elem.drop $e))',
      `(func (export "${RESET_EXPORT}"))`,
    ];
    for (const extra of cases) {
      const module = await instrumented(`(module (memory 1) ${extra})`);
      const names = WebAssembly.Module.exports(module).map((e) => e.name);
      assert.ok(
        names.filter((n) => n === RESET_EXPORT).length <= (extra.includes(RESET_EXPORT) ? 1 : 0),
        `${extra}: no reset export added`,
      );
    }
  });

  it('instrumentResettable says whether the export of that name is the injected one', async () => {
    const cases: [string, boolean][] = [
      ['(memory 1) (global (mut i32) (i32.const 1)) (func (export "x"))', true],
      [`(memory 1) (func (export "${RESET_EXPORT}"))`, false],
      [`(memory 1) (global (export "${RESET_EXPORT}") i32 (i32.const 0))`, false],
      ['(memory 1) (data $p "zz") (func (export "x") (data.drop $p))', false],
    ];
    for (const [fields, resettable] of cases) {
      const result = instrumentResettable(await wat2wasm(`(module ${fields})`));
      assert.equal(result.resettable, resettable, `${fields}: resettable ${resettable}`);
      const exported = WebAssembly.Module.exports(
        new WebAssembly.Module(result.wasm as Uint8Array<ArrayBuffer>),
      );
      assert.equal(
        exported.filter((e) => e.name === RESET_EXPORT).length,
        fields.includes(RESET_EXPORT) || resettable ? 1 : 0,
        `${fields}: one export of the name at most`,
      );
    }
  });

  it('puts every mutable global back to its initializer', async () => {
    const r = ready(await instrumented(MODULE));
    call(r, 'scribble');
    assert.equal(call<number>(r, 'a'), 100);
    assert.equal(call<bigint>(r, 'b'), 100n);
    (r.reset as () => void)();
    assert.equal(call<number>(r, 'a'), 5, 'i32 global reset');
    assert.equal(call<bigint>(r, 'b'), -3n, 'i64 global reset');
    assert.equal(call<number>(r, 'c'), 9, 'immutable global unchanged');
  });
});

describe('resetInstance', () => {
  it('restores memory and globals; refuses a grown memory or a module without reset', async () => {
    const module = await instrumented(MODULE);
    const r = ready(module);
    const snapshot = snapshotMemory(r.memory);
    assert.equal(snapshot.byteLength, 65_536);
    assert.equal(snapshot.prefix.length, 18, 'the snapshot stops after the last non-zero byte');
    call(r, 'scribble');
    assert.equal(resetInstance(r, snapshot), true);
    const bytes = new Uint8Array(r.memory.buffer);
    assert.equal(bytes[16], 'h'.charCodeAt(0), 'data segment restored');
    assert.equal(new DataView(r.memory.buffer).getUint32(4000, true), 0, 'scribbled word zeroed');
    assert.equal(call<number>(r, 'a'), 5);

    r.memory.grow(1);
    assert.equal(resetInstance(r, snapshot), false, 'a grown memory cannot be reset');
    const noReset = ready(await instrumented(MODULE, false));
    assert.equal(resetInstance(noReset, snapshot), false, 'no reset export');
  });
});

describe('InstancePool', () => {
  it('keeps at most perModule idle instances per key and hands them out once', async () => {
    const module = await instrumented(MODULE);
    const snapshot = snapshotMemory(ready(module).memory);
    const pool = new InstancePool<object>({ perModule: 2 });
    const key = {};
    const [a, b, c] = [ready(module), ready(module), ready(module)];
    assert.equal(pool.give(key, a, snapshot), true);
    assert.equal(pool.give(key, b, snapshot), true);
    assert.equal(pool.give(key, c, snapshot), false, 'third one refused');
    assert.equal(pool.idleBytes, 2 * 65_536);
    const taken = [pool.take(key), pool.take(key), pool.take(key)];
    assert.deepEqual(taken, [b, a, undefined]);
    assert.equal(pool.idleBytes, 0);
  });

  it('evicts the least recently used key beyond maxBytes; drop forgets a key', async () => {
    const module = await instrumented(MODULE);
    const snapshot = snapshotMemory(ready(module).memory);
    const pool = new InstancePool<object>({ maxBytes: 2 * 65_536 });
    const [k1, k2, k3] = [{}, {}, {}];
    pool.give(k1, ready(module), snapshot);
    pool.give(k2, ready(module), snapshot);
    pool.give(k3, ready(module), snapshot);
    assert.equal(pool.idleCount(k1), 0, 'oldest evicted');
    assert.equal(pool.idleCount(k2), 1);
    assert.equal(pool.idleCount(k3), 1);
    assert.equal(pool.idleBytes, 2 * 65_536);
    pool.drop(k2);
    assert.equal(pool.idleCount(k2), 0);
    assert.equal(pool.idleBytes, 65_536);
    const big = new InstancePool<object>({ maxBytes: 1000 });
    assert.equal(big.give(k1, ready(module), snapshot), false, 'an instance larger than the budget');
  });

  it('rejects bad bounds', () => {
    assert.throws(() => new InstancePool({ perModule: -1 }), RangeError);
    assert.throws(() => new InstancePool({ maxBytes: Number.NaN }), RangeError);
  });
});
