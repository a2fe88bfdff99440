// Bytes of one WAL entry: UTF-8 JSON with tagged leaves for what JSON lacks (byte arrays as
// {"$b": hex}, bigints as {"$n": decimal}, validator sets as {"$vs": {...}}). The frame around
// it (file-wal.ts) carries length and CRC; this layer checks the decoded shape.
import { bytesToHex, hexToBytes } from '../../crypto/index.js';
import { ValidatorSet, type Validator } from '../core/validator-set.js';
import { ConsensusError } from '../errors.js';
import type { WalEntry } from './wal.js';

const INPUT_KINDS = new Set([
  'StartHeight',
  'ProposalReceived',
  'VoteReceived',
  'TimeoutElapsed',
  'ValueReady',
  'ValueValidated',
  'CommitReceived',
]);

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $b: bytesToHex(value) };
  if (typeof value === 'bigint') return { $n: value.toString() };
  if (value instanceof ValidatorSet) {
    return { $vs: { validators: value.validators, proposerAddress: value.proposerAddress } };
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const tagged = value as {
    $b?: unknown;
    $n?: unknown;
    $vs?: { validators: Validator[]; proposerAddress: string };
  };
  if (typeof tagged.$b === 'string') return hexToBytes(tagged.$b);
  if (typeof tagged.$n === 'string') return BigInt(tagged.$n);
  if (tagged.$vs !== undefined) return new ValidatorSet(tagged.$vs.validators, tagged.$vs.proposerAddress);
  return value;
}

export function encodeWalEntry(entry: WalEntry): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(entry, replacer));
}

/**
 * @throws {ConsensusError} WAL_CORRUPTED when the bytes are not a WAL entry (the CRC matched, so
 *   this is a bug or a format change, not a torn write).
 */
export function decodeWalEntry(bytes: Uint8Array): WalEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes), reviver);
  } catch (cause) {
    throw new ConsensusError('WAL_CORRUPTED', 'a WAL entry is not valid JSON: inspect or move the WAL file', {
      cause,
    });
  }
  const entry = parsed as { kind?: unknown; input?: { kind?: unknown }; message?: { kind?: unknown } };
  const ok =
    (entry.kind === 'input' && typeof entry.input?.kind === 'string' && INPUT_KINDS.has(entry.input.kind)) ||
    (entry.kind === 'signed' && (entry.message?.kind === 'proposal' || entry.message?.kind === 'vote'));
  if (!ok)
    throw new ConsensusError(
      'WAL_CORRUPTED',
      'a WAL entry has an unknown kind: inspect or move the WAL file',
    );
  return parsed as WalEntry;
}
