// Reading a transaction's result (DESIGN.md §1 step 8): the public parts as the chain reports
// them (CometBFT 0.38 `tx_result`) and the encrypted parts opened with the tx keys the client
// kept (or re-derived with Wallet.txKeyOfEnvelope). The result layout the app must emit is in
// docs/sdk.md ("Result layout"); the constants below are that layout.
import { decryptTxOutput, hexToBytes, utf8Decode } from '../crypto/index.js';
import {
  ClientError,
  ContractError,
  InsufficientFundsError,
  OutOfGasError,
  TxRejectedError,
  type TxFailureInfo,
} from './errors.js';
import { fromBase64OrNull } from './encoding.js';

/** An event attribute whose key starts with this carries base64(sealed) under the label that follows. */
export const ENCRYPTED_ATTRIBUTE_PREFIX = 'encrypted:';
/** Attribute naming the index of the tx message an event belongs to (as Cosmos SDK 0.50). */
export const MESSAGE_INDEX_ATTRIBUTE = 'msg_index';
/** Attribute marking events of contract-to-contract calls (depth ≥ 1); their keys are not the user's tx key. */
export const CALL_DEPTH_ATTRIBUTE = 'call_depth';
/** Codespaces and codes the client turns into typed errors (Cosmos SDK numbering for `sdk`). */
export const RESULT_CODES = {
  sdk: { insufficientFunds: 5, outOfGas: 11 },
  compute: { contractError: 3, outOfGas: 11 },
} as const;

/** A CometBFT 0.38 event attribute (strings, not base64, since v0.35). */
export interface AbciEventAttribute {
  key: string;
  value: string;
  index?: boolean;
}

export interface AbciEvent {
  type: string;
  attributes: AbciEventAttribute[];
}

/** `ExecTxResult` of CometBFT 0.38, decoded (data from base64, gas as bigint). */
export interface TxResultInfo {
  code: number;
  codespace: string;
  log: string;
  data: Uint8Array;
  gasWanted: bigint;
  gasUsed: bigint;
  events: AbciEvent[];
}

/** An attribute after decryption: `encrypted` says whether it travelled encrypted. */
export interface DecryptedAttribute {
  key: string;
  value: string;
  encrypted: boolean;
}

export interface DecryptedEvent {
  type: string;
  /** Index of the tx message it belongs to, when the event says. */
  messageIndex: number | undefined;
  attributes: DecryptedAttribute[];
  /** Encrypted attributes left closed: those of nested contract calls (not yet supported). */
  sealed: { label: string; sealed: Uint8Array }[];
}

export interface DecryptedTxResult {
  txHash: string;
  gasWanted: bigint;
  gasUsed: bigint;
  /** Per message: the contract's decrypted `data` (null when none, or not a contract message). */
  data: (Uint8Array | null)[];
  events: DecryptedEvent[];
}

function malformed(message: string): never {
  throw new ClientError('RESULT_MALFORMED', message);
}

function openOutput(txKey: Uint8Array, txHash: Uint8Array, label: string, sealed: Uint8Array): Uint8Array {
  try {
    return decryptTxOutput(txKey, txHash, label, sealed);
  } catch (error) {
    throw new ClientError(
      'RESULT_DECRYPT_FAILED',
      `output "${label.slice(0, 80)}" does not open with this transaction's key: altered, from another transaction, or another key`,
      { cause: error },
    );
  }
}

function parseMessageIndex(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,3})$/.test(text))
    malformed(`msg_index "${text.slice(0, 20)}" is not a small integer`);
  return Number(text);
}

function keyFor(txKeys: readonly (Uint8Array | null)[], index: number | undefined): Uint8Array {
  // A one-message tx needs no msg_index; with several, the event must say which envelope it opens.
  const resolved = index ?? (txKeys.length === 1 ? 0 : undefined);
  if (resolved === undefined) malformed('an event with encrypted attributes has no msg_index');
  const key = txKeys[resolved];
  if (key === undefined || key === null) {
    malformed(
      `encrypted output for message ${resolved}, which is not a contract message of this transaction`,
    );
  }
  return key;
}

function decryptEvent(
  event: AbciEvent,
  txKeys: readonly (Uint8Array | null)[],
  txHash: Uint8Array,
): DecryptedEvent {
  const get = (key: string) => event.attributes.find((a) => a.key === key)?.value;
  const messageIndex = parseMessageIndex(get(MESSAGE_INDEX_ATTRIBUTE));
  const nested = (get(CALL_DEPTH_ATTRIBUTE) ?? '0') !== '0';
  const out: DecryptedEvent = { type: event.type, messageIndex, attributes: [], sealed: [] };
  for (const attribute of event.attributes) {
    if (!attribute.key.startsWith(ENCRYPTED_ATTRIBUTE_PREFIX)) {
      out.attributes.push({ key: attribute.key, value: attribute.value, encrypted: false });
      continue;
    }
    const label = attribute.key.slice(ENCRYPTED_ATTRIBUTE_PREFIX.length);
    const sealed = fromBase64OrNull(attribute.value);
    if (sealed === null) malformed(`encrypted attribute "${label.slice(0, 80)}" is not base64`);
    if (nested || label === 'data') {
      out.sealed.push({ label, sealed });
      continue;
    }
    const plaintext = openOutput(keyFor(txKeys, messageIndex), txHash, label, sealed);
    out.attributes.push({ ...parseAttribute(plaintext, label), encrypted: true });
  }
  return out;
}

