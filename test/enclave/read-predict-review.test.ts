// Adversarial review of the read predictor (src/enclave/core/read-predictor.ts, the prefetch in
// Executor.runBatch; ADR 006 "Read predictor"). Its claim: a prediction is only a list of slots
// to fetch, so no response, gas figure, write set or store can change, on any node, whatever the
// templates hold. These tests attack that claim: validators whose predictors differ (cold after
// a restart, warm, poisoned with wrong templates, cleared at the bound, off) run the same blocks
// (failures, out of gas, write-then-read in one batch, deletes, two contracts, self-payment, odd
// and many addresses, pipelined speculative batches) and must agree byte for byte with one-by-one
// execution; a hostile host answers readStateBatch wrongly or throws; no plaintext key or
// address reaches an OCALL; the predictor's work and memory stay bounded on hostile messages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { bytesToHex, decodeBech32WithPrefix, utf8Encode } from '../../src/crypto/index.js';
import type { ResponseFinalizeBlock } from '../../src/app/index.js';
import { Executor } from '../../src/enclave/core/executor.js';
import { KeyVault } from '../../src/enclave/core/keys.js';
import {
  PREDICTOR_MAX_TEMPLATES,
  ReadPredictor,
  TEMPLATE_MAX_KEY_BYTES,
} from '../../src/enclave/core/read-predictor.js';
import { EnclaveError } from '../../src/enclave/errors.js';
import { contractStateKey, diskKey } from '../../src/enclave/secrets/state-encryption.js';
import type { RunContractRequest, RunContractResult } from '../../src/enclave/index.js';
import { tokenInitMsg, transferMsg } from '../helpers/token.js';
import { contractWat, wat2wasm } from '../vm-runtime/wat.js';
import {
  genesisJson,
  initChain,
  instantiateTokens,
  makeUser as appUser,
  openChainCopies,
  openNode,
  runBlock,
  storeCodes,
  tempDir,
  tokenTransferTx,
  type Node,
  type User as AppUser,
} from '../app/helpers.js';
import {
  contractAddress,
  contractWasm,
  driveBatches,
  makeUser,
  MemoryHost,
  openPolicy,
  userCall,
  type BatchStep,
  canonicalAddress,
  tokenStorageKey,
} from './helpers.js';

const PREFIX = 'shroud';
const keyOf = tokenStorageKey;
const canonicalOf = (address: string) => canonicalAddress(address, PREFIX);

/** What a hostile host does to a readStateBatch answer (the honest blobs given). */
type BatchAnswer = (
  contract: string,
  diskKeys: readonly Uint8Array[],
  honest: (Uint8Array | null)[],
  call: number,
) => (Uint8Array | null)[];

/** A MemoryHost with readStateBatch, counting crossings and recording every OCALL argument. */
class ReviewHost extends MemoryHost {
  singles = 0;
  batchCalls = 0;
  /** Every disk key asked for through readStateBatch, as hex. */
  readonly batchAsked: string[] = [];
  /** Every argument of every state OCALL (contract address text, disk key bytes). */
  readonly ocallArgs: (string | Uint8Array)[] = [];
  /** A hostile readStateBatch (null: honest); `singleAnswer` the same for readState. */
  batchAnswer: BatchAnswer | null = null;
  singleAnswer: ((diskKey: Uint8Array, honest: Uint8Array | null) => Uint8Array | null) | null = null;

  override readState(contract: string, diskKey: Uint8Array): Uint8Array | null {
    this.singles++;
    this.ocallArgs.push(contract, diskKey);
    const honest = super.readState(contract, diskKey);
    return this.singleAnswer === null ? honest : this.singleAnswer(diskKey, honest);
  }

  readStateBatch(contract: string, diskKeys: readonly Uint8Array[]): (Uint8Array | null)[] {
    const call = this.batchCalls++;
    this.ocallArgs.push(contract, ...diskKeys);
    for (const diskKey of diskKeys) this.batchAsked.push(bytesToHex(diskKey));
    const honest = diskKeys.map((diskKey) => super.readState(contract, diskKey));
    return this.batchAnswer === null ? honest : this.batchAnswer(contract, diskKeys, honest, call);
  }
}

/** The executor's private predictor (tests only: to poison or watch it). */
const predictorOf = (executor: Executor): ReadPredictor =>
  (executor as unknown as { predictor: ReadPredictor }).predictor;

const users = Array.from({ length: 14 }, (_, i) => makeUser(700 + i));
const TOGGLE_KEY = 'T'.charCodeAt(0);

/**
 * One network (one vault) and a way to make its validators: each its own ReviewHost with the
 * codes and two tokens (users 0…5 hold 1000 of each), and a "toggle" contract whose execute
 * deletes key T when present and writes it when absent (a delete that a later read must see).
 */
