// The batch prefetch (Executor.prefetchBatch, ADR 006 "As built, session 3"): at a batch's
// start, the slots each sender read in its last call of the contract come in one readStateBatch
// OCALL, instead of one readState OCALL per slot in the middle of the batch. The prefetched blobs
// are the store before the batch, so the batch's own writes must shadow them: results and store
// stay byte-identical to one by one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Crossing, RunContractRequest, RunContractResult } from '../../src/enclave/index.js';
import { FrameState } from '../../src/enclave/boundary/channel.js';
import { OCALL } from '../../src/enclave/protocol.js';
import { deployToken, knownSeedEnclave, makeUser, transferRing } from './helpers.js';

const users = Array.from({ length: 8 }, (_, i) => makeUser(200 + i));

/** A validator of one network (a known seed) whose boundary crossings go to `frames`. */
async function tokenValidator(frames: Crossing[] = []) {
  const v = await knownSeedEnclave('batch-prefetch', {
    tap: (crossing) => frames.push({ ...crossing, payload: new Uint8Array(0) }),
  });
  await v.enclave.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
  const { token, codeHash } = await deployToken(v.enclave, v.host, v.keys.ioPublicKey, users, {
    address: 'prefetch-token',
    label: 'prefetch',
    name: 'Prefetch Token',
    symbol: 'PFT',
    amount: '1000',
  });
  return { ...v, token, codeHash };
}

/** A ring of transfers users[i] → users[i+1], call indexes from `first`. */
function ring(v: Awaited<ReturnType<typeof tokenValidator>>, first: number): RunContractRequest[] {
  return transferRing(users, v.keys.ioPublicKey, v, first, (i) => String(i + 1));
}

describe('batch prefetch of the senders’ last reads', () => {
  it('replaces the mid-batch readState OCALLs with one readStateBatch, with byte-identical results', async () => {
    const frames: Crossing[] = [];
    const a = await tokenValidator();
    const b = await tokenValidator(frames);
    try {
      // Round 1 teaches both enclaves each sender's reads; round 2 repeats the ring.
      const rounds = [ring(a, 1), ring(a, 1 + users.length)];
      const oneByOne: RunContractResult[] = [];
      for (const round of rounds)
        for (const request of round) {
          const result = await a.enclave.runContract(request);
          a.host.apply(request.contract, result);
          oneByOne.push(result);
        }
      const batched: RunContractResult[] = [];
      for (const [index, round] of rounds.entries()) {
        if (index === 1) frames.length = 0; // count round 2's crossings only
        const results = await b.enclave.runContractBatch(round);
        assert.equal(results.length, round.length, `round ${index + 1} runs in one ECALL`);
        results.forEach((result, i) => b.host.apply(round[i]!.contract, result));
        batched.push(...results);
      }
      assert.deepEqual(batched, oneByOne, 'the same results, byte for byte');
      assert.deepEqual(stateOf(b), stateOf(a), 'the same encrypted store');
      assert.ok(
        batched.every((result) => result.ok),
        'every transfer succeeded',
      );
    } finally {
      for (const v of [a, b]) {
        await v.enclave.stop();
        rmSync(v.home, { recursive: true, force: true });
      }
    }
    const asked = (tag: number) =>
      frames.filter((frame) => frame.state === FrameState.OcallRequest && frame.tag === tag).length;
    assert.equal(asked(OCALL.readStateBatch), 1, 'one prefetch at the start of round 2');
    assert.equal(asked(OCALL.readState), 0, 'no slot of round 2 read one by one');
  });
});

const stateOf = (v: Awaited<ReturnType<typeof tokenValidator>>) =>
  [...v.host.state].map(([contract, slots]) => [contract, [...slots].sort()]);
