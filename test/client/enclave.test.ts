// The client against the real enclave: transactions and queries built by the SDK run in a
// bootstrapped Enclave worker (the app's part is played by test/client/app-layout.ts), and the
// SDK decrypts what comes back — attributes, data, contract errors — and refuses tampered results.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, sha256, toBech32, utf8Encode } from '../../src/crypto/index.js';
import { Enclave, type RunContractResult, type SealedNetworkKeys } from '../../src/enclave/index.js';
import {
  ClientError,
  ContractError,
  OutOfGasError,
  Wallet,
  buildExecuteTx,
  buildInstantiateTx,
  buildTx,
  decryptQueryResult,
  decryptTxResult,
  encryptQuery,
  type BuiltTx,
  type TxResultInfo,
} from '../../src/client/index.js';
import { appTxResultOf, eventsOf, requestFromTx, txResultOf } from './app-layout.js';
// The enclave tests' in-memory host (OCALL services): reused, not part of the client.
import { MemoryHost, openPolicy } from '../enclave/helpers.js';
import { tokenInitMsg, transferMsg } from '../helpers/token.js';

const CHAIN_ID = 'shroud-client-1';
const block = (height: bigint) => ({
  height,
  timeNanos: 1_800_000_000_000_000_000n + height,
  chainId: CHAIN_ID,
});
const wasm = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../contracts/build/${name}.wasm`, import.meta.url)));
const contractAddress = (name: string) => toBech32('shroud', sha256(utf8Encode(`contract:${name}`)));

const alice = Wallet.fromMnemonic(
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
);
const bob = Wallet.fromMnemonic(
  'legal winner thank year wave sausage worth useful legal winner thank yellow',
);

function tamper(bytes: Uint8Array, at = 0): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at]! ^= 0x01;
  return copy;
}

const decryptFailed = (error: unknown) =>
  error instanceof ClientError && error.code === 'RESULT_DECRYPT_FAILED';

describe('client ↔ real enclave', () => {
  let enclave: Enclave;
  let keys: SealedNetworkKeys;
  const host = new MemoryHost();
  const counter = contractAddress('client-counter');
  let counterHash: string;
  let sequence = 0n;

  const options = (sender: Wallet, accountNumber: bigint) => ({
    sender,
    chainId: CHAIN_ID,
    accountNumber,
    sequence: sequence++,
    gasLimit: 2_000_000n,
    fee: [{ denom: 'ushd', amount: '5000' }],
    networkPublicKey: keys.ioPublicKey,
  });

  /** Alice's instantiate of the counter (code 1) under `label`, starting at `count`. */
  const counterInitTx = (label: string, count: number) =>
    buildInstantiateTx({ ...options(alice, 0n), codeId: 1n, codeHash: counterHash, label, msg: { count } });
  /** `sender`'s (account `accountNumber`) execute of `msg` on the counter at `contract`. */
  const counterExecTx = (sender: Wallet, accountNumber: bigint, contract: string, msg: unknown) =>
    buildExecuteTx({ ...options(sender, accountNumber), contract, codeHash: counterHash, msg });

  async function run(built: BuiltTx, contract: string, codeHash: string, accountNumber: bigint, height = 1n) {
    const request = requestFromTx(built.txBytes, 0, codeHash, block(height), contract, accountNumber);
    const result = await enclave.runContract(request);
    host.apply(contract, result);
    return result;
  }

  before(async () => {
    const home = mkdtempSync(join(tmpdir(), 'shroud-client-'));
    enclave = await Enclave.start({ home, genesisPolicy: openPolicy, services: host });
    keys = await enclave.bootstrap();
    counterHash = host.addCode(wasm('counter'));
    host.addContract(counter, counterHash);
  });
  after(() => enclave.stop());

  it('instantiates and executes the counter with client-built txs; outputs decrypt with the client', async () => {
    const init = counterInitTx('client-counter', 41);
    const initResult = await run(init, counter, counterHash, 0n);
    assert.ok(initResult.ok, 'instantiate succeeds in the enclave');
    assert.deepEqual(
      initResult.txHash,
      init.hash,
      'the enclave binds outputs to the hash the client computed',
    );
    const opened = decryptTxResult(init.txKeys, init.hash, txResultOf(initResult, counter));
    const wasmEvent = opened.events.find((e) => e.type === 'wasm');
    assert.ok(wasmEvent, 'a wasm event');
    assert.deepEqual(
      wasmEvent.attributes.filter((a) => a.key === 'method' || a.key === 'owner'),
      [
        { key: 'method', value: 'instantiate', encrypted: false },
        { key: 'owner', value: alice.address, encrypted: true },
      ],
      'the encrypted owner attribute opens to the sender',
    );

    const exec = counterExecTx(alice, 0n, counter, { increment: {} });
    const execResult = await run(exec, counter, counterHash, 0n);
    assert.ok(execResult.ok, 'execute succeeds');
    const execOpened = decryptTxResult(exec.txKeys, exec.hashHex, txResultOf(execResult, counter));
    assert.equal(execOpened.txHash, exec.hashHex);
    assert.deepEqual(execOpened.data, [null], 'counter returns no data');

    const query = encryptQuery(alice, keys.ioPublicKey, counter, counterHash, { get_count: {} });
    const answer = await enclave.query({
      contract: counter,
      codeHash: counterHash,
      envelope: query.envelope,
      block: block(2n),
      gasLimit: 50_000_000_000n,
    });
    assert.ok(answer.ok, 'query succeeds');
    assert.deepEqual(JSON.parse(decryptQueryResult(query, answer.sealed)), { count: 42 });
    assert.throws(
      () => decryptQueryResult(query, tamper(answer.sealed, 3)),
      decryptFailed,
      'tampered answer',
    );
    assert.throws(
      () => decryptQueryResult(query, answer.sealed, 'query/error'),
      decryptFailed,
      'wrong label',
    );
    const other = encryptQuery(alice, keys.ioPublicKey, counter, counterHash, { get_count: {} });
    assert.throws(() => decryptQueryResult(other, answer.sealed), decryptFailed, "another query's key");
  });

  it('a contract Err becomes a ContractError with the decrypted message; tampering is a typed error', async () => {
    const reset = counterExecTx(bob, 1n, counter, { reset: { count: 0 } });
    const result = await run(reset, counter, counterHash, 1n);
    assert.equal(result.ok, false, 'bob is not the owner');
    const txResult = txResultOf(result, counter);
    assert.throws(
      () => decryptTxResult(reset.txKeys, reset.hash, txResult),
      (error: unknown) => {
        assert.ok(error instanceof ContractError, `a ContractError, got ${String(error)}`);
        assert.equal(error.contractMessage, 'Unauthorized');
        assert.equal(error.messageIndex, 0);
        assert.equal(error.message.includes('Unauthorized'), false, 'the plaintext is not in error.message');
        return true;
      },
    );
    // Any altered byte of the sealed error, another tx's key or hash: refused, never a wrong message.
    assert.ok(!result.ok && result.error.kind === 'contract');
    const sealed = result.error.sealed;
    for (const at of [0, Math.floor(sealed.length / 2), sealed.length - 1]) {
      const altered = txResultOf(
        { ...result, error: { kind: 'contract', sealed: tamper(sealed, at) } },
        counter,
      );
      assert.throws(() => decryptTxResult(reset.txKeys, reset.hash, altered), decryptFailed, `byte ${at}`);
    }
    assert.throws(
      () => decryptTxResult(reset.txKeys, sha256(reset.hash), txResult),
      decryptFailed,
      'other hash',
    );
    const otherKey = [sha256(reset.txKey!)];
    assert.throws(() => decryptTxResult(otherKey, reset.hash, txResult), decryptFailed, 'other key');
  });

  it('tampered or misplaced encrypted attributes are refused', async () => {
    const other = contractAddress('client-counter-2');
    host.addContract(other, counterHash);
    const init = counterInitTx('second', 1);
    const result = await run(init, other, counterHash, 0n);
    assert.ok(result.ok);
    const good = txResultOf(result, other);
    const swap = (mutate: (attrs: TxResultInfo['events'][number]['attributes']) => void): TxResultInfo => {
      const copy = structuredClone(good);
      mutate(copy.events.find((e) => e.type === 'wasm')!.attributes);
      return copy;
    };
    const sealedAt = (attrs: TxResultInfo['events'][number]['attributes']) =>
      attrs.find((a) => a.key === 'encrypted:attr/1')!;
    const flipped = swap((attrs) => {
      const attr = sealedAt(attrs);
      attr.value = Buffer.from(tamper(Buffer.from(attr.value, 'base64'), 5)).toString('base64');
    });
    assert.throws(
      () => decryptTxResult(init.txKeys, init.hash, flipped),
      decryptFailed,
      'flipped ciphertext byte',
    );
    const relabelled = swap((attrs) => {
      sealedAt(attrs).key = 'encrypted:attr/0';
    });
    assert.throws(
      () => decryptTxResult(init.txKeys, init.hash, relabelled),
      decryptFailed,
      'moved to another label',
    );
    const notBase64 = swap((attrs) => {
      sealedAt(attrs).value = '***';
    });
    assert.throws(
      () => decryptTxResult(init.txKeys, init.hash, notBase64),
      (e: unknown) => e instanceof ClientError && e.code === 'RESULT_MALFORMED',
      'not base64',
    );
    assert.throws(
      () => decryptTxResult([null], init.hash, good),
      (e: unknown) => e instanceof ClientError && e.code === 'RESULT_MALFORMED',
      'an encrypted output for a message that has no envelope',
    );
  });

  it('out of gas in the enclave is an OutOfGasError; old results re-open from the wallet alone', async () => {
    const exec = counterExecTx(alice, 0n, counter, { increment: {} });
    const request = requestFromTx(exec.txBytes, 0, counterHash, block(3n), counter, 0n);
    const starved = await enclave.runContract({ ...request, gasLimit: 10_000n });
    assert.throws(() => decryptTxResult(exec.txKeys, exec.hash, txResultOf(starved, counter)), OutOfGasError);

    const result = await enclave.runContract(request);
    host.apply(counter, result);
    assert.ok(result.ok);
    // Later, without the in-memory key: re-derive it from the mnemonic and the envelope on chain.
    const again = Wallet.fromMnemonic(alice.mnemonic!);
    const rederived = again.txKeyOfEnvelope(exec.envelopes[0]!, keys.ioPublicKey);
    assert.equal(bytesToHex(rederived), bytesToHex(exec.txKey!), 'same tx key from the wallet');
    assert.doesNotThrow(() => decryptTxResult([rederived], exec.hash, txResultOf(result, counter)));
    assert.throws(
      () => bob.txKeyOfEnvelope(exec.envelopes[0]!, keys.ioPublicKey),
      (e: unknown) => e instanceof ClientError && e.code === 'INVALID_ARGUMENT',
      "another wallet cannot claim alice's envelope",
    );
  });

  it('a multi-message tx: each message opens with its own key, events routed by msg_index', async () => {
    const first = contractAddress('client-multi-0');
    const second = contractAddress('client-multi-2');
    host.addContract(first, counterHash);
    host.addContract(second, counterHash);
    const built = buildTx(options(alice, 0n), [
      { type: 'instantiate', codeId: 1n, codeHash: counterHash, label: 'multi-0', msg: { count: 0 } },
      { type: 'send', to: bob.address, amount: [{ denom: 'ushd', amount: 1n }] },
      { type: 'instantiate', codeId: 1n, codeHash: counterHash, label: 'multi-2', msg: { count: 0 } },
    ]);
    assert.equal(built.txKeys[1], null, 'a bank send has no tx key');
    assert.notDeepEqual(built.txKeys[0], built.txKeys[2], 'each envelope has its own key');
    const results: RunContractResult[] = [];
    for (const [index, contract] of [
      [0, first],
      [2, second],
    ] as const) {
      const request = requestFromTx(built.txBytes, index, counterHash, block(4n), contract, 0n, index);
      const result = await enclave.runContract(request);
      host.apply(contract, result);
      assert.ok(result.ok, `message ${index} runs`);
      results.push(result);
    }
    const txResult: TxResultInfo = {
      code: 0,
      codespace: '',
      log: '',
      data: new Uint8Array(0),
      gasWanted: 2_000_000n,
      gasUsed: 1n,
      events: [...eventsOf(results[0]!, 0, first), ...eventsOf(results[1]!, 2, second)],
    };
    const opened = decryptTxResult(built.txKeys, built.hash, txResult);
    assert.deepEqual(
      opened.events.map((e) => [e.messageIndex, e.attributes.find((a) => a.key === 'owner')?.value]),
      [
        [0, alice.address],
        [2, alice.address],
      ],
    );
    // The same events attributed to the wrong messages do not open.
    const swapped = structuredClone(txResult);
    swapped.events[0]!.attributes[0]!.value = '2';
    swapped.events[1]!.attributes[0]!.value = '0';
    assert.throws(
      () => decryptTxResult(built.txKeys, built.hash, swapped),
      decryptFailed,
      'swapped msg_index',
    );
    // Without msg_index (src/app today) each sealed attribute is tried against the tx's keys:
    // AES-GCM authenticates, so only its own message's key opens it.
    const unrouted = structuredClone(txResult);
    for (const event of unrouted.events)
      event.attributes = event.attributes.filter((a) => a.key !== 'msg_index');
    assert.deepEqual(
      decryptTxResult(built.txKeys, built.hash, unrouted).events.map(
        (e) => e.attributes.find((a) => a.key === 'owner')?.value,
      ),
      [alice.address, alice.address],
    );
  });

  it('the layout src/app emits: bare `encrypted` keys by position, data and errors in tx_result.data', async () => {
    const token = contractAddress('client-token');
    const tokenHash = host.addCode(wasm('token'));
    host.addContract(token, tokenHash);
    await enclave.blockRandom({ height: 5n, previousAppHash: new Uint8Array(32) });
    const init = buildInstantiateTx({
      ...options(alice, 0n),
      codeId: 2n,
      codeHash: tokenHash,
      label: 'client-token',
      msg: tokenInitMsg([{ address: alice.address, amount: '1000' }]),
    });
    const initResult = await run(init, token, tokenHash, 0n, 5n);
    assert.ok(initResult.ok, 'token instantiates');
    const instantiated = [
      {
        type: 'instantiate',
        attributes: [
          { key: 'contract_address', value: token },
          { key: 'code_id', value: '2' },
        ],
      },
    ];
    assert.doesNotThrow(() =>
      decryptTxResult(init.txKeys, init.hash, appTxResultOf(initResult, token, instantiated)),
    );

    const transfer = buildExecuteTx({
      ...options(alice, 0n),
      contract: token,
      codeHash: tokenHash,
      msg: transferMsg(bob.address, '5'),
    });
    const result = await run(transfer, token, tokenHash, 0n, 5n);
    assert.ok(result.ok && result.data !== null, 'transfer returns data');
    const appResult = appTxResultOf(result, token);
    const opened = decryptTxResult(transfer.txKeys, transfer.hash, appResult, transfer.targets);
    assert.match(Buffer.from(opened.data[0]!).toString(), /success/, 'data from tx_result.data');
    const altered = { ...appResult, data: tamper(appResult.data, 4) };
    assert.throws(
      () => decryptTxResult(transfer.txKeys, transfer.hash, altered, transfer.targets),
      decryptFailed,
    );

    // Counter: the encrypted `owner` attribute is attr/1 by position; an Err sealed in data.
    const other = contractAddress('client-counter-app');
    host.addContract(other, counterHash);
    const counterInit = counterInitTx('app-layout', 1);
    const counterResult = await run(counterInit, other, counterHash, 0n);
    const counterInstantiated = [
      {
        type: 'instantiate',
        attributes: [
          { key: 'contract_address', value: other },
          { key: 'code_id', value: '1' },
        ],
      },
    ];
    const good = appTxResultOf(counterResult, other, counterInstantiated);
    const owner = decryptTxResult(counterInit.txKeys, counterInit.hash, good)
      .events.flatMap((e) => e.attributes)
      .find((a) => a.key === 'owner');
    assert.deepEqual(owner, { key: 'owner', value: alice.address, encrypted: true });
    // A contract's own plaintext attribute called `encrypted` (indexed) stays plaintext.
    const named = structuredClone(good);
    named.events[0]!.attributes.push({ key: 'encrypted', value: 'not sealed', index: true });
    const namedOpened = decryptTxResult(counterInit.txKeys, counterInit.hash, named).events[0]!.attributes.at(
      -1,
    );
    assert.deepEqual(namedOpened, { key: 'encrypted', value: 'not sealed', encrypted: false });
    // Moved one position (as if a plaintext attribute were dropped): refused, not misread.
    const shifted = structuredClone(good);
    shifted.events[0]!.attributes.splice(1, 1);
    assert.throws(
      () => decryptTxResult(counterInit.txKeys, counterInit.hash, shifted),
      decryptFailed,
      'shifted',
    );
    // The same event under a contract this tx did not call is a nested call's: left closed.
    const nested = structuredClone(good);
    nested.events = nested.events.filter((e) => e.type === 'wasm');
    nested.events[0]!.attributes[0]!.value = contractAddress('someone-else');
    nested.events[0]!.attributes.splice(1, 1);
    const closed = decryptTxResult(counterInit.txKeys, counterInit.hash, nested);
    assert.equal(closed.events[0]!.sealed.length, 1, 'kept sealed, not an error');

    const reset = counterExecTx(bob, 1n, other, { reset: { count: 0 } });
    const failed = await run(reset, other, counterHash, 1n);
    assert.throws(
      () => decryptTxResult(reset.txKeys, reset.hash, appTxResultOf(failed, other), reset.targets),
      (e: unknown) =>
        e instanceof ContractError && e.contractMessage === 'Unauthorized' && e.resultCode === 104,
    );
    const badError = { ...appTxResultOf(failed, other), data: tamper(appTxResultOf(failed, other).data, 2) };
    assert.throws(() => decryptTxResult(reset.txKeys, reset.hash, badError), decryptFailed, 'altered error');
  });
});