async function network() {
  const vault = new KeyVault(() => new Uint8Array(32).fill(23), openPolicy, new Uint8Array(32));
  const keys = vault.bootstrap();
  vault.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
  const tokens = [contractAddress('review-a'), contractAddress('review-b')] as const;
  const toggle = contractAddress('review-toggle');
  const tokenWasm = contractWasm('token');
  const toggleWasm = await wat2wasm(
    contractWat({
      execute: `(if (i32.eqz (call $db_read (call $key (i32.const ${TOGGLE_KEY}))))
        (then (call $save (i32.const ${TOGGLE_KEY}) (call $blob1)))
        (else (call $db_remove (call $key (i32.const ${TOGGLE_KEY})))))
        (call $ok)`,
      blobs: ['on'],
    }),
  );
  const template = new ReviewHost();
  const codeHash = template.addCode(tokenWasm);
  const toggleHash = template.addCode(toggleWasm);
  const inits = tokens.map(
    (token, i) =>
      userCall(users[0]!, keys.ioPublicKey, {
        entry: 'instantiate',
        contract: token,
        codeHash,
        msg: tokenInitMsg(
          users.slice(0, 6).map((user) => ({ address: user.address, amount: '1000' })),
          { name: `Review ${i}`, symbol: `RV${'AB'[i]}` },
        ),
        label: `review ${i}`,
      }).request,
  );
  /** A validator: a host with the genesis state and an executor (predictor on unless told). */
  const validator = (readPredictor = true) => {
    const host = new ReviewHost();
    host.addCode(tokenWasm);
    host.addCode(toggleWasm);
    for (const token of tokens) host.addContract(token, codeHash);
    host.addContract(toggle, toggleHash);
    const node = { host, executor: new Executor(vault, host, PREFIX, { readPredictor }) };
    for (const [i, init] of inits.entries()) host.apply(tokens[i] as string, node.executor.runContract(init));
    return node;
  };
  let callIndex = 1;
  const call = (from: number, contract: string, msg: unknown, gasLimit?: bigint): RunContractRequest => {
    const request = userCall(users[from]!, keys.ioPublicKey, {
      entry: 'execute',
      contract,
      codeHash: contract === toggle ? toggleHash : codeHash,
      msg,
      callIndex: callIndex++,
    }).request;
    return gasLimit === undefined ? request : { ...request, gasLimit };
  };
  const transfer = (token: string, from: number, to: number, amount = '1') =>
    call(from, token, transferMsg(users[to]!.address, amount));
  /** The disk key (hex) of a plaintext key of a contract: the test's window on the secrets. */
  const slotOf = (contract: string, key: string) =>
    bytesToHex(
      diskKey(
        contractStateKey(vault.secrets.stateKeyMaterial, decodeBech32WithPrefix(contract, PREFIX)),
        Buffer.from(key, 'latin1'),
      ),
    );
  return { vault, keys, tokens, toggle, validator, call, transfer, slotOf };
}

/** Every result of the steps, in order (refusals as their code). */
const flat = (steps: BatchStep[]): (RunContractResult | string)[] =>
  steps.flatMap((step): (RunContractResult | string)[] => ('ran' in step ? step.ran : [step.refused]));
const gasOf = (outcomes: (RunContractResult | string)[]) =>
  outcomes.map((outcome) => (typeof outcome === 'string' ? outcome : outcome.gasUsed));
const storeOf = (host: MemoryHost) =>
  [...host.state].map(([contract, slots]) => [contract, [...slots].sort()]).sort();

