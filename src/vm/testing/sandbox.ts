// `shroud/testing`: an in-memory chain for contract unit tests. It runs contracts in the real
// ContractVm (same validation, metering and host ABI as the chain) and dispatches their
// messages like the chain does: depth-first, funds moved before a call, submessage replies
// per reply_on, and an atomic rollback of the whole call tree when anything fails.
// No encryption and no code-hash prefixes: messages are plain JSON (docs/contracts.md).

import { sha256, toBech32 } from '../../crypto/index.js';
import { VmError } from '../errors.js';
import { encodeBase64 } from '../runtime/json.js';
import { ContractVm } from '../runtime/vm.js';
import type { ValidatedCode } from '../validate.js';
import type {
  Coin,
  ContractEnv,
  CosmosMsg,
  EntryPoint,
  Event,
  Querier,
  Response,
  SubMsg,
} from '../runtime/types.js';
import { ContractError, SandboxError } from './errors.js';

/** A coin as tests like to write it: amount as bigint, safe integer number or decimal string. */
export interface CoinInput {
  denom: string;
  amount: bigint | number | string;
}

export interface SandboxOptions {
  chainId?: string;
  /** Bech32 prefix of addresses (default `shroud`). */
  prefix?: string;
  /** Wasm gas for each top-level call tree (default 10^10, the chain's per-call cap). */
  gasLimit?: bigint;
  /** Receives the contracts' debug messages. */
  debug?: (message: string) => void;
}

export interface BlockInfo {
  height: number;
  /** Nanoseconds since the Unix epoch. */
  time: bigint;
  /** 32 bytes; given to contracts that export `requires_random`. */
  random: Uint8Array;
}

interface ContractRecord {
  codeId: number;
  label: string;
  admin: string | null;
  creator: string;
}

/** The chain state a call tree may change; cloned per (sub)call so a failure rolls it back. */
class State {
  constructor(
    readonly storages = new Map<string, Map<string, Uint8Array>>(),
    readonly balances = new Map<string, Map<string, bigint>>(),
    readonly contracts = new Map<string, ContractRecord>(),
    readonly labels = new Set<string>(),
    public instanceCounter = 0,
  ) {}

  clone(): State {
    const storages = new Map<string, Map<string, Uint8Array>>();
    for (const [address, store] of this.storages) storages.set(address, new Map(store));
    const balances = new Map<string, Map<string, bigint>>();
    for (const [address, coins] of this.balances) balances.set(address, new Map(coins));
    const contracts = new Map<string, ContractRecord>();
    for (const [address, record] of this.contracts) contracts.set(address, { ...record });
    return new State(storages, balances, contracts, new Set(this.labels), this.instanceCounter);
  }

  balance(address: string, denom: string): bigint {
    return this.balances.get(address)?.get(denom) ?? 0n;
  }

  setBalance(address: string, denom: string, amount: bigint): void {
    let coins = this.balances.get(address);
    if (coins === undefined) {
      coins = new Map();
      this.balances.set(address, coins);
    }
    if (amount === 0n) coins.delete(denom);
    else coins.set(denom, amount);
  }

  transfer(from: string, to: string, amount: readonly Coin[]): void {
    for (const coin of amount) {
      const have = this.balance(from, coin.denom);
      if (have < coin.amount) {
        throw new SandboxError(
          'INSUFFICIENT_FUNDS',
          `insufficient funds: ${from} has ${have}${coin.denom}, needs ${coin.amount}${coin.denom}`,
        );
      }
      this.setBalance(from, coin.denom, have - coin.amount);
      this.setBalance(to, coin.denom, this.balance(to, coin.denom) + coin.amount);
    }
  }

  storage(address: string): Map<string, Uint8Array> {
    let store = this.storages.get(address);
    if (store === undefined) {
      store = new Map();
      this.storages.set(address, store);
    }
    return store;
  }
}

