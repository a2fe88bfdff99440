// The ABCI-2.0-shaped interface between the app and a consensus engine (DESIGN.md §2).
// The shapes mirror CometBFT v0.38's abci/types.proto (RequestInfo, RequestInitChain,
// RequestCheckTx, RequestPrepareProposal, RequestProcessProposal, RequestFinalizeBlock,
// RequestCommit, RequestQuery and their responses) with TypeScript types: bytes are
// Uint8Array, int64/uint64 are bigint, times are nanoseconds since the Unix epoch (bigint).
// Both engines (our own consensus/ and a CometBFT ABCI socket adaptor) call this interface.

/** ABCI event attribute. Encrypted contract attributes travel base64-encoded under key `encrypted`. */
export interface EventAttribute {
  key: string;
  value: string;
  index: boolean;
}

export interface AbciEvent {
  type: string;
  attributes: EventAttribute[];
}

/**
 * Result codes of a transaction (ExecTxResult.code / ResponseCheckTx.code). 0 = success. The
 * numbers follow the Cosmos SDK's root codespace (types/errors/errors.go) where one exists,
 * so tools that know those codes read ours the same; compute failures use the `compute`
 * codespace numbers below 100 as Secret's x/compute does not collide with ours.
 */
export const TxCode = {
  OK: 0,
  TX_DECODE: 2,
  INVALID_SEQUENCE: 3,
  UNAUTHORIZED: 4,
  INSUFFICIENT_FUNDS: 5,
  UNKNOWN_REQUEST: 6,
  INVALID_ADDRESS: 7,
  INVALID_PUBKEY: 8,
  UNKNOWN_ADDRESS: 9,
  INVALID_COINS: 10,
  OUT_OF_GAS: 11,
  INSUFFICIENT_FEE: 13,
  TX_TOO_LARGE: 21,
  INVALID_CHAIN_ID: 28,
  TX_TIMEOUT_HEIGHT: 30,
  WRONG_SEQUENCE: 32,
  NOT_FOUND: 38,
  INVALID_GAS_LIMIT: 41,
  /** compute: upload rejected by validateContractCode. */
  CODE_INVALID: 101,
  /** compute: instantiate with a label already taken. */
  LABEL_TAKEN: 102,
  /** compute: migrate / update admin by someone other than the admin. */
  NOT_ADMIN: 103,
  /** compute: the contract returned Err (sealed for the user in `data`) or a submessage failed. */
  CONTRACT_FAILED: 104,
  /** compute: the VM stopped the contract (trap, stack overflow...); log names the public code. */
  VM_FAILED: 105,
  /** compute: the enclave refused the call (bad binding, code hash mismatch...). */
  ENCLAVE_REFUSED: 106,
  /** compute: a contract emitted a message kind the app does not dispatch. */
  UNSUPPORTED_MESSAGE: 107,
  /** registration: the enclave refused the quote. */
  QUOTE_REFUSED: 110,
  /** staking: unknown validator, validator exists, bad denom... */
  STAKING_INVALID: 120,
} as const;
export type TxCodeValue = (typeof TxCode)[keyof typeof TxCode];

/** The codespace a code belongs to (ExecTxResult.codespace). */
export function codespaceOf(code: number): string {
  if (code === 0) return '';
  if (code >= 120) return 'staking';
  if (code >= 110) return 'registration';
  if (code >= 100) return 'compute';
  return 'sdk';
}

export interface RequestInfo {
  version: string;
  blockVersion: bigint;
  p2pVersion: bigint;
  abciVersion: string;
}

export interface ResponseInfo {
  data: string;
  version: string;
  appVersion: bigint;
  lastBlockHeight: bigint;
  lastBlockAppHash: Uint8Array;
}

export interface ValidatorUpdate {
  /** ed25519 consensus public key (32 bytes). */
  pubKey: Uint8Array;
  /** Voting power; 0 removes the validator. */
  power: bigint;
}