describe('read predictor review: validators with different predictors agree', () => {
  it('cold, restarted, warm, poisoned, cleared-at-the-bound and off all equal one by one, gas included', async () => {
    const net = await network();
    const [a, b] = net.tokens;
    const single = net.validator(false);
    const sides = {
      off: net.validator(false),
      warm: net.validator(true),
      cold: net.validator(true),
      poisoned: net.validator(true),
      bound: net.validator(true),
    };
    // A transfer's gas, to give one call too little (out of gas after its first reads).
    const probe = net.validator(false);
    const probed = probe.executor.runContract(net.transfer(a, 0, 1));
    assert.ok(probed.ok, 'the probe transfer succeeds');
    const tight = (probed.gasUsed * 2n) / 3n;
    const huge = `${PREFIX}1${'q'.repeat(3000)}`;
    const many = Array.from({ length: 12 }, (_, i) => users[i % users.length]!.address);
    const blocks: RunContractRequest[][] = [
      // First-time senders and recipients, and a chain: 0→6, 6→7, 7→8 (each new recipient then
      // sends in the same batch: its balance is in the overlay and, for a cold predictor, also
      // fetched late from the store before the batch, where it is absent).
      [
        net.transfer(a, 0, 6, '50'),
        net.transfer(a, 6, 7, '20'),
        net.transfer(a, 7, 8, '10'),
        net.transfer(a, 1, 9),
        net.transfer(b, 2, 10),
        net.transfer(b, 10, 11),
      ],
      // Failure mid-batch, out of gas, self-payment, both contracts, odd and many addresses.
      [
        net.transfer(a, 1, 2),
        net.transfer(a, 3, 12, '999999'),
        net.transfer(b, 4, 4),
        net.call(5, a, transferMsg(users[13]!.address, '3'), tight),
        net.transfer(a, 8, 1, '2'),
        net.call(2, a, transferMsg(huge, '1')),
        net.call(3, b, { transfer: { recipient: users[6]!.address, amount: '1', memo: many.join(' ') } }),
        net.call(4, b, { transfer: { recipient: users[7]!.address, amount: '1', also: many } }),
        net.call(1, a, { transfer: { recipient: `"${PREFIX}1"`, amount: '1' } }),
        net.transfer(b, 11, 2),
        net.transfer(a, 9, 0),
      ],
      // Deletes: the toggle writes, deletes, writes… key T; a read after a delete must see it gone.
      [
        net.call(0, net.toggle, { flip: {} }),
        net.call(1, net.toggle, { flip: {} }),
        net.transfer(a, 2, 3),
        net.call(2, net.toggle, { flip: {} }),
        net.call(3, net.toggle, { flip: {} }),
        net.call(4, net.toggle, { flip: {} }),
      ],
      // Known senders again, everything warm.
      Array.from({ length: 8 }, (_, i) => net.transfer(i % 2 === 0 ? a : b, i, (i + 3) % 12)),
    ];
    const poison = (executor: Executor) => {
      const predictor = predictorOf(executor);
      // Templates that predict the slots the batch's calls write (stale blobs for every later
      // read), every holder's balance, keys with the roles swapped, junk, and the toggle's key.
      const everyone = users.map((user) => keyOf('balances', user.address));
      for (const token of net.tokens) {
        predictor.learn(
          token,
          'execute',
          users[0]!.address,
          utf8Encode(JSON.stringify(transferMsg(users[1]!.address, '1'))),
          [keyOf('balances', users[1]!.address), keyOf('balances', users[0]!.address), 'junk', ...everyone],
        );
      }
      predictor.learn(net.toggle, 'execute', users[0]!.address, utf8Encode('{"flip":{}}'), ['T', 'U']);
    };
    const nearBound = (executor: Executor) => {
      // One short of the bound: the first template the batch creates clears them all.
      const predictor = predictorOf(executor);
      for (let i = predictor.size; i < PREDICTOR_MAX_TEMPLATES - 1; i++)
        predictor.learn(net.toggle, 'execute', users[0]!.address, utf8Encode(`{"v${i}":{}}`), ['T']);
    };
    const seen = { outOfGas: 0, failed: 0, deleted: 0 };
    for (const [index, requests] of blocks.entries()) {
      const expected = flat(driveBatches(single.executor, single.host, requests, 1));
      for (const outcome of expected) {
        if (typeof outcome === 'string') continue;
        if (!outcome.ok && outcome.error.kind === 'vm' && outcome.error.code === 'OUT_OF_GAS')
          seen.outOfGas++;
        if (!outcome.ok) seen.failed++;
        else if (outcome.writes.some((write) => write.blob === null)) seen.deleted++;
      }
      // A restart: the same store, a new executor (no templates, no caches).
      sides.cold.executor = new Executor(net.vault, sides.cold.host, PREFIX);
      poison(sides.poisoned.executor);
      nearBound(sides.bound.executor);
      for (const [name, side] of Object.entries(sides)) {
        const got = flat(driveBatches(side.executor, side.host, requests, 64));
        if (name === 'bound' && index === 0)
          assert.ok(
            predictorOf(side.executor).size < PREDICTOR_MAX_TEMPLATES - 1,
            `the bound side's templates were cleared mid-batch (${predictorOf(side.executor).size} left)`,
          );
        assert.deepEqual(
          gasOf(got),
          gasOf(expected),
          `block ${index + 1}, ${name}: the same gas used, call by call`,
        );
        assert.deepEqual(got, expected, `block ${index + 1}, ${name}: results = one by one, byte for byte`);
        assert.deepEqual(
          storeOf(side.host),
          storeOf(single.host),
          `block ${index + 1}, ${name}: the same store`,
        );
      }
    }
    assert.deepEqual(
      { outOfGas: seen.outOfGas > 0, failed: seen.failed > 1, deleted: seen.deleted > 1 },
      { outOfGas: true, failed: true, deleted: true },
      `the blocks hold an out-of-gas call, failures and deletes (${JSON.stringify(seen)})`,
    );
    // The comparison above is only worth something if the predictor did prefetch: reads that
    // were readState OCALLs without it were prefetch hits with it, at the same gas.
    assert.ok(
      sides.warm.host.singles * 2 < sides.off.host.singles,
      `prefetch hits: ${sides.warm.host.singles} readState with the predictor, ${sides.off.host.singles} without`,
    );
  });
});

