// The host-side types of one contract call: what the caller passes in (Env, MessageInfo,
// storage, querier) and what comes back (typed Response, writes, gas). JSON shapes follow
// CONTRACT_ABI §3; these are the *decoded* forms, the wire forms live in env.ts/response.ts.

import type { ValidatedCode } from '../validate.js';

/** A coin with an integer amount (CONTRACT_ABI §3.2: on the wire the amount is a decimal string). */
export interface Coin {
  denom: string;
  amount: bigint;
}

/** Read-only view of one contract's plaintext storage; synchronous (CONTRACT_ABI §5). */
export interface Storage {
  /**
   * @param key the plaintext key (the VM's own copy).
   * @param keyText the same key as a latin1 string (1:1 with the bytes), which the VM's write
   *   cache made anyway: a storage keyed by strings can use it instead of converting `key` again.
   *   May be absent; implementations may ignore it.
   */
  get(key: Uint8Array, keyText?: string): Uint8Array | undefined;
  /**
   * Optional: `get` for a key given only as its latin1 text (1:1 with the bytes). db_read uses
   * it when present, so a storage keyed by strings needs no copy of the key's bytes (it can make
   * them from the text when it must). Must answer exactly what `get` answers for those bytes.
   */
  getText?(keyText: string): Uint8Array | undefined;
}

/**
 * Answers `query_chain` (CONTRACT_ABI §3.6). `request` is the contract's QueryRequest JSON
 * bytes (already known to parse as JSON); `depth` is the depth the nested query will run at.
 * Must return SystemResult JSON bytes (`{"Ok":{"Ok":"<b64>"}}` etc.) and should not throw.
 */
export interface Querier {
  query(request: Uint8Array, depth: number): Uint8Array;
}

/** One buffered storage change; `value: null` removes the key. */
export interface StorageWrite {
  key: Uint8Array;
  value: Uint8Array | null;
  /** `key` as a latin1 string (1:1 with the bytes), when the VM made it (its write cache does). */
  keyText?: string;
}

/** Block, contract and transaction facts given to the contract as `env` (CONTRACT_ABI §3.1). */
export interface ContractEnv {
  block: {
    height: number | bigint;
    /** Nanoseconds since the Unix epoch. */
    time: bigint;
    chainId: string;
    /** 32 bytes; given to the contract only when it exports `requires_random`. */
    random?: Uint8Array | null;
  };
  contract: { address: string; codeHash: string };
  transaction?: { index: number; hash: string } | null;
}

/** Sender and funds of instantiate/execute (CONTRACT_ABI §3.2). */
export interface MessageInfo {
  sender: string;
  funds: Coin[];
}

export type EntryPoint = 'instantiate' | 'execute' | 'query' | 'reply' | 'migrate';

export interface Attribute {
  key: string;
  value: string;
  /** Secret extension: defaults to true when the contract omits it (CONTRACT_ABI §3.3). */
  encrypted: boolean;
}

export interface Event {
  type: string;
  attributes: Attribute[];
}

export type ReplyOn = 'always' | 'error' | 'success' | 'never';

/** CosmosMsg (CONTRACT_ABI §3.4), decoded. Kinds the chain does not model stay opaque. */
export type CosmosMsg =
  | { kind: 'bank_send'; toAddress: string; amount: Coin[] }
  | { kind: 'bank_burn'; amount: Coin[] }
  | { kind: 'wasm_execute'; contractAddr: string; codeHash: string; msg: Uint8Array; funds: Coin[] }
  | {
      kind: 'wasm_instantiate';
      admin: string | null;
      codeId: bigint;
      codeHash: string;
      msg: Uint8Array;
      funds: Coin[];
      label: string;
    }
  | { kind: 'wasm_migrate'; contractAddr: string; codeHash: string; codeId: bigint; msg: Uint8Array }
  | { kind: 'wasm_update_admin'; contractAddr: string; admin: string }
  | { kind: 'wasm_clear_admin'; contractAddr: string }
  /** staking, distribution, stargate, ibc, gov, custom, finalize_tx: kept as the contract's JSON. */
  | { kind: 'other'; type: string; json: unknown };

export interface SubMsg {
  /** The id the contract chose; must be a safe integer (JSON.parse cannot carry more). */
  id: number;
  msg: CosmosMsg;
  gasLimit: bigint | null;
  replyOn: ReplyOn;
}

/** Response of instantiate/execute/reply/migrate (CONTRACT_ABI §3.3), `data` base64-decoded. */
export interface Response {
  messages: SubMsg[];
  attributes: Attribute[];
  events: Event[];
  data: Uint8Array | null;
}

export interface CallRequest {
  code: ValidatedCode;
  entry: EntryPoint;
  env: ContractEnv;
  /** Required for instantiate and execute; ignored otherwise. */
  info?: MessageInfo;
  /** The message JSON bytes (code-hash prefix already stripped). */
  msg: Uint8Array;
  storage: Storage;
  querier: Querier;
  /** Wasm gas (1000 wasm gas = 1 SDK gas). */
  gasLimit: bigint;
  /** Depth of this call in a query chain (0 for a transaction); query_chain refuses at ≥ 10. */
  queryDepth?: number;
}

export type CallOutcome =
  | {
      ok: true;
      /** Set for instantiate/execute/reply/migrate. */
      response: Response | null;
      /** Set for query: the answer bytes (base64-decoded from `{"Ok":"<b64>"}`). */
      queryResult: Uint8Array | null;
      writes: StorageWrite[];
      gasUsed: bigint;
    }
  | { ok: false; error: string; gasUsed: bigint };