/** Enclave attribute plaintext = JSON {"key","value"} (src/enclave/README.md, output labels). */
function parseAttribute(plaintext: Uint8Array, label: string): { key: string; value: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decode(plaintext));
  } catch {
    malformed(`decrypted attribute "${label}" is not JSON`);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as { key?: unknown }).key !== 'string' ||
    typeof (parsed as { value?: unknown }).value !== 'string'
  ) {
    malformed(`decrypted attribute "${label}" is not {"key","value"}`);
  }
  const { key, value } = parsed as { key: string; value: string };
  return { key, value };
}

const CONTRACT_ERROR_LOG = /message index: ([0-9]{1,4}): encrypted: ([A-Za-z0-9+/=]+)/;

/**
 * The typed error of a failed transaction: the contract's decrypted `Err` for a contract
 * error (log `… message index: <i>: encrypted: <base64> …`, codespace `compute`), else
 * out of gas, insufficient funds, or TxRejectedError.
 * @throws {ClientError} RESULT_DECRYPT_FAILED if the contract error does not open with the key.
 */
export function failureOf(
  info: TxFailureInfo,
  txKeys: readonly (Uint8Array | null)[],
  txHash: Uint8Array,
): TxRejectedError {
  const { codespace, resultCode } = info;
  if (codespace === 'compute' && resultCode === RESULT_CODES.compute.contractError) {
    const match = CONTRACT_ERROR_LOG.exec(info.log);
    const sealed = match ? fromBase64OrNull(match[2]!) : null;
    if (match === null || sealed === null)
      malformed('a contract error log without "message index: <i>: encrypted: <base64>"');
    const index = Number(match[1]);
    const plaintext = openOutput(keyFor(txKeys, index), txHash, 'error', sealed);
    return new ContractError(info, utf8Decode(plaintext), index);
  }
  if (
    (codespace === 'sdk' && resultCode === RESULT_CODES.sdk.outOfGas) ||
    (codespace === 'compute' && resultCode === RESULT_CODES.compute.outOfGas)
  ) {
    return new OutOfGasError(info);
  }
  if (codespace === 'sdk' && resultCode === RESULT_CODES.sdk.insufficientFunds)
    return new InsufficientFundsError(info);
  return new TxRejectedError(info);
}

/**
 * Decrypts a transaction result with the keys of its envelopes.
 * @param txKeys per message of the tx: its tx key (contract messages) or null (BuiltTx.txKeys).
 * @param txHash the 32-byte tx hash, or its hex.
 * @returns data and events with encrypted attributes opened.
 * @throws {ContractError | OutOfGasError | InsufficientFundsError | TxRejectedError} for code ≠ 0.
 * @throws {ClientError} RESULT_DECRYPT_FAILED for an output that does not open (tampered);
 *   RESULT_MALFORMED for a result that breaks the layout of docs/sdk.md.
 */
export function decryptTxResult(
  txKeys: readonly (Uint8Array | null)[],
  txHash: Uint8Array | string,
  result: TxResultInfo,
): DecryptedTxResult {
  if (typeof txHash === 'string' && !/^[0-9a-fA-F]{64}$/.test(txHash)) {
    throw new ClientError('INVALID_ARGUMENT', 'txHash must be 32 bytes or 64 hex characters');
  }
  const hash = typeof txHash === 'string' ? hexToBytes(txHash.toLowerCase()) : txHash;
  const hashHex = typeof txHash === 'string' ? txHash.toUpperCase() : toHexUpper(txHash);
  if (hash.length !== 32) throw new ClientError('INVALID_ARGUMENT', 'txHash must be 32 bytes');
  if (result.code !== 0) {
    throw failureOf(
      {
        txHash: hashHex,
        resultCode: result.code,
        codespace: result.codespace,
        log: result.log,
        gasWanted: result.gasWanted,
        gasUsed: result.gasUsed,
      },
      txKeys,
      hash,
    );
  }
  const events = result.events.map((event) => decryptEvent(event, txKeys, hash));
  const data: (Uint8Array | null)[] = txKeys.map(() => null);
  for (const event of events) {
    for (const { label, sealed } of event.sealed) {
      if (label !== 'data' || event.type !== 'wasm') continue;
      const index = event.messageIndex ?? (txKeys.length === 1 ? 0 : undefined);
      if (index === undefined || index >= data.length) malformed('a data output without a valid msg_index');
      if (data[index] !== null) malformed(`two data outputs for message ${index}`);
      data[index] = openOutput(keyFor(txKeys, index), hash, 'data', sealed);
    }
    event.sealed = event.sealed.filter((entry) => entry.label !== 'data');
  }
  return { txHash: hashHex, gasWanted: result.gasWanted, gasUsed: result.gasUsed, data, events };
}

function toHexUpper(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out.toUpperCase();
}