/**
 * As the app pipelines a block (ADR 006 "Pipelined batches"): a batch that ran every call and
 * left nothing for the host names the next batch's `after`, and the host applies its results
 * only after that speculative batch ran (its store is the one before the previous batch while
 * the speculative batch reads it); any other batch waits for the host to apply first.
 * @returns every outcome in order, and how many batches ran speculatively.
 */
function drivePipelined(
  executor: Executor,
  host: MemoryHost,
  requests: readonly RunContractRequest[],
  size: number,
): { outcomes: (RunContractResult | string)[]; speculative: number } {
  const outcomes: (RunContractResult | string)[] = [];
  let pending: { requests: readonly RunContractRequest[]; results: RunContractResult[] } | null = null;
  let previous = 0;
  let id = 0;
  let speculative = 0;
  const applyPending = () => {
    if (pending === null) return;
    const { requests: sent, results } = pending;
    results.forEach((result, i) => host.apply((sent[i] as RunContractRequest).contract, result));
    pending = null;
  };
  let rest = requests;
  while (rest.length > 0) {
    const slice = rest.slice(0, size);
    id++;
    let results: RunContractResult[];
    try {
      results = executor.runBatch(slice, [], { id, after: previous }).results;
      if (previous !== 0) speculative++;
    } catch (error) {
      assert.ok(error instanceof EnclaveError, `only refusals throw: ${String(error)}`);
      if (previous !== 0) {
        // The speculation was refused: the host applies, then resends without it.
        applyPending();
        previous = 0;
        continue;
      }
      outcomes.push(error.code);
      rest = rest.slice(1);
      continue;
    }
    if (results.length === 0) {
      applyPending();
      previous = 0;
      continue;
    }
    applyPending();
    outcomes.push(...results);
    const clean = results.length === slice.length && results.every((r) => r.ok && r.messages.length === 0);
    if (clean) {
      pending = { requests: slice, results };
      previous = id;
    } else {
      results.forEach((result, i) => host.apply((slice[i] as RunContractRequest).contract, result));
      previous = 0;
    }
    rest = rest.slice(results.length);
  }
  applyPending();
  return { outcomes, speculative };
}

describe('read predictor review: pipelined speculative batches', () => {
  it('a speculative batch whose late prefetch reads slots the batch before it wrote equals one by one', async () => {
    const net = await network();
    const [a, b] = net.tokens;
    const single = net.validator(false);
    const sides = { off: net.validator(false), cold: net.validator(true), warm: net.validator(true) };
    // Warm one validator on other transfers first (same history everywhere).
    const warmUp = [net.transfer(a, 5, 4), net.transfer(b, 4, 5)];
    for (const side of [single, ...Object.values(sides)]) driveBatches(side.executor, side.host, warmUp, 1);
    sides.cold.executor = new Executor(net.vault, sides.cold.host, PREFIX); // restarted: no templates
    // Batches of 2: each batch's recipients send in the next batch, which runs speculatively
    // while the host has not applied the batch before; a failure in the middle ends a chain.
    const requests = [
      net.transfer(a, 0, 6, '40'),
      net.transfer(b, 1, 7, '40'),
      net.transfer(a, 6, 8, '30'),
      net.transfer(b, 7, 9, '30'),
      // The toggle's first call ever teaches its template: for a cold predictor the second call's
      // slot T comes in the late readStateBatch, after the first call wrote it (overlay wins).
      net.call(2, net.toggle, { flip: {} }),
      net.call(3, net.toggle, { flip: {} }),
      // T is in the kept overlay of the batch before, the host's store still lacks it.
      net.transfer(a, 8, 10, '20'),
      net.call(4, net.toggle, { flip: {} }),
      net.transfer(b, 9, 11, '999'),
      net.transfer(b, 9, 11, '20'),
      net.transfer(a, 10, 12, '10'),
      net.transfer(b, 11, 13, '10'),
      net.transfer(a, 12, 0, '5'),
      net.transfer(b, 13, 0, '5'),
    ];
    const expected = flat(driveBatches(single.executor, single.host, requests, 1));
    for (const [name, side] of Object.entries(sides)) {
      const { outcomes, speculative } = drivePipelined(side.executor, side.host, requests, 2);
      assert.ok(speculative >= 3, `${name}: batches ran speculatively (${speculative})`);
      assert.deepEqual(gasOf(outcomes), gasOf(expected), `${name}: the same gas, call by call`);
      assert.deepEqual(outcomes, expected, `${name}: pipelined = one by one, byte for byte`);
      assert.deepEqual(storeOf(side.host), storeOf(single.host), `${name}: the same store`);
    }
    assert.ok(sides.cold.host.batchCalls > 0, 'the cold predictor fetched in batches');
  });
});

