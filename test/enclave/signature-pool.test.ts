// The enclave's signature pool (src/enclave/core/signature-pool.ts): a second thread, owned by
// the enclave worker, verifies the user signatures of a batch's later calls while earlier ones
// run. Semantics must not move at all: a batch gives the same results, refusals (codes and
// messages, in the same order) and store with the pool as in one thread; verdicts are the
// crypto layer's; the pool's thread ends when the pool (and so the enclave) stops.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  secp256k1ConvertPublicKey,
  secp256k1PublicKey,
  secp256k1Sign,
  sha256,
  utf8Encode,
} from '../../src/crypto/index.js';
import { Executor } from '../../src/enclave/core/executor.js';
import { KeyVault } from '../../src/enclave/core/keys.js';
import { SignaturePool, verifyJob } from '../../src/enclave/core/signature-pool.js';
import type { RunContractRequest } from '../../src/enclave/index.js';
import { tokenInitMsg, transferMsg } from '../helpers/token.js';
import {
  contractAddress,
  contractWasm,
  driveBatches,
  makeUser,
  MemoryHost,
  openPolicy,
  userCall,
} from './helpers.js';

/** A started pool whose thread is up (polled, 30 s at most). */
async function usablePool(): Promise<SignaturePool> {
  const pool = SignaturePool.start();
  assert.ok(pool !== null, 'the pool thread can be created');
  for (let i = 0; i < 600 && !pool.usable; i++) await sleep(50);
  assert.ok(pool.usable, 'the pool thread came up');
  return pool;
}

/** Polls until every job in `jobs` has a verdict from the pool (30 s at most). */
async function allSettled(pool: SignaturePool, jobs: number[]): Promise<void> {
  for (let i = 0; i < 600 && !jobs.every((job) => pool.settled(job)); i++) await sleep(50);
  assert.ok(
    jobs.every((job) => pool.settled(job)),
    'the pool verified every job',
  );
}

const alice = makeUser(71);
const bob = makeUser(72);
const carol = makeUser(73);

describe('signature pool', () => {
  it('gives the crypto layer’s verdicts, across batches, and refuses jobs that do not fit', async () => {
    const pool = await usablePool();
    try {
      const digest = sha256(utf8Encode('sign doc'));
      const signature = secp256k1Sign(digest, alice.privateKey);
      const flipped = signature.slice();
      flipped[10] = (flipped[10] as number) ^ 1;
      const uncompressed = secp256k1ConvertPublicKey(alice.publicKey, false);
      const garbageKey = new Uint8Array(65).fill(4);
      const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [
        ['valid, 65-byte key', digest, signature, uncompressed],
        ['valid, 33-byte key', digest, signature, alice.publicKey],
        ['flipped signature', digest, flipped, uncompressed],
        ['another digest', sha256(utf8Encode('other')), signature, uncompressed],
        ['another signer', digest, signature, secp256k1PublicKey(bob.privateKey)],
        ['a key that is no point', digest, signature, garbageKey],
      ];
      for (let round = 0; round < 3; round++) {
        pool.begin();
        const jobs = cases.map(([, d, s, k]) => pool.submit(d, s, k));
        assert.ok(
          jobs.every((job) => job !== null),
          `round ${round}: every job fits`,
        );
        await allSettled(pool, jobs);
        cases.forEach(([name, d, s, k], i) => {
          const expected = verifyJob(d, s, k);
          const inThread = () => assert.fail(`round ${round}, ${name}: the pool already has this verdict`);
          assert.equal(pool.verdict(jobs[i] as number, inThread), expected, `round ${round}, ${name}`);
        });
        pool.end();
      }
      assert.equal(verifyJob(digest, signature, uncompressed), true, 'the valid case is valid');
      assert.equal(verifyJob(digest, flipped, uncompressed), false, 'the flipped case is not');
      assert.equal(pool.counts.byPool, cases.length * 3, 'every verdict came from the pool');
      pool.begin();
      assert.equal(pool.submit(digest.subarray(1), signature, uncompressed), null, 'a 31-byte digest');
      assert.equal(pool.submit(digest, signature.subarray(1), uncompressed), null, 'a 63-byte signature');
      assert.equal(pool.submit(digest, signature, new Uint8Array(0)), null, 'an empty key');
      assert.equal(pool.submit(digest, signature, new Uint8Array(66)), null, 'a 66-byte key');
      pool.end();
    } finally {
      pool.stop();
    }
  });

  it('lets the enclave thread take jobs the pool has not started, and drops them at the batch end', async () => {
    const pool = await usablePool();
    try {
      const digest = sha256(utf8Encode('many'));
      const signature = secp256k1Sign(digest, carol.privateKey);
      const key = secp256k1ConvertPublicKey(carol.publicKey, false);
      pool.begin();
      const jobs = Array.from({ length: 400 }, () => pool.submit(digest, signature, key) as number);
      // The last job: the pool works in order, so it has most likely not started it.
      let ranHere = 0;
      const last = pool.verdict(jobs[399] as number, () => {
        ranHere++;
        return verifyJob(digest, signature, key);
      });
      assert.equal(last, true, 'the right verdict whoever computed it');
      assert.equal(pool.counts.byPool + pool.counts.inThread, 1, 'one verdict counted');
      assert.equal(ranHere, pool.counts.inThread, 'in-thread verdicts are counted as such');
      pool.end(); // drops the jobs nobody started, waits for the one in hand
      pool.begin();
      const wrong = sha256(utf8Encode('not this'));
      const job = pool.submit(wrong, signature, key) as number;
      await allSettled(pool, [job]);
      assert.equal(
        pool.verdict(job, () => assert.fail('settled')),
        false,
        'a new batch in the same slots',
      );
      pool.end();
    } finally {
      pool.stop();
    }
    assert.equal(await pool.exited, 0, 'stop() makes the pool thread return');
  });
});

