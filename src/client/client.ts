// ShroudClient: connect to a node, then store code, instantiate, execute, query and send with
// encryption and decryption done for the caller (DESIGN.md §1 steps 2–3 and 8). It only talks
// JSON-RPC (rpc.ts) and reads app state through `abci_query` paths; the value layouts of those
// paths are in docs/sdk.md ("Query layout") and are checked at runtime here.
import { decodeTx } from '../codec/index.js';
import { bytesToHex, fromBech32, hexToBytes, utf8Decode } from '../crypto/index.js';
import { ClientError, ContractError, TxRejectedError } from './errors.js';
import { fromBase64OrNull } from './encoding.js';
import { decryptQueryResult, encryptQuery } from './query.js';
import { RESULT_CODES, decryptTxResult, failureOf, type DecryptedTxResult } from './result.js';
import { RpcClient, type RpcClientOptions } from './rpc.js';
import { buildTx, type BuiltTx, type ClientMessage, type CoinInput } from './tx.js';
import type { Wallet } from './wallet.js';

export interface ShroudClientOptions extends RpcClientOptions {
  /** Gas limit when a call gives none. Default 2,000,000. */
  defaultGasLimit?: bigint;
  /** Fee per unit of gas, e.g. { denom: 'ushd', amount: '0.25' }; fee = ceil(gasLimit × amount). Default none. */
  gasPrice?: { denom: string; amount: string };
  /** How long to wait for inclusion after broadcast. Default 30 s. */
  waitTimeoutMs?: number;
  /** Poll interval of `tx` while waiting. Default 500 ms. */
  pollIntervalMs?: number;
}

/** Per-call transaction options. */
export interface CallOptions {
  gasLimit?: bigint;
  fee?: CoinInput[];
  memo?: string;
  timeoutHeight?: bigint;
}

export interface Account {
  address: string;
  accountNumber: bigint;
  sequence: bigint;
  publicKey: Uint8Array | null;
}

export interface ContractInfo {
  address: string;
  codeId: bigint;
  codeHash: string;
  label: string;
  admin: string;
}

/** A stored code: its id, code hash (sha256 of the wasm) and uploader. */
export interface CodeInfo {
  codeId: bigint;
  codeHash: string;
  creator: string;
}

/** Fee and staking parameters of the chain, from its genesis (`genesis` RPC). */
export interface ChainParams {
  feeDenom: string;
  bondDenom: string;
  /** The minimum fee per unit of gas in the fee denom (decimal text), or null if the chain sets none. */
  minGasPrice: { denom: string; amount: string } | null;
}

/** A decrypted, included transaction. */
export interface TxOutcome extends DecryptedTxResult {
  height: bigint;
}

type Obj = Record<string, unknown>;

function malformed(path: string, what: string): never {
  throw new ClientError('RESULT_MALFORMED', `abci_query ${path}: ${what} (docs/sdk.md "Query layout")`);
}

function parseJsonObject(path: string, value: Uint8Array): Obj {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decode(value));
  } catch {
    malformed(path, 'the value is not UTF-8 JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    malformed(path, 'not a JSON object');
  return parsed as Obj;
}

/** `account_number` or `accountNumber`: src/app answers in camelCase, CometBFT style is snake_case. */
function lookup(obj: Obj, name: string): unknown {
  if (name in obj) return obj[name];
  return obj[name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())];
}

function field(path: string, obj: Obj, name: string): string {
  const value = lookup(obj, name);
  if (typeof value !== 'string') malformed(path, `"${name}" is not a string`);
  return value;
}

function uintField(path: string, obj: Obj, name: string): bigint {
  const value = field(path, obj, name);
  if (!/^(0|[1-9][0-9]{0,19})$/.test(value)) malformed(path, `"${name}" is not a decimal integer`);
  return BigInt(value);
}

