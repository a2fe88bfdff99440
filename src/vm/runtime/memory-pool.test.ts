import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { contractWat, wat2wasm } from '../../../test/vm-runtime/wat.js';
import { importMemory, MemoryPool } from './memory-pool.js';

describe('importMemory', () => {
  it('moves the defined memory to an env.memory import with the same limits', async () => {
    const cases: [string, string, { initial: number; maximum: number | undefined }][] = [
      ['no imports, no max', '(module (memory 3) (func (export "f")))', { initial: 3, maximum: undefined }],
      [
        'no imports, max',
        '(module (type (func)) (memory 1 192) (func (export "f") (type 0)))',
        { initial: 1, maximum: 192 },
      ],
      [
        'with imports',
        '(module (import "env" "debug" (func (param i32))) (memory (export "memory") 2 5) (func (export "f")))',
        { initial: 2, maximum: 5 },
      ],
      ['only memory', '(module (memory 0))', { initial: 0, maximum: undefined }],
    ];
    for (const [name, text, shape] of cases) {
      const { wasm, shape: found } = importMemory(await wat2wasm(text));
      assert.deepEqual(found, shape, name);
      const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
      const memoryImports = WebAssembly.Module.imports(module).filter((i) => i.kind === 'memory');
      assert.deepEqual(memoryImports, [{ module: 'env', name: 'memory', kind: 'memory' }], name);
    }
  });

  it('keeps a real test contract working (functions, exports, data segments)', async () => {
    const { wasm } = importMemory(await wat2wasm(contractWat({})));
    assert.ok(WebAssembly.validate(wasm as Uint8Array<ArrayBuffer>));
  });

  it('refuses modules without exactly one defined memory', async () => {
    assert.throws(() => importMemory(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), RangeError);
    const imported = await wat2wasm('(module (import "env" "memory" (memory 1)))');
    assert.throws(() => importMemory(imported), RangeError);
  });
});

describe('MemoryPool', () => {
  it('reuses a zeroed memory of the initial size and drops grown ones', () => {
    const pool = new MemoryPool(1);
    const shape = { initial: 1, maximum: 4 };
    const first = pool.acquire(shape);
    new Uint8Array(first.buffer)[100] = 7;
    pool.release(shape, first);
    const again = pool.acquire(shape);
    assert.equal(again, first, 'reused');
    assert.equal(new Uint8Array(again.buffer)[100], 0, 'zeroed');
    again.grow(1);
    pool.release(shape, again);
    const fresh = pool.acquire(shape);
    assert.notEqual(fresh, again, 'a grown memory is not reused');
    assert.equal(fresh.buffer.byteLength, 65_536);
    pool.release(shape, fresh);
    pool.release(shape, new WebAssembly.Memory({ initial: 1, maximum: 4 }));
    assert.equal(pool.acquire(shape), fresh, 'bounded: the extra memory was not kept');
  });
});
