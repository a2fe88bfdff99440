// Conversions between CometBFT v0.38's ABCI protobuf messages (cosmjs-types, generated from
// tendermint/abci/types.proto) and the app's ABCI-shaped interface (src/app/abci.ts). Only
// the fields the app reads are carried; the others are named in README.md "Mapping".
import {
  CheckTxType,
  MisbehaviorType,
  ResponseProcessProposal_ProposalStatus,
  type Event,
  type ExecTxResult as ProtoExecTxResult,
  type Misbehavior as ProtoMisbehavior,
  type RequestCheckTx as ProtoRequestCheckTx,
  type RequestFinalizeBlock as ProtoRequestFinalizeBlock,
  type RequestInitChain as ProtoRequestInitChain,
  type RequestPrepareProposal as ProtoRequestPrepareProposal,
  type RequestProcessProposal as ProtoRequestProcessProposal,
  type RequestQuery as ProtoRequestQuery,
  type ResponseCheckTx as ProtoResponseCheckTx,
  type ResponseFinalizeBlock as ProtoResponseFinalizeBlock,
  type ResponseInfo as ProtoResponseInfo,
  type ResponseInitChain as ProtoResponseInitChain,
  type ResponseProcessProposal as ProtoResponseProcessProposal,
  type ResponseQuery as ProtoResponseQuery,
  type ValidatorUpdate as ProtoValidatorUpdate,
} from 'cosmjs-types/tendermint/abci/types';
import type { Timestamp } from 'cosmjs-types/google/protobuf/timestamp';
import type {
  AbciEvent,
  ExecTxResult,
  Misbehavior,
  RequestCheckTx,
  RequestFinalizeBlock,
  RequestInitChain,
  RequestPrepareProposal,
  RequestProcessProposal,
  RequestQuery,
  ResponseCheckTx,
  ResponseFinalizeBlock,
  ResponseInfo,
  ResponseInitChain,
  ResponseProcessProposal,
  ResponseQuery,
  ValidatorUpdate,
} from '../app/index.js';
import { AbciError } from './errors.js';

const NANOS_PER_SECOND = 1_000_000_000n;

/**
 * A protobuf Timestamp as nanoseconds since the epoch (the app's block time unit).
 * @throws {AbciError} INVALID_REQUEST for a time before 1970 or nanos outside 0..999,999,999
 *   (google/protobuf/timestamp.proto's valid range; CometBFT never sends one).
 */
export function timestampToNanos(time: Timestamp, field: string): bigint {
  if (time.seconds < 0n || !Number.isInteger(time.nanos) || time.nanos < 0 || time.nanos > 999_999_999) {
    throw new AbciError('INVALID_REQUEST', `${field} is not a valid time after 1970`);
  }
  return time.seconds * NANOS_PER_SECOND + BigInt(time.nanos);
}

/** Nanoseconds since the epoch as a protobuf Timestamp. */
export function nanosToTimestamp(nanos: bigint): Timestamp {
  return { seconds: nanos / NANOS_PER_SECOND, nanos: Number(nanos % NANOS_PER_SECOND) };
}

function validatorUpdateFromProto(update: ProtoValidatorUpdate, field: string): ValidatorUpdate {
  const key = update.pubKey.ed25519;
  if (key === undefined || key.length !== 32) {
    throw new AbciError('INVALID_REQUEST', `${field}: only 32-byte ed25519 validator keys are supported`);
  }
  return { pubKey: key, power: update.power };
}

function validatorUpdateToProto(update: ValidatorUpdate): ProtoValidatorUpdate {
  return { pubKey: { ed25519: update.pubKey }, power: update.power };
}

function eventsToProto(events: readonly AbciEvent[]): Event[] {
  return events.map((event) => ({
    type: event.type,
    attributes: event.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })),
  }));
}

function misbehaviorFromProto(list: readonly ProtoMisbehavior[]): Misbehavior[] {
  const out: Misbehavior[] = [];
  for (const item of list) {
    // UNKNOWN / UNRECOGNIZED carry nothing the app can act on; CometBFT never sends them.
    if (item.type === MisbehaviorType.DUPLICATE_VOTE || item.type === MisbehaviorType.LIGHT_CLIENT_ATTACK) {
      out.push({
        type: item.type === MisbehaviorType.DUPLICATE_VOTE ? 'duplicate_vote' : 'light_client_attack',
        validatorAddress: item.validator.address,
        height: item.height,
      });
    }
  }
  return out;
}

