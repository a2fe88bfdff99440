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

/**
 * Byte arrays at least this long are converted by Node's native hex codec: a proposal's block
 * (hundreds of KB, encoded for the WAL and for each broadcast) went through the per-byte string
 * concatenation of bytesToHex: 37–43 ms of CPU per 600 KB value, 2.6–3.4 ms natively
 * (bench/RESULTS.md "consensus", session 3). Short ones (hashes,
 * signatures) stay on bytesToHex, cheaper there than a Buffer view. Same text either way.
 */
const NATIVE_HEX_MIN = 256;
const NOT_HEX = /[^0-9a-fA-F]/;

function toHex(bytes: Uint8Array): string {
  if (bytes.length < NATIVE_HEX_MIN) return bytesToHex(bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** As hexToBytes (which throws on a bad digit or odd length), natively for long strings. */
function fromHex(hex: string): Uint8Array {
  if (hex.length < 2 * NATIVE_HEX_MIN) return hexToBytes(hex);
  // Buffer.from stops silently at the first non-hex pair: check the whole text first.
  if (hex.length % 2 !== 0 || NOT_HEX.test(hex)) return hexToBytes(hex); // throws the precise error
  // A copy: a Buffer may be a slice of Node's shared pool, and callers may keep `.buffer`.
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $b: toHex(value) };
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
  if (typeof tagged.$b === 'string') return fromHex(tagged.$b);
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
