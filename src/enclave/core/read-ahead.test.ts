// The read-ahead of contract state (executor.ts, ADR 006 "As built"): a call's expected slots
// come with the runContract ECALL (client.ts) or, for queries, in one readStateBatch OCALL,
// from the host's store as it is at that ECALL. These tests pin
// what makes that safe without any confirm/revert protocol: writes the host did not keep (a
// reverted transaction, a discarded block) are never seen by the next call, a host that lies
// about its store only changes its own node's results (never leaks plaintext), and a malformed
// batch answer is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256, utf8Encode } from '../../crypto/index.js';
import { Enclave, EnclaveCallError, type Crossing, type RunContractResult } from '../index.js';
import { OCALL } from '../protocol.js';
import { FrameState } from '../boundary/channel.js';
import { sealSeed } from '../secrets/sealing.js';
import {
  contractAddress,
  contractWasm,
  makeUser,
  MemoryHost,
  openPolicy,
  tempHome,
  userCall,
  userQuery,
} from '../../../test/enclave/helpers.js';

const alice = makeUser(71);
const CANARY = 918_273_645;
const counterWasm = contractWasm('counter');

/** An enclave with a known seed (so two of them are validators of one network) over `host`. */
async function validator(host: MemoryHost, frames: Crossing[] = []) {
  const seed = sha256(utf8Encode('read-ahead seed'));
  const sealingKey = sha256(utf8Encode('read-ahead sealing key'));
  const home = tempHome();
  writeFileSync(join(home, 'sealing.key'), sealingKey, { mode: 0o600 });
  const enclave = await Enclave.start({
    home,
    genesisPolicy: openPolicy,
    services: host,
    tap: (crossing) => frames.push({ ...crossing, payload: crossing.payload.slice() }),
  });
  const keys = await enclave.start(sealSeed(seed, sealingKey));
  const counter = contractAddress('read-ahead counter');
  const codeHash = host.addCode(counterWasm);
  host.addContract(counter, codeHash);
  const init = await enclave.runContract(
    userCall(alice, keys.ioPublicKey, {
      entry: 'instantiate',
      contract: counter,
      codeHash,
      msg: { count: CANARY },
      label: 'ra',
    }).request,
  );
  host.apply(counter, init);
  let callIndex = 1;
  const increment = () =>
    enclave.runContract(
      userCall(alice, keys.ioPublicKey, {
        entry: 'execute',
        contract: counter,
        codeHash,
        msg: { increment: {} },
        callIndex: callIndex++,
      }).request,
    );
  const count = async (): Promise<number> => {
    const query = userQuery(alice, keys.ioPublicKey, counter, codeHash, { get_count: {} });
    const answer = await enclave.query(query.request);
    assert.ok(answer.ok, 'get_count answers');
    return (JSON.parse(query.open(answer.sealed)) as { count: number }).count;
  };
  return { enclave, counter, increment, count };
}

const ocalls = (frames: Crossing[], tag: number) =>
  frames.filter(
    (frame) =>
      frame.direction === 'enclave-to-host' && frame.state === FrameState.OcallRequest && frame.tag === tag,
  ).length;
const batches = (frames: Crossing[]) => ocalls(frames, OCALL.readStateBatch);
const singleReads = (frames: Crossing[]) => ocalls(frames, OCALL.readState);

function snapshot(host: MemoryHost): Map<string, Map<string, Uint8Array>> {
  return new Map([...host.state].map(([contract, slots]) => [contract, new Map(slots)]));
}

function restore(host: MemoryHost, saved: Map<string, Map<string, Uint8Array>>): void {
  host.state.clear();
  for (const [contract, slots] of saved) host.state.set(contract, new Map(slots));
}

function writesOf(result: RunContractResult): string {
  assert.ok(result.ok, 'the call succeeds');
  return JSON.stringify(
    result.writes.map((w) => [
      Buffer.from(w.diskKey).toString('hex'),
      w.blob && Buffer.from(w.blob).toString('hex'),
    ]),
  );
}