/** @throws {AbciError} INVALID_REQUEST (bad time, non-ed25519 validator). */
export function initChainFromProto(request: ProtoRequestInitChain): RequestInitChain {
  return {
    timeNanos: timestampToNanos(request.time, 'InitChain.time'),
    chainId: request.chainId,
    appStateBytes: request.appStateBytes,
    validators: request.validators.map((v, i) => validatorUpdateFromProto(v, `InitChain.validators[${i}]`)),
    initialHeight: request.initialHeight,
  };
}

export function initChainToProto(response: ResponseInitChain): ProtoResponseInitChain {
  return { validators: response.validators.map(validatorUpdateToProto), appHash: response.appHash };
}

export function infoToProto(response: ResponseInfo): ProtoResponseInfo {
  return { ...response };
}

export function checkTxFromProto(request: ProtoRequestCheckTx): RequestCheckTx {
  return { tx: request.tx, type: request.type === CheckTxType.RECHECK ? 'recheck' : 'new' };
}

/** ResponseCheckTx without the app's non-ABCI fields (sender, sequence, priority). */
export function checkTxToProto(response: ResponseCheckTx): ProtoResponseCheckTx {
  return {
    code: response.code,
    data: response.data,
    log: response.log,
    info: '',
    gasWanted: response.gasWanted,
    gasUsed: response.gasUsed,
    events: eventsToProto(response.events),
    codespace: response.codespace,
  };
}

/** @throws {AbciError} INVALID_REQUEST (bad time). */
export function prepareProposalFromProto(request: ProtoRequestPrepareProposal): RequestPrepareProposal {
  return {
    maxTxBytes: request.maxTxBytes,
    txs: request.txs,
    height: request.height,
    timeNanos: timestampToNanos(request.time, 'PrepareProposal.time'),
    proposerAddress: request.proposerAddress,
  };
}

/** @throws {AbciError} INVALID_REQUEST (bad time). */
export function processProposalFromProto(request: ProtoRequestProcessProposal): RequestProcessProposal {
  return {
    txs: request.txs,
    hash: request.hash,
    height: request.height,
    timeNanos: timestampToNanos(request.time, 'ProcessProposal.time'),
    proposerAddress: request.proposerAddress,
  };
}

export function processProposalToProto(response: ResponseProcessProposal): ProtoResponseProcessProposal {
  return {
    status:
      response.status === 'accept'
        ? ResponseProcessProposal_ProposalStatus.ACCEPT
        : ResponseProcessProposal_ProposalStatus.REJECT,
  };
}

/** @throws {AbciError} INVALID_REQUEST (bad time). */
export function finalizeBlockFromProto(request: ProtoRequestFinalizeBlock): RequestFinalizeBlock {
  return {
    txs: request.txs,
    hash: request.hash,
    height: request.height,
    timeNanos: timestampToNanos(request.time, 'FinalizeBlock.time'),
    proposerAddress: request.proposerAddress,
    misbehavior: misbehaviorFromProto(request.misbehavior),
  };
}

function execTxResultToProto(result: ExecTxResult): ProtoExecTxResult {
  return {
    code: result.code,
    data: result.data,
    log: result.log,
    info: '',
    gasWanted: result.gasWanted,
    gasUsed: result.gasUsed,
    events: eventsToProto(result.events),
    codespace: result.codespace,
  };
}

export function finalizeBlockToProto(response: ResponseFinalizeBlock): ProtoResponseFinalizeBlock {
  return {
    events: eventsToProto(response.events),
    txResults: response.txResults.map(execTxResultToProto),
    validatorUpdates: response.validatorUpdates.map(validatorUpdateToProto),
    appHash: response.appHash,
  };
}

export function queryFromProto(request: ProtoRequestQuery): RequestQuery {
  return { path: request.path, data: request.data, height: request.height, prove: request.prove };
}

export function queryToProto(response: ResponseQuery): ProtoResponseQuery {
  return {
    code: response.code,
    log: response.log,
    info: '',
    index: 0n,
    key: response.key,
    value: response.value,
    height: response.height,
    codespace: response.codespace,
  };
}