/**
 * A host that holds the first state read of every pooled batch until the pool has given the
 * batch's first job a verdict (30 s at most), so the enclave thread finds at least one verdict
 * ready: "the pool gave verdicts" then does not hang on how the OS schedules the pool's thread
 * (under load it may not run at all during a short batch). Jobs are seen by wrapping the pool's
 * begin/submit/end on this one object; the verdicts and everything else are the pool's own.
 */
class PoolPacedHost extends MemoryHost {
  private firstJob: number | null = null;

  constructor(private readonly pool: SignaturePool) {
    super();
    const begin = pool.begin.bind(pool);
    const submit = pool.submit.bind(pool);
    const end = pool.end.bind(pool);
    pool.begin = () => {
      this.firstJob = null;
      begin();
    };
    // A batch refused at its first call never reads state: its job must not be waited for by
    // the next batch (a batch of one does not begin a pool batch).
    pool.end = () => {
      this.firstJob = null;
      end();
    };
    pool.submit = (digest, signature, publicKey) => {
      const job = submit(digest, signature, publicKey);
      this.firstJob ??= job;
      return job;
    };
  }

  override readState(contract: string, key: Uint8Array): Uint8Array | null {
    const job = this.firstJob;
    if (job !== null) {
      this.firstJob = null;
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (let i = 0; i < 30_000 && !this.pool.settled(job); i++) Atomics.wait(pause, 0, 0, 1);
    }
    return super.readState(contract, key);
  }
}

/**
 * Two executors over one key vault, the token instantiated in both: one with the pool, one
 * without. `paced`: the pooled one's host waits for the pool (PoolPacedHost).
 */
function twinExecutors(pool: SignaturePool, options: { paced?: boolean } = {}) {
  const vault = new KeyVault(() => new Uint8Array(32).fill(7), openPolicy, new Uint8Array(32));
  const keys = vault.bootstrap();
  vault.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
  const token = contractAddress('pool-token');
  const wasm = contractWasm('token');
  const make = (signatures: SignaturePool | null) => {
    const host =
      signatures !== null && options.paced === true ? new PoolPacedHost(signatures) : new MemoryHost();
    const executor = new Executor(vault, host, 'shroud', { signatures });
    const codeHash = host.addCode(wasm);
    host.addContract(token, codeHash);
    return { host, executor, codeHash };
  };
  const inThread = make(null);
  const pooled = make(pool);
  const init = userCall(alice, keys.ioPublicKey, {
    entry: 'instantiate',
    contract: token,
    codeHash: inThread.codeHash,
    msg: tokenInitMsg(
      [alice, bob, carol].map((user) => ({ address: user.address, amount: '1000' })),
      { name: 'Pool Token', symbol: 'POOL' },
    ),
    label: 'pool',
  }).request;
  for (const side of [inThread, pooled]) side.host.apply(token, side.executor.runContract(init));
  let callIndex = 1;
  const transfer = (from: typeof alice, to: typeof alice, amount = '1'): RunContractRequest =>
    userCall(from, keys.ioPublicKey, {
      entry: 'execute',
      contract: token,
      codeHash: inThread.codeHash,
      msg: transferMsg(to.address, amount),
      callIndex: callIndex++,
    }).request;
  return { inThread, pooled, transfer };
}