function keyBytes(path: string, text: string): Uint8Array {
  // 32-byte keys: 64 hex characters or 44 base64 characters.
  if (/^[0-9a-fA-F]{64}$/.test(text)) return hexToBytes(text.toLowerCase());
  const decoded = fromBase64OrNull(text);
  if (decoded === null || decoded.length !== 32) malformed(path, 'a key is neither 32-byte hex nor base64');
  return decoded;
}

function publicKeyBytes(path: string, text: string): Uint8Array {
  // A 33-byte compressed key: 66 hex characters (src/app) or base64.
  if (/^[0-9a-fA-F]{66}$/.test(text)) return hexToBytes(text.toLowerCase());
  const decoded = fromBase64OrNull(text);
  if (decoded === null || decoded.length !== 33)
    malformed(path, 'public_key is neither 33-byte hex nor base64');
  return decoded;
}

function checkAddress(name: string, address: string): void {
  try {
    if (fromBech32(address).prefix === 'shroud') return;
  } catch {
    // fall through to the typed error
  }
  throw new ClientError('INVALID_ARGUMENT', `${name} must be a shroud1… address`);
}

/**
 * The fee for a gas limit at a gas price: ceil(gasLimit × price), as the chain's checkTx
 * computes its minimum (ADR 007).
 * @example gasFee(200_000n, { denom: 'ushd', amount: '0.1' }) // { denom: 'ushd', amount: 20000n }
 * @throws {ClientError} INVALID_ARGUMENT if the price is not a decimal like "0.25".
 */
