// Strict, canonical protobuf decoding (docs/adr/002-transaction-format.md).
//
// Rule: a byte string is accepted only if it is exactly the encoding the schema gives for
// the decoded value, i.e. decode → encode returns the same bytes. Protobuf parsers are
// lenient by design (any field order, repeated singular fields, non-minimal varints, default
// values written out, unknown fields kept), so one message has many encodings; a chain that
// hashes and signs bytes must accept exactly one, or the same transaction gets several
// hashes (malleability) and nodes that parse differently disagree.
import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { CodecError } from './errors.js';

/**
 * Decodes `bytes` as `schema`, accepting only the canonical encoding.
 *
 * @param what the name of the bytes in error messages (`tx`, `body_bytes`).
 * @throws {CodecError} `MALFORMED` when the protobuf runtime cannot parse the bytes,
 *   `UNKNOWN_FIELD` when a field number is not in the schema (at any depth),
 *   `NON_CANONICAL` when re-encoding the decoded value gives different bytes.
 */
export function decodeCanonical<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
  what: string,
): MessageShape<Desc> {
  let message: MessageShape<Desc>;
  try {
    message = fromBinary(schema, bytes, { readUnknownFields: true });
  } catch (cause) {
    // The runtime throws Error/RangeError (premature EOF, illegal tag, invalid UTF-8,
    // recursion limit); all mean the same thing to a caller.
    throw new CodecError('MALFORMED', `${what} is not valid protobuf for ${schema.typeName}`, {
      cause,
      field: what,
    });
  }
  const unknown = findUnknownFieldPath(message, what);
  if (unknown !== undefined) {
    throw new CodecError(
      'UNKNOWN_FIELD',
      `${unknown.path} carries field number ${unknown.fieldNumber}, which ${unknown.typeName} does not define; ` +
        'encode with this version of the Shroud schemas',
      { field: unknown.path },
    );
  }
  const reencoded = toBinary(schema, message, { writeUnknownFields: false });
  if (!bytesEqual(reencoded, bytes)) {
    throw new CodecError(
      'NON_CANONICAL',
      `${what} is not the canonical encoding of ${schema.typeName} (fields out of order, repeated, ` +
        'written with default values or non-minimal varints); re-encode it with the Shroud codec',
      { field: what },
    );
  }
  return message;
}

/**
 * Builds a message from a plain or generated value and encodes it canonically (unknown
 * fields a caller may have kept are never written), checking that decoding the bytes gives
 * the same value back: a string with a lone UTF-16 surrogate would otherwise be signed as
 * U+FFFD, a different string than the caller meant.
 *
 * @throws {CodecError} `INVALID_FIELD` for a value the schema cannot hold (a uint64 out of
 *   range, a wrong type from untyped JavaScript, a string that is not well-formed UTF-16).
 */
export function encodeStrict<Desc extends DescMessage>(
  schema: Desc,
  init: MessageInitShape<Desc>,
  what: string,
): { message: MessageShape<Desc>; bytes: Uint8Array } {
  let message: MessageShape<Desc>;
  let bytes: Uint8Array;
  try {
    message = create(schema, init);
    bytes = toBinary(schema, message, { writeUnknownFields: false });
  } catch (cause) {
    // protobuf-es names the field and the bad value (numbers, types): public data.
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CodecError('INVALID_FIELD', `${what} cannot be encoded: ${reason}`, { cause, field: what });
  }
  if (!equals(schema, fromBinary(schema, bytes), message)) {
    throw new CodecError(
      'INVALID_FIELD',
      `${what} holds a string that is not well-formed UTF-16 (lone surrogate)`,
      {
        field: what,
      },
    );
  }
  return { message, bytes };
}

interface UnknownFieldHit {
  /** Path segments from the hit up to the root, joined only when reporting. */
  segments: string[];
  typeName: string;
  fieldNumber: number;
}

function findUnknownFieldPath(
  message: Record<string, unknown>,
  root: string,
): { path: string; typeName: string; fieldNumber: number } | undefined {
  const hit = findUnknownField(message);
  if (hit === undefined) return undefined;
  return {
    path: [root, ...hit.segments.reverse()].join(''),
    typeName: hit.typeName,
    fieldNumber: hit.fieldNumber,
  };
}

/**
 * Depth-first search of a decoded message tree for `$unknown` entries. Generated messages
 * are plain objects tagged with `$typeName`; a oneof is a `{ case, value }` object. Path
 * segments are only built on a hit: this runs on every decoded tx (it was half the decode
 * time when it built path strings eagerly).
 */
function findUnknownField(message: Record<string, unknown>): UnknownFieldHit | undefined {
  const unknown = message['$unknown'];
  if (Array.isArray(unknown) && unknown.length > 0) {
    const first = unknown[0] as { no: number };
    return { segments: [], typeName: String(message['$typeName']), fieldNumber: first.no };
  }
  for (const key of Object.keys(message)) {
    if (key.charCodeAt(0) === 0x24 /* '$' */) continue;
    const child = message[key];
    if (isOneof(child)) {
      const hit = findUnknownInValue(child.value);
      if (hit !== undefined) {
        hit.segments.push(`.${String(child.case)}`);
        return hit;
      }
      continue;
    }
    const hit = findUnknownInValue(child);
    if (hit !== undefined) {
      hit.segments.push(`.${key}`);
      return hit;
    }
  }
  return undefined;
}

function findUnknownInValue(value: unknown): UnknownFieldHit | undefined {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const hit = findUnknownInValue(value[index] as unknown);
      if (hit !== undefined) {
        hit.segments.push(`[${index}]`);
        return hit;
      }
    }
    return undefined;
  }
  return isMessage(value) ? findUnknownField(value) : undefined;
}

function isMessage(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { $typeName?: unknown }).$typeName === 'string'
  );
}

function isOneof(value: unknown): value is { case: unknown; value: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    'case' in value &&
    !isMessage(value)
  );
}

/** Byte equality (not constant-time: the inputs are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) {
    if (a[index] !== b[index]) return false;
  }
  return true;
}
