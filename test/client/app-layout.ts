// Test helpers standing in for the app and the node: they turn an enclave result into the
// CometBFT 0.38 `tx_result` the client reads, following the result layout of docs/sdk.md. The
// app (src/app) must emit the same layout; this file is the executable form of that contract.
import { decodeTx } from '../../src/codec/index.js';
import type {
  BlockInfo,
  OutputAttribute,
  RunContractRequest,
  RunContractResult,
} from '../../src/enclave/index.js';
import {
  CALL_DEPTH_ATTRIBUTE,
  ENCRYPTED_ATTRIBUTE_PREFIX,
  MESSAGE_INDEX_ATTRIBUTE,
  RESULT_CODES,
  type AbciEvent,
  type AbciEventAttribute,
  type TxResultInfo,
} from '../../src/client/index.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** The runContract request the app would make for message `index` of a client-built tx. */
export function requestFromTx(
  txBytes: Uint8Array,
  index: number,
  codeHash: string,
  block: BlockInfo,
  contract: string,
  accountNumber: bigint,
  callIndex = 0,
): RunContractRequest {
  const { tx, body } = decodeTx(txBytes);
  const sum = body.messages[index]!.sum;
  const auth = {
    kind: 'user' as const,
    bodyBytes: tx.bodyBytes,
    authInfoBytes: tx.authInfoBytes,
    accountNumber,
    signature: tx.signatures[0]!,
    messageIndex: index,
  };
  const common = { codeHash, block, txIndex: 0, callIndex, gasLimit: 50_000_000_000n, contract };
  switch (sum.case) {
    case 'instantiateContract':
      return {
        ...common,
        entry: 'instantiate',
        codeId: sum.value.codeId,
        label: sum.value.label,
        sender: sum.value.sender,
        funds: sum.value.initFunds.map((c) => ({ denom: c.denom, amount: c.amount })),
        envelope: sum.value.initMsg,
        auth,
      };
    case 'executeContract':
      return {
        ...common,
        entry: 'execute',
        sender: sum.value.sender,
        funds: sum.value.sentFunds.map((c) => ({ denom: c.denom, amount: c.amount })),
        envelope: sum.value.msg,
        auth,
      };
    default:
      throw new Error(`not a contract message: ${String(sum.case)}`);
  }
}

function attributeOf(a: OutputAttribute, label: string): AbciEventAttribute {
  return a.encrypted
    ? { key: `${ENCRYPTED_ATTRIBUTE_PREFIX}${label}`, value: b64(a.sealed), index: true }
    : { key: a.key, value: a.value, index: true };
}

/** Events of one successful contract call, as the app emits them (docs/sdk.md "Result layout"). */
export function eventsOf(
  result: RunContractResult,
  messageIndex: number,
  contract: string,
  extra: AbciEvent[] = [],
  callDepth = 0,
): AbciEvent[] {
  if (!result.ok) return [];
  const head: AbciEventAttribute[] = [
    { key: MESSAGE_INDEX_ATTRIBUTE, value: String(messageIndex), index: true },
    { key: 'contract_address', value: contract, index: true },
    ...(callDepth > 0 ? [{ key: CALL_DEPTH_ATTRIBUTE, value: String(callDepth), index: true }] : []),
  ];
  const wasm: AbciEvent = {
    type: 'wasm',
    attributes: [
      ...head,
      ...(result.data === null
        ? []
        : [{ key: `${ENCRYPTED_ATTRIBUTE_PREFIX}data`, value: b64(result.data), index: false }]),
      ...result.attributes.map((a, i) => attributeOf(a, `attr/${i}`)),
    ],
  };
  const custom = result.events.map((event, e) => ({
    type: `wasm-${event.type}`,
    attributes: [...head, ...event.attributes.map((a, i) => attributeOf(a, `event/${e}/attr/${i}`))],
  }));
  return [...extra, wasm, ...custom];
}

/** The tx_result of a tx whose only message produced `result`. */
export function txResultOf(
  result: RunContractResult,
  contract: string,
  extra: AbciEvent[] = [],
): TxResultInfo {
  if (result.ok) {
    return {
      code: 0,
      codespace: '',
      log: '',
      data: new Uint8Array(0),
      gasWanted: 2_000_000n,
      gasUsed: result.gasUsed / 1000n,
      events: eventsOf(result, 0, contract, extra),
    };
  }
  if (result.error.kind === 'contract') {
    return {
      code: RESULT_CODES.compute.contractFailed,
      codespace: 'compute',
      log: `failed to execute message; message index: 0: encrypted: ${b64(result.error.sealed)}: execute contract failed`,
      data: new Uint8Array(0),
      gasWanted: 2_000_000n,
      gasUsed: result.gasUsed / 1000n,
      events: [],
    };
  }
  const outOfGas = result.error.code === 'OUT_OF_GAS';
  return {
    code: outOfGas ? RESULT_CODES.sdk.outOfGas : 7,
    codespace: outOfGas ? 'sdk' : 'compute',
    log: outOfGas ? 'out of gas' : `contract failed: ${result.error.code}`,
    data: new Uint8Array(0),
    gasWanted: 2_000_000n,
    gasUsed: result.gasUsed / 1000n,
    events: [],
  };
}

/**
 * The layout src/app emits today (app.ts `contractEvents`, `callFailure`): no msg_index, each
 * encrypted attribute under the bare key `encrypted` (its label is its position), the first
 * message's sealed data in `tx_result.data`, a contract Err sealed in `data` with code 104.
 */
export function appEventsOf(result: RunContractResult, contract: string): AbciEvent[] {
  if (!result.ok) return [];
  const convert = (a: OutputAttribute): AbciEventAttribute =>
    a.encrypted
      ? { key: 'encrypted', value: b64(a.sealed), index: false }
      : { key: a.key, value: a.value, index: true };
  const head = { key: 'contract_address', value: contract, index: true };
  return [
    { type: 'wasm', attributes: [head, ...result.attributes.map(convert)] },
    ...result.events.map((event) => ({
      type: `wasm-${event.type}`,
      attributes: [head, ...event.attributes.map(convert)],
    })),
  ];
}

export function appTxResultOf(
  result: RunContractResult,
  contract: string,
  extra: AbciEvent[] = [],
): TxResultInfo {
  const base = { log: '', gasWanted: 2_000_000n, gasUsed: result.gasUsed / 1000n };
  if (result.ok) {
    return {
      ...base,
      code: 0,
      codespace: '',
      data: result.data ?? new Uint8Array(0),
      events: [...appEventsOf(result, contract), ...extra],
    };
  }
  if (result.error.kind === 'contract') {
    return {
      ...base,
      code: RESULT_CODES.compute.contractFailed,
      codespace: 'compute',
      log: 'the contract returned an error (encrypted in data)',
      data: result.error.sealed,
      events: [],
    };
  }
  const outOfGas = result.error.code === 'OUT_OF_GAS';
  return {
    ...base,
    code: outOfGas ? RESULT_CODES.sdk.outOfGas : 105,
    codespace: outOfGas ? 'sdk' : 'compute',
    log: outOfGas ? 'out of gas in the contract' : `the VM stopped the contract: ${result.error.code}`,
    data: new Uint8Array(0),
    events: [],
  };
}
