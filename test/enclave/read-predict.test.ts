// The read predictor (src/enclave/core/read-predictor.ts, ADR 006 "Read-ahead", session 5): a
// batch also prefetches the slots each call is expected to read, from the keys an earlier call of
// the same contract and message variant read with its addresses swapped for this call's. These
// tests pin the templates (sender and recipient substitution in both address forms, variants
// kept apart, every bound) and that a prediction, right or wrong, never changes a result: two
// executors, the predictor on and off, give the same results, refusals and store as calls run
// one by one, over blocks of new and known senders, failures and two contracts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toBech32, utf8Encode } from '../../src/crypto/index.js';
import { Executor } from '../../src/enclave/core/executor.js';
import { KeyVault } from '../../src/enclave/core/keys.js';
import {
  MESSAGE_MAX_ADDRESSES,
  PREDICTOR_MAX_TEMPLATES,
  ReadPredictor,
  TEMPLATE_MAX_KEY_BYTES,
  TEMPLATE_MAX_KEYS,
} from '../../src/enclave/core/read-predictor.js';
import type { RunContractRequest, RunContractResult } from '../../src/enclave/index.js';
import { tokenInitMsg, transferMsg } from '../helpers/token.js';
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
const canonicalOf = (address: string) => canonicalAddress(address, PREFIX);
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const keyOf = tokenStorageKey;
const message = (value: unknown) => utf8Encode(JSON.stringify(value));
const address = (tag: number) => toBech32(PREFIX, new Uint8Array(20).fill(tag));