describe('state read-ahead', () => {
  it('is used, and a reverted transaction’s writes are not seen by the next call', async () => {
    const host = new MemoryHost();
    const frames: Crossing[] = [];
    const node = await validator(host, frames);
    try {
      host.apply(node.counter, await node.increment()); // kept: CANARY + 1
      const readsBefore = singleReads(frames);
      await node.increment(); // reverted by the host: its writes are never applied
      await node.increment(); // reverted too
      assert.equal(singleReads(frames), readsBefore, 'the increments read through the read-ahead only');
      assert.equal(await node.count(), CANARY + 1, 'reverted increments are not seen');
      host.apply(node.counter, await node.increment());
      assert.equal(await node.count(), CANARY + 2);
      assert.ok(batches(frames) >= 2, `the queries used the batch OCALL (${batches(frames)})`);
    } finally {
      await node.enclave.stop();
    }
  });

  it('a discarded block’s writes are not seen', async () => {
    const host = new MemoryHost();
    const node = await validator(host);
    try {
      host.apply(node.counter, await node.increment());
      const committed = snapshot(host);
      for (let i = 0; i < 3; i++) host.apply(node.counter, await node.increment()); // a block...
      assert.equal(await node.count(), CANARY + 4);
      restore(host, committed); // ...that is discarded (round change, crash before commit)
      assert.equal(await node.count(), CANARY + 1, 'the discarded block is gone');
      host.apply(node.counter, await node.increment());
      assert.equal(await node.count(), CANARY + 2, 'the next call builds on the committed state');
    } finally {
      await node.enclave.stop();
    }
  });

  it('gives byte-identical results with and without a read-ahead hit', async () => {
    // Two validators over equal stores: one has learnt the read set (warm), one has not (cold).
    const warmHost = new MemoryHost();
    const coldHost = new MemoryHost();
    const warm = await validator(warmHost);
    const cold = await validator(coldHost);
    try {
      await warm.count(); // learns the slot set of `count` (also read by increment)
      for (let i = 0; i < 3; i++) {
        const a = await warm.increment();
        const b = await cold.increment();
        assert.equal(writesOf(a), writesOf(b), `call ${i}: same writes`);
        warmHost.apply(warm.counter, a);
        coldHost.apply(cold.counter, b);
      }
    } finally {
      await warm.enclave.stop();
      await cold.enclave.stop();
    }
  });

  it('a host that lies about its store only changes its own results, and sees no plaintext', async () => {
    const honestHost = new MemoryHost();
    const liarHost = new MemoryHost();
    const frames: Crossing[] = [];
    const honest = await validator(honestHost);
    const liar = await validator(liarHost, frames);
    try {
      const first = [await honest.increment(), await liar.increment()];
      assert.equal(writesOf(first[0]!), writesOf(first[1]!), 'both honest so far');
      const before = snapshot(liarHost);
      honestHost.apply(honest.counter, first[0]!);
      liarHost.apply(liar.counter, first[1]!);
      // The liar answers from its old store (claims the first call never happened).
      const stale = snapshot(liarHost);
      restore(liarHost, before);
      const second = [await honest.increment(), await liar.increment()];
      restore(liarHost, stale);
      assert.notEqual(
        writesOf(second[0]!),
        writesOf(second[1]!),
        'the liar diverges (its app hash would too)',
      );
      // Every frame the liar saw or sent: no plaintext count, in ASCII, anywhere.
      const needle = Buffer.from(String(CANARY).slice(0, 7));
      frames.forEach((frame, i) => {
        if (frame.tag === OCALL.getCode && frame.direction === 'host-to-enclave') return; // public wasm
        assert.equal(Buffer.from(frame.payload).indexOf(needle), -1, `frame ${i} carries no plaintext`);
      });
      // An altered blob served through the read-ahead is caught like any other.
      const slots = liarHost.state.get(liar.counter)!;
      assert.ok(slots.size > 0, 'the counter has state');
      for (const [key, blob] of slots) {
        const altered = blob.slice();
        altered[altered.length - 1]! ^= 1;
        slots.set(key, altered);
      }
      const readsBefore = singleReads(frames);
      await assert.rejects(liar.increment(), (error: unknown) => {
        assert.ok(error instanceof EnclaveCallError, 'a typed refusal');
        assert.equal(error.enclaveCode, 'STATE_VALUE_TAMPERED');
        return true;
      });
      assert.equal(singleReads(frames), readsBefore, 'the altered blob came through the read-ahead');
      const query = async () => liar.count();
      await assert.rejects(query(), (error: unknown) => {
        assert.ok(error instanceof EnclaveCallError, 'a typed refusal through the batch OCALL too');
        assert.equal(error.enclaveCode, 'STATE_VALUE_TAMPERED');
        return true;
      });
    } finally {
      await honest.enclave.stop();
      await liar.enclave.stop();
    }
  });

  it('a failing store still fails the call as a typed OCALL_FAILED', async () => {
    const host = new MemoryHost();
    const node = await validator(host);
    try {
      host.apply(node.counter, await node.increment()); // the read-ahead is now known
      host.readState = () => {
        throw new Error('the store is closed');
      };
      await assert.rejects(node.increment(), (error: unknown) => {
        assert.ok(error instanceof EnclaveCallError, `a typed refusal, got ${String(error)}`);
        assert.equal(error.enclaveCode, 'OCALL_FAILED');
        return true;
      });
    } finally {
      await node.enclave.stop();
    }
  });
});
