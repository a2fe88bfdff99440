// Batches of contract calls in one ECALL (Enclave.runContractBatch, Executor.runBatch, ADR 006):
// the results and the host's store are byte-identical to running the same calls one by one, and
// the batch stops exactly where the host must act (a failed call), before a later call that
// needs the host between calls (a bank query) and before a later call the enclave refuses.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EnclaveCallError,
  type RunContractRequest,
  type RunContractResult,
} from '../../src/enclave/index.js';
import { makeUser, twoTokenValidators, type knownSeedEnclave } from './helpers.js';

const alice = makeUser(91);
const bob = makeUser(92);

const twoValidators = () => twoTokenValidators({ label: 'batch', alice, bob, querier: true });

/** Runs `requests` in batches on one validator as a host must: apply, then resend the rest. */
async function runInBatches(
  v: Awaited<ReturnType<typeof knownSeedEnclave>>,
  requests: RunContractRequest[],
  sizes: number[],
): Promise<RunContractResult[]> {
  const all: RunContractResult[] = [];
  let rest = requests;
  while (rest.length > 0) {
    const results = await v.enclave.runContractBatch(rest);
    sizes.push(results.length);
    results.forEach((result, i) => v.host.apply((rest[i] as RunContractRequest).contract, result));
    all.push(...results);
    rest = rest.slice(results.length);
  }
  return all;
}

const stateOf = (v: Awaited<ReturnType<typeof knownSeedEnclave>>) =>
  [...v.host.state].map(([contract, slots]) => [contract, [...slots].sort()]);

describe('batches of contract calls', () => {
  it('give byte-identical results and state to the same calls one by one, and stop where the host must act', async () => {
    const { a, b, transfer, bankQuery, stop } = await twoValidators();
    try {
      a.host.balances.set(`${alice.address}/ushd`, 5n);
      b.host.balances.set(`${alice.address}/ushd`, 5n);
      const requests = [
        transfer(alice, bob, '10'),
        transfer(bob, alice, '3'),
        transfer(alice, bob, '10'), // reads the two writes before it
        transfer(bob, alice, '999999'), // the contract's Err: the batch ends after it
        transfer(alice, bob, '1'),
        bankQuery(), // needs queryChain: the batch ends before it
        transfer(bob, alice, '2'),
        transfer(alice, bob, '4'),
      ];
      const oneByOne: RunContractResult[] = [];
      for (const request of requests) {
        const result = await a.enclave.runContract(request);
        a.host.apply(request.contract, result);
        oneByOne.push(result);
      }
      const sizes: number[] = [];
      const batched = await runInBatches(b, requests, sizes);
      assert.deepEqual(batched, oneByOne, 'the same results, byte for byte');
      assert.deepEqual(stateOf(b), stateOf(a), 'the same encrypted store');
      assert.deepEqual(sizes, [4, 1, 3], 'ends after the failed transfer and before the bank query');
      assert.equal(oneByOne[3]?.ok, false, 'the over-large transfer failed in the contract');
      assert.ok(
        b.host.log.some((line) => line.startsWith('queryChain')),
        'the bank query ran as the first call of its batch',
      );
    } finally {
      await stop();
    }
  });

  it('stop before a refused call after the first; a refused first call rejects as runContract does', async () => {
    const { b, transfer, stop } = await twoValidators();
    try {
      const forged = (request: RunContractRequest): RunContractRequest => {
        if (request.auth.kind !== 'user') throw new Error('a user call');
        const signature = request.auth.signature.slice();
        signature[5] = (signature[5] as number) ^ 1;
        return { ...request, auth: { ...request.auth, signature } };
      };
      const good = transfer(alice, bob, '1');
      const bad = forged(transfer(bob, alice, '1'));
      const results = await b.enclave.runContractBatch([good, bad, transfer(alice, bob, '1')]);
      assert.equal(results.length, 1, 'the batch stops before the refused call');
      assert.ok(results[0]?.ok, 'the call before it ran');
      b.host.apply(good.contract, results[0]);
      await assert.rejects(b.enclave.runContractBatch([bad]), (error: unknown) => {
        assert.ok(error instanceof EnclaveCallError, String(error));
        assert.equal(error.enclaveCode, 'SIGNATURE_INVALID');
        return true;
      });
      await assert.rejects(b.enclave.runContractBatch([]), (error: unknown) => {
        assert.ok(error instanceof EnclaveCallError, String(error));
        assert.equal(error.enclaveCode, 'BAD_REQUEST', 'an empty batch');
        return true;
      });
    } finally {
      await stop();
    }
  });

  it('a long batch of transfers runs in one ECALL and keeps the read-ahead for the next one', async () => {
    const { a, b, transfer, stop } = await twoValidators();
    try {
      const requests = Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0 ? transfer(alice, bob, '1') : transfer(bob, alice, '1'),
      );
      const sizes: number[] = [];
      const batched = await runInBatches(b, requests, sizes);
      assert.deepEqual(sizes, [40], 'one ECALL');
      assert.ok(
        batched.every((result) => result.ok),
        'every transfer succeeded',
      );
      for (const request of requests) a.host.apply(request.contract, await a.enclave.runContract(request));
      assert.deepEqual(stateOf(b), stateOf(a), 'the same encrypted store as one by one');
      const readsBefore = b.host.log.filter((line) => line.startsWith('readState')).length;
      const next = await b.enclave.runContractBatch([transfer(alice, bob, '1')]);
      assert.ok(next[0]?.ok, 'the next batch runs');
      const readsAfter = b.host.log.filter((line) => line.startsWith('readState')).length;
      assert.equal(readsAfter - readsBefore, 6, 'the six read-ahead slots read by the client, none by OCALL');
    } finally {
      await stop();
    }
  });
});