describe('read predictor review: a hostile or failing host', () => {
  /** A block of first-time senders and recipients after one warm-up transfer (a template). */
  const firstTimers = (net: Awaited<ReturnType<typeof network>>) => {
    const [a, b] = net.tokens;
    return {
      warmUp: [net.transfer(a, 5, 13), net.transfer(b, 5, 13)],
      block: [
        net.transfer(a, 0, 6, '9'),
        net.transfer(a, 1, 7, '9'),
        net.transfer(a, 6, 8, '3'),
        net.transfer(b, 2, 9, '9'),
        net.transfer(b, 3, 10, '9'),
        net.transfer(a, 4, 11, '9'),
      ],
    };
  };

  /** Runs warm-up one by one and the block in batches on a predictor validator with `hostile`. */
  async function againstOneByOne(
    hostile: (
      side: { host: ReviewHost; executor: Executor },
      net: Awaited<ReturnType<typeof network>>,
    ) => void,
    restart = false,
  ) {
    const net = await network();
    const { warmUp, block } = firstTimers(net);
    const single = net.validator(false);
    const side = net.validator(true);
    for (const v of [single, side]) driveBatches(v.executor, v.host, warmUp, 1);
    if (restart) side.executor = new Executor(net.vault, side.host, PREFIX);
    hostile(side, net);
    const expected = flat(driveBatches(single.executor, single.host, block, 1));
    const got = flat(driveBatches(side.executor, side.host, block, 64));
    return { expected, got, single, side, net };
  }

  for (const [name, answer] of [
    ['one blob short', (_c, _k, honest) => honest.slice(0, -1)],
    ['empty', () => []],
    ['one blob too many, in front', (_c, _k, honest) => [null, ...honest]],
  ] as [string, BatchAnswer][]) {
    it(`a readStateBatch answer of the wrong length (${name}) changes no result`, async () => {
      const { expected, got, side, single } = await againstOneByOne(({ host }) => {
        host.batchAnswer = answer;
      });
      assert.ok(side.host.batchCalls > 0, 'the predictor asked for slots in a batch');
      assert.deepEqual(got, expected, `${name}: results = one by one`);
      assert.deepEqual(storeOf(side.host), storeOf(single.host), `${name}: the same store`);
    });
  }

  it("a single call's read-ahead answer of the wrong length is no read-ahead, not absent slots", async () => {
    const net = await network();
    const [a] = net.tokens;
    const honest = net.validator(false);
    const short = net.validator(false);
    short.host.batchAnswer = () => [];
    // Calls through runContract without a host read-ahead: the executor asks for the slots the
    // contract's previous call read in one readStateBatch (storageFor) before the call.
    const calls = [net.transfer(a, 0, 1, '5'), net.transfer(a, 1, 2, '7'), net.transfer(a, 2, 0, '9')];
    for (const [i, call] of calls.entries()) {
      const want = honest.executor.runContract(call);
      const got = short.executor.runContract(call);
      honest.host.apply(a, want);
      short.host.apply(a, got);
      assert.deepEqual(got, want, `call ${i}: the same result`);
    }
    assert.ok(short.host.batchCalls > 0, 'the read-ahead was asked for');
    assert.deepEqual(storeOf(short.host), storeOf(honest.host), 'the same store');
  });

  it('a readStateBatch that throws (at the start, or only the late one) costs only the prefetch', async () => {
    for (const [name, from, restart] of [
      ['every one', 0, false],
      ['the late one after a restart', 1, true],
    ] as const) {
      let thrown = 0;
      const { expected, got, side, single } = await againstOneByOne(({ host }) => {
        host.batchAnswer = (_c, _k, honest, call) => {
          if (call < from) return honest;
          thrown++;
          throw new Error('host: readStateBatch failed');
        };
      }, restart);
      assert.ok(thrown > 0, `${name}: the host threw`);
      assert.deepEqual(got, expected, `${name}: results = one by one`);
      assert.deepEqual(storeOf(side.host), storeOf(single.host), `${name}: the same store`);
    }
  });

  it('a wrong blob for a predicted slot the call never reads changes nothing', async () => {
    const { expected, got, side, single, net } = await againstOneByOne(({ host, executor }, net) => {
      // Poison: every transfer template also predicts 'junk', whose blob the host garbles.
      for (const token of net.tokens) {
        predictorOf(executor).learn(
          token,
          'execute',
          users[5]!.address,
          utf8Encode(JSON.stringify(transferMsg(users[13]!.address, '1'))),
          [keyOf('balances', users[5]!.address), keyOf('balances', users[13]!.address), 'junk'],
        );
      }
      const junk = new Set(net.tokens.map((token) => net.slotOf(token, 'junk')));
      host.batchAnswer = (_c, diskKeys, honest) =>
        honest.map((blob, i) =>
          junk.has(bytesToHex(diskKeys[i] as Uint8Array)) ? new Uint8Array(60).fill(7) : blob,
        );
    });
    assert.ok(
      side.host.batchAsked.includes(net.slotOf(net.tokens[0], 'junk')),
      'the junk slot was asked for',
    );
    assert.deepEqual(got, expected, 'results = one by one');
    assert.deepEqual(storeOf(side.host), storeOf(single.host), 'the same store');
  });
});