const KEY = (key: Uint8Array): string => Buffer.from(key).toString('latin1');
const MAX_CALL_DEPTH = 100; // CONTRACT_ABI §6
const MAX_LABEL_BYTES = 512;
const BLOCK_SECONDS = 5n;
const DEFAULT_GAS_LIMIT = 10_000_000_000n;
const SDK_GAS = 1000n; // 1 SDK gas = 1000 wasm gas (CONTRACT_ABI §6)

function toCoins(input: readonly CoinInput[] | undefined, what: string): Coin[] {
  return (input ?? []).map((coin, i) => {
    let amount: bigint;
    try {
      amount = BigInt(coin.amount);
    } catch {
      throw new SandboxError(
        'INVALID_ARGUMENT',
        `${what}[${i}].amount is not an integer: ${String(coin.amount)}`,
      );
    }
    if (amount < 0n) throw new SandboxError('INVALID_ARGUMENT', `${what}[${i}].amount is negative`);
    if (typeof coin.denom !== 'string' || coin.denom.length === 0) {
      throw new SandboxError('INVALID_ARGUMENT', `${what}[${i}].denom must be a non-empty string`);
    }
    return { denom: coin.denom, amount };
  });
}

function encodeMsg(msg: unknown): Uint8Array {
  if (msg instanceof Uint8Array) return msg;
  const json = JSON.stringify(msg, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
  if (json === undefined) throw new SandboxError('INVALID_ARGUMENT', 'msg must be JSON-serializable');
  return new TextEncoder().encode(json);
}

function u64be(value: number | bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value));
  return bytes;
}

/** protobuf varint (for MsgInstantiateContractResponse in instantiate replies). */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** `MsgInstantiateContractResponse { string address = 1; bytes data = 2; }`, as wasmd puts in reply data. */
function encodeInstantiateResponse(address: string, data: Uint8Array | null): Uint8Array {
  const addressBytes = new TextEncoder().encode(address);
  const parts = [0x0a, ...varint(addressBytes.length), ...addressBytes];
  if (data !== null && data.length > 0) parts.push(0x12, ...varint(data.length), ...data);
  return Uint8Array.from(parts);
}

/**
 * Runs `body` now and reports its outcome as a promise: a throw becomes a rejection, so
 * `assert.rejects(sb.execute(...))` works without wrapping the call in a function.
 */
