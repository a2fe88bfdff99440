// Helpers of the app tests: a node (Store + ShroudApp + enclave in a temp home), a genesis
// built around the bootstrap enclave's public keys, users that build, encrypt and sign
// transactions as the client SDK does, and a block runner.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirRemovedAtExit } from '../helpers/temp.js';
import { tokenInitMsg, transferMsg } from '../helpers/token.js';
import { encryptContractMsg, encryptQueryMsg, userFromSeedText, type TestUser } from '../helpers/user.js';
import {
  bytesToHex,
  concatBytes,
  decryptTxOutput,
  ed25519KeyPairFromSeed,
  secp256k1Sign,
  sha256,
  utf8Decode,
  utf8Encode,
} from '../../src/crypto/index.js';
import { buildTx, encodeTx, instantiateTarget, txHash, type TxBodyInit } from '../../src/codec/index.js';
import { Enclave, type GenesisPolicy } from '../../src/enclave/index.js';
import { Store } from '../../src/store/index.js';
import {
  ShroudApp,
  consensusAddress,
  contractAddressOf,
  decodeIndexedTx,
  enclavePolicy,
  parseGenesis,
  type Genesis,
  type IndexedTx,
  type ResponseFinalizeBlock,
} from '../../src/app/index.js';

/** One message of a tx body, as buildTx takes it. */
export type MessageInit = NonNullable<TxBodyInit['messages']>[number];

export const CHAIN_ID = 'shroud-app-test';
export const DENOM = 'ushd';
export const GENESIS_TIME = 1_800_000_000_000_000_000n;
export const BLOCK_NS = 5_000_000_000n;

/** A home for a test node, removed when the test process exits. */
export function tempDir(label: string): string {
  return tempDirRemovedAtExit(`shroud-app-${label}-`);
}