describe('read predictor review: a wrong blob for a slot the call reads', () => {
  it('fails the call exactly as the same wrong blob through readState does', async () => {
    const net = await network();
    const [a] = net.tokens;
    const warmUp = [net.transfer(a, 5, 13)];
    // Not user 0: its instantiate read every holder's balance (prefetch by sender, predictor off too).
    const block = [net.transfer(a, 1, 6, '9'), net.transfer(a, 2, 7, '9'), net.transfer(a, 3, 8, '9')];
    // User 2's balance: through the predictor's readStateBatch on one side, through readState
    // (no predictor, user 2 never seen) on the other; both hosts garble it the same way.
    const target = net.slotOf(a, keyOf('balances', users[2]!.address));
    const garble = (key: Uint8Array, blob: Uint8Array | null) =>
      bytesToHex(key) === target && blob !== null
        ? Uint8Array.from(blob, (byte, i) => (i === blob.length - 1 ? byte ^ 1 : byte))
        : blob;
    const batched = net.validator(true);
    const single = net.validator(false);
    for (const v of [batched, single]) driveBatches(v.executor, v.host, warmUp, 1);
    batched.host.batchAnswer = (_c, keys, honest) =>
      honest.map((blob, i) => garble(keys[i] as Uint8Array, blob));
    single.host.singleAnswer = garble;
    const viaBatch = driveBatches(batched.executor, batched.host, block, 64);
    const viaSingle = driveBatches(single.executor, single.host, block, 64);
    assert.ok(batched.host.batchAsked.includes(target), 'the garbled slot came through readStateBatch');
    assert.ok(
      flat(viaSingle).includes('STATE_VALUE_TAMPERED'),
      `the wrong blob is refused (${JSON.stringify(flat(viaSingle).map((o) => (typeof o === 'string' ? o : o.ok)))})`,
    );
    assert.deepEqual(flat(viaBatch), flat(viaSingle), 'the same outcomes, refusal codes included');
    assert.deepEqual(storeOf(batched.host), storeOf(single.host), 'the same store');
  });
});

describe('read predictor review: secrecy', () => {
  it('state OCALLs carry only the called contract and 32-byte disk keys, never a plaintext key or address', async () => {
    const net = await network();
    const [a, b] = net.tokens;
    const side = net.validator(true);
    const huge = `${PREFIX}1${'q'.repeat(500)}`;
    const blocks = [
      [
        net.transfer(a, 0, 6),
        net.transfer(a, 1, 7),
        net.transfer(b, 2, 8),
        net.call(3, a, transferMsg(huge, '1')),
      ],
      [
        net.transfer(a, 6, 9),
        net.transfer(b, 8, 10),
        net.call(4, net.toggle, { flip: {} }),
        net.transfer(a, 7, 11),
      ],
    ];
    for (const requests of blocks) driveBatches(side.executor, side.host, requests, 64);
    assert.ok(side.host.batchCalls > 0, 'the predictor fetched in batches');
    const contracts = new Set<string>([...net.tokens, net.toggle]);
    const secrets = users.flatMap((user) => [
      Buffer.from(user.address, 'latin1'),
      Buffer.from(canonicalOf(user.address) as Uint8Array),
    ]);
    secrets.push(Buffer.from(huge, 'latin1'), Buffer.from('balances', 'latin1'));
    for (const [i, arg] of side.host.ocallArgs.entries()) {
      if (typeof arg === 'string') {
        assert.ok(contracts.has(arg), `OCALL argument ${i}: only a called contract's address`);
        continue;
      }
      assert.equal(arg.length, 32, `OCALL argument ${i}: a 32-byte disk key`);
      const bytes = Buffer.from(arg);
      for (const secret of secrets)
        assert.equal(
          bytes.indexOf(secret.subarray(0, 8)),
          -1,
          `OCALL argument ${i}: no plaintext key or address`,
        );
    }
  });
});