export function gasFee(
  gasLimit: bigint,
  price: { denom: string; amount: string },
): { denom: string; amount: bigint } {
  const match = /^([0-9]+)(?:\.([0-9]{1,18}))?$/.exec(price.amount);
  if (match === null)
    throw new ClientError('INVALID_ARGUMENT', 'gasPrice.amount must be a decimal like "0.25"');
  const decimals = match[2] ?? '';
  const scale = 10n ** BigInt(decimals.length);
  const numerator = BigInt(match[1]! + decimals) * gasLimit;
  return { denom: price.denom, amount: (numerator + scale - 1n) / scale };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The SDK's entry point.
 * @example
 * const client = await ShroudClient.connect('http://127.0.0.1:26657', Wallet.fromMnemonic(m));
 * const { contractAddress } = await client.instantiate({ codeId, label: 'counter', msg: { count: 0 } });
 * await client.execute({ contract: contractAddress, msg: { increment: {} } });
 * const answer = await client.query(contractAddress, { get_count: {} });
 */
export class ShroudClient {
  readonly rpc: RpcClient;
  readonly wallet: Wallet | undefined;
  readonly chainId: string;
  readonly #options: ShroudClientOptions;
  #networkKey: Uint8Array | undefined;
  readonly #codeHashes = new Map<string, string>();
  #nextSequence: bigint | undefined;

  private constructor(
    rpc: RpcClient,
    wallet: Wallet | undefined,
    chainId: string,
    options: ShroudClientOptions,
  ) {
    this.rpc = rpc;
    this.wallet = wallet;
    this.chainId = chainId;
    this.#options = options;
  }

  /**
   * Connects (reads `status` for the chain id). Without a wallet the client can only read.
   * @throws {RpcError} when the node cannot be reached or answers in another shape.
   */
  static async connect(
    url: string,
    wallet?: Wallet,
    options: ShroudClientOptions = {},
  ): Promise<ShroudClient> {
    const rpc = new RpcClient(url, options);
    const status = await rpc.status();
    return new ShroudClient(rpc, wallet, status.chainId, options);
  }

  async #query(path: string, data?: Uint8Array): Promise<Uint8Array | null> {
    const response = await this.rpc.abciQuery(path, data);
    if (response.code !== 0) {
      if (/not found/i.test(response.log)) return null;
      throw new ClientError(
        'QUERY_FAILED',
        `abci_query ${path}: code ${response.code}: ${response.log.slice(0, 300)}`,
      );
    }
    return response.value;
  }

  /**
   * The network's IO public key (X25519), cached. Messages are encrypted to it.
   * @throws {ClientError} RESULT_MALFORMED / QUERY_FAILED; {@link RpcError}.
   */
  async networkPublicKey(): Promise<Uint8Array> {
    if (this.#networkKey !== undefined) return this.#networkKey;
    const path = '/network/keys';
    const value = await this.#query(path);
    if (value === null) throw new ClientError('QUERY_FAILED', 'the node has no network keys yet');
    this.#networkKey = keyBytes(path, field(path, parseJsonObject(path, value), 'io_public_key'));
    return this.#networkKey;
  }

  /** An account, or null if it has never received funds. @throws {ClientError}; {@link RpcError}. */
  async getAccount(address: string): Promise<Account | null> {
    checkAddress('address', address);
    const path = `/account/${address}`;
    const value = await this.#query(path);
    if (value === null) return null;
    const obj = parseJsonObject(path, value);
    const publicKey = lookup(obj, 'public_key');
    return {
      address: field(path, obj, 'address'),
      accountNumber: uintField(path, obj, 'account_number'),
      sequence: uintField(path, obj, 'sequence'),
      publicKey:
        publicKey === null || publicKey === undefined || publicKey === ''
          ? null
          : publicKeyBytes(path, field(path, obj, 'public_key')),
    };
  }

  /** A balance in the smallest unit (0 for unknown accounts). @throws {ClientError}; {@link RpcError}. */
  async getBalance(address: string, denom: string): Promise<bigint> {
    checkAddress('address', address);
    if (typeof denom !== 'string' || !/^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/.test(denom)) {
      throw new ClientError('INVALID_ARGUMENT', 'denom is not a valid denomination');
    }
    // The denom is the rest of the path (it may contain '/', as IBC denoms do).
    const path = `/balance/${address}/${denom}`;
    const value = await this.#query(path);
    if (value === null) return 0n;
    return uintField(path, parseJsonObject(path, value), 'amount');
  }

  /** Public contract info (code hash, label, admin), or null. @throws {ClientError}; {@link RpcError}. */
  async getContract(address: string): Promise<ContractInfo | null> {
    checkAddress('address', address);
    const path = `/contract/${address}`;
    const value = await this.#query(path);
    if (value === null) return null;
    const obj = parseJsonObject(path, value);
    const codeHash = field(path, obj, 'code_hash').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(codeHash)) malformed(path, 'code_hash is not 64 hex characters');
    return {
      address: field(path, obj, 'address'),
      codeId: uintField(path, obj, 'code_id'),
      codeHash,
      label: field(path, obj, 'label'),
      admin: typeof obj.admin === 'string' ? obj.admin : '',
    };
  }

  /** A stored code, or null if the id is unknown. @throws {ClientError}; {@link RpcError}. */
  async getCode(codeId: bigint): Promise<CodeInfo | null> {
    if (typeof codeId !== 'bigint' || codeId < 0n)
      throw new ClientError('INVALID_ARGUMENT', 'codeId must be a bigint ≥ 0');
    const path = `/code/${codeId.toString()}`;
    const value = await this.#query(path);
    if (value === null) return null;
    const obj = parseJsonObject(path, value);
    const codeHash = field(path, obj, 'code_hash').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(codeHash)) malformed(path, 'code_hash is not 64 hex characters');
    return { codeId: uintField(path, obj, 'code_id'), codeHash, creator: field(path, obj, 'creator') };
  }

  /**
   * The encrypted seed the chain stored for a registration key (`tx register`), or null while
   * the node is not registered. Only the enclave holding that registration key can open it.
   * @throws {ClientError} INVALID_ARGUMENT for a key that is not 32 bytes; {@link RpcError}.
   */
  async getRegistration(registrationPublicKey: Uint8Array): Promise<Uint8Array | null> {
    if (!(registrationPublicKey instanceof Uint8Array) || registrationPublicKey.length !== 32)
      throw new ClientError('INVALID_ARGUMENT', 'registrationPublicKey must be 32 bytes');
    const path = `/registration/${bytesToHex(registrationPublicKey)}`;
    const value = await this.#query(path);
    if (value === null) return null;
    const seed = field(path, parseJsonObject(path, value), 'encrypted_seed');
    if (!/^([0-9a-fA-F]{2})+$/.test(seed)) malformed(path, 'encrypted_seed is not hex');
    return hexToBytes(seed.toLowerCase());
  }

  /**
   * Fee denom, bond denom and minimum gas price from the chain's genesis (the `genesis` RPC).
   * @throws {ClientError} RESULT_MALFORMED if the genesis has no Shroud params; {@link RpcError}.
   */
  async chainParams(): Promise<ChainParams> {
    const { appState } = await this.rpc.genesis();
    const params = appState?.params;
    if (typeof params !== 'object' || params === null || Array.isArray(params))
      throw new ClientError('RESULT_MALFORMED', 'genesis: app_state.params is not an object');
    const { fee_denom: feeDenom, bond_denom: bondDenom, min_gas_prices: prices } = params as Obj;
    if (typeof feeDenom !== 'string' || typeof bondDenom !== 'string')
      throw new ClientError('RESULT_MALFORMED', 'genesis: params.fee_denom / bond_denom are not strings');
    let minGasPrice: ChainParams['minGasPrice'] = null;
    if (Array.isArray(prices)) {
      for (const entry of prices as unknown[]) {
        const { denom, amount } = (typeof entry === 'object' && entry !== null ? entry : {}) as Obj;
        if (denom === feeDenom && typeof amount === 'string' && /^[0-9]+(\.[0-9]{1,18})?$/.test(amount))
          minGasPrice = { denom: feeDenom, amount };
      }
    }
    return { feeDenom, bondDenom, minGasPrice };
  }

  /** The code hash of a stored code id. @throws {ClientError} QUERY_FAILED if unknown; {@link RpcError}. */
  async getCodeHash(codeId: bigint): Promise<string> {
    const path = `/code/${codeId.toString()}`;
    const value = await this.#query(path);
    if (value === null) throw new ClientError('QUERY_FAILED', `code ${codeId} does not exist`);
    const codeHash = field(path, parseJsonObject(path, value), 'code_hash').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(codeHash)) malformed(path, 'code_hash is not 64 hex characters');
    return codeHash;
  }

  async #contractCodeHash(contract: string): Promise<string> {
    const cached = this.#codeHashes.get(contract);
    if (cached !== undefined) return cached;
    const info = await this.getContract(contract);
    if (info === null) throw new ClientError('QUERY_FAILED', `contract ${contract} does not exist`);
    this.#codeHashes.set(contract, info.codeHash);
    return info.codeHash;
  }

  #requireWallet(): Wallet {
    if (this.wallet === undefined) {
      throw new ClientError(
        'INVALID_ARGUMENT',
        'this client has no wallet: ShroudClient.connect(url, wallet)',
      );
    }
    return this.wallet;
  }

  #fee(gasLimit: bigint, fee: CoinInput[] | undefined): CoinInput[] {
    if (fee !== undefined) return fee;
    const price = this.#options.gasPrice;
    return price === undefined ? [] : [gasFee(gasLimit, price)];
  }

  /**
   * Builds, signs, broadcasts one transaction and waits for it to be included; returns its
   * decrypted result.
   * @throws {ContractError | OutOfGasError | InsufficientFundsError | TxRejectedError} when the
   *   chain refuses (checkTx) or reverts it; {@link ClientError} TX_NOT_FOUND after the wait
   *   timeout, RESULT_DECRYPT_FAILED for a tampered result; {@link RpcError}.
   */
  async signAndBroadcast(messages: ClientMessage[], options: CallOptions = {}): Promise<TxOutcome> {
    const wallet = this.#requireWallet();
    const account = await this.getAccount(wallet.address);
    if (account === null) {
      throw new ClientError(
        'INVALID_ARGUMENT',
        `account ${wallet.address} does not exist on chain yet: fund it first`,
      );
    }
    const needsKey = messages.some(
      (m) => m.type === 'execute' || m.type === 'instantiate' || m.type === 'migrate',
    );
    const sequence =
      this.#nextSequence !== undefined && this.#nextSequence > account.sequence
        ? this.#nextSequence
        : account.sequence;
    const gasLimit = options.gasLimit ?? this.#options.defaultGasLimit ?? 2_000_000n;
    const built = buildTx(
      {
        sender: wallet,
        chainId: this.chainId,
        accountNumber: account.accountNumber,
        sequence,
        gasLimit,
        fee: this.#fee(gasLimit, options.fee),
        ...(options.memo === undefined ? {} : { memo: options.memo }),
        ...(options.timeoutHeight === undefined ? {} : { timeoutHeight: options.timeoutHeight }),
        ...(needsKey ? { networkPublicKey: await this.networkPublicKey() } : {}),
      },
      messages,
    );
    try {
      await this.#checkIn(built);
      this.#nextSequence = sequence + 1n; // accepted into the mempool: the next tx may follow at once
      return await this.#waitFor(built);
    } catch (error) {
      if (error instanceof TxRejectedError && error.code === 'TX_REJECTED') this.#nextSequence = undefined;
      throw error;
    }
  }

  /**
   * Broadcasts a built transaction (`broadcast_tx_sync`), waits for inclusion (`tx`), decrypts.
   * @throws as {@link signAndBroadcast}.
   */
  async broadcast(built: BuiltTx): Promise<TxOutcome> {
    await this.#checkIn(built);
    return this.#waitFor(built);
  }

  async #checkIn(built: BuiltTx): Promise<void> {
    const checked = await this.rpc.broadcastTxSync(built.txBytes);
    if (checked.code !== 0) {
      throw failureOf(
        { txHash: built.hashHex, resultCode: checked.code, codespace: checked.codespace, log: checked.log },
        built.txKeys,
        built.hash,
      );
    }
    if (checked.hash !== built.hashHex) {
      throw new ClientError('RESULT_MALFORMED', 'the node reports another hash than the transaction sent');
    }
  }

  async #waitFor(built: BuiltTx): Promise<TxOutcome> {
    const deadline = Date.now() + (this.#options.waitTimeoutMs ?? 30_000);
    for (;;) {
      const found = await this.rpc.tx(built.hashHex);
      if (found !== null) {
        return {
          ...decryptTxResult(built.txKeys, built.hash, found.txResult, built.targets),
          height: found.height,
        };
      }
      if (Date.now() >= deadline) {
        throw new ClientError(
          'TX_NOT_FOUND',
          `transaction ${built.hashHex} was not included in time; query it later with getTx`,
        );
      }
      await sleep(this.#options.pollIntervalMs ?? 500);
    }
  }

  /**
   * Fetches an included transaction and decrypts it. Keys: the ones given, else re-derived
   * from this client's wallet (so old results open with the mnemonic alone).
   * @returns null if the node does not know the hash.
   * @throws as {@link decryptTxResult}; {@link RpcError}.
   */
  async getTx(hashHex: string, txKeys?: readonly (Uint8Array | null)[]): Promise<TxOutcome | null> {
    const found = await this.rpc.tx(hashHex);
    if (found === null) return null;
    const keys = txKeys ?? (await this.txKeysOf(found.tx));
    const targets = decodeTx(found.tx).body.messages.map((message) => {
      const sum = message.sum;
      return sum.case === 'executeContract' || sum.case === 'migrateContract' ? sum.value.contract : null;
    });
    return { ...decryptTxResult(keys, found.hash, found.txResult, targets), height: found.height };
  }

  /**
   * Re-derives the tx keys of a transaction's envelopes with this client's wallet.
   * @throws {ClientError} INVALID_ARGUMENT if an envelope was made by another wallet; CodecError.
   */
  async txKeysOf(txBytes: Uint8Array): Promise<(Uint8Array | null)[]> {
    const wallet = this.#requireWallet();
    const { body } = decodeTx(txBytes);
    const networkKey = await this.networkPublicKey();
    return body.messages.map((message) => {
      const sum = message.sum;
      const envelope =
        sum.case === 'executeContract' || sum.case === 'migrateContract'
          ? sum.value.msg
          : sum.case === 'instantiateContract'
            ? sum.value.initMsg
            : null;
      return envelope === null ? null : wallet.txKeyOfEnvelope(envelope, networkKey);
    });
  }

  /**
   * Uploads wasm. @returns the code id and hash from the `store_code` event.
   * @throws as {@link signAndBroadcast}; RESULT_MALFORMED without a store_code event.
   */
  async storeCode(wasm: Uint8Array, options: CallOptions & { source?: string; builder?: string } = {}) {
    const { source, builder, ...call } = options;
    const outcome = await this.signAndBroadcast(
      [{ type: 'storeCode', wasm, ...(source ? { source } : {}), ...(builder ? { builder } : {}) }],
      call,
    );
    const codeId = eventAttribute(outcome, 'store_code', 'code_id');
    const codeHash = eventAttribute(outcome, 'store_code', 'code_hash').toLowerCase();
    if (!/^(0|[1-9][0-9]{0,19})$/.test(codeId))
      throw new ClientError('RESULT_MALFORMED', 'store_code.code_id is not a number');
    return { ...outcome, codeId: BigInt(codeId), codeHash };
  }

  /**
   * Instantiates a contract privately. @returns the new address (event `instantiate`) and the decrypted result.
   * @throws as {@link signAndBroadcast}.
   */
  async instantiate(
    args: {
      codeId: bigint;
      codeHash?: string;
      label: string;
      msg: unknown;
      funds?: CoinInput[];
      admin?: string;
    },
    options: CallOptions = {},
  ) {
    const codeHash = args.codeHash ?? (await this.getCodeHash(args.codeId));
    const outcome = await this.signAndBroadcast(
      [
        {
          type: 'instantiate',
          codeId: args.codeId,
          codeHash,
          label: args.label,
          msg: args.msg,
          ...(args.funds ? { funds: args.funds } : {}),
          ...(args.admin ? { admin: args.admin } : {}),
        },
      ],
      options,
    );
    const contractAddress = eventAttribute(outcome, 'instantiate', 'contract_address');
    this.#codeHashes.set(contractAddress, codeHash);
    return { ...outcome, contractAddress };
  }

  /** Executes a contract privately. @throws as {@link signAndBroadcast}. */
  async execute(
    args: { contract: string; codeHash?: string; msg: unknown; funds?: CoinInput[] },
    options: CallOptions = {},
  ): Promise<TxOutcome> {
    const codeHash = args.codeHash ?? (await this.#contractCodeHash(args.contract));
    return this.signAndBroadcast(
      [
        {
          type: 'execute',
          contract: args.contract,
          codeHash,
          msg: args.msg,
          ...(args.funds ? { funds: args.funds } : {}),
        },
      ],
      options,
    );
  }

  /** Migrates a contract (admin only). @throws as {@link signAndBroadcast}. */
  async migrate(
    args: { contract: string; codeId: bigint; codeHash?: string; msg: unknown },
    options: CallOptions = {},
  ): Promise<TxOutcome> {
    const codeHash = args.codeHash ?? (await this.getCodeHash(args.codeId));
    const outcome = await this.signAndBroadcast(
      [{ type: 'migrate', contract: args.contract, codeId: args.codeId, codeHash, msg: args.msg }],
      options,
    );
    this.#codeHashes.set(args.contract, codeHash);
    return outcome;
  }

  /** Sends coins (public). @throws as {@link signAndBroadcast}. */
  async send(to: string, amount: CoinInput[], options: CallOptions = {}): Promise<TxOutcome> {
    return this.signAndBroadcast([{ type: 'send', to, amount }], options);
  }

  /** Bonds coins to a validator (public). @throws as {@link signAndBroadcast}. */
  async delegate(validator: string, amount: CoinInput, options: CallOptions = {}): Promise<TxOutcome> {
    return this.signAndBroadcast([{ type: 'delegate', validator, amount }], options);
  }

  /** Starts unbonding coins from a validator (public). @throws as {@link signAndBroadcast}. */
  async undelegate(validator: string, amount: CoinInput, options: CallOptions = {}): Promise<TxOutcome> {
    return this.signAndBroadcast([{ type: 'undelegate', validator, amount }], options);
  }

  /**
   * Makes the wallet's account a validator operator with a consensus (ed25519) key and a self bond.
   * @throws as {@link signAndBroadcast}.
   */
  async createValidator(
    args: { consensusPublicKey: Uint8Array; selfBond: CoinInput; moniker: string },
    options: CallOptions = {},
  ): Promise<TxOutcome> {
    return this.signAndBroadcast([{ type: 'createValidator', ...args }], options);
  }

  /**
   * Registers a node's enclave with its attestation quote; the chain then stores the network
   * seed encrypted to the quote's registration key ({@link getRegistration}).
   * @throws as {@link signAndBroadcast}.
   */
  async registerNode(quote: Uint8Array, options: CallOptions = {}): Promise<TxOutcome> {
    return this.signAndBroadcast([{ type: 'registerNode', quote }], options);
  }

  /**
   * An encrypted smart query; the answer is decrypted and parsed as JSON.
   * @throws {ContractError} with the decrypted message when the contract answers Err;
   *   {@link ClientError} QUERY_FAILED, RESULT_DECRYPT_FAILED, RESULT_MALFORMED; {@link RpcError}.
   */
  async query(contract: string, msg: unknown, options: { codeHash?: string } = {}): Promise<unknown> {
    const wallet = this.#requireWallet();
    checkAddress('contract', contract);
    const codeHash = options.codeHash ?? (await this.#contractCodeHash(contract));
    const query = encryptQuery(wallet, await this.networkPublicKey(), contract, codeHash, msg);
    const response = await this.rpc.abciQuery('/compute/query', query.requestData);
    if (response.code === RESULT_CODES.compute.contractFailed && response.codespace === 'compute') {
      // The contract's Err, sealed under `query/error`: in the value (src/app) or the log.
      const match = /encrypted: ([A-Za-z0-9+/=]+)/.exec(response.log);
      const sealed = match ? fromBase64OrNull(match[1]!) : response.value;
      if (sealed === null || sealed.length === 0) {
        throw new ClientError('QUERY_FAILED', `query failed: ${response.log.slice(0, 300)}`);
      }
      const info = { resultCode: response.code, codespace: response.codespace, log: response.log };
      throw new ContractError(info, decryptQueryResult(query, sealed, 'query/error'), 0);
    }
    if (response.code !== 0) {
      throw new ClientError(
        'QUERY_FAILED',
        `query failed: code ${response.code}: ${response.log.slice(0, 300)}`,
      );
    }
    const text = decryptQueryResult(query, response.value);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ClientError('RESULT_MALFORMED', 'the decrypted query answer is not JSON');
    }
  }
}

/**
 * The value of attribute `key` in the first `type` event of a result (e.g. `store_code` /
 * `code_id`, `instantiate` / `contract_address`).
 * @throws {ClientError} RESULT_MALFORMED when no such event carries it.
 */
export function eventAttribute(outcome: DecryptedTxResult, type: string, key: string): string {
  for (const event of outcome.events) {
    if (event.type !== type) continue;
    const found = event.attributes.find((a) => a.key === key);
    if (found !== undefined) return found.value;
  }
  throw new ClientError(
    'RESULT_MALFORMED',
    `the result has no "${type}" event with "${key}" (docs/sdk.md "Result layout")`,
  );
}