describe('ReadPredictor templates', () => {
  const token = contractAddress('predict-token');
  const [s1, r1, s2, r2] = [address(1), address(2), address(3), address(4)];

  it('puts the new sender and recipient in, as bech32 text and as canonical bytes', () => {
    const predictor = new ReadPredictor(PREFIX, canonicalOf);
    const c = (a: string) => latin1(canonicalOf(a) as Uint8Array);
    predictor.learn(token, 'execute', s1, message({ transfer: { recipient: r1, amount: '1' } }), [
      keyOf('balances', s1),
      'config',
      keyOf('balances', r1),
      keyOf(`txs/${s1}`, 'len'),
      `owner/${c(s1)}/to/${c(r1)}`,
    ]);
    const predicted = predictor.predict(
      token,
      'execute',
      s2,
      message({ transfer: { recipient: r2, amount: '7', memo: 'x' } }),
    );
    assert.deepEqual(
      predicted,
      [
        keyOf('balances', s2),
        'config',
        keyOf('balances', r2),
        keyOf(`txs/${s2}`, 'len'),
        `owner/${c(s2)}/to/${c(r2)}`,
      ],
      'every address swapped, a key holding none (config) as it is',
    );
  });

  it('keeps message variants and entries apart, and has no template before a call was learned', () => {
    const predictor = new ReadPredictor(PREFIX, canonicalOf);
    assert.equal(predictor.predict(token, 'execute', s1, message({ transfer: { recipient: r1 } })), null);
    predictor.learn(token, 'execute', s1, message({ transfer: { recipient: r1 } }), [keyOf('balances', s1)]);
    assert.equal(predictor.predict(token, 'execute', s2, message({ send: { recipient: r2 } })), null, 'send');
    assert.equal(predictor.predict(token, 'migrate', s2, message({ transfer: { recipient: r2 } })), null);
    assert.equal(predictor.predict(contractAddress('other'), 'execute', s2, message({ transfer: {} })), null);
    assert.deepEqual(predictor.predict(token, 'execute', s2, utf8Encode(' {\n "transfer" : {}}')), [
      keyOf('balances', s2),
    ]);
    predictor.learn(token, 'execute', s1, utf8Encode('not json'), []);
    assert.deepEqual(predictor.predict(token, 'execute', s2, utf8Encode('[1]')), [], 'no variant: ""');
  });

  it('skips a key whose address the new message lacks, and reads only bech32 strings of the prefix', () => {
    const predictor = new ReadPredictor(PREFIX, canonicalOf);
    const other = toBech32('cosmos', new Uint8Array(20).fill(9));
    predictor.learn(token, 'execute', s1, message({ transfer: { recipient: r1, note: other } }), [
      keyOf('balances', r1),
      keyOf('balances', s1),
      keyOf('notes', other),
    ]);
    assert.deepEqual(
      predictor.predict(token, 'execute', s2, message({ transfer: { recipient: 'shroud1NOT-BECH32' } })),
      [keyOf('balances', s2), keyOf('notes', other)],
      'no recipient to put in: that key is not predicted; a foreign address is no placeholder',
    );
  });

  it('a sender who is also the recipient stays the sender, and does not replace a clear template', () => {
    const predictor = new ReadPredictor(PREFIX, canonicalOf);
    const self = message({ transfer: { recipient: s1 } });
    predictor.learn(token, 'execute', s1, self, [keyOf('balances', s1)]);
    const to = (r: string) => message({ transfer: { recipient: r } });
    assert.deepEqual(predictor.predict(token, 'execute', s2, to(r2)), [keyOf('balances', s2)], 'first: kept');
    predictor.learn(token, 'execute', s1, to(r1), [keyOf('balances', s1), keyOf('balances', r1)]);
    predictor.learn(token, 'execute', s1, self, [keyOf('balances', s1)]);
    assert.deepEqual(
      predictor.predict(token, 'execute', s2, to(r2)),
      [keyOf('balances', s2), keyOf('balances', r2)],
      'a self-transfer does not replace the template of a transfer to another',
    );
  });

  it('is bounded: keys per template, key length, addresses per message, templates', () => {
    const predictor = new ReadPredictor(PREFIX, canonicalOf);
    const many = Array.from({ length: TEMPLATE_MAX_KEYS + 8 }, (_, i) => keyOf(`n${i}`, s1));
    const long = keyOf('x'.repeat(TEMPLATE_MAX_KEY_BYTES), s1);
    predictor.learn(token, 'execute', s1, message({ a: {} }), [long, ...many]);
    const predicted = predictor.predict(token, 'execute', s2, message({ a: {} })) ?? [];
    assert.equal(predicted.length, TEMPLATE_MAX_KEYS, 'at most TEMPLATE_MAX_KEYS keys');
    assert.ok(!predicted.some((key) => key.length > TEMPLATE_MAX_KEY_BYTES), 'no key over the byte bound');

    const recipients = Array.from({ length: MESSAGE_MAX_ADDRESSES + 3 }, (_, i) => address(100 + i));
    predictor.learn(
      token,
      'execute',
      s1,
      message({ b: { to: recipients } }),
      recipients.map((r) => keyOf('balances', r)),
    );
    const swapped = recipients.map((_, i) => address(150 + i));
    const out = predictor.predict(token, 'execute', s2, message({ b: { to: swapped } })) ?? [];
    assert.deepEqual(
      out,
      [
        ...swapped.slice(0, MESSAGE_MAX_ADDRESSES).map((r) => keyOf('balances', r)),
        ...recipients.slice(MESSAGE_MAX_ADDRESSES).map((r) => keyOf('balances', r)),
      ],
      'only the first MESSAGE_MAX_ADDRESSES addresses are placeholders; later ones stay as read',
    );

    for (let i = 0; i < PREDICTOR_MAX_TEMPLATES + 5; i++) {
      predictor.learn(token, 'execute', s1, message({ [`v${i}`]: {} }), [keyOf('k', s1)]);
      assert.ok(predictor.size <= PREDICTOR_MAX_TEMPLATES, `template ${i}: within the bound`);
    }
  });
});

/** A MemoryHost that answers readStateBatch too, counting single and batched crossings. */
class CountingHost extends MemoryHost {
  singles = 0;
  batches = 0;
  batchedSlots = 0;

  override readState(contract: string, diskKey: Uint8Array): Uint8Array | null {
    this.singles++;
    this.log.push(`SINGLE ${contract.slice(-6)} ${Buffer.from(diskKey).toString('hex').slice(0, 8)}`);
    return super.readState(contract, diskKey);
  }

  readStateBatch(contract: string, diskKeys: readonly Uint8Array[]): (Uint8Array | null)[] {
    this.batches++;
    this.batchedSlots += diskKeys.length;
    return diskKeys.map((diskKey) => super.readState(contract, diskKey));
  }
}

const users = Array.from({ length: 12 }, (_, i) => makeUser(400 + i));