describe('read predictor review: only signed calls are predicted', () => {
  it('a request whose signature does not verify does not make the enclave ask for the slots its message names', async () => {
    const net = await network();
    const [a] = net.tokens;
    const side = net.validator(true);
    driveBatches(side.executor, side.host, [net.transfer(a, 5, 13)], 1); // teaches the template
    const victim = users[12]!.address; // never sent, never received
    const victimSlot = net.slotOf(a, keyOf('balances', victim));
    const real = net.transfer(a, 1, 6);
    const forged = net.call(3, a, transferMsg(victim, '1'));
    const signature = Uint8Array.from((forged.auth as { signature: Uint8Array }).signature);
    signature[5]! ^= 1;
    const unsigned = { ...forged, auth: { ...forged.auth, signature } } as RunContractRequest;
    const steps = driveBatches(side.executor, side.host, [real, unsigned], 64);
    assert.deepEqual(
      flat(steps)
        .slice(1)
        .map((o) => (typeof o === 'string' ? o : 'ran')),
      ['SIGNATURE_INVALID'],
      'the unsigned request is refused',
    );
    assert.ok(
      !side.host.batchAsked.includes(victimSlot),
      "the host learned the disk key of the victim's balance from a request nobody signed",
    );
    // The same request, signed: its recipient's slot is predicted (the call reads it anyway).
    const signed = net.call(4, a, transferMsg(users[11]!.address, '1'));
    driveBatches(side.executor, side.host, [net.transfer(a, 2, 7), signed], 64);
    assert.ok(
      side.host.batchAsked.includes(net.slotOf(a, keyOf('balances', users[11]!.address))),
      "a signed call's recipient slot is still prefetched",
    );
  });
});

describe('read predictor review: bounds on hostile messages', () => {
  const token = contractAddress('review-bounds');
  const [s1, r1, s2] = [users[0]!.address, users[1]!.address, users[2]!.address];
  const msg = (value: unknown) => utf8Encode(JSON.stringify(value));

  it('no predicted key is longer than a learned key may be, whatever the message addresses', () => {
    const predictor = new ReadPredictor(PREFIX, canonicalOf);
    // A key holding the recipient five times (as a contract may build it): ≤ 256 bytes learned.
    const fives = (address: string) => `r/${address}${address}${address}${address}${address}`;
    predictor.learn(token, 'execute', s1, msg({ transfer: { recipient: r1, amount: '1' } }), [
      keyOf('balances', s1),
      keyOf('balances', r1),
      fives(r1),
    ]);
    assert.ok(fives(r1).length <= TEMPLATE_MAX_KEY_BYTES, 'the learned key is within the bound');
    // bech32 characters only, no checksum: the text form of an "address" up to the scan bound.
    const huge = `${PREFIX}1${'q'.repeat(4000)}`;
    const predicted = predictor.predict(
      token,
      'execute',
      s2,
      msg({ transfer: { recipient: huge, amount: '1' } }),
    );
    assert.ok(
      predicted !== null && predicted.includes(keyOf('balances', s2)),
      'the sender key is still predicted',
    );
    const longest = Math.max(...(predicted ?? []).map((key) => key.length));
    assert.ok(
      longest <= TEMPLATE_MAX_KEY_BYTES,
      `predicted keys stay within TEMPLATE_MAX_KEY_BYTES (longest ${longest}): each is HMACed and kept in the SlotCache`,
    );
  });

  it('scans only a message prefix: addresses past it are not put in, however long the message', () => {
    const predictor = new ReadPredictor(PREFIX, canonicalOf);
    predictor.learn(token, 'execute', s1, msg({ transfer: { recipient: r1, amount: '1' } }), [
      keyOf('balances', s1),
      keyOf('balances', r1),
    ]);
    // 8 MB of quoted address-like strings before the recipient: the scan stops at its bound.
    const filler = Array.from({ length: 200_000 }, (_, i) => `${PREFIX}1${'q'.repeat(30)}${'ac'[i % 2]}`);
    const big = msg({ transfer: { pad: filler, recipient: users[3]!.address, amount: '1' } });
    assert.ok(big.length > 8_000_000, 'the message is large');
    const started = process.cpuUsage();
    const predicted = predictor.predict(token, 'execute', s2, big);
    const cpu = process.cpuUsage(started);
    assert.deepEqual(
      predicted,
      [keyOf('balances', s2), keyOf('balances', filler[0] as string)],
      'the recipient is beyond the scan; the first address-like string takes its place',
    );
    assert.ok(cpu.user + cpu.system < 500_000, `one prediction: ${cpu.user + cpu.system} µs CPU`);
  });

  it('a batch whose every call teaches a new template makes a bounded number of predictions', async () => {
    const net = await network();
    const side = net.validator(true);
    const predictor = predictorOf(side.executor);
    const predict = predictor.predict.bind(predictor);
    let predictions = 0;
    predictor.predict = (...args: Parameters<ReadPredictor['predict']>) => {
      predictions++;
      return predict(...args);
    };
    // Every call a new message variant of the toggle (which accepts any message): each one
    // creates a template that the later calls lack, so each could start a late prefetch scan.
    const n = 256;
    const requests = Array.from({ length: n }, (_, i) => net.call(i % 6, net.toggle, { [`v${i}`]: {} }));
    const started = process.cpuUsage();
    const steps = driveBatches(side.executor, side.host, requests, n);
    const cpu = process.cpuUsage(started);
    assert.equal(
      flat(steps).filter((o) => typeof o !== 'string' && o.ok).length,
      n,
      'every call ran and succeeded',
    );
    assert.ok(
      predictions <= 8 * n,
      `predictions: ${predictions} for ${n} calls (${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU): linear, not n²/2`,
    );
  });
});

