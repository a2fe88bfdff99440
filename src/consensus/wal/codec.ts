// Bytes of one WAL entry (also the wire format of consensus and block-sync messages, ADR 009
// §5). Two layouts, told apart by the first byte:
//   - legacy text (first byte '{'): UTF-8 JSON with tagged leaves for what JSON lacks (byte
//     arrays as {"$b": hex}, bigints as {"$n": decimal}, validator sets as {"$vs": {...}});
//   - binary-blob layout (first byte 0x00, written since session 4, ADR 011 §7): 0x00 ‖ u32 BE
//     length of the JSON ‖ that JSON ‖ blobs. Byte arrays of at least BLOB_MIN bytes (a
//     proposal's block) are {"$r": [offset, length]} into the blobs, raw, instead of hex:
//     half the bytes on disk and on the wire, and no hex/UTF-8 pass over them.
// Readers take both (WAL files written before, peers running the text encoder). The frame around
// an entry (file-wal.ts) carries length and CRC; this layer checks the decoded shape.
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
 * Byte arrays at least this long go to the blob section raw. Shorter ones (hashes, signatures,
 * addresses) stay hex in the JSON, where they are cheaper than a reference and readable.
 */
const BLOB_MIN = 256;
/** First byte of the binary-blob layout (JSON text never starts with 0x00). */
const BLOB_LAYOUT = 0x00;
const BLOB_HEADER_BYTES = 5;
/**
 * Legacy text only: long hex strings are converted by Node's native hex codec (37–43 → 2.6–3.4
 * ms per 600 KB value, bench/RESULTS.md "consensus", session 3); same bytes as hexToBytes.
 */
const NATIVE_HEX_MIN = 256;
const NOT_HEX = /[^0-9a-fA-F]/;

/** As hexToBytes (which throws on a bad digit or odd length), natively for long strings. */
function fromHex(hex: string): Uint8Array {
  if (hex.length < 2 * NATIVE_HEX_MIN) return hexToBytes(hex);
  // Buffer.from stops silently at the first non-hex pair: check the whole text first.
  if (hex.length % 2 !== 0 || NOT_HEX.test(hex)) return hexToBytes(hex); // throws the precise error
  // A copy: a Buffer may be a slice of Node's shared pool, and callers may keep `.buffer`.
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function corrupted(what: string): ConsensusError {
  return new ConsensusError('WAL_CORRUPTED', `a WAL entry ${what}: inspect or move the WAL file`);
}

/**
 * Encodes an entry in the binary-blob layout.
 * @throws {ConsensusError} INVALID_ARGUMENT if the entry holds more than 4 GiB of blobs.
 */
export function encodeWalEntry(entry: WalEntry): Uint8Array {
  const blobs: Uint8Array[] = [];
  let blobBytes = 0;
  const json = JSON.stringify(entry, function (this: unknown, _key: string, value: unknown): unknown {
    if (value instanceof Uint8Array) {
      if (value.length < BLOB_MIN) return { $b: bytesToHex(value) };
      blobs.push(value);
      blobBytes += value.length;
      return { $r: [blobBytes - value.length, value.length] };
    }
    if (typeof value === 'bigint') return { $n: value.toString() };
    if (value instanceof ValidatorSet) {
      return { $vs: { validators: value.validators, proposerAddress: value.proposerAddress } };
    }
    return value;
  });
  const text = Buffer.from(json, 'utf8');
  if (text.length + blobBytes > 0xffffffff)
    throw new ConsensusError('INVALID_ARGUMENT', 'a WAL entry may hold at most 4 GiB');
  const out = new Uint8Array(BLOB_HEADER_BYTES + text.length + blobBytes);
  out[0] = BLOB_LAYOUT;
  new DataView(out.buffer).setUint32(1, text.length);
  out.set(text, BLOB_HEADER_BYTES);
  let at = BLOB_HEADER_BYTES + text.length;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.length;
  }
  return out;
}

/**
 * Decodes either layout (see the top of this file).
 * @throws {ConsensusError} WAL_CORRUPTED when the bytes are not a WAL entry (the CRC matched, so
 *   this is a bug or a format change, not a torn write; from a peer: a malformed message).
 */
export function decodeWalEntry(bytes: Uint8Array): WalEntry {
  let text: Uint8Array = bytes;
  let blobs: Uint8Array | null = null;
  if (bytes.length > 0 && bytes[0] === BLOB_LAYOUT) {
    if (bytes.length < BLOB_HEADER_BYTES) throw corrupted('is shorter than its header');
    const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
    if (length > bytes.length - BLOB_HEADER_BYTES) throw corrupted('has a JSON length past its end');
    text = bytes.subarray(BLOB_HEADER_BYTES, BLOB_HEADER_BYTES + length);
    blobs = bytes.subarray(BLOB_HEADER_BYTES + length);
  }
  const reviver = (_key: string, value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const tagged = value as {
      $b?: unknown;
      $r?: unknown;
      $n?: unknown;
      $vs?: { validators: Validator[]; proposerAddress: string };
    };
    if (typeof tagged.$b === 'string') return fromHex(tagged.$b);
    if (tagged.$r !== undefined) {
      const ref = tagged.$r;
      if (
        blobs === null ||
        !Array.isArray(ref) ||
        ref.length !== 2 ||
        !Number.isSafeInteger(ref[0]) ||
        !Number.isSafeInteger(ref[1])
      )
        throw corrupted('has a malformed blob reference');
      const [offset, length] = ref as [number, number];
      if (offset < 0 || length < 0 || offset + length > blobs.length)
        throw corrupted('refers to bytes past its end');
      // A copy, and a plain Uint8Array: callers keep values (and may use `.buffer`) after the
      // message is gone, and `slice` of a Buffer (a WAL file read, a socket chunk) is a view.
      const copy = new Uint8Array(length);
      copy.set(blobs.subarray(offset, offset + length));
      return copy;
    }
    if (typeof tagged.$n === 'string') return BigInt(tagged.$n);
    if (tagged.$vs !== undefined) return new ValidatorSet(tagged.$vs.validators, tagged.$vs.proposerAddress);
    return value;
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text), reviver);
  } catch (cause) {
    if (cause instanceof ConsensusError) throw cause;
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