describe('pipelined batches (ADR 006 "Pipelined batches")', () => {
  const expectRefused = (promise: Promise<unknown>, what: string) =>
    assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof EnclaveCallError, `${what}: ${String(error)}`);
      assert.equal(error.enclaveCode, 'BAD_REQUEST', what);
      return true;
    });

  it('a speculative batch runs on the kept writes of the batch it follows, before the host applied them', async () => {
    const { a, b, transfer, stop } = await twoValidators();
    try {
      // Each transfer reads the balances the one before it wrote, across batch boundaries too.
      const requests = Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? transfer(alice, bob, String(i + 1)) : transfer(bob, alice, String(i)),
      );
      const oneByOne: RunContractResult[] = [];
      for (const request of requests) {
        const result = await a.enclave.runContract(request);
        a.host.apply(request.contract, result);
        oneByOne.push(result);
      }
      const first = await b.enclave.runContractBatch(requests.slice(0, 4), { id: 1, after: 0 });
      // The host has applied nothing yet: the next batch must see batch 1's writes from the enclave.
      const second = await b.enclave.runContractBatch(requests.slice(4, 8), { id: 2, after: 1 });
      first.forEach((result, i) => b.host.apply((requests[i] as RunContractRequest).contract, result));
      const third = await b.enclave.runContractBatch(requests.slice(8), { id: 3, after: 2 });
      second.forEach((result, i) => b.host.apply((requests[4 + i] as RunContractRequest).contract, result));
      third.forEach((result, i) => b.host.apply((requests[8 + i] as RunContractRequest).contract, result));
      assert.deepEqual([first.length, second.length, third.length], [4, 4, 4], 'every batch ran in full');
      assert.deepEqual([...first, ...second, ...third], oneByOne, 'the same results, byte for byte');
      assert.deepEqual(stateOf(b), stateOf(a), 'the same encrypted store');
    } finally {
      await stop();
    }
  });

  it('is refused unless it names the last batch, and only a batch whose calls all ran and succeeded is kept', async () => {
    const { b, transfer, stop } = await twoValidators();
    try {
      await expectRefused(
        b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 2, after: 1 }),
        'no batch kept yet',
      );
      // Ends after the contract's Err: not kept.
      const failed = await b.enclave.runContractBatch(
        [transfer(alice, bob, '1'), transfer(bob, alice, '999999'), transfer(alice, bob, '1')],
        { id: 3, after: 0 },
      );
      assert.equal(failed.length, 2, 'the batch ended after the failed call');
      await expectRefused(
        b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 4, after: 3 }),
        'after a batch that stopped early',
      );
      const kept = await b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 5, after: 0 });
      assert.ok(kept[0]?.ok, 'a full batch');
      // Any batch consumes the kept overlay: only the latest can be followed, once.
      await b.enclave.runContractBatch([transfer(bob, alice, '1')], { id: 6, after: 0 });
      const next = await b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 7, after: 6 });
      assert.equal(next.length, 1, 'the last complete batch can be followed');
      await expectRefused(
        b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 8, after: 5 }),
        'after a batch that is no longer the last',
      );
      await expectRefused(
        b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 9, after: 7 }),
        'after a refused batch (it consumed the kept one)',
      );
    } finally {
      await stop();
    }
  });

  it('is refused in another block than the batch it follows, and after any ECALL but a query', async () => {
    const { b, transfer, stop } = await twoValidators();
    try {
      await b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 1, after: 0 });
      const later = transfer(bob, alice, '1');
      await expectRefused(
        b.enclave.runContractBatch(
          [{ ...later, block: { ...later.block, height: later.block.height + 1n } }],
          {
            id: 2,
            after: 1,
          },
        ),
        'a speculative batch of the next block',
      );
      await b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 3, after: 0 });
      await b.enclave.runContract(transfer(bob, alice, '1'));
      await expectRefused(
        b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 4, after: 3 }),
        'after a single call (its writes are newer than the kept overlay)',
      );
    } finally {
      await stop();
    }
  });

  it('yields before a call that needs the host for more than state slots, the first call too', async () => {
    const { b, transfer, bankQuery, stop } = await twoValidators();
    try {
      const kept = await b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 1, after: 0 });
      assert.ok(kept[0]?.ok, 'a full batch');
      const before = b.host.log.filter((line) => line.startsWith('queryChain')).length;
      const results = await b.enclave.runContractBatch([bankQuery(), transfer(alice, bob, '1')], {
        id: 2,
        after: 1,
      });
      assert.equal(results.length, 0, 'no result: the host runs the bank query in known state');
      const after = b.host.log.filter((line) => line.startsWith('queryChain')).length;
      assert.equal(after, before, 'the bank query did not reach the host');
      await expectRefused(
        b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 3, after: 2 }),
        'a batch that answered nothing is not kept',
      );
    } finally {
      await stop();
    }
  });
});
