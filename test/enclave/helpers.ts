// Helpers of the enclave tests: an in-memory host (the OCALL services), users that build and
// sign encrypted contract transactions exactly as the client SDK will, and output decryption.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirRemovedAtExit } from '../helpers/temp.js';
import { contractWat, wat2wasm } from '../vm-runtime/wat.js';
import { tokenInitMsg, transferMsg } from '../helpers/token.js';
import { encryptContractMsg, encryptQueryMsg, userFromSeedText, type TestUser } from '../helpers/user.js';
import {
  bytesToHex,
  decodeBech32WithPrefix,
  decryptTxOutput,
  secp256k1Sign,
  sha256,
  toBech32,
  utf8Decode,
  utf8Encode,
} from '../../src/crypto/index.js';
import { buildTx, instantiateTarget } from '../../src/codec/index.js';
import { Enclave, EnclaveCallError } from '../../src/enclave/index.js';
import type { Executor } from '../../src/enclave/core/executor.js';
import { EnclaveError } from '../../src/enclave/errors.js';
import { deriveNetworkSecrets } from '../../src/enclave/secrets/network-secrets.js';
import { sealSeed } from '../../src/enclave/secrets/sealing.js';
import { contractStateKey, decryptStateValue, diskKey } from '../../src/enclave/secrets/state-encryption.js';
import type {
  BlockInfo,
  ContractEntry,
  Crossing,
  NetworkKeys,
  EnclaveServices,
  GenesisPolicy,
  PublicCoin,
  QueryRequest,
  RunContractRequest,
  RunContractResult,
} from '../../src/enclave/index.js';

export const CHAIN_ID = 'shroud-test-1';
export const GAS = 50_000_000_000n;