describe('read predictor review: chain copies, one restarted before every block', () => {
  const people: AppUser[] = Array.from({ length: 16 }, (_, i) => appUser(`review-${i}`, BigInt(i)));
  const p = (i: number) => people[i] as AppUser;
  const homes: string[] = [];
  let nodes: Record<string, Node> = {};
  let restartedHome = '';
  let genesisText = '';
  let io: Uint8Array;
  let tokenHash: string;
  const tokenIds: string[] = [];

  before(async () => {
    const home = tempDir('predict-review');
    homes.push(home);
    const setup = await openNode({ home, makeGenesis: (keys) => genesisJson(keys, people) });
    await initChain(setup);
    io = setup.genesis.network.ioPublicKey;
    const owner = p(0);
    [tokenHash] = (await storeCodes(setup, owner, ['token'])) as [string];
    const labels = ['review-token-a', 'review-token-b'];
    tokenIds.push(...(await instantiateTokens(setup, owner, tokenHash, labels, people.slice(0, 8))));
    genesisText = setup.genesisText;
    await setup.close();
    restartedHome = tempDir('predict-review-restarted');
    homes.push(restartedHome);
    cpSync(home, restartedHome, { recursive: true });
    nodes = { ...(await openChainCopies(home, genesisText, 'predict-review', homes)) };
  });

  after(async () => {
    for (const node of Object.values(nodes)) await node.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  it('warm, batched, pipelined and restarted copies give identical responses and app hashes', async () => {
    const transfer = (from: number, to: number, token = 0, amount = '1') =>
      tokenTransferTx(p(from), p(to), io, tokenIds[token] as string, tokenHash, { amount });
    const blocks = [
      [transfer(1, 9), transfer(2, 10, 1), transfer(9, 11), transfer(3, 3), transfer(4, 12, 0, '5000')],
      [transfer(9, 1), transfer(10, 13, 1), transfer(5, 14), transfer(6, 6, 1), transfer(14, 15)],
      [transfer(11, 2), transfer(13, 1, 1), transfer(7, 9), transfer(8, 10, 1), transfer(15, 0)],
    ];
    for (const [index, txs] of blocks.entries()) {
      // A restart: a new enclave with no templates, read-ahead or caches, the same store.
      await nodes.restarted?.close();
      nodes.restarted = await openNode({
        home: restartedHome,
        genesisText,
        contractPipelining: true,
        contractBatchMax: 4,
      });
      const responses: Record<string, ResponseFinalizeBlock> = {};
      for (const [name, node] of Object.entries(nodes))
        responses[name] = await runBlock(node, txs, { skipPrepare: true });
      const serial = responses.serial as ResponseFinalizeBlock;
      assert.ok(
        serial.txResults.some((r) => r.code !== 0) || index > 0,
        `block ${index + 1}: holds a failure (${serial.txResults.map((r) => r.code).join(',')})`,
      );
      for (const [name, response] of Object.entries(responses)) {
        assert.deepEqual(response, serial, `block ${index + 1}, ${name}: FinalizeBlock = one by one`);
        assert.equal(
          bytesToHex(response.appHash),
          bytesToHex(serial.appHash),
          `block ${index + 1}, ${name}: app hash`,
        );
      }
    }
  });
});
