// Typed errors of the codec layer. Every decode failure of untrusted bytes (RPC, mempool
// gossip, blocks from peers) surfaces as a CodecError, never as a raw exception of the
// protobuf runtime. Policy for all codes: the bytes are an invalid transaction; reject them
// (checkTx fails, a proposal containing them is invalid). None of them is a node fault.
import { ShroudError } from '../errors.js';

/**
 * - `MALFORMED`: not parseable protobuf (truncated, bad tag, bad wire type, length past the
 *   end, invalid UTF-8 in a string).
 * - `NON_CANONICAL`: parseable, but re-encoding does not give back the same bytes (field
 *   order, duplicated fields, non-minimal varints, explicitly encoded default values).
 * - `UNKNOWN_FIELD`: a field number the schema does not define.
 * - `TOO_LARGE`: more bytes than the configured limit (tx bytes, memo).
 * - `EMPTY_MESSAGES`: a transaction body without any message.
 * - `INVALID_FIELD`: canonical protobuf whose content breaks a structural rule (signature
 *   count or length, key length, amount spelling, gas limit, unset oneof...).
 */
export type CodecErrorCode =
  'MALFORMED' | 'NON_CANONICAL' | 'UNKNOWN_FIELD' | 'TOO_LARGE' | 'EMPTY_MESSAGES' | 'INVALID_FIELD';

/** A codec failure. `field` names the offending field path when one is known (`body.memo`). */
export class CodecError extends ShroudError<CodecErrorCode> {
  readonly field: string | undefined;

  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.field = options?.field;
  }
}
