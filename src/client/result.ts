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
/** The key src/app gives a sealed attribute (label implied by position, see docs/sdk.md). */
export const BARE_ENCRYPTED_KEY = 'encrypted';
/** Attribute naming the index of the tx message an event belongs to (as Cosmos SDK 0.50). */
export const MESSAGE_INDEX_ATTRIBUTE = 'msg_index';
/** Attribute marking events of contract-to-contract calls (depth ≥ 1); their keys are not the user's tx key. */
export const CALL_DEPTH_ATTRIBUTE = 'call_depth';
/** Codespaces and codes the client turns into typed errors (Cosmos SDK numbering for `sdk`). */
export const RESULT_CODES = {
  sdk: { insufficientFunds: 5, outOfGas: 11, notFound: 38 },
  compute: { contractFailed: 104, outOfGas: 11 },
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

/** Tries each key (AES-GCM authenticates, so only the right one opens); null if none does. */
function openWithAny(
  txKeys: readonly (Uint8Array | null)[],
  txHash: Uint8Array,
  label: string,
  sealed: Uint8Array,
): { index: number; plaintext: Uint8Array } | null {
  for (const [index, key] of txKeys.entries()) {
    if (key === null) continue;
    try {
      return { index, plaintext: decryptTxOutput(key, txHash, label, sealed) };
    } catch {
      // not this message's output: try the next key
    }
  }
  return null;
}

function parseMessageIndex(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,3})$/.test(text))
    malformed(`msg_index "${text.slice(0, 20)}" is not a small integer`);
  return Number(text);
}

function keyFor(txKeys: readonly (Uint8Array | null)[], index: number): Uint8Array {
  const key = txKeys[index];
  if (key === undefined || key === null) {
    malformed(`encrypted output for message ${index}, which is not a contract message of this transaction`);
  }
  return key;
}

/** Attributes the app adds to contract events; they do not count in the contract's attribute indexes. */
const APP_ATTRIBUTES: ReadonlySet<string> = new Set([
  'contract_address',
  MESSAGE_INDEX_ATTRIBUTE,
  CALL_DEPTH_ATTRIBUTE,
  `${ENCRYPTED_ATTRIBUTE_PREFIX}data`,
]);

interface EventContext {
  txKeys: readonly (Uint8Array | null)[];
  txHash: Uint8Array;
  /** Contracts called by the tx's own messages: their outputs must open with the tx's keys. */
  topLevel: ReadonlySet<string>;
  /** For a `wasm-<type>` event: its index among the custom events of its call (label event/<e>/…). */
  customIndex: number;
}

