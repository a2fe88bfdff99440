// Bounded reader for the WebAssembly binary format (WebAssembly spec §5.1–5.2). Every read
// checks the remaining bytes first, so a hostile module can make it throw PARSE_ERROR but
// never read out of bounds, allocate more than its input, or loop without consuming bytes.

import { VmError, type VmErrorCode } from '../errors.js';

// ignoreBOM: names are compared byte for byte (the engine does); a leading U+FEFF is part of the name.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Throws the parser's one error code with the byte offset, so a bad upload names where it broke. */
export function parseError(message: string, offset: number): never {
  throw new VmError('PARSE_ERROR', `wasm parse error at byte ${offset}: ${message}`);
}

/**
 * Cursor over a byte range. LEB128 rules (spec §5.2.2): an unsigned N-bit integer takes at
 * most ceil(N/7) bytes ("overlong" beyond that is rejected) and the unused high bits of the
 * last byte must be zero (signed: a sign extension of the value), else "out of range".
 * Non-minimal encodings within the byte limit (e.g. `0x80 0x00` for 0) are valid wasm and
 * accepted, because linkers emit them (padded section sizes); `nonMinimalLebs` counts them.
 */
export class WasmReader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;
  /** Number of valid but non-minimal LEB128 encodings seen (informational). */
  nonMinimalLebs = 0;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Reads one byte. @throws VmError PARSE_ERROR at end of input. */
  u8(): number {
    if (this.pos >= this.end) parseError('unexpected end of input', this.pos);
    return this.bytes[this.pos++] as number;
  }

  /** Reads `length` raw bytes (a view, no copy). @throws VmError PARSE_ERROR if fewer remain. */
  bytesView(length: number): Uint8Array {
    if (length > this.remaining) parseError(`need ${length} bytes, ${this.remaining} left`, this.pos);
    const view = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return view;
  }

  /** Skips `length` bytes. @throws VmError PARSE_ERROR if fewer remain. */
  skip(length: number): void {
    if (length > this.remaining) parseError(`need ${length} bytes, ${this.remaining} left`, this.pos);
    this.pos += length;
  }

  /** Unsigned LEB128, up to 32 bits (5 bytes). @throws VmError PARSE_ERROR if overlong or out of range. */
  u32(): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.u8();
      if (i === 4) {
        // 5th byte carries bits 28..31: only its low 4 bits may be set, and no continuation.
        if (byte & 0x80) parseError('LEB128 u32 longer than 5 bytes (overlong)', start);
        if (byte & 0x70) parseError('LEB128 u32 out of range', start);
      }
      result += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) this.nonMinimalLebs++;
        return result;
      }
    }
    return parseError('unreachable LEB128 state', start);
  }

  /** Signed LEB128 up to 32 bits. @throws VmError PARSE_ERROR if overlong or out of range. */
  i32(): number {
    return Number(this.signed(32));
  }

  /** Signed LEB128 up to 33 bits (block types, spec §5.3.2). */
  s33(): number {
    return Number(this.signed(33));
  }

  /** Signed LEB128 up to 64 bits, as bigint. @throws VmError PARSE_ERROR if overlong or out of range. */
  i64(): bigint {
    return this.signed(64);
  }

  /** Unsigned LEB128 up to 64 bits, as bigint. @throws VmError PARSE_ERROR if overlong or out of range. */
  u64(): bigint {
    const start = this.pos;
    const maxBytes = 10;
    let result = 0n;
    for (let i = 0; i < maxBytes; i++) {
      const byte = this.u8();
      if (i === maxBytes - 1) {
        if (byte & 0x80) parseError('LEB128 u64 longer than 10 bytes (overlong)', start);
        if (byte & 0x7e) parseError('LEB128 u64 out of range', start);
      }
      result |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if ((byte & 0x80) === 0) return result;
    }
    return parseError('unreachable LEB128 state', start);
  }

  private signed(bits: number): bigint {
    const start = this.pos;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0n;
    for (let i = 0; i < maxBytes; i++) {
      const byte = this.u8();
      result |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (i === maxBytes - 1) {
        if (byte & 0x80) parseError(`LEB128 s${bits} longer than ${maxBytes} bytes (overlong)`, start);
        // Bits of the last byte above the value's width must all equal the sign bit.
        const usedBits = bits - 7 * i; // value bits carried by this byte (1..7)
        const signAndUnused = byte >> (usedBits - 1); // sign bit and the unused bits above it
        const allOnes = (0x7f >> (usedBits - 1)) & 0x7f;
        if (signAndUnused !== 0 && signAndUnused !== allOnes)
          parseError(`LEB128 s${bits} out of range`, start);
      }
      if ((byte & 0x80) === 0) {
        const shift = BigInt(7 * (i + 1));
        if (byte & 0x40) result -= 1n << shift;
        return result;
      }
    }
    return parseError('unreachable LEB128 state', start);
  }

  /**
   * Reads a vector length and checks it against a limit and the bytes left: every element
   * takes at least `minElementBytes` bytes, so a count larger than that cannot be honest.
   * @throws VmError `overLimitCode` (default LIMIT_EXCEEDED) over the limit, PARSE_ERROR when the count cannot fit.
   */
  count(
    what: string,
    limit: number,
    minElementBytes = 1,
    overLimitCode: VmErrorCode = 'LIMIT_EXCEEDED',
  ): number {
    const at = this.pos;
    const n = this.u32();
    if (n > limit)
      throw new VmError(overLimitCode, `${what} count ${n} at byte ${at} exceeds the limit ${limit}`);
    if (n * minElementBytes > this.remaining) parseError(`${what} count ${n} exceeds the bytes left`, at);
    return n;
  }

  /** A name: u32 length + UTF-8 (spec §5.2.4). @throws VmError PARSE_ERROR on bad UTF-8 or truncation. */
  name(): string {
    const at = this.pos;
    const length = this.u32();
    const raw = this.bytesView(length);
    try {
      return UTF8.decode(raw);
    } catch {
      return parseError('name is not valid UTF-8', at);
    }
  }
}