export function contractWasm(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../contracts/build/${name}.wasm`, import.meta.url)));
}

export const validatorKey = ed25519KeyPairFromSeed(sha256(utf8Encode('app test validator')));
export const proposer = consensusAddress(validatorKey.publicKey);

/** A user of the app tests (test/helpers/user.ts). */
export type User = TestUser;

/** User `tag` of the app tests (key sha256("app test user <tag>")). */
export function makeUser(tag: string, accountNumber: bigint): User {
  return userFromSeedText(`app test user ${tag}`, accountNumber);
}

/** Genesis JSON text with the given users funded (account numbers = their order) and one validator. */
export function genesisJson(
  keys: { ioPublicKey: Uint8Array; seedExchangePublicKey: Uint8Array },
  users: User[],
  overrides: {
    params?: Record<string, unknown>;
    attestation?: Record<string, unknown>;
    initialHeight?: bigint;
  } = {},
): string {
  const operator = makeUser('operator', BigInt(users.length));
  return JSON.stringify({
    chain_id: CHAIN_ID,
    ...(overrides.initialHeight === undefined ? {} : { initial_height: String(overrides.initialHeight) }),
    genesis_time: '2027-01-15T08:00:00Z',
    accounts: users.map((u) => ({ address: u.address, coins: [{ denom: DENOM, amount: '10000000000' }] })),
    validators: [
      {
        operator_address: operator.address,
        consensus_public_key: bytesToHex(validatorKey.publicKey),
        self_bond: '5000000',
        moniker: 'solo',
      },
    ],
    network: {
      io_public_key: bytesToHex(keys.ioPublicKey),
      seed_exchange_public_key: bytesToHex(keys.seedExchangePublicKey),
    },
    attestation: overrides.attestation ?? {
      trusted_authorities: [],
      allowed_measurements: [],
      max_quote_age_seconds: '3600',
    },
    params: {
      block_gas_limit: '100000000000',
      max_block_bytes: '22020096',
      min_gas_prices: [{ denom: DENOM, amount: '0.1' }],
      fee_denom: DENOM,
      bond_denom: DENOM,
      unbonding_period_seconds: '20',
      ...overrides.params,
    },
  });
}

export interface Node {
  home: string;
  store: Store;
  app: ShroudApp;
  enclave: Enclave;
  genesis: Genesis;
  close(): Promise<void>;
}

/**
 * Opens a node in `home`. With `bootstrap`, the enclave creates the seed (saved sealed as
 * `<home>/sealed-seed`) and `makeGenesis` builds the genesis from its public keys; otherwise
 * the sealed seed in the home (or `sealedSeed`) is opened and `genesisText` is used.
 */
export async function openNode(args: {
  home: string;
  genesisText?: string;
  makeGenesis?: (keys: { ioPublicKey: Uint8Array; seedExchangePublicKey: Uint8Array }) => string;
  sealedSeed?: Uint8Array;
  /** fsync each commit (default false: tests). */
  durable?: boolean;
  /** The enclave's attestation policy when bootstrapping (genesis does not exist yet). */
  bootstrapPolicy?: GenesisPolicy;
  /** Hash blocks on the store's worker (ADR 005 "Background hashing"); waits until it is up. */
  backgroundHashing?: boolean;
  /** ShroudAppOptions.contractBatching (default: the app's default). */
  contractBatching?: boolean;
  /** ShroudAppOptions.contractPipelining (default: the app's default). */
  contractPipelining?: boolean;
  /** ShroudAppOptions.contractBatchMax (default: the app's default). */
  contractBatchMax?: number;
  /** EnclaveOptions.spin (default: the enclave's default, adaptive spinning on). */
  spin?: boolean;
}): Promise<Node & { genesisText: string }> {
  const store = Store.open(join(args.home, 'data'), {
    durable: args.durable ?? false,
    backgroundHashing: args.backgroundHashing ?? false,
  });
  await store.backgroundHashingReady();
  // The enclave needs the app's services, the app needs the genesis: services are bound lazily.
  let app: ShroudApp | null = null;
  const services = {
    readState: (c: string, k: Uint8Array) => (app as ShroudApp).enclaveServices.readState(c, k),
    getCode: (h: Uint8Array) => (app as ShroudApp).enclaveServices.getCode(h),
    contractInfo: (a: string) => (app as ShroudApp).enclaveServices.contractInfo(a),
    queryChain: (r: Uint8Array) => (app as ShroudApp).enclaveServices.queryChain(r),
  };
  const policySource = args.genesisText === undefined ? null : parseGenesis(args.genesisText);
  const enclave = await Enclave.start({
    home: args.home,
    genesisPolicy: policySource
      ? enclavePolicy(policySource)
      : (args.bootstrapPolicy ?? {
          trustedAuthorities: [],
          allowedMeasurements: [],
          maxAgeSeconds: 3600n,
          maxClockSkewSeconds: 60n,
        }),
    services,
    ...(args.spin === undefined ? {} : { spin: args.spin }),
  });
  let genesisText = args.genesisText;
  const sealedPath = join(args.home, 'sealed-seed');
  if (args.makeGenesis !== undefined) {
    const keys = await enclave.bootstrap();
    writeFileSync(sealedPath, keys.sealedSeed);
    genesisText = args.makeGenesis(keys);
  } else {
    const sealed =
      args.sealedSeed ?? (existsSync(sealedPath) ? new Uint8Array(readFileSync(sealedPath)) : undefined);
    if (sealed === undefined) throw new Error('no sealed seed');
    await enclave.start(sealed);
  }
  if (genesisText === undefined) throw new Error('no genesis');
  const genesis = parseGenesis(genesisText);
  app = new ShroudApp({
    store,
    genesis,
    ...(args.contractBatching === undefined ? {} : { contractBatching: args.contractBatching }),
    ...(args.contractPipelining === undefined ? {} : { contractPipelining: args.contractPipelining }),
    ...(args.contractBatchMax === undefined ? {} : { contractBatchMax: args.contractBatchMax }),
  });
  app.attachEnclave(enclave);
  return {
    home: args.home,
    store,
    app,
    enclave,
    genesis,
    genesisText,
    close: async () => {
      await enclave.stop();
      await store.close();
    },
  };
}

export async function initChain(node: Node): Promise<void> {
  await node.app.initChain({
    timeNanos: node.genesis.genesisTimeNanos,
    chainId: node.genesis.chainId,
    appStateBytes: utf8Encode(''),
    validators: [],
    initialHeight: node.genesis.initialHeight,
  });
}

/** Runs one block with the given txs through prepare/process/finalize/commit. */
export async function runBlock(
  node: Node,
  txs: Uint8Array[],
  options: { skipPrepare?: boolean } = {},
): Promise<ResponseFinalizeBlock> {
  const last = node.store.info().height;
  const height = last === 0n ? node.genesis.initialHeight : last + 1n;
  const timeNanos = GENESIS_TIME + height * BLOCK_NS;
  const chosen = options.skipPrepare
    ? txs
    : (
        await node.app.prepareProposal({
          maxTxBytes: 22_020_096n,
          txs,
          height,
          timeNanos,
          proposerAddress: proposer,
        })
      ).txs;
  const hash = sha256(concatBytes(...chosen));
  const status = await node.app.processProposal({
    txs: chosen,
    hash,
    height,
    timeNanos,
    proposerAddress: proposer,
  });
  if (status.status !== 'accept') throw new Error('proposal rejected');
  const response = await node.app.finalizeBlock({
    txs: chosen,
    hash,
    height,
    timeNanos,
    proposerAddress: proposer,
    misbehavior: [],
  });
  await node.app.commit();
  return response;
}

export interface SignOptions {
  fee?: bigint;
  gasLimit?: bigint;
  sequence?: bigint;
  accountNumber?: bigint;
  chainId?: string;
  timeoutHeight?: bigint;
  signer?: User;
}

/** Builds and signs a tx from `user` with these messages; bumps user.sequence unless `sequence` is given. */
export function signTx(user: User, messages: TxBodyInit['messages'], options: SignOptions = {}): Uint8Array {
  const gasLimit = options.gasLimit ?? 2_000_000n;
  const sequence = options.sequence ?? user.sequence;
  const unsigned = buildTx({
    messages,
    publicKey: user.publicKey,
    sequence,
    fee: { amount: [{ denom: DENOM, amount: String(options.fee ?? gasLimit / 10n) }], gasLimit },
    chainId: options.chainId ?? CHAIN_ID,
    accountNumber: options.accountNumber ?? user.accountNumber,
    ...(options.timeoutHeight === undefined ? {} : { timeoutHeight: options.timeoutHeight }),
  });
  const signature = secp256k1Sign(sha256(unsigned.signBytes), (options.signer ?? user).privateKey);
  if (options.sequence === undefined) user.sequence += 1n;
  return encodeTx({
    bodyBytes: unsigned.bodyBytes,
    authInfoBytes: unsigned.authInfoBytes,
    signatures: [signature],
  });
}

export function sendMsg(from: User, to: string, amount: bigint): MessageInit {
  return {
    sum: {
      case: 'send',
      value: { fromAddress: from.address, toAddress: to, amount: [{ denom: DENOM, amount: String(amount) }] },
    },
  };
}

export function storeCodeMsg(user: User, wasm: Uint8Array): MessageInit {
  return {
    sum: { case: 'storeCode', value: { sender: user.address, wasmByteCode: wasm, source: '', builder: '' } },
  };
}

/**
 * Stores the named contracts (contracts/build/<name>.wasm) in one block, all signed by `owner`:
 * code ids 1, 2, … in this order on a fresh chain.
 * @returns their code hashes (hex), in the same order.
 * @throws AssertionError when a store tx fails.
 */
export async function storeCodes(node: Node, owner: User, names: readonly string[]): Promise<string[]> {
  const wasms = names.map((name) => contractWasm(name));
  const stored = await runBlock(
    node,
    wasms.map((wasm) => signTx(owner, [storeCodeMsg(owner, wasm)], { gasLimit: 5_000_000n })),
  );
  for (const [i, r] of stored.txResults.entries()) assert.equal(r.code, 0, `store ${names[i]}: ${r.log}`);
  return wasms.map((wasm) => bytesToHex(sha256(wasm)));
}

/**
 * Instantiates the token (code `codeId`, hash `codeHash`) once per label, a block each, signed
 * by `owner`, every holder with 1000.
 * @returns the contracts' addresses, in label order.
 * @throws AssertionError when an instantiate tx fails.
 */
export async function instantiateTokens(
  node: Node,
  owner: User,
  codeHash: string,
  labels: readonly string[],
  holders: readonly User[],
  codeId = 1n,
): Promise<string[]> {
  const io = node.genesis.network.ioPublicKey;
  const tokens: string[] = [];
  for (const label of labels) {
    const init = instantiateMsg(
      owner,
      io,
      codeId,
      codeHash,
      label,
      tokenInitMsg(holders.map((x) => ({ address: x.address, amount: '1000' }))),
    );
    const r = await runBlock(node, [signTx(owner, [init.message], { gasLimit: 200_000_000n })]);
    assert.equal(r.txResults[0]?.code, 0, `instantiate ${label}: ${r.txResults[0]?.log}`);
    tokens.push(contractAddressOf(codeId, label));
  }
  return tokens;
}

export interface Encrypted {
  envelope: Uint8Array;
  txKey: Uint8Array;
}

/** Encrypts a contract message as the SDK does (code hash prefix, binding as associated data). */
export function encryptMsg(
  user: User,
  ioKey: Uint8Array,
  args: {
    kind: 'instantiate' | 'execute' | 'migrate';
    target: string;
    codeHash: string;
    msg: unknown;
    funds?: { denom: string; amount: string }[];
    /** Fixed nonce (deterministic txs for crash tests); default random. */
    nonce?: Uint8Array;
  },
): Encrypted {
  return encryptContractMsg(user, ioKey, args);
}

export function instantiateMsg(
  user: User,
  ioKey: Uint8Array,
  codeId: bigint,
  codeHash: string,
  label: string,
  msg: unknown,
  admin = '',
): { message: MessageInit; txKey: Uint8Array } {
  const e = encryptMsg(user, ioKey, {
    kind: 'instantiate',
    target: instantiateTarget(codeId, label),
    codeHash,
    msg,
  });
  return {
    message: {
      sum: {
        case: 'instantiateContract',
        value: { sender: user.address, codeId, label, initMsg: e.envelope, initFunds: [], admin },
      },
    },
    txKey: e.txKey,
  };
}

export function executeMsg(
  user: User,
  ioKey: Uint8Array,
  contract: string,
  codeHash: string,
  msg: unknown,
  funds: { denom: string; amount: string }[] = [],
  nonce?: Uint8Array,
): { message: MessageInit; txKey: Uint8Array } {
  const e = encryptMsg(user, ioKey, {
    kind: 'execute',
    target: contract,
    codeHash,
    msg,
    funds,
    ...(nonce === undefined ? {} : { nonce }),
  });
  return {
    message: {
      sum: {
        case: 'executeContract',
        value: { sender: user.address, contract, msg: e.envelope, sentFunds: funds },
      },
    },
    txKey: e.txKey,
  };
}

/**
 * Three copies of the chain in `home` (closed; its sealing key and sealed seed travel with the
 * copies): pipelined and batched (both with `contractBatchMax` 4, so small blocks chain several
 * batches) and one call at a time — the nodes the pipelining tests compare. The copies' homes are
 * pushed to `homes` for the caller to remove.
 */
export async function openChainCopies(
  home: string,
  genesisText: string,
  prefix: string,
  homes: string[],
): Promise<{ pipelined: Node; batched: Node; serial: Node }> {
  const copies = [tempDir(`${prefix}-batched`), tempDir(`${prefix}-serial`)];
  for (const copy of copies) {
    homes.push(copy);
    cpSync(home, copy, { recursive: true });
  }
  const pipelined = await openNode({ home, genesisText, contractPipelining: true, contractBatchMax: 4 });
  const batched = await openNode({
    home: copies[0] as string,
    genesisText,
    contractPipelining: false,
    contractBatchMax: 4,
  });
  const serial = await openNode({ home: copies[1] as string, genesisText, contractBatching: false });
  return { pipelined, batched, serial };
}

/** Options of {@link tokenTransferTx}; the fee defaults to gasLimit / 5 (the test genesis price). */
export interface TokenTransferOptions {
  gasLimit?: bigint;
  fee?: bigint;
  sequence?: bigint;
  amount?: string;
}

/** A signed tx with one encrypted `token.transfer` of `amount` (default 1) from `from` to `to`. */
export function tokenTransferTx(
  from: User,
  to: User,
  ioKey: Uint8Array,
  token: string,
  codeHash: string,
  options: TokenTransferOptions = {},
): Uint8Array {
  const gasLimit = options.gasLimit ?? 300_000n;
  return signTx(
    from,
    [executeMsg(from, ioKey, token, codeHash, transferMsg(to.address, options.amount ?? '1')).message],
    {
      gasLimit,
      fee: options.fee ?? gasLimit / 5n,
      ...(options.sequence === undefined ? {} : { sequence: options.sequence }),
    },
  );
}

/** Encrypted smart query data for `/compute/query` and the opener of its answer. */
export function queryData(user: User, ioKey: Uint8Array, contract: string, codeHash: string, msg: unknown) {
  const { envelope, open } = encryptQueryMsg(user, ioKey, contract, codeHash, msg);
  const address = utf8Encode(contract);
  const data = concatBytes(Uint8Array.of(address.length >> 8, address.length & 0xff), address, envelope);
  return { data, open };
}

/** An encrypted smart query (`queryData(...).data`) at the latest height: the app's raw answer. */
export function computeQuery(node: Node, data: Uint8Array): ReturnType<ShroudApp['query']> {
  return node.app.query({ path: '/compute/query', data, height: 0n, prove: false });
}

export async function queryJson<T>(
  node: Node,
  path: string,
): Promise<{ code: number; value: T; log: string }> {
  const response = await node.app.query({ path, data: new Uint8Array(0), height: 0n, prove: false });
  return {
    code: response.code,
    log: response.log,
    value: (response.value.length === 0 ? null : JSON.parse(utf8Decode(response.value))) as T,
  };
}

export async function balanceOf(node: Node, address: string): Promise<bigint> {
  const { value } = await queryJson<{ amount: string }>(node, `/balance/${address}/${DENOM}`);
  return BigInt(value.amount);
}

export async function indexedTx(node: Node, tx: Uint8Array): Promise<IndexedTx | null> {
  const response = await node.app.query({
    path: `/tx/${bytesToHex(txHash(tx))}`,
    data: new Uint8Array(0),
    height: 0n,
    prove: false,
  });
  return response.code === 0 ? decodeIndexedTx(response.value) : null;
}

export function decryptData(txKey: Uint8Array, tx: Uint8Array, sealed: Uint8Array, label = 'data'): string {
  return utf8Decode(decryptTxOutput(txKey, txHash(tx), label, sealed));
}
