// Properties: whatever a contract returns or passes to the host, the runtime answers with a
// value or a typed VmError — never a TypeError, RangeError or a host crash.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { VmError } from '../../src/vm/index.js';
import { parseEnvelope, parseResponse } from '../../src/vm/runtime/response.js';
import { meteredVm, rawVm, run } from './helpers.js';
import { buildContract } from './wat.js';

function onlyVmErrors(thunk: () => unknown, allowed: readonly string[]): void {
  try {
    thunk();
  } catch (error) {
    assert.ok(error instanceof VmError, `expected a VmError, got ${String(error)}`);
    assert.ok(allowed.includes(error.code), `unexpected code ${error.code}: ${error.message}`);
  }
}

const validResponse = {
  messages: [
    {
      id: 1,
      msg: { bank: { send: { to_address: 'x', amount: [{ denom: 'u', amount: '1' }] } } },
      gas_limit: null,
      reply_on: 'always',
    },
    {
      id: 2,
      msg: { wasm: { execute: { contract_addr: 'c', code_hash: 'h', msg: 'e30=', send: [] } } },
      reply_on: 'never',
    },
  ],
  attributes: [{ key: 'k', value: 'v', encrypted: false }],
  events: [{ type: 't', attributes: [] }],
  data: 'aGk=',
};

describe('runtime properties', () => {
  it('parseEnvelope: arbitrary bytes and JSON give a value or INVALID_RESPONSE', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.json().map((j) => new TextEncoder().encode(j)),
        ),
        (bytes) => {
          onlyVmErrors(() => parseEnvelope(bytes), ['INVALID_RESPONSE']);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parseResponse: arbitrary JSON values and mutated valid responses give a Response or INVALID_RESPONSE', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => onlyVmErrors(() => parseResponse(value), ['INVALID_RESPONSE'])),
      { numRuns: 500 },
    );
    const paths = ['messages', 'attributes', 'events', 'data'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), fc.nat({ max: 3 }), (field, junk, depth) => {
        const copy = structuredClone(validResponse) as Record<string, unknown>;
        if (depth === 0) copy[field] = junk;
        else if (Array.isArray(copy[field]) && (copy[field] as unknown[]).length > 0)
          (copy[field] as unknown[])[0] = junk;
        else copy[field] = [junk];
        onlyVmErrors(() => parseResponse(copy), ['INVALID_RESPONSE']);
      }),
      { numRuns: 500 },
    );
    assert.equal(parseResponse(validResponse).messages.length, 2, 'the unmutated response parses');
  });

  it('random Region pointers and Region fields give success or REGION_OUT_OF_BOUNDS', async () => {
    // msg bytes = [pointer u32][offset u32][capacity u32][length u32]; pointer 1 means "the
    // Region built at 3000 from the other three words".
    const code = await buildContract({
      execute: `(i32.store (i32.const 3000) (i32.load offset=4 (i32.load (local.get $msg))))
                (i32.store (i32.const 3004) (i32.load offset=8 (i32.load (local.get $msg))))
                (i32.store (i32.const 3008) (i32.load offset=12 (i32.load (local.get $msg))))
                (global.set $g0 (i32.load (i32.load (local.get $msg))))
                (if (i32.eq (global.get $g0) (i32.const 1)) (then (global.set $g0 (i32.const 3000))))
                (drop (call $db_read (global.get $g0)))
                (call $db_write (global.get $g0) (global.get $g0))
                (call $ok)`,
    });
    const word = fc.oneof(
      fc.constantFrom(0, 1, 3000, 65_535, 262_140, 262_144, 0x7fffffff, 0xffffffff),
      fc.nat({ max: 0xffffffff }),
    );
    fc.assert(
      fc.property(word, word, word, word, fc.boolean(), (pointer, offset, capacity, length, metered) => {
        const msg = new Uint8Array(16);
        const view = new DataView(msg.buffer);
        [pointer, offset, capacity, length].forEach((w, i) => view.setUint32(i * 4, w, true));
        onlyVmErrors(
          () => run(code, { msg, vm: metered ? meteredVm : rawVm, gasLimit: 10_000_000_000n }),
          ['REGION_OUT_OF_BOUNDS', 'OUT_OF_GAS'],
        );
      }),
      { numRuns: 300 },
    );
  });
});