function settle<T>(body: () => T): Promise<T> {
  try {
    return Promise.resolve(body());
  } catch (error) {
    // Everything thrown below is an Error subclass (ContractError, VmError, SandboxError, ...).
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Result of running one message: the events to report and the data for a reply. */
interface MsgResult {
  events: Event[];
  data: Uint8Array | null;
}

/** Per-tree bookkeeping: gas left for the whole tree, gas used, tx index. */
class CallTree {
  gasUsed = 0n;
  /** Events of the calls that succeeded, in execution order (a failed submessage's are dropped). */
  readonly events: Event[] = [];
  constructor(readonly gasLimit: bigint) {}

  remaining(): bigint {
    return this.gasLimit - this.gasUsed;
  }
}

/**
 * An in-memory chain for contract tests (issue #3, `shroud/testing`).
 *
 * @example
 * const sb = await ContractSandbox.create();
 * const { codeId } = await sb.upload(wasm);
 * const alice = sb.address('alice');
 * sb.setBalance(alice, [{ denom: 'ushd', amount: 1000n }]);
 * const { address } = await sb.instantiate(codeId, { sender: alice, msg: { count: 0 }, label: 'counter' });
 * await sb.execute(address, { sender: alice, msg: { increment: {} } });
 * const answer = await sb.query(address, { get_count: {} });
 */
export class ContractSandbox {
  readonly vm: ContractVm;
  readonly chainId: string;
  readonly prefix: string;
  readonly block: BlockInfo;
  private state = new State();
  private readonly codes: ValidatedCode[] = [];
  private readonly gasLimit: bigint;
  private txCounter = 0;

  private constructor(options: SandboxOptions) {
    this.chainId = options.chainId ?? 'shroud-testing-1';
    this.prefix = options.prefix ?? 'shroud';
    this.gasLimit = options.gasLimit ?? DEFAULT_GAS_LIMIT;
    const vmOptions =
      options.debug === undefined
        ? { addressPrefix: this.prefix }
        : { addressPrefix: this.prefix, debug: options.debug };
    this.vm = new ContractVm(vmOptions);
    this.block = {
      height: 1,
      time: 1_700_000_000_000_000_000n,
      random: sha256(new TextEncoder().encode(`${this.chainId}/1`)),
    };
  }

  /** Creates an empty chain at height 1 (async for future backends; nothing awaits today). */
  static create(options: SandboxOptions = {}): Promise<ContractSandbox> {
    return Promise.resolve(new ContractSandbox(options));
  }

  /** A deterministic account address for a name: bech32(prefix, sha256(name)[0..20]). */
  address(name: string): string {
    return toBech32(this.prefix, sha256(new TextEncoder().encode(name)).subarray(0, 20));
  }

  /** Replaces an account's balances with `coins`. */
  setBalance(address: string, coins: readonly CoinInput[]): void {
    this.state.balances.delete(address);
    for (const coin of toCoins(coins, 'coins')) this.state.setBalance(address, coin.denom, coin.amount);
  }

  getBalance(address: string, denom: string): bigint {
    return this.state.balance(address, denom);
  }

  /** All non-zero balances of an account, sorted by denom. */
  getBalances(address: string): Coin[] {
    const coins = [...(this.state.balances.get(address) ?? new Map<string, bigint>())];
    return coins
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([denom, amount]) => ({ denom, amount }));
  }

  /** Raw storage of a contract (plaintext), for assertions. */
  getStorage(address: string, key: Uint8Array | string): Uint8Array | undefined {
    const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key;
    return this.state.storages.get(address)?.get(KEY(bytes));
  }

  /** Advances `blocks` blocks: height + n, time + 5 s × n, a new random. */
  advanceBlock(blocks = 1): void {
    if (!Number.isInteger(blocks) || blocks < 1)
      throw new SandboxError('INVALID_ARGUMENT', 'advanceBlock needs a positive integer');
    this.block.height += blocks;
    this.block.time += BigInt(blocks) * BLOCK_SECONDS * 1_000_000_000n;
    this.block.random = sha256(new Uint8Array([...this.block.random, ...u64be(this.block.height)]));
  }

  /**
   * Validates and stores code exactly as an upload would.
   * @throws {VmError} with the validation code when the chain would reject it.
   */
  upload(wasm: Uint8Array): Promise<{ codeId: number; codeHash: string }> {
    return settle(() => {
      const code = this.vm.validate(wasm);
      this.codes.push(code);
      return { codeId: this.codes.length, codeHash: code.codeHash };
    });
  }

  /** Code hash of a deployed contract. */
  codeHashOf(address: string): string {
    return this.code(this.contract(this.state, address).codeId).codeHash;
  }

  /**
   * Instantiates a contract; its messages are dispatched; everything rolls back on error.
   * @throws {ContractError} the contract (or one it called) returned Err.
   * @throws {VmError} a VM failure (out of gas, trap, ...).
   * @throws {SandboxError} a chain-level failure (funds, label, unknown code, ...).
   */
  instantiate(
    codeId: number,
    args: {
      sender: string;
      msg: unknown;
      label: string;
      funds?: readonly CoinInput[];
      admin?: string | null;
    },
  ): Promise<{ address: string; response: Response; gasUsed: bigint; events: Event[] }> {
    return this.transaction((state, tree) => {
      const funds = toCoins(args.funds, 'funds');
      const { address, response } = this.instantiateContract(state, tree, 0, {
        sender: args.sender,
        codeId,
        msg: encodeMsg(args.msg),
        label: args.label,
        funds,
        admin: args.admin ?? null,
      });
      return { address, response, gasUsed: tree.gasUsed, events: tree.events };
    });
  }

  /**
   * Executes a contract; see {@link instantiate} for dispatch and errors.
   */
  execute(
    address: string,
    args: { sender: string; msg: unknown; funds?: readonly CoinInput[] },
  ): Promise<{ response: Response; gasUsed: bigint; events: Event[] }> {
    return this.transaction((state, tree) => {
      const { response } = this.executeContract(
        state,
        tree,
        0,
        args.sender,
        address,
        encodeMsg(args.msg),
        toCoins(args.funds, 'funds'),
      );
      return { response, gasUsed: tree.gasUsed, events: tree.events };
    });
  }

  /**
   * Migrates a contract to another code (sender must be the admin); messages are dispatched.
   */
  migrate(
    address: string,
    args: { sender: string; codeId: number; msg: unknown },
  ): Promise<{ response: Response; gasUsed: bigint; events: Event[] }> {
    return this.transaction((state, tree) => {
      const { response } = this.migrateContract(
        state,
        tree,
        0,
        args.sender,
        address,
        args.codeId,
        encodeMsg(args.msg),
      );
      return { response, gasUsed: tree.gasUsed, events: tree.events };
    });
  }

  /**
   * Queries a contract and parses its JSON answer.
   * @throws {ContractError} the contract returned Err.
   */
  query(address: string, msg: unknown): Promise<unknown> {
    return settle(() => {
      const bytes = this.queryContract(this.state, address, encodeMsg(msg), 0, this.gasLimit);
      const text = new TextDecoder().decode(bytes);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new SandboxError(
          'INVALID_ARGUMENT',
          `the query answer of ${address} is not JSON: ${text.slice(0, 200)}`,
        );
      }
    });
  }

  // ---- internals ----

  /** Runs `body` on a copy of the state; commits only if it returns (atomic call tree). */
  private transaction<T>(body: (state: State, tree: CallTree) => T): Promise<T> {
    return settle(() => {
      const working = this.state.clone();
      const tree = new CallTree(this.gasLimit);
      this.txCounter++;
      const result = body(working, tree); // throws → working copy dropped: full rollback
      this.state = working;
      return result;
    });
  }

  private code(codeId: number): ValidatedCode {
    const code = this.codes[codeId - 1];
    if (code === undefined || !Number.isInteger(codeId))
      throw new SandboxError('NO_SUCH_CODE', `no code with id ${codeId}`);
    return code;
  }

  private contract(state: State, address: string): ContractRecord {
    const record = state.contracts.get(address);
    if (record === undefined) throw new SandboxError('NO_SUCH_CONTRACT', `no contract at ${address}`);
    return record;
  }

  private env(address: string, code: ValidatedCode, withTransaction: boolean): ContractEnv {
    const hash = Buffer.from(sha256(u64be(this.txCounter)))
      .toString('hex')
      .toUpperCase();
    return {
      block: {
        height: this.block.height,
        time: this.block.time,
        chainId: this.chainId,
        random: this.block.random,
      },
      contract: { address, codeHash: code.codeHash },
      transaction: withTransaction ? { index: 0, hash } : null,
    };
  }

  /** Runs one VM call against `state`, charging `tree`; applies writes on success. */
  private callVm(
    state: State,
    tree: CallTree,
    address: string,
    entry: EntryPoint,
    msg: Uint8Array,
    info: { sender: string; funds: Coin[] } | undefined,
  ): Response {
    const record = this.contract(state, address);
    const code = this.code(record.codeId);
    const store = state.storage(address);
    let outcome;
    try {
      outcome = this.vm.call({
        code,
        entry,
        env: this.env(address, code, true),
        ...(info === undefined ? {} : { info }),
        msg,
        storage: { get: (key) => store.get(KEY(key)) },
        querier: this.querier(state),
        gasLimit: tree.remaining(),
      });
    } catch (error) {
      if (error instanceof VmError) tree.gasUsed += error.gasUsed ?? 0n;
      throw error;
    }
    tree.gasUsed += outcome.gasUsed;
    if (!outcome.ok) throw new ContractError(address, outcome.error);
    if (outcome.response !== null) tree.events.push(...wasmEvents(address, outcome.response));
    for (const write of outcome.writes) {
      if (write.value === null) store.delete(KEY(write.key));
      else store.set(KEY(write.key), write.value);
    }
    return outcome.response as Response;
  }

  private instantiateContract(
    state: State,
    tree: CallTree,
    depth: number,
    args: {
      sender: string;
      codeId: number;
      msg: Uint8Array;
      label: string;
      funds: Coin[];
      admin: string | null;
    },
  ): { address: string; response: Response; data: Uint8Array | null } {
    this.code(args.codeId); // NO_SUCH_CODE before anything changes
    const labelBytes = new TextEncoder().encode(args.label).length;
    if (labelBytes === 0 || labelBytes > MAX_LABEL_BYTES) {
      throw new SandboxError('INVALID_LABEL', `label must be 1–${MAX_LABEL_BYTES} bytes, got ${labelBytes}`);
    }
    if (state.labels.has(args.label))
      throw new SandboxError('INVALID_LABEL', `label "${args.label}" is already used`);
    state.instanceCounter++;
    // Deterministic address: bech32(prefix, sha256(codeId u64 BE ‖ instance counter u64 BE)), 32 bytes.
    const address = toBech32(
      this.prefix,
      sha256(new Uint8Array([...u64be(args.codeId), ...u64be(state.instanceCounter)])),
    );
    state.contracts.set(address, {
      codeId: args.codeId,
      label: args.label,
      admin: args.admin,
      creator: args.sender,
    });
    state.labels.add(args.label);
    state.transfer(args.sender, address, args.funds); // funds move before the call (CONTRACT_ABI §3.2)
    const response = this.callVm(state, tree, address, 'instantiate', args.msg, {
      sender: args.sender,
      funds: args.funds,
    });
    const data = this.dispatch(state, tree, depth, address, response);
    return { address, response, data };
  }

  private executeContract(
    state: State,
    tree: CallTree,
    depth: number,
    sender: string,
    address: string,
    msg: Uint8Array,
    funds: Coin[],
  ): { response: Response; data: Uint8Array | null } {
    this.contract(state, address);
    state.transfer(sender, address, funds);
    const response = this.callVm(state, tree, address, 'execute', msg, { sender, funds });
    return { response, data: this.dispatch(state, tree, depth, address, response) };
  }

  private migrateContract(
    state: State,
    tree: CallTree,
    depth: number,
    sender: string,
    address: string,
    codeId: number,
    msg: Uint8Array,
  ): { response: Response; data: Uint8Array | null } {
    const record = this.contract(state, address);
    if (record.admin !== sender)
      throw new SandboxError('UNAUTHORIZED', `only the admin of ${address} can migrate it`);
    this.code(codeId);
    record.codeId = codeId;
    const response = this.callVm(state, tree, address, 'migrate', msg, undefined);
    return { response, data: this.dispatch(state, tree, depth, address, response) };
  }

  /**
   * Dispatches a response's submessages depth-first (wasmd semantics). Returns the data of
   * the call: the response's own data, replaced by a reply's data when a reply sets one.
   */
  private dispatch(
    state: State,
    tree: CallTree,
    depth: number,
    caller: string,
    response: Response,
  ): Uint8Array | null {
    let data = response.data;
    for (const sub of response.messages) {
      const replyData = this.dispatchSubMsg(state, tree, depth + 1, caller, sub);
      if (replyData !== null) data = replyData;
    }
    return data;
  }

  /** One submessage: run it in a nested transaction, then reply per reply_on (CONTRACT_ABI §3.3, §3.5). */
  private dispatchSubMsg(
    state: State,
    tree: CallTree,
    depth: number,
    caller: string,
    sub: SubMsg,
  ): Uint8Array | null {
    if (depth > MAX_CALL_DEPTH)
      throw new SandboxError('CALL_DEPTH_EXCEEDED', `messages nested deeper than ${MAX_CALL_DEPTH}`);
    if (sub.replyOn === 'never') {
      this.runMsg(state, tree, depth, caller, sub.msg);
      return null;
    }
    const child = state.clone();
    // A submessage gas_limit is in SDK gas (1 SDK gas = 1000 wasm gas); it caps the subtree.
    const capped = sub.gasLimit === null ? tree.remaining() : sub.gasLimit * SDK_GAS;
    const subTree = new CallTree(capped < tree.remaining() ? capped : tree.remaining());
    let result: { ok: { events: Event[]; data: string | null } } | { error: string };
    try {
      let outcome: MsgResult;
      try {
        outcome = this.runMsg(child, subTree, depth, caller, sub.msg);
      } finally {
        tree.gasUsed += subTree.gasUsed;
      }
      adopt(state, child);
      tree.events.push(...subTree.events);
      if (sub.replyOn === 'error') return null;
      result = {
        ok: { events: outcome.events, data: outcome.data === null ? null : encodeBase64(outcome.data) },
      };
    } catch (error) {
      if (
        sub.replyOn === 'success' ||
        !(error instanceof ContractError || error instanceof SandboxError || error instanceof VmError)
      ) {
        throw error;
      }
      // The failed submessage's changes are dropped (child discarded); the caller learns why.
      result = { error: error instanceof ContractError ? error.message : `${error.code}: ${error.message}` };
    }
    const replyMsg = new TextEncoder().encode(JSON.stringify({ id: sub.id, result }));
    const reply = this.callVm(state, tree, caller, 'reply', replyMsg, undefined);
    const nested = this.dispatch(state, tree, depth, caller, reply);
    return nested;
  }

  private runMsg(state: State, tree: CallTree, depth: number, caller: string, msg: CosmosMsg): MsgResult {
    switch (msg.kind) {
      case 'bank_send':
        state.transfer(caller, msg.toAddress, msg.amount);
        tree.events.push(transferEvent(caller, msg.toAddress, msg.amount));
        return { events: [transferEvent(caller, msg.toAddress, msg.amount)], data: null };
      case 'bank_burn':
        for (const coin of msg.amount) {
          const have = state.balance(caller, coin.denom);
          if (have < coin.amount)
            throw new SandboxError(
              'INSUFFICIENT_FUNDS',
              `insufficient funds to burn: ${caller} has ${have}${coin.denom}`,
            );
          state.setBalance(caller, coin.denom, have - coin.amount);
        }
        return { events: [], data: null };
      case 'wasm_execute': {
        this.checkCodeHash(state, msg.contractAddr, msg.codeHash);
        const { response, data } = this.executeContract(
          state,
          tree,
          depth,
          caller,
          msg.contractAddr,
          msg.msg,
          msg.funds,
        );
        return { events: wasmEvents(msg.contractAddr, response), data };
      }
      case 'wasm_instantiate': {
        const code = this.code(Number(msg.codeId));
        if (code.codeHash !== msg.codeHash.toLowerCase()) {
          throw new SandboxError(
            'CODE_HASH_MISMATCH',
            `code_hash ${msg.codeHash} is not the hash of code ${msg.codeId}`,
          );
        }
        const { address, response, data } = this.instantiateContract(state, tree, depth, {
          sender: caller,
          codeId: Number(msg.codeId),
          msg: msg.msg,
          label: msg.label,
          funds: msg.funds,
          admin: msg.admin,
        });
        return { events: wasmEvents(address, response), data: encodeInstantiateResponse(address, data) };
      }
      case 'wasm_migrate': {
        const code = this.code(Number(msg.codeId));
        if (code.codeHash !== msg.codeHash.toLowerCase()) {
          throw new SandboxError(
            'CODE_HASH_MISMATCH',
            `code_hash ${msg.codeHash} is not the hash of code ${msg.codeId}`,
          );
        }
        const { response, data } = this.migrateContract(
          state,
          tree,
          depth,
          caller,
          msg.contractAddr,
          Number(msg.codeId),
          msg.msg,
        );
        return { events: wasmEvents(msg.contractAddr, response), data };
      }
      case 'wasm_update_admin':
      case 'wasm_clear_admin': {
        const record = this.contract(state, msg.contractAddr);
        if (record.admin !== caller)
          throw new SandboxError(
            'UNAUTHORIZED',
            `only the admin of ${msg.contractAddr} can change its admin`,
          );
        record.admin = msg.kind === 'wasm_update_admin' ? msg.admin : null;
        return { events: [], data: null };
      }
      case 'other':
        throw new SandboxError('UNSUPPORTED_MESSAGE', `the sandbox does not model "${msg.type}" messages`);
    }
  }

  private checkCodeHash(state: State, address: string, codeHash: string): void {
    const actual = this.code(this.contract(state, address).codeId).codeHash;
    if (actual !== codeHash.toLowerCase()) {
      throw new SandboxError(
        'CODE_HASH_MISMATCH',
        `code_hash ${codeHash} does not match the code of ${address} (${actual})`,
      );
    }
  }

  private queryContract(
    state: State,
    address: string,
    msg: Uint8Array,
    depth: number,
    gasLimit: bigint,
  ): Uint8Array {
    const record = this.contract(state, address);
    const code = this.code(record.codeId);
    const store = state.storages.get(address) ?? new Map<string, Uint8Array>();
    const outcome = this.vm.call({
      code,
      entry: 'query',
      env: this.env(address, code, false),
      msg,
      storage: { get: (key) => store.get(KEY(key)) },
      querier: this.querier(state),
      gasLimit,
      queryDepth: depth,
    });
    if (!outcome.ok) throw new ContractError(address, outcome.error);
    return outcome.queryResult as Uint8Array;
  }

  /** query_chain answers (CONTRACT_ABI §3.6): bank balance/all_balances, wasm smart and contract_info. */
  private querier(state: State): Querier {
    const ok = (answer: unknown): Uint8Array =>
      new TextEncoder().encode(
        JSON.stringify({ Ok: { Ok: encodeBase64(new TextEncoder().encode(JSON.stringify(answer))) } }),
      );
    const systemError = (variant: string, body: Record<string, unknown>): Uint8Array =>
      new TextEncoder().encode(JSON.stringify({ Err: { [variant]: body } }));
    return {
      query: (request: Uint8Array, depth: number): Uint8Array => {
        const parsed = JSON.parse(new TextDecoder().decode(request)) as unknown;
        const route = routeQuery(parsed);
        if (route === undefined) return systemError('unsupported_request', { kind: describeQuery(parsed) });
        if (route.kind === 'balance') {
          return ok({
            amount: { denom: route.denom, amount: state.balance(route.address, route.denom).toString() },
          });
        }
        if (route.kind === 'all_balances') {
          const coins = [...(state.balances.get(route.address) ?? new Map<string, bigint>())]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([denom, amount]) => ({ denom, amount: amount.toString() }));
          return ok({ amount: coins });
        }
        const record = state.contracts.get(route.address);
        if (record === undefined) return systemError('no_such_contract', { addr: route.address });
        if (route.kind === 'contract_info') {
          return ok({
            code_id: record.codeId,
            creator: record.creator,
            admin: record.admin,
            pinned: false,
            ibc_port: null,
          });
        }
        const codeHash = this.code(record.codeId).codeHash;
        if (route.codeHash.toLowerCase() !== codeHash) {
          return new TextEncoder().encode(
            JSON.stringify({ Ok: { Err: `callback_code_hash does not match the code of ${route.address}` } }),
          );
        }
        try {
          const answer = this.queryContract(state, route.address, route.msg, depth, this.gasLimit);
          return new TextEncoder().encode(JSON.stringify({ Ok: { Ok: encodeBase64(answer) } }));
        } catch (error) {
          if (error instanceof ContractError)
            return new TextEncoder().encode(JSON.stringify({ Ok: { Err: error.message } }));
          if (error instanceof VmError || error instanceof SandboxError) {
            return new TextEncoder().encode(
              JSON.stringify({ Ok: { Err: `${error.code}: ${error.message}` } }),
            );
          }
          throw error;
        }
      },
    };
  }
}