function userAuthOf(request: RunContractRequest) {
  if (request.auth.kind !== 'user') throw new Error('a user call');
  return request.auth;
}

describe('batches with the signature pool', () => {
  it('give the same results, refusals and store as verification in one thread', async () => {
    const pool = await usablePool();
    try {
      const { inThread, pooled, transfer } = twinExecutors(pool, { paced: true });
      const forged = (request: RunContractRequest): RunContractRequest => {
        const signature = userAuthOf(request).signature.slice();
        signature[5] = (signature[5] as number) ^ 1;
        return { ...request, auth: { ...userAuthOf(request), signature } };
      };
      const a1 = transfer(alice, bob);
      const a2 = transfer(alice, carol);
      const b1 = transfer(bob, carol);
      const c1 = transfer(bob, carol);
      const requests: RunContractRequest[] = [
        forged(transfer(alice, bob)), // bad signature at index 0: throws
        a1,
        b1,
        transfer(carol, alice),
        forged(transfer(bob, alice)), // bad signature later: the batch stops before it
        transfer(alice, bob),
        { ...b1, sender: alice.address }, // bob's signed call claimed for alice: SENDER_MISMATCH
        transfer(carol, bob),
        { ...a2, auth: a1.auth }, // another tx's auth: MESSAGE_MISMATCH
        transfer(bob, alice),
        { ...transfer(carol, alice), block: { ...a1.block, chainId: 'another-chain' } }, // SIGNATURE_INVALID
        transfer(alice, carol),
        { ...c1, auth: { ...userAuthOf(c1), signature: new Uint8Array(63) } }, // not pooled: SIGNATURE_INVALID
        transfer(carol, alice, '999999'), // the contract's Err: ends its batch
        ...Array.from({ length: 30 }, (_, i) =>
          transfer([alice, bob, carol][i % 3]!, [bob, carol, alice][i % 3]!),
        ),
        forged(transfer(carol, bob)),
        transfer(alice, bob),
      ];
      for (const size of [100, 7, 2]) {
        const expected = driveBatches(inThread.executor, inThread.host, requests, size);
        const before = pool.counts.byPool;
        const actual = driveBatches(pooled.executor, pooled.host, requests, size);
        assert.deepEqual(actual, expected, `batches of ${size}: the same results and refusals, in order`);
        assert.deepEqual(
          [...pooled.host.state].map(([contract, slots]) => [contract, [...slots].sort()]),
          [...inThread.host.state].map(([contract, slots]) => [contract, [...slots].sort()]),
          `batches of ${size}: the same encrypted store`,
        );
        assert.ok(pool.counts.byPool > before, `batches of ${size}: the pool gave verdicts`);
        const refusals = expected.flatMap((step) => ('refused' in step ? [step.refused] : []));
        assert.deepEqual(
          refusals,
          [
            'SIGNATURE_INVALID',
            'SIGNATURE_INVALID',
            'SENDER_MISMATCH',
            'MESSAGE_MISMATCH',
            'SIGNATURE_INVALID',
            'SIGNATURE_INVALID',
            'SIGNATURE_INVALID',
          ],
          `batches of ${size}: each bad call refused with its own code`,
        );
      }
    } finally {
      pool.stop();
    }
  });

  it('verify in one thread while the pool is not up, and for single calls', () => {
    const pool = SignaturePool.start();
    assert.ok(pool !== null, 'the pool thread can be created');
    pool.stop(); // written off before it is used: never usable
    const { inThread, pooled, transfer } = twinExecutors(pool);
    const requests = [transfer(alice, bob), transfer(bob, carol), transfer(carol, alice)];
    assert.deepEqual(
      driveBatches(pooled.executor, pooled.host, requests, 3),
      driveBatches(inThread.executor, inThread.host, requests, 3),
      'the same results',
    );
    const single = [transfer(alice, carol)];
    assert.deepEqual(
      driveBatches(pooled.executor, pooled.host, single, 1),
      driveBatches(inThread.executor, inThread.host, single, 1),
      'a batch of one',
    );
    assert.deepEqual(pool.counts, { byPool: 0, inThread: 0 }, 'the pool was never asked');
  });

  it('start a lazy pool with the first batch of two or more calls, and use it once it is up', async () => {
    const pool = SignaturePool.lazy();
    try {
      const { inThread, pooled, transfer } = twinExecutors(pool);
      const single = [transfer(alice, bob)];
      assert.deepEqual(
        driveBatches(pooled.executor, pooled.host, single, 1),
        driveBatches(inThread.executor, inThread.host, single, 1),
        'a batch of one: the same result',
      );
      assert.equal(pool.usable, false, 'a batch of one does not start the thread');
      const first = [transfer(alice, bob), transfer(bob, carol), transfer(carol, alice)];
      assert.deepEqual(
        driveBatches(pooled.executor, pooled.host, first, 3),
        driveBatches(inThread.executor, inThread.host, first, 3),
        'the first batch: the same results',
      );
      assert.deepEqual(
        pool.counts,
        { byPool: 0, inThread: 0 },
        'the first batch ran before the thread was up',
      );
      for (let i = 0; i < 600 && !pool.usable; i++) await sleep(50);
      assert.ok(pool.usable, 'the thread came up after the first batch asked for it');
      const later = [transfer(alice, carol), transfer(bob, alice), transfer(carol, bob)];
      assert.deepEqual(
        driveBatches(pooled.executor, pooled.host, later, 3),
        driveBatches(inThread.executor, inThread.host, later, 3),
        'the same results with the pool',
      );
      assert.ok(pool.counts.byPool + pool.counts.inThread === 2, 'calls 1 and 2 went through the pool');
    } finally {
      pool.stop();
    }
    assert.equal(await pool.exited, 0, 'stop() makes the pool thread return');
  });

  it('stops with the enclave: after enclave.stop() the process exits by itself', async () => {
    const helpers = new URL('./helpers.ts', import.meta.url).href;
    const token = new URL('../helpers/token.ts', import.meta.url).href;
    // A batch through a real enclave worker (which starts its pool), then stop(): no process.exit,
    // so the process ends only if no thread (enclave, pool) is left holding it.
    const script = `
      import { knownSeedEnclave, contractAddress, contractWasm, makeUser, userCall } from ${JSON.stringify(helpers)};
      import { tokenInitMsg, transferMsg } from ${JSON.stringify(token)};
      const v = await knownSeedEnclave('pool-stop');
      const a = makeUser(81), b = makeUser(82);
      const token = contractAddress('pool-stop-token');
      const codeHash = v.host.addCode(contractWasm('token'));
      v.host.addContract(token, codeHash);
      await v.enclave.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
      const call = (user, msg, extra) => userCall(user, v.keys.ioPublicKey, { contract: token, codeHash, msg, ...extra }).request;
      v.host.apply(token, await v.enclave.runContract(call(a, tokenInitMsg([{ address: a.address, amount: '100' }, { address: b.address, amount: '100' }]), { entry: 'instantiate', label: 't' })));
      // The first batch starts the (lazy) pool; later ones most likely use it.
      let results = [];
      for (let round = 0; round < 15; round++) {
        const requests = Array.from({ length: 20 }, (_, i) => call(i % 2 ? b : a, transferMsg((i % 2 ? a : b).address, '1'), { entry: 'execute', callIndex: round * 20 + i + 1 }));
        results = await v.enclave.runContractBatch(requests);
        for (const result of results) v.host.apply(token, result);
      }
      const started = performance.now();
      await v.enclave.stop();
      console.log(JSON.stringify({ ran: results.length, ok: results.every((r) => r.ok), stopMs: performance.now() - started }));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    assert.equal(
      code,
      0,
      `the process exits by itself after enclave.stop() (stderr: ${stderr.slice(0, 500)})`,
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      ran?: number;
      ok?: boolean;
      stopMs?: number;
    };
    assert.equal(report.ran, 20, 'the batch ran whole');
    assert.equal(report.ok, true, 'every transfer succeeded');
    // The host terminates an enclave worker that has not ended 2 s after shutdown: a pool left
    // running would keep it alive until then.
    assert.ok((report.stopMs ?? Infinity) < 1_900, `the enclave ended on its own (${report.stopMs} ms)`);
  });
});