export interface RequestInitChain {
  timeNanos: bigint;
  chainId: string;
  /** The genesis app state: our genesis JSON's bytes (parsed and validated by the app). */
  appStateBytes: Uint8Array;
  validators: ValidatorUpdate[];
  initialHeight: bigint;
}

export interface ResponseInitChain {
  validators: ValidatorUpdate[];
  appHash: Uint8Array;
}

export type CheckTxType = 'new' | 'recheck';

export interface RequestCheckTx {
  tx: Uint8Array;
  type: CheckTxType;
}

export interface ResponseCheckTx {
  code: number;
  data: Uint8Array;
  log: string;
  gasWanted: bigint;
  gasUsed: bigint;
  events: AbciEvent[];
  codespace: string;
  /** Not in ABCI: the signer and sequence, for a mempool that orders per sender. */
  sender?: string;
  sequence?: bigint;
  /** Not in ABCI: fee per gas (fee amount / gas limit in the fee denom, scaled by 10^6), for priority. */
  priority?: bigint;
}

export interface RequestPrepareProposal {
  maxTxBytes: bigint;
  txs: Uint8Array[];
  height: bigint;
  timeNanos: bigint;
  proposerAddress: Uint8Array;
}

export interface ResponsePrepareProposal {
  txs: Uint8Array[];
}

export interface RequestProcessProposal {
  txs: Uint8Array[];
  hash: Uint8Array;
  height: bigint;
  timeNanos: bigint;
  proposerAddress: Uint8Array;
}

export type ProposalStatus = 'accept' | 'reject';

export interface ResponseProcessProposal {
  status: ProposalStatus;
}

export interface Misbehavior {
  type: 'duplicate_vote' | 'light_client_attack';
  validatorAddress: Uint8Array;
  height: bigint;
}

export interface RequestFinalizeBlock {
  txs: Uint8Array[];
  hash: Uint8Array;
  height: bigint;
  timeNanos: bigint;
  /** Consensus address (20 bytes: sha256(ed25519 pubkey)[0..20]) of the proposer. */
  proposerAddress: Uint8Array;
  misbehavior: Misbehavior[];
}

export interface ExecTxResult {
  code: number;
  data: Uint8Array;
  log: string;
  gasWanted: bigint;
  gasUsed: bigint;
  events: AbciEvent[];
  codespace: string;
}

export interface ResponseFinalizeBlock {
  events: AbciEvent[];
  txResults: ExecTxResult[];
  validatorUpdates: ValidatorUpdate[];
  appHash: Uint8Array;
}

export interface ResponseCommit {
  retainHeight: bigint;
}

export interface RequestQuery {
  path: string;
  data: Uint8Array;
  height: bigint;
  prove: boolean;
}

export interface ResponseQuery {
  code: number;
  log: string;
  key: Uint8Array;
  value: Uint8Array;
  height: bigint;
  codespace: string;
}

/**
 * The application as a consensus engine sees it (CometBFT v0.38 ABCI 2.0 order: InitChain
 * once, then per height PrepareProposal (proposer) / ProcessProposal (others), FinalizeBlock,
 * Commit; CheckTx and Query at any time against the last committed state).
 */
export interface AbciApplication {
  info(request: RequestInfo): Promise<ResponseInfo>;
  initChain(request: RequestInitChain): Promise<ResponseInitChain>;
  /** Synchronous: checks run against committed state plus the node's pending check-state. */
  checkTx(request: RequestCheckTx): ResponseCheckTx;
  prepareProposal(request: RequestPrepareProposal): Promise<ResponsePrepareProposal>;
  processProposal(request: RequestProcessProposal): Promise<ResponseProcessProposal>;
  finalizeBlock(request: RequestFinalizeBlock): Promise<ResponseFinalizeBlock>;
  commit(): Promise<ResponseCommit>;
  query(request: RequestQuery): Promise<ResponseQuery>;
}