type QueryRoute =
  | { kind: 'balance'; address: string; denom: string }
  | { kind: 'all_balances'; address: string }
  | { kind: 'smart'; address: string; codeHash: string; msg: Uint8Array }
  | { kind: 'contract_info'; address: string };

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function routeQuery(request: unknown): QueryRoute | undefined {
  const str = (v: unknown): v is string => typeof v === 'string';
  const balance = field(request, 'bank', 'balance');
  if (balance !== undefined) {
    const address = field(balance, 'address');
    const denom = field(balance, 'denom');
    return str(address) && str(denom) ? { kind: 'balance', address, denom } : undefined;
  }
  const all = field(request, 'bank', 'all_balances');
  if (all !== undefined) {
    const address = field(all, 'address');
    return str(address) ? { kind: 'all_balances', address } : undefined;
  }
  const smart = field(request, 'wasm', 'smart');
  if (smart !== undefined) {
    const address = field(smart, 'contract_addr');
    const codeHash = field(smart, 'callback_code_hash') ?? field(smart, 'code_hash');
    const msg = field(smart, 'msg');
    if (!str(address) || !str(codeHash) || !str(msg)) return undefined;
    return { kind: 'smart', address, codeHash, msg: new Uint8Array(Buffer.from(msg, 'base64')) };
  }
  const info = field(request, 'wasm', 'contract_info');
  if (info !== undefined) {
    const address = field(info, 'contract_addr');
    return str(address) ? { kind: 'contract_info', address } : undefined;
  }
  return undefined;
}

