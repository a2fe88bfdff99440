// ShroudClient end to end against a fake node: CometBFT 0.38 JSON-RPC on loopback whose "app"
// decodes the broadcast tx, runs its contract messages in a real bootstrapped Enclave and
// reports results in the layout of docs/sdk.md. End-to-end tests against the real node and RPC
// come with the RPC issue (7).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTx, txHashHex } from '../../src/codec/index.js';
import { addressFromPublicKey, bytesToHex, sha256, toBech32, utf8Encode } from '../../src/crypto/index.js';
import { Enclave, type SealedNetworkKeys } from '../../src/enclave/index.js';
import {
  ClientError,
  ContractError,
  InsufficientFundsError,
  OutOfGasError,
  ShroudClient,
  TxRejectedError,
  Wallet,
  type AbciEvent,
  type TxResultInfo,
} from '../../src/client/index.js';
import { appTxResultOf, requestFromTx } from './app-layout.js';
import { RpcFault, queryResult, startFakeNode, statusResult, type FakeNode } from './fake-node.js';
import { MemoryHost, openPolicy } from '../enclave/helpers.js';
import { tokenInitMsg, transferToken } from '../helpers/token.js';

const CHAIN_ID = 'shroud-sdk-1';
const HEIGHT = 1n;
const block = { height: HEIGHT, timeNanos: 1_800_000_000_000_000_000n, chainId: CHAIN_ID };
const wasm = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../contracts/build/${name}.wasm`, import.meta.url)));
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

const alice = Wallet.fromMnemonic(
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
);
const bob = Wallet.fromMnemonic(
  'legal winner thank year wave sausage worth useful legal winner thank yellow',
);

interface AccountState {
  number: bigint;
  sequence: bigint;
  balance: bigint;
}

/** The fake node's "app": accounts, codes, contracts, results; contract calls go to the enclave. */
class FakeApp {
  readonly host = new MemoryHost();
  readonly accounts = new Map<string, AccountState>([
    [alice.address, { number: 0n, sequence: 0n, balance: 1_000_000n }],
    [bob.address, { number: 1n, sequence: 0n, balance: 1_000_000n }],
  ]);
  readonly codes: string[] = [];
  readonly contracts = new Map<string, { codeId: bigint; codeHash: string; label: string }>();
  readonly txs = new Map<string, { height: string; tx: Uint8Array; result: TxResultInfo }>();
  /** Test hooks: hold results back (never indexed), or rewrite them before serving. */
  indexTxs = true;
  rewrite: ((result: TxResultInfo) => TxResultInfo) | undefined;
  gasLimitOverride: bigint | undefined;
  lastFee: { gasLimit: bigint; amount: string[] } | undefined;

  constructor(
    readonly enclave: Enclave,
    readonly keys: SealedNetworkKeys,
  ) {}

  async handle(method: string, params: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case 'status':
        return statusResult(CHAIN_ID);
      case 'abci_query':
        return this.query(String(params.path), new Uint8Array(Buffer.from(String(params.data), 'hex')));
      case 'broadcast_tx_sync':
        return this.broadcast(new Uint8Array(Buffer.from(String(params.tx), 'base64')));
      case 'tx': {
        const hash = Buffer.from(String(params.hash), 'base64').toString('hex').toUpperCase();
        const found = this.txs.get(hash);
        if (found === undefined || !this.indexTxs)
          throw new RpcFault(-32603, 'Internal error', `tx (${hash}) not found`);
        const result = this.rewrite ? this.rewrite(structuredClone(found.result)) : found.result;
        return {
          hash,
          height: found.height,
          index: 0,
          tx_result: {
            code: result.code,
            data: b64(result.data),
            log: result.log,
            info: '',
            gas_wanted: result.gasWanted.toString(),
            gas_used: result.gasUsed.toString(),
            events: result.events,
            codespace: result.codespace,
          },
          tx: b64(found.tx),
        };
      }
      default:
        throw new RpcFault(-32601, 'Method not found', method);
    }
  }

  /** abci_query as src/app answers it: camelCase JSON, bytes as hex, code 38 "… not found". */
  async query(path: string, data: Uint8Array): Promise<unknown> {
    const [, kind, a, b] = path.split('/');
    const notFound = () => queryResult(null, 38, `${kind} not found`);
    switch (kind) {
      case 'network':
        return queryResult({
          ioPublicKey: bytesToHex(this.keys.ioPublicKey),
          seedExchangePublicKey: bytesToHex(this.keys.seedExchangePublicKey),
        });
      case 'account': {
        const account = this.accounts.get(a!);
        if (account === undefined) return notFound();
        return queryResult({
          address: a,
          accountNumber: account.number.toString(),
          sequence: account.sequence.toString(),
          publicKey: '',
        });
      }
      case 'balance':
        return queryResult({ denom: b, amount: (this.accounts.get(a!)?.balance ?? 0n).toString() });
      case 'code': {
        const hash = this.codes[Number(a) - 1];
        return hash === undefined
          ? notFound()
          : queryResult({ codeId: a, codeHash: hash, creator: alice.address });
      }
      case 'contract': {
        const info = this.contracts.get(a!);
        if (info === undefined) return notFound();
        return queryResult({
          address: a,
          codeId: info.codeId.toString(),
          codeHash: info.codeHash,
          label: info.label,
          admin: '',
          creator: alice.address,
        });
      }
      case 'compute': {
        // data = u16be len(contract) ‖ contract ‖ envelope; an Err's sealed bytes come in the value.
        const length = data[0]! * 256 + data[1]!;
        const contract = Buffer.from(data.subarray(2, 2 + length)).toString();
        const info = this.contracts.get(contract);
        if (info === undefined) return notFound();
        const answer = await this.enclave.query({
          contract,
          codeHash: info.codeHash,
          envelope: data.slice(2 + length),
          block,
          gasLimit: 50_000_000_000n,
        });
        if (answer.ok) return queryResult(answer.sealed);
        if (answer.error.kind === 'contract')
          return queryResult(answer.error.sealed, 104, 'contract error (encrypted)');
        return queryResult(null, 105, answer.error.code);
      }
      default:
        return queryResult(null, 6, 'unknown path');
    }
  }

  async broadcast(txBytes: Uint8Array): Promise<unknown> {
    const hash = txHashHex(txBytes);
    const { body, authInfo } = decodeTx(txBytes);
    const account = this.accounts.get(addressFromPublicKey(authInfo.signer!.publicKey));
    const reject = (code: number, log: string) => ({ code, data: '', log, codespace: 'sdk', hash });
    if (account === undefined) return reject(9, 'unknown account');
    this.lastFee = {
      gasLimit: authInfo.fee!.gasLimit,
      amount: authInfo.fee!.amount.map((c) => `${c.amount}${c.denom}`),
    };
    if (authInfo.signer!.sequence !== account.sequence) return reject(32, 'account sequence mismatch');
    const spent = body.messages.reduce(
      (sum, m) => (m.sum.case === 'send' ? sum + BigInt(m.sum.value.amount[0]?.amount ?? '0') : sum),
      0n,
    );
    if (spent > account.balance)
      return reject(5, `${spent}ushd is smaller than ${account.balance}ushd: insufficient funds`);
    account.sequence++;
    account.balance -= spent;
    for (const message of body.messages) {
      if (message.sum.case !== 'send') continue;
      const to = this.accounts.get(message.sum.value.toAddress);
      if (to !== undefined) to.balance += BigInt(message.sum.value.amount[0]?.amount ?? '0');
    }
    this.txs.set(hash, { height: '2', tx: txBytes, result: await this.execute(txBytes, account.number) });
    return { code: 0, data: '', log: '[]', codespace: '', hash };
  }

  async execute(txBytes: Uint8Array, accountNumber: bigint): Promise<TxResultInfo> {
    const { body } = decodeTx(txBytes);
    const sum = body.messages[0]!.sum; // one message per tx in these tests
    const ok = (events: AbciEvent[]): TxResultInfo => ({
      code: 0,
      codespace: '',
      log: '',
      data: new Uint8Array(0),
      gasWanted: 2_000_000n,
      gasUsed: 1_000n,
      events,
    });
    const attr = (key: string, value: string) => ({ key, value, index: true });
    switch (sum.case) {
      case 'storeCode': {
        const hash = this.host.addCode(sum.value.wasmByteCode);
        this.codes.push(hash);
        return ok([
          {
            type: 'store_code',
            attributes: [
              attr('msg_index', '0'),
              attr('code_id', String(this.codes.length)),
              attr('code_hash', hash),
            ],
          },
        ]);
      }
      case 'send':
        return ok([
          { type: 'transfer', attributes: [attr('msg_index', '0'), attr('recipient', sum.value.toAddress)] },
        ]);
      case 'instantiateContract': {
        const contract = toBech32('shroud', sha256(utf8Encode(`contract:${sum.value.label}`)));
        const codeHash = this.codes[Number(sum.value.codeId) - 1]!;
        this.host.addContract(contract, codeHash);
        const result = await this.run(txBytes, codeHash, contract, accountNumber);
        if (result.ok)
          this.contracts.set(contract, { codeId: sum.value.codeId, codeHash, label: sum.value.label });
        return appTxResultOf(result, contract, [
          {
            type: 'instantiate',
            attributes: [
              attr('msg_index', '0'),
              attr('contract_address', contract),
              attr('code_id', sum.value.codeId.toString()),
            ],
          },
        ]);
      }
      case 'executeContract': {
        const info = this.contracts.get(sum.value.contract)!;
        return appTxResultOf(
          await this.run(txBytes, info.codeHash, sum.value.contract, accountNumber),
          sum.value.contract,
        );
      }
      default:
        throw new Error(`the fake app does not run ${String(sum.case)}`);
    }
  }

  async run(txBytes: Uint8Array, codeHash: string, contract: string, accountNumber: bigint) {
    const request = requestFromTx(txBytes, 0, codeHash, block, contract, accountNumber);
    const result = await this.enclave.runContract({
      ...request,
      gasLimit: this.gasLimitOverride ?? request.gasLimit,
    });
    this.host.apply(contract, result);
    return result;
  }
}

describe('ShroudClient against a fake node backed by the real enclave', () => {
  let enclave: Enclave;
  let app: FakeApp;
  let node: FakeNode;
  let client: ShroudClient;
  let counter: string;
  let counterCodeId: bigint;

  before(async () => {
    const home = mkdtempSync(join(tmpdir(), 'shroud-sdk-'));
    const host = new MemoryHost();
    enclave = await Enclave.start({ home, genesisPolicy: openPolicy, services: host });
    const keys = await enclave.bootstrap();
    app = new FakeApp(enclave, keys);
    // The enclave's OCALLs must see the app's registries: route them to app.host.
    Object.assign(host, { codes: app.host.codes, contracts: app.host.contracts, state: app.host.state });
    await enclave.blockRandom({ height: HEIGHT, previousAppHash: new Uint8Array(32) });
    node = await startFakeNode((method, params) => app.handle(method, params));
    client = await ShroudClient.connect(node.url, alice, { pollIntervalMs: 20, waitTimeoutMs: 2_000 });
  });
  after(async () => {
    await node.close();
    await enclave.stop();
  });

  it('connects, stores code, instantiates, executes and queries privately', async () => {
    assert.equal(client.chainId, CHAIN_ID);
    const stored = await client.storeCode(wasm('counter'));
    assert.equal(stored.codeHash, bytesToHex(sha256(wasm('counter'))));
    counterCodeId = stored.codeId;
    const init = await client.instantiate({
      codeId: counterCodeId,
      label: 'sdk-counter',
      msg: { count: 10 },
    });
    counter = init.contractAddress;
    const owner = init.events.flatMap((e) => e.attributes).find((a) => a.key === 'owner');
    assert.deepEqual(
      owner,
      { key: 'owner', value: alice.address, encrypted: true },
      'decrypted for the caller',
    );
    await client.execute({ contract: counter, msg: { increment: {} } });
    await client.execute({ contract: counter, msg: { increment: {} } });
    assert.deepEqual(await client.query(counter, { get_count: {} }), { count: 12 });
    // Nothing the node saw carries the plaintext of the messages.
    const seen = JSON.stringify(node.calls);
    assert.equal(seen.includes('increment'), false, 'no plaintext message on the wire');
    assert.equal(seen.includes('get_count'), false, 'no plaintext query on the wire');
  });

  it('a contract data output decrypts (token transfer)', async () => {
    const stored = await client.storeCode(wasm('token'));
    const token = await client.instantiate({
      codeId: stored.codeId,
      label: 'sdk-token',
      msg: tokenInitMsg([{ address: alice.address, amount: '1000' }]),
    });
    const transfer = await transferToken(client, token.contractAddress, bob.address, '25');
    const data = transfer.data[0];
    assert.ok(data !== null && data !== undefined, 'transfer returns data');
    assert.match(Buffer.from(data).toString(), /success/);
  });

  it('typed failures: contract error (decrypted), insufficient funds, out of gas, rejected, not found', async () => {
    const bobClient = await ShroudClient.connect(node.url, bob, { pollIntervalMs: 20, waitTimeoutMs: 2_000 });
    await assert.rejects(
      bobClient.execute({ contract: counter, msg: { reset: { count: 0 } } }),
      (error: unknown) => {
        assert.ok(error instanceof ContractError, String(error));
        assert.equal(error.contractMessage, 'Unauthorized');
        return true;
      },
    );
    await assert.rejects(
      bobClient.query(counter, { no_such_query: {} }),
      (error: unknown) => error instanceof ContractError && error.contractMessage.length > 0,
      'a query Err is a ContractError with its decrypted text',
    );
    await assert.rejects(
      client.send(bob.address, [{ denom: 'ushd', amount: 10n ** 12n }]),
      InsufficientFundsError,
    );
    app.gasLimitOverride = 10_000n;
    await assert.rejects(client.execute({ contract: counter, msg: { increment: {} } }), OutOfGasError);
    app.gasLimitOverride = undefined;
    const stranger = await ShroudClient.connect(node.url, Wallet.generate());
    await assert.rejects(
      stranger.send(bob.address, []),
      (e: unknown) => e instanceof ClientError && e.code === 'INVALID_ARGUMENT',
    );
    await assert.rejects(
      stranger.execute({ contract: toBech32('shroud', new Uint8Array(32)), msg: {} }),
      (e: unknown) => e instanceof ClientError && e.code === 'QUERY_FAILED',
      'unknown contract',
    );
    app.indexTxs = false;
    await assert.rejects(
      client.send(bob.address, [{ denom: 'ushd', amount: 1n }]),
      (e: unknown) => e instanceof ClientError && e.code === 'TX_NOT_FOUND',
    );
    app.indexTxs = true;
    // The unindexed tx consumed a sequence; the client's next tx follows it.
    await client.send(bob.address, [{ denom: 'ushd', amount: 1n }]);
    // The chain forgets a pending tx (sequence behind the client's): the node's refusal is a
    // TxRejectedError with its code, and the client then falls back to the chain's sequence.
    const account = app.accounts.get(alice.address)!;
    account.sequence -= 1n;
    await assert.rejects(
      client.send(bob.address, []),
      (e: unknown) => e instanceof TxRejectedError && e.code === 'TX_REJECTED' && e.resultCode === 32,
    );
    await client.send(bob.address, []);
  });

  it('balances, accounts, old results re-opened from the mnemonic, and tampered results refused', async () => {
    const before = await client.getBalance(bob.address, 'ushd');
    const sent = await client.send(bob.address, [{ denom: 'ushd', amount: 7n }]);
    assert.equal(await client.getBalance(bob.address, 'ushd'), before + 7n, 'credited');
    assert.equal(sent.events[0]?.type, 'transfer');
    assert.equal(await client.getAccount(Wallet.generate().address), null, 'unknown account');
    await assert.rejects(
      client.getBalance(bob.address, '../x'),
      (e: unknown) => e instanceof ClientError && e.code === 'INVALID_ARGUMENT',
    );
    // Fee from the gas price, rounded up: 1001 gas × 0.25 = 250.25 → 251.
    const priced = await ShroudClient.connect(node.url, alice, {
      gasPrice: { denom: 'ushd', amount: '0.25' },
      pollIntervalMs: 20,
    });
    await priced.send(bob.address, [], { gasLimit: 1001n });
    assert.deepEqual(app.lastFee, { gasLimit: 1001n, amount: ['251ushd'] });
    await priced.send(bob.address, [], { gasLimit: 1000n, fee: [{ denom: 'ushd', amount: 9n }] });
    assert.deepEqual(app.lastFee, { gasLimit: 1000n, amount: ['9ushd'] }, 'an explicit fee wins');
    assert.equal((await client.getAccount(alice.address))?.accountNumber, 0n);

    const done = await client.execute({ contract: counter, msg: { increment: {} } });
    // A fresh client from the mnemonic alone re-derives the keys from the envelope on chain.
    const later = await ShroudClient.connect(node.url, Wallet.fromMnemonic(alice.mnemonic!));
    const again = await later.getTx(done.txHash);
    assert.ok(again);
    assert.deepEqual(again.events, done.events);
    assert.equal(await later.getTx('00'.repeat(32)), null);

    // A node that alters an encrypted attribute is caught.
    const init = await client.instantiate({
      codeId: counterCodeId,
      label: 'sdk-counter-2',
      msg: { count: 1 },
    });
    app.rewrite = (result) => {
      for (const event of result.events) {
        for (const attribute of event.attributes) {
          if (attribute.key === 'encrypted') {
            const bytes = Buffer.from(attribute.value, 'base64');
            bytes[0]! ^= 1;
            attribute.value = bytes.toString('base64');
          }
        }
      }
      return result;
    };
    await assert.rejects(
      later.getTx(init.txHash),
      (e: unknown) => e instanceof ClientError && e.code === 'RESULT_DECRYPT_FAILED',
    );
    app.rewrite = undefined;
  });
});
