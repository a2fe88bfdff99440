// The compact runContractAhead frames: exact round trips of every field shape, and the
// enclave-side decoder refusing every malformed request (hostile host input) with BAD_REQUEST.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BoundaryError } from './boundary/channel.js';
import { EnclaveError } from './errors.js';
import type { RunContractAheadRequest, RunContractAheadResult, RunContractRequest } from './protocol.js';
import {
  decodeBatchRequest,
  decodeBatchResult,
  decodeRunRequest,
  decodeRunResult,
  encodeBatchRequest,
  encodeBatchResult,
  encodeRunRequest,
  encodeRunResult,
  RUN_FRAME_VERSION,
  type RunBatchRequest,
  type RunBatchResult,
} from './run-frames.js';

const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill);

const userRequest: RunContractRequest = {
  entry: 'instantiate',
  contract: 'shroud1contract',
  codeHash: 'ab'.repeat(32),
  codeId: 7n,
  label: 'my label ✓',
  sender: 'shroud1sender',
  funds: [
    { denom: 'ushd', amount: '5' },
    { denom: 'uatom', amount: '18446744073709551616' },
  ],
  envelope: bytes(120, 3),
  auth: {
    kind: 'user',
    bodyBytes: bytes(200, 4),
    authInfoBytes: bytes(90, 5),
    accountNumber: 18_446_744_073_709_551_615n,
    signature: bytes(64, 6),
    messageIndex: 2,
  },
  block: { height: 12n, timeNanos: 1_800_000_000_000_000_000n, chainId: 'shroud-test-1' },
  txIndex: 3,
  callIndex: 9_007_199_254_740_991,
  gasLimit: 50_000_000_000n,
};

const callbackRequest: RunContractRequest = {
  entry: 'reply',
  contract: 'shroud1caller',
  codeHash: 'cd'.repeat(32),
  sender: 'shroud1callee',
  funds: [],
  envelope: bytes(90, 7),
  auth: { kind: 'callback', callbackSignature: bytes(32, 8), txHash: bytes(32, 9) },
  block: { height: 1n, timeNanos: 0n, chainId: '' },
  txIndex: 0,
  callIndex: 0,
  gasLimit: 0n,
};

const requests: RunContractAheadRequest[] = [
  { request: userRequest, ahead: { diskKeys: [bytes(32, 1), bytes(32, 2)], blobs: [bytes(45, 1), null] } },
  { request: callbackRequest, ahead: { diskKeys: [], blobs: [] } },
];

const results: RunContractAheadResult[] = [
  {
    result: {
      ok: true,
      gasUsed: 622_192n,
      txHash: bytes(32, 1),
      data: bytes(49, 2),
      attributes: [
        { encrypted: false, key: 'action', value: 'transfer' },
        { encrypted: true, sealed: bytes(40, 3) },
      ],
      events: [{ type: 'wasm-x', attributes: [{ encrypted: true, sealed: bytes(33, 4) }] }],
      messages: [
        { kind: 'bank_send', toAddress: 'shroud1to', amount: [{ denom: 'ushd', amount: '1' }] },
        { kind: 'bank_burn', amount: [] },
        {
          kind: 'wasm',
          entry: 'instantiate',
          contract: '',
          codeHash: 'ef'.repeat(32),
          codeId: 4n,
          label: 'child',
          admin: null,
          funds: [],
          envelope: bytes(100, 5),
          callbackSignature: bytes(32, 6),
          replyOn: 'always',
          gasLimit: 1_000n,
        },
        {
          kind: 'wasm',
          entry: 'instantiate',
          contract: '',
          codeHash: 'ef'.repeat(32),
          codeId: 4n,
          label: 'child',
          admin: 'shroud1admin',
          funds: [{ denom: 'ushd', amount: '3' }],
          envelope: bytes(100, 5),
          callbackSignature: bytes(32, 6),
          replyOn: 'never',
          gasLimit: null,
        },
        {
          kind: 'wasm',
          entry: 'migrate',
          contract: 'shroud1target',
          codeHash: 'ef'.repeat(32),
          codeId: 5n,
          funds: [],
          envelope: bytes(10, 5),
          callbackSignature: bytes(32, 6),
          replyOn: 'error',
          gasLimit: null,
        },
        {
          kind: 'wasm',
          entry: 'execute',
          contract: 'shroud1target',
          codeHash: 'ef'.repeat(32),
          funds: [],
          envelope: bytes(10, 5),
          callbackSignature: bytes(32, 6),
          replyOn: 'success',
          gasLimit: null,
        },
        { kind: 'wasm_update_admin', contract: 'shroud1c', admin: 'shroud1a' },
        { kind: 'wasm_clear_admin', contract: 'shroud1c' },
        { kind: 'other', type: 'custom', json: '{"a":1}' },
      ],
      writes: [
        { diskKey: bytes(32, 7), blob: bytes(45, 8) },
        { diskKey: bytes(32, 9), blob: null },
      ],
      reply: { contract: 'shroud1caller', envelope: bytes(80, 1), callbackSignature: bytes(32, 2) },
    },
    next: [bytes(32, 3)],
  },
  {
    result: {
      ok: false,
      gasUsed: 5n,
      txHash: bytes(32, 1),
      error: { kind: 'contract', sealed: bytes(30, 2) },
    },
    next: [],
  },
  {
    result: {
      ok: false,
      gasUsed: 50n,
      txHash: bytes(32, 1),
      error: { kind: 'vm', code: 'OUT_OF_GAS' },
      reply: { contract: 'shroud1caller', envelope: bytes(80, 1), callbackSignature: bytes(32, 2) },
    },
    next: [],
  },
  {
    result: {
      ok: true,
      gasUsed: 0n,
      txHash: bytes(32, 1),
      data: null,
      attributes: [],
      events: [],
      messages: [],
      writes: [],
    },
    next: [],
  },
];