function describeQuery(request: unknown): string {
  if (typeof request !== 'object' || request === null) return 'unknown';
  return Object.keys(request).join(',') || 'unknown';
}

function transferEvent(sender: string, recipient: string, amount: readonly Coin[]): Event {
  const text = amount.map((c) => `${c.amount}${c.denom}`).join(',');
  return {
    type: 'transfer',
    attributes: [
      { key: 'recipient', value: recipient, encrypted: false },
      { key: 'sender', value: sender, encrypted: false },
      { key: 'amount', value: text, encrypted: false },
    ],
  };
}

/** Events of a wasm call as a reply sees them: `wasm` with the attributes, custom events prefixed `wasm-`. */
function wasmEvents(address: string, response: Response): Event[] {
  const events: Event[] = [];
  events.push({
    type: 'wasm',
    attributes: [{ key: 'contract_address', value: address, encrypted: false }, ...response.attributes],
  });
  for (const event of response.events)
    events.push({ type: `wasm-${event.type}`, attributes: event.attributes });
  return events;
}

/** Copies a committed child state into its parent (the nested transaction succeeded). */
function adopt(parent: State, child: State): void {
  parent.storages.clear();
  for (const [k, v] of child.storages) parent.storages.set(k, v);
  parent.balances.clear();
  for (const [k, v] of child.balances) parent.balances.set(k, v);
  parent.contracts.clear();
  for (const [k, v] of child.contracts) parent.contracts.set(k, v);
  parent.labels.clear();
  for (const label of child.labels) parent.labels.add(label);
  parent.instanceCounter = child.instanceCounter;
}