/** Three executors of one network over their own hosts: one-by-one, batched without and with the predictor. */
function triplets() {
  const vault = new KeyVault(() => new Uint8Array(32).fill(9), openPolicy, new Uint8Array(32));
  const keys = vault.bootstrap();
  vault.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
  const tokens = [contractAddress('predict-a'), contractAddress('predict-b')];
  const wasm = contractWasm('token');
  const make = (readPredictor: boolean) => {
    const host = new CountingHost();
    const executor = new Executor(vault, host, PREFIX, { readPredictor });
    const codeHash = host.addCode(wasm);
    for (const token of tokens) host.addContract(token, codeHash);
    return { host, executor, codeHash };
  };
  const sides = { single: make(false), off: make(false), on: make(true) };
  const codeHash = sides.single.codeHash;
  // Only the first half of the users hold tokens: the others are new to the store too.
  for (const [i, token] of tokens.entries()) {
    const init = userCall(users[0]!, keys.ioPublicKey, {
      entry: 'instantiate',
      contract: token,
      codeHash,
      msg: tokenInitMsg(
        users.slice(0, 6).map((user) => ({ address: user.address, amount: '1000' })),
        { name: `Predict ${i}`, symbol: `PR${'AB'[i]}` },
      ),
      label: `predict ${i}`,
    }).request;
    for (const side of Object.values(sides)) side.host.apply(token, side.executor.runContract(init));
  }
  let callIndex = 1;
  const transfer = (token: string, from: number, to: number, amount = '1'): RunContractRequest =>
    userCall(users[from]!, keys.ioPublicKey, {
      entry: 'execute',
      contract: token,
      codeHash,
      msg: transferMsg(users[to]!.address, amount),
      callIndex: callIndex++,
    }).request;
  return { sides, tokens, transfer };
}

/** Every result of the steps, in order (refusals as their code). */
const flat = (steps: BatchStep[]): (RunContractResult | string)[] =>
  steps.flatMap((step): (RunContractResult | string)[] => ('ran' in step ? step.ran : [step.refused]));
const storeOf = (host: MemoryHost) =>
  [...host.state].map(([contract, slots]) => [contract, [...slots].sort()]).sort();

describe('read predictor in batches', () => {
  it('gives the same results and store on and off, and first-time senders cross once per batch', () => {
    const { sides, tokens, transfer } = triplets();
    const [a, b] = tokens as [string, string];
    const blocks: RunContractRequest[][] = [
      // Block 1: every sender new to the enclave, recipients new to the store (users 6…11).
      Array.from({ length: 12 }, (_, i) => transfer(a, i % 6, (i + 6) % 12)),
      // Block 2: known senders, new recipients, a transfer beyond the balance (fails) mid-batch,
      // a sender paying itself, and both contracts interleaved.
      [
        transfer(a, 0, 3),
        transfer(b, 1, 7),
        transfer(a, 2, 2),
        transfer(b, 3, 9),
        transfer(a, 4, 5, '999999'),
        transfer(a, 5, 11),
        transfer(b, 0, 10),
        transfer(a, 1, 8),
      ],
      // Block 3: the funded new users send for the first time, to both contracts.
      Array.from({ length: 6 }, (_, i) => transfer(i % 2 === 0 ? a : b, 6 + i, i)),
    ];
    const reads: { on: number; off: number }[] = [];
    const outcomes: (RunContractResult | string)[][] = [];
    for (const [index, requests] of blocks.entries()) {
      const single = flat(driveBatches(sides.single.executor, sides.single.host, requests, 1));
      outcomes.push(single);
      const before = { on: sides.on.host.singles, off: sides.off.host.singles };
      const off = flat(driveBatches(sides.off.executor, sides.off.host, requests, 64));
      const on = flat(driveBatches(sides.on.executor, sides.on.host, requests, 64));
      reads.push({ on: sides.on.host.singles - before.on, off: sides.off.host.singles - before.off });
      assert.deepEqual(off, single, `block ${index + 1}: batched without the predictor = one by one`);
      assert.deepEqual(on, single, `block ${index + 1}: with the predictor = one by one, byte for byte`);
      assert.deepEqual(storeOf(sides.on.host), storeOf(sides.single.host), `block ${index + 1}: same store`);
      assert.deepEqual(storeOf(sides.off.host), storeOf(sides.single.host), `block ${index + 1}: same store`);
    }
    assert.ok(
      outcomes[1]!.some((result) => typeof result !== 'string' && !result.ok),
      'block 2 holds a failed transfer',
    );
    // Block 1: the first transfer teaches the template; the others' slots come in one more
    // readStateBatch (prefetchLate), so only the first call's own slots cross one by one.
    assert.ok(reads[0]!.on <= 6, `block 1: only the first call reads one by one (${reads[0]!.on})`);
    for (const index of [0, 2])
      assert.ok(
        reads[index]!.on * 4 <= reads[index]!.off,
        `block ${index + 1} (first-time senders): ${reads[index]!.on} single reads on, ${reads[index]!.off} off`,
      );
    for (const [index, count] of reads.entries())
      assert.ok(
        count.on < count.off,
        `block ${index + 1}: fewer single reads on (${count.on}) than off (${count.off})`,
      );
  });
});