export function contractWasm(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../contracts/build/${name}.wasm`, import.meta.url)));
}

/** An enclave home, removed when the test process exits. */
export function tempHome(): string {
  return tempDirRemovedAtExit('shroud-enclave-');
}

export function contractAddress(name: string): string {
  return toBech32('shroud', sha256(utf8Encode(`contract:${name}`)));
}

export function block(height: bigint): BlockInfo {
  return { height, timeNanos: 1_800_000_000_000_000_000n + height * 5_000_000_000n, chainId: CHAIN_ID };
}

export const openPolicy: GenesisPolicy = {
  trustedAuthorities: [],
  allowedMeasurements: [],
  maxAgeSeconds: 3_600n,
  maxClockSkewSeconds: 60n,
};

/** An `assert.rejects` validator: the call was refused with EnclaveCallError code `code`. */
export function refusedWith(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof EnclaveCallError, `expected an EnclaveCallError, got ${String(error)}`);
    assert.equal(error.enclaveCode, code, error.message);
    return true;
  };
}

/** The host's storage and registries, in memory. Records every OCALL it serves. */
export class MemoryHost implements EnclaveServices {
  readonly state = new Map<string, Map<string, Uint8Array>>();
  readonly codes = new Map<string, Uint8Array>();
  readonly contracts = new Map<string, Uint8Array>();
  readonly balances = new Map<string, bigint>();
  readonly log: string[] = [];

  addCode(wasm: Uint8Array): string {
    const hash = sha256(wasm);
    this.codes.set(bytesToHex(hash), wasm);
    return bytesToHex(hash);
  }

  addContract(address: string, codeHash: string): void {
    this.contracts.set(address, Uint8Array.from(Buffer.from(codeHash, 'hex')));
  }

  readState(contract: string, diskKey: Uint8Array): Uint8Array | null {
    this.log.push(`readState ${contract} ${bytesToHex(diskKey)}`);
    return this.state.get(contract)?.get(bytesToHex(diskKey)) ?? null;
  }

  getCode(codeHash: Uint8Array): Uint8Array | null {
    this.log.push(`getCode ${bytesToHex(codeHash)}`);
    return this.codes.get(bytesToHex(codeHash)) ?? null;
  }

  contractInfo(address: string): Uint8Array | null {
    this.log.push(`contractInfo ${address}`);
    return this.contracts.get(address) ?? null;
  }

  queryChain(request: Uint8Array): Uint8Array {
    this.log.push(`queryChain ${utf8Decode(request)}`);
    const parsed = JSON.parse(utf8Decode(request)) as {
      bank?: { balance?: { address: string; denom: string } };
    };
    const balance = parsed.bank?.balance;
    if (balance === undefined) return utf8Encode('{"Err":{"unsupported_request":{"kind":"other"}}}');
    const amount = this.balances.get(`${balance.address}/${balance.denom}`) ?? 0n;
    const answer = JSON.stringify({ amount: { denom: balance.denom, amount: amount.toString() } });
    return utf8Encode(JSON.stringify({ Ok: { Ok: Buffer.from(answer).toString('base64') } }));
  }

  /** Applies a successful call's writes, as the app would. */
  apply(contract: string, result: RunContractResult): void {
    if (!result.ok) return;
    let slots = this.state.get(contract);
    if (slots === undefined) this.state.set(contract, (slots = new Map<string, Uint8Array>()));
    for (const write of result.writes) {
      if (write.blob === null) slots.delete(bytesToHex(write.diskKey));
      else slots.set(bytesToHex(write.diskKey), write.blob);
    }
  }

  /** Every byte string the host holds: for canary scans. */
  everything(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const [contract, slots] of this.state) {
      out.push(utf8Encode(contract));
      for (const [key, blob] of slots) out.push(utf8Encode(key), blob);
    }
    out.push(utf8Encode(this.log.join('\n')));
    return out;
  }
}

export type { TestUser } from '../helpers/user.js';

/**
 * A storage key as the token contract builds it, as latin1 text: u16 BE namespace length ‖
 * namespace ‖ key (the contract SDK's keyOf). What the read predictor's templates hold.
 */
export const tokenStorageKey = (namespace: string, key: string): string =>
  String.fromCharCode(namespace.length >> 8, namespace.length & 0xff) + namespace + key;

/** An address's canonical bytes under `prefix`, or null when it does not decode (the predictor's CanonicalOf). */
export function canonicalAddress(address: string, prefix = 'shroud'): Uint8Array | null {
  try {
    return decodeBech32WithPrefix(address, prefix);
  } catch {
    return null;
  }
}

/** User `tag` of the enclave tests (key sha256("test user <tag>")); account number `tag` unless told. */
export function makeUser(tag: number, accountNumber = BigInt(tag)): TestUser {
  return userFromSeedText(`test user ${tag}`, accountNumber);
}

export interface CallSpec {
  entry: ContractEntry;
  contract: string;
  codeHash: string;
  msg: unknown;
  funds?: PublicCoin[];
  codeId?: bigint;
  label?: string;
  height?: bigint;
  callIndex?: number;
  nonce?: Uint8Array;
}

export interface BuiltCall {
  request: RunContractRequest;
  txKey: Uint8Array;
  /** Rebuilds the request with another body/signature, for tamper tests. */
  signedBy: (user: TestUser, envelope: Uint8Array) => RunContractRequest;
}

/** Encrypts and signs one contract call as the client SDK does (DESIGN.md §1 steps 2–3). */
export function userCall(user: TestUser, networkIoKey: Uint8Array, spec: CallSpec): BuiltCall {
  const funds = spec.funds ?? [];
  const target =
    spec.entry === 'instantiate' ? instantiateTarget(spec.codeId ?? 1n, spec.label ?? 'c') : spec.contract;
  const encrypted = encryptContractMsg(user, networkIoKey, {
    kind: spec.entry,
    target,
    codeHash: spec.codeHash,
    msg: spec.msg,
    funds,
    ...(spec.nonce === undefined ? {} : { nonce: spec.nonce }),
  });
  const signedBy = (signer: TestUser, envelope: Uint8Array): RunContractRequest => {
    const message =
      spec.entry === 'instantiate'
        ? {
            sum: {
              case: 'instantiateContract' as const,
              value: {
                sender: signer.address,
                codeId: spec.codeId ?? 1n,
                label: spec.label ?? 'c',
                initMsg: envelope,
                initFunds: funds,
              },
            },
          }
        : spec.entry === 'execute'
          ? {
              sum: {
                case: 'executeContract' as const,
                value: { sender: signer.address, contract: spec.contract, msg: envelope, sentFunds: funds },
              },
            }
          : {
              sum: {
                case: 'migrateContract' as const,
                value: {
                  sender: signer.address,
                  contract: spec.contract,
                  codeId: spec.codeId ?? 1n,
                  msg: envelope,
                },
              },
            };
    const unsigned = buildTx({
      messages: [message],
      publicKey: signer.publicKey,
      sequence: signer.sequence,
      fee: { amount: [{ denom: 'ushd', amount: '5000' }], gasLimit: 200_000n },
      chainId: CHAIN_ID,
      accountNumber: signer.accountNumber,
    });
    const signature = secp256k1Sign(sha256(unsigned.signBytes), signer.privateKey);
    return {
      entry: spec.entry,
      contract: spec.contract,
      codeHash: spec.codeHash,
      ...(spec.entry === 'execute' ? {} : { codeId: spec.codeId ?? 1n }),
      ...(spec.entry === 'instantiate' ? { label: spec.label ?? 'c' } : {}),
      sender: signer.address,
      funds,
      envelope,
      auth: {
        kind: 'user',
        bodyBytes: unsigned.bodyBytes,
        authInfoBytes: unsigned.authInfoBytes,
        accountNumber: signer.accountNumber,
        signature,
        messageIndex: 0,
      },
      block: block(spec.height ?? 1n),
      txIndex: 0,
      callIndex: spec.callIndex ?? 0,
      gasLimit: GAS,
    };
  };
  return { request: signedBy(user, encrypted.envelope), txKey: encrypted.txKey, signedBy };
}

/** Decrypts a JSON output of a call with the user's tx key. */
export function openOutput(txKey: Uint8Array, txHash: Uint8Array, label: string, sealed: Uint8Array): string {
  return utf8Decode(decryptTxOutput(txKey, txHash, label, sealed));
}

/** Encrypts a query as the client SDK does (kind `query`, sender ''). */
export function userQuery(
  user: TestUser,
  networkIoKey: Uint8Array,
  contract: string,
  codeHash: string,
  msg: unknown,
  height = 1n,
): { request: QueryRequest; open: (sealed: Uint8Array, label?: string) => string } {
  const { envelope, open } = encryptQueryMsg(user, networkIoKey, contract, codeHash, msg);
  return { request: { contract, codeHash, envelope, block: block(height), gasLimit: GAS }, open };
}

/** The callback requests for the wasm execute messages of a successful call. */
export function callbacksOf(
  parent: RunContractResult,
  caller: string,
  height = 1n,
  firstCallIndex = 1,
): RunContractRequest[] {
  if (!parent.ok) return [];
  const out: RunContractRequest[] = [];
  for (const message of parent.messages) {
    if (message.kind !== 'wasm' || message.entry !== 'execute') continue;
    out.push({
      entry: 'execute',
      contract: message.contract,
      codeHash: message.codeHash,
      sender: caller,
      funds: message.funds,
      envelope: message.envelope,
      auth: { kind: 'callback', callbackSignature: message.callbackSignature, txHash: parent.txHash },
      block: block(height),
      txIndex: 0,
      callIndex: firstCallIndex + out.length,
      gasLimit: GAS,
    });
  }
  return out;
}

/**
 * An enclave running a seed the test chose (sealed by the test under a sealing key it wrote to
 * the home), so the test can derive the network secrets and read contract state back — a
 * test-only window that production never has. Two calls with one label are two validators of
 * one network. `tap` sees every boundary crossing (Enclave.start's option).
 * @throws whatever Enclave.start or the seed ECALL throws (the enclave is stopped first).
 */
export async function knownSeedEnclave(label: string, options: { tap?: (crossing: Crossing) => void } = {}) {
  const seed = sha256(utf8Encode(`${label} seed`));
  const sealingKey = sha256(utf8Encode(`${label} sealing key`));
  const home = tempHome();
  writeFileSync(join(home, 'sealing.key'), sealingKey, { mode: 0o600 });
  const host = new MemoryHost();
  const enclave = await Enclave.start({
    home,
    genesisPolicy: openPolicy,
    services: host,
    ...(options.tap === undefined ? {} : { tap: options.tap }),
  });
  let keys: NetworkKeys;
  try {
    keys = await enclave.start(sealSeed(seed, sealingKey));
  } catch (error) {
    await enclave.stop();
    throw error;
  }
  const secrets = deriveNetworkSecrets(seed);
  /** The plaintext value of `key` in a contract's encrypted store, or null. */
  const plainState = (contract: string, key: Uint8Array): Uint8Array | null => {
    const address = decodeBech32WithPrefix(contract, 'shroud');
    const contractKey = contractStateKey(secrets.stateKeyMaterial, address);
    const slot = diskKey(contractKey, key);
    const blob = host.state.get(contract)?.get(bytesToHex(slot));
    return blob === undefined ? null : decryptStateValue(contractKey, address, slot, blob);
  };
  return { enclave, host, home, keys, seed, sealingKey, secrets, plainState };
}

/**
 * Stores the `token` contract in `host` and instantiates it at `contractAddress(address)`
 * through `enclave`, with each holder funded with `amount` (the first holder signs).
 */
export async function deployToken(
  enclave: Enclave,
  host: MemoryHost,
  ioKey: Uint8Array,
  holders: readonly TestUser[],
  options: { address: string; label: string; name: string; symbol: string; amount: string },
): Promise<{ token: string; codeHash: string }> {
  const codeHash = host.addCode(contractWasm('token'));
  const token = contractAddress(options.address);
  host.addContract(token, codeHash);
  const init = userCall(holders[0]!, ioKey, {
    entry: 'instantiate',
    contract: token,
    codeHash,
    msg: tokenInitMsg(
      holders.map((u) => ({ address: u.address, amount: options.amount })),
      { name: options.name, symbol: options.symbol },
    ),
    label: options.label,
  }).request;
  host.apply(token, await enclave.runContract(init));
  return { token, codeHash };
}

/** What `twoTokenValidators` sets up: the seed's label, the two holders, and whether a bank querier is deployed. */
export interface TwoTokenValidatorsOptions {
  /** The seed's label (one network) and the prefix of the contracts' addresses. */
  label: string;
  /** The token's holders (1000 each); `alice` signs the instantiate. */
  alice: TestUser;
  bob: TestUser;
  /** Also deploy a contract whose execute asks the host for alice's bank balance (query_chain). */
  querier?: boolean;
}

/**
 * Two validators of one network (`knownSeedEnclave(label)` twice: the same seed, each with its
 * own host) at block 1, the `token` contract instantiated in both with alice and bob holding
 * 1000. `transfer` and `bankQuery` build signed calls numbered from call index 1 on.
 * @throws from `bankQuery` when the querier was not deployed; otherwise whatever the enclaves throw.
 */
export async function twoTokenValidators(options: TwoTokenValidatorsOptions) {
  const { label, alice, bob } = options;
  const a = await knownSeedEnclave(label);
  const b = await knownSeedEnclave(label);
  const tokenHash = a.host.addCode(contractWasm('token'));
  b.host.addCode(contractWasm('token'));
  const token = contractAddress(`${label}-token`);
  const querier = contractAddress(`${label}-querier`);
  let querierHash: string | null = null;
  if (options.querier === true) {
    // execute: a bank query through query_chain (an OCALL other than readState), answer stored.
    const querierWasm = await wat2wasm(
      contractWat({
        execute: '(call $save (i32.const 81) (call $query_chain (call $blob1))) (call $ok)',
        blobs: [JSON.stringify({ bank: { balance: { address: alice.address, denom: 'ushd' } } })],
      }),
    );
    querierHash = a.host.addCode(querierWasm);
    b.host.addCode(querierWasm);
  }
  for (const v of [a, b]) {
    await v.enclave.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
    v.host.addContract(token, tokenHash);
    if (querierHash !== null) v.host.addContract(querier, querierHash);
  }
  const init = userCall(alice, a.keys.ioPublicKey, {
    entry: 'instantiate',
    contract: token,
    codeHash: tokenHash,
    msg: tokenInitMsg([
      { address: alice.address, amount: '1000' },
      { address: bob.address, amount: '1000' },
    ]),
    label,
  }).request;
  for (const v of [a, b]) v.host.apply(token, await v.enclave.runContract(init));
  let callIndex = 1;
  const transfer = (from: TestUser, to: TestUser, amount: string): RunContractRequest =>
    userCall(from, a.keys.ioPublicKey, {
      entry: 'execute',
      contract: token,
      codeHash: tokenHash,
      msg: transferMsg(to.address, amount),
      callIndex: callIndex++,
    }).request;
  const bankQuery = (): RunContractRequest => {
    if (querierHash === null)
      throw new Error('twoTokenValidators: pass { querier: true } to deploy the querier');
    return userCall(alice, a.keys.ioPublicKey, {
      entry: 'execute',
      contract: querier,
      codeHash: querierHash,
      msg: {},
      callIndex: callIndex++,
    }).request;
  };
  const stop = async () => {
    await a.enclave.stop();
    await b.enclave.stop();
  };
  return { a, b, token, querier, transfer, bankQuery, stop };
}

/** One ECALL's worth of `driveBatches`: the results of a batch, or the refusal of its first call. */
export type BatchStep = { ran: RunContractResult[] } | { refused: string; message: string };

/**
 * Runs `requests` through an executor in-thread as a host runs a block: batches of at most
 * `size` calls, each batch's results applied to `host`, the rest resent; a refused first call
 * (the only thing runBatch throws) is recorded and dropped.
 * @throws AssertionError when runBatch throws anything but an EnclaveError.
 */
export function driveBatches(
  executor: Executor,
  host: MemoryHost,
  requests: readonly RunContractRequest[],
  size: number,
): BatchStep[] {
  const steps: BatchStep[] = [];
  let rest = requests;
  while (rest.length > 0) {
    try {
      const { results } = executor.runBatch(rest.slice(0, size), []);
      results.forEach((result, i) => host.apply((rest[i] as RunContractRequest).contract, result));
      steps.push({ ran: results });
      rest = rest.slice(results.length);
    } catch (error) {
      assert.ok(error instanceof EnclaveError, `only refusals throw: ${String(error)}`);
      steps.push({ refused: error.code, message: error.message });
      rest = rest.slice(1);
    }
  }
  return steps;
}

/** A ring of token transfers users[i] → users[i+1] of `amountOf(i)`, call indexes from `firstCall`. */
export function transferRing(
  users: readonly TestUser[],
  ioKey: Uint8Array,
  target: { token: string; codeHash: string },
  firstCall: number,
  amountOf: (i: number) => string,
): RunContractRequest[] {
  return users.map(
    (from, i) =>
      userCall(from, ioKey, {
        entry: 'execute',
        contract: target.token,
        codeHash: target.codeHash,
        msg: transferMsg(users[(i + 1) % users.length]!.address, amountOf(i)),
        callIndex: firstCall + i,
      }).request,
  );
}