function decryptEvent(event: AbciEvent, context: EventContext): DecryptedEvent {
  const get = (key: string) => event.attributes.find((a) => a.key === key)?.value;
  const messageIndex = parseMessageIndex(get(MESSAGE_INDEX_ATTRIBUTE));
  const nested = (get(CALL_DEPTH_ATTRIBUTE) ?? '0') !== '0';
  const contract = get('contract_address');
  const out: DecryptedEvent = { type: event.type, messageIndex, attributes: [], sealed: [] };
  let position = 0; // index of the attribute among the contract's own (enclave label attr/<i>)
  for (const attribute of event.attributes) {
    const own = !APP_ATTRIBUTES.has(attribute.key);
    const index = own ? position++ : -1;
    // src/app writes a sealed attribute as key `encrypted` with index false; a contract's own
    // plaintext attribute named `encrypted` is indexed, so it is not mistaken for one.
    const bareSealed = attribute.key === BARE_ENCRYPTED_KEY && attribute.index !== true;
    if (!bareSealed && !attribute.key.startsWith(ENCRYPTED_ATTRIBUTE_PREFIX)) {
      out.attributes.push({ key: attribute.key, value: attribute.value, encrypted: false });
      continue;
    }
    // `encrypted:<label>` names its label; a bare `encrypted` key (src/app today) has it by position.
    const label = attribute.key.startsWith(ENCRYPTED_ATTRIBUTE_PREFIX)
      ? attribute.key.slice(ENCRYPTED_ATTRIBUTE_PREFIX.length)
      : event.type === 'wasm'
        ? `attr/${index}`
        : `event/${context.customIndex}/attr/${index}`;
    const sealed = fromBase64OrNull(attribute.value);
    if (sealed === null) malformed(`encrypted attribute "${label.slice(0, 80)}" is not base64`);
    if (nested || label === 'data') {
      out.sealed.push({ label, sealed });
      continue;
    }
    let plaintext: Uint8Array;
    if (messageIndex !== undefined) {
      plaintext = openOutput(keyFor(context.txKeys, messageIndex), context.txHash, label, sealed);
    } else {
      const opened = openWithAny(context.txKeys, context.txHash, label, sealed);
      if (opened === null) {
        // Ours must open; a contract the tx did not call directly is a nested call (its key is
        // derived inside the enclave per call): leave it closed.
        if (contract === undefined || context.topLevel.has(contract)) {
          throw new ClientError(
            'RESULT_DECRYPT_FAILED',
            `encrypted attribute "${label.slice(0, 80)}" does not open with this transaction's keys: altered or misplaced`,
          );
        }
        out.sealed.push({ label, sealed });
        continue;
      }
      plaintext = opened.plaintext;
    }
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
 * The typed error of a failed transaction. A contract error (codespace `compute`, code 104) is
 * opened with the tx keys: the sealed error is in the log (`message index: <i>: encrypted:
 * <base64>`) or, as src/app does, in the result's `data`; then out of gas, insufficient funds,
 * or TxRejectedError.
 * @throws {ClientError} RESULT_DECRYPT_FAILED if a contract error does not open with the keys
 *   (altered, or the error of a nested call, whose key is not the user's).
 */
export function failureOf(
  info: TxFailureInfo,
  txKeys: readonly (Uint8Array | null)[],
  txHash: Uint8Array,
  data: Uint8Array = new Uint8Array(0),
): TxRejectedError {
  const { codespace, resultCode } = info;
  if (codespace === 'compute' && resultCode === RESULT_CODES.compute.contractFailed) {
    const match = CONTRACT_ERROR_LOG.exec(info.log);
    if (match !== null) {
      const sealed = fromBase64OrNull(match[2]!);
      if (sealed === null) malformed('a contract error log whose sealed error is not base64');
      const index = Number(match[1]);
      return new ContractError(
        info,
        utf8Decode(openOutput(keyFor(txKeys, index), txHash, 'error', sealed)),
        index,
      );
    }
    if (data.length > 0) {
      const opened = openWithAny(txKeys, txHash, 'error', data);
      if (opened === null) {
        throw new ClientError(
          'RESULT_DECRYPT_FAILED',
          "the contract error does not open with this transaction's keys: altered, or the error of a nested contract call",
        );
      }
      return new ContractError(info, utf8Decode(opened.plaintext), opened.index);
    }
    return new TxRejectedError(info);
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
 * @param targets per message: the contract it calls (execute/migrate) or null (BuiltTx.targets).
 *   Events of these contracts (and of contracts in `instantiate` events) must open with the
 *   keys; other contracts' events without `msg_index` are nested calls and stay closed.
 * @returns data and events with encrypted attributes opened.
 * @throws {ContractError | OutOfGasError | InsufficientFundsError | TxRejectedError} for code ≠ 0.
 * @throws {ClientError} RESULT_DECRYPT_FAILED for an output that does not open (tampered);
 *   RESULT_MALFORMED for a result that breaks the layout of docs/sdk.md.
 */
export function decryptTxResult(
  txKeys: readonly (Uint8Array | null)[],
  txHash: Uint8Array | string,
  result: TxResultInfo,
  targets: readonly (string | null)[] = [],
): DecryptedTxResult {
  if (typeof txHash === 'string' && !/^[0-9a-fA-F]{64}$/.test(txHash)) {
    throw new ClientError('INVALID_ARGUMENT', 'txHash must be 32 bytes or 64 hex characters');
  }
  const hash = typeof txHash === 'string' ? hexToBytes(txHash.toLowerCase()) : txHash;
  const hashHex = typeof txHash === 'string' ? txHash.toUpperCase() : toHexUpper(txHash);
  if (hash.length !== 32) throw new ClientError('INVALID_ARGUMENT', 'txHash must be 32 bytes');
  if (result.code !== 0) {
    const info = {
      txHash: hashHex,
      resultCode: result.code,
      codespace: result.codespace,
      log: result.log,
      gasWanted: result.gasWanted,
      gasUsed: result.gasUsed,
    };
    throw failureOf(info, txKeys, hash, result.data);
  }
  const topLevel = new Set(targets.filter((t): t is string => t !== null));
  // Instantiated contracts get their address from the chain: the `instantiate` events name them.
  for (const event of result.events) {
    if (event.type !== 'instantiate') continue;
    const address = event.attributes.find((a) => a.key === 'contract_address')?.value;
    if (address !== undefined) topLevel.add(address);
  }
  let customIndex = 0;
  const events = result.events.map((event) => {
    if (event.type === 'wasm') customIndex = 0;
    const decrypted = decryptEvent(event, { txKeys, txHash: hash, topLevel, customIndex });
    if (event.type.startsWith('wasm-')) customIndex++;
    return decrypted;
  });
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
  // src/app puts the first message's output in tx_result.data (sealed data for a contract call).
  const first = txKeys[0];
  const anyData = data.some((d) => d !== null);
  if (!anyData && result.data.length > 0 && first !== undefined && first !== null) {
    data[0] = openOutput(first, hash, 'data', result.data);
  }
  return { txHash: hashHex, gasWanted: result.gasWanted, gasUsed: result.gasUsed, data, events };
}

function toHexUpper(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out.toUpperCase();
}