function refusedAsBadRequest(frame: Uint8Array, why: string): void {
  assert.throws(
    () => decodeRunRequest(frame),
    (error: unknown) => error instanceof EnclaveError && error.code === 'BAD_REQUEST',
    why,
  );
}

describe('runContractAhead frames', () => {
  it('round-trip every request shape exactly', () => {
    for (const [i, message] of requests.entries()) {
      assert.deepEqual(decodeRunRequest(encodeRunRequest(message)), message, `request ${i}`);
    }
  });

  it('round-trip every answer shape exactly (ok, contract error, VM failure, reply, messages)', () => {
    for (const [i, message] of results.entries()) {
      assert.deepEqual(decodeRunResult(encodeRunResult(message)), message, `answer ${i}`);
    }
  });

  it('refuse every truncation and any trailing byte of a request', () => {
    for (const message of requests) {
      const frame = encodeRunRequest(message);
      for (let length = 0; length < frame.length; length++) {
        refusedAsBadRequest(frame.subarray(0, length), `truncated to ${length} of ${frame.length} bytes`);
      }
      refusedAsBadRequest(Uint8Array.from([...frame, 0]), 'one trailing byte');
    }
  });

  it('refuse an unknown version, entry, auth kind or presence tag, and invalid UTF-8', () => {
    const frame = encodeRunRequest(requests[1] as RunContractAheadRequest);
    const at = (offset: number, value: number) => {
      const copy = frame.slice();
      copy[offset] = value;
      return copy;
    };
    refusedAsBadRequest(at(0, RUN_FRAME_VERSION + 1), 'version');
    refusedAsBadRequest(at(1, 4), 'entry');
    // contract string: u32 length at 2, bytes from 6; put an invalid UTF-8 byte in it.
    refusedAsBadRequest(at(6, 0xff), 'invalid UTF-8 in the contract address');
    const codeIdTag = 2 + 4 + 'shroud1caller'.length + 4 + 64;
    refusedAsBadRequest(at(codeIdTag, 2), 'code id presence tag');
    const authKind = codeIdTag + 1 + 1 + 4 + 'shroud1callee'.length + 4 + 4 + 90;
    assert.equal(frame[authKind], 1, 'the offset computed for the auth kind');
    refusedAsBadRequest(at(authKind, 2), 'auth kind');
  });

  it('refuse a length that runs past the frame or a list longer than the bound', () => {
    const frame = encodeRunRequest(requests[1] as RunContractAheadRequest);
    const huge = frame.slice();
    new DataView(huge.buffer).setUint32(2, 0xffff_fff0);
    refusedAsBadRequest(huge, 'contract length past the end');
    const slots = frame.slice();
    new DataView(slots.buffer).setUint32(slots.length - 4, 1_000_000);
    refusedAsBadRequest(slots, 'read-ahead count beyond the bound');
  });

  it('never throws anything but BAD_REQUEST on random bytes or random corruptions', () => {
    const valid = encodeRunRequest(requests[0] as RunContractAheadRequest);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([offset, value]) => {
            const copy = valid.slice();
            copy[offset] = value;
            return copy;
          }),
        ),
        (frame) => {
          try {
            decodeRunRequest(frame);
          } catch (error) {
            return error instanceof EnclaveError && error.code === 'BAD_REQUEST';
          }
          return true;
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('refuse a malformed answer on the host side with PROTOCOL_VIOLATION', () => {
    const frame = encodeRunResult(results[0] as RunContractAheadResult);
    for (const length of [0, 1, 10, frame.length - 1]) {
      assert.throws(
        () => decodeRunResult(frame.subarray(0, length)),
        (error: unknown) => error instanceof BoundaryError && error.code === 'PROTOCOL_VIOLATION',
        `answer truncated to ${length} bytes`,
      );
    }
  });

  it('refuse to encode values that do not fit (host or enclave programming errors)', () => {
    const base = requests[1] as RunContractAheadRequest;
    const bad = (request: Partial<RunContractRequest>, why: string) =>
      assert.throws(() => encodeRunRequest({ ...base, request: { ...base.request, ...request } }), why);
    bad({ gasLimit: -1n }, 'negative gas limit');
    bad({ gasLimit: 1n << 64n }, 'gas limit above u64');
    bad({ txIndex: 1.5 }, 'fractional tx index');
    bad({ entry: 'query' as RunContractRequest['entry'] }, 'unknown entry');
    assert.throws(
      () => encodeRunRequest({ ...base, ahead: { diskKeys: [bytes(31, 0)], blobs: [null] } }),
      'a 31-byte disk key',
    );
    assert.throws(
      () => encodeRunRequest({ ...base, ahead: { diskKeys: [bytes(32, 0)], blobs: [] } }),
      'blobs and keys of different counts',
    );
  });

  it('batch frames round-trip, and the enclave refuses any truncated or extended batch request', () => {
    const batch: RunBatchRequest = {
      requests: requests.map((message) => message.request),
      ahead: [{ contract: 'shroud1contract', diskKeys: [bytes(32, 1)], blobs: [null] }],
    };
    const frame = encodeBatchRequest(batch);
    assert.deepEqual(decodeBatchRequest(frame), batch, 'request');
    const answer: RunBatchResult = {
      results: results.map((message) => message.result),
      next: [{ contract: 'shroud1contract', diskKeys: [bytes(32, 2), bytes(32, 3)] }],
    };
    assert.deepEqual(decodeBatchResult(encodeBatchResult(answer)), answer, 'answer');
    for (let length = 0; length < frame.length; length += 7) {
      assert.throws(
        () => decodeBatchRequest(frame.subarray(0, length)),
        (error: unknown) => error instanceof EnclaveError && error.code === 'BAD_REQUEST',
        `batch truncated to ${length} bytes`,
      );
    }
    assert.throws(
      () => decodeBatchRequest(Uint8Array.from([...frame, 1])),
      (error: unknown) => error instanceof EnclaveError && error.code === 'BAD_REQUEST',
      'a trailing byte',
    );
  });
  it('a batch request carries its chain (ids as u32), and refuses a truncated chain or a bad tag', () => {
    const base: RunBatchRequest = { requests: requests.map((message) => message.request), ahead: [] };
    for (const chain of [
      { id: 1, after: 0 },
      { id: 7, after: 6 },
      { id: 0xffff_ffff, after: 0xffff_fffe },
    ]) {
      const frame = encodeBatchRequest({ ...base, chain });
      assert.deepEqual(decodeBatchRequest(frame), { ...base, chain }, `chain ${chain.id}/${chain.after}`);
      for (let cut = 1; cut <= 9; cut++) {
        assert.throws(
          () => decodeBatchRequest(frame.subarray(0, frame.length - cut)),
          (error: unknown) => error instanceof EnclaveError && error.code === 'BAD_REQUEST',
          `chain ${chain.id}/${chain.after} cut by ${cut}`,
        );
      }
    }
    assert.deepEqual(decodeBatchRequest(encodeBatchRequest(base)), base, 'no chain');
    const tagged = encodeBatchRequest(base);
    tagged[tagged.length - 1] = 2;
    assert.throws(
      () => decodeBatchRequest(tagged),
      (error: unknown) => error instanceof EnclaveError && error.code === 'BAD_REQUEST',
      'an unknown chain tag',
    );
    assert.throws(() => encodeBatchRequest({ ...base, chain: { id: -1, after: 0 } }), 'a negative id');
    assert.throws(() => encodeBatchRequest({ ...base, chain: { id: 1, after: 2 ** 32 } }), 'an id over u32');
  });
});
