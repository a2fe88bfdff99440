// The mempool's two small data structures: the binary heap (pops in order, whatever the pushes)
// and the bounded LRU set of committed hashes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Heap } from '../../src/mempool/heap.js';
import { LruSet } from '../../src/mempool/lru.js';

describe('Heap', () => {
  it('pops any pushed numbers in order, interleaved pushes and pops included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer(), { nil: undefined, freq: 4 }), { maxLength: 200 }),
        (ops) => {
          const heap = new Heap<number>((a, b) => a < b);
          const model: number[] = [];
          for (const op of ops) {
            if (op === undefined) {
              model.sort((a, b) => a - b);
              assert.equal(heap.pop(), model.shift(), 'pop returns the smallest');
            } else {
              heap.push(op);
              model.push(op);
            }
            assert.equal(heap.size, model.length, 'size follows pushes and pops');
          }
        },
      ),
    );
  });

  it('pops undefined when empty and empties on clear', () => {
    const heap = new Heap<number>((a, b) => a < b);
    assert.equal(heap.pop(), undefined);
    heap.push(3);
    heap.push(1);
    heap.clear();
    assert.equal(heap.size, 0);
    assert.equal(heap.pop(), undefined);
  });
});

describe('LruSet', () => {
  it('forgets the least recently added or touched key beyond capacity', () => {
    const lru = new LruSet(2);
    lru.add('a');
    lru.add('b');
    lru.add('a'); // touch: b is now the oldest
    lru.add('c');
    assert.deepEqual(
      ['a', 'b', 'c'].map((key) => lru.has(key)),
      [true, false, true],
    );
    assert.equal(lru.size, 2);
  });

  it('holds nothing with capacity 0', () => {
    const lru = new LruSet(0);
    lru.add('a');
    assert.equal(lru.has('a'), false);
    assert.equal(lru.size, 0);
  });
});
