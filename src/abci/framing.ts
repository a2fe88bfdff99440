// ABCI socket framing as CometBFT v0.38 writes and reads it (abci/types/messages.go
// WriteMessage/ReadMessage → libs/protoio delimited writer/reader): every protobuf message is
// prefixed by its length as an UNSIGNED varint (binary.PutUvarint; not zig-zag, which
// Tendermint ≤ 0.34 used). Go's reader refuses a varint over 10 bytes or 64 bits; so do we.
import { AbciError } from './errors.js';

/** Longest unsigned varint of a 64-bit value. */
export const MAX_VARINT_BYTES = 10;

/**
 * Default largest frame: 64 MiB. A FinalizeBlock carries the whole block (genesis
 * `max_block_bytes` is 21 MiB by default) plus per-tx overhead and the last commit.
 */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Length prefix (unsigned varint) followed by the message. */
export function encodeFrame(message: Uint8Array): Uint8Array {
  const header: number[] = [];
  let length = message.length;
  while (length >= 0x80) {
    header.push((length & 0x7f) | 0x80);
    length = Math.floor(length / 128);
  }
  header.push(length);
  const frame = new Uint8Array(header.length + message.length);
  frame.set(header, 0);
  frame.set(message, header.length);
  return frame;
}

/**
 * Splits a byte stream into frames. Chunks are kept as received and joined once per frame, so a
 * 20 MiB block arriving in 64 KiB reads is copied once, not once per read.
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Length of the frame being read, once its prefix is complete. */
  private expected: number | null = null;

  constructor(readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1)
      throw new RangeError('maxFrameBytes must be a positive integer');
  }

  /** Bytes received and not yet returned as a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Why the stream lost its framing (bad or oversize prefix); null while it is sound. */
  get error(): AbciError | null {
    return this.broken;
  }

  private broken: AbciError | null = null;

  /**
   * Adds received bytes and returns the frames they complete (possibly none). On a bad prefix
   * the frames before it are still returned and `error` is set (FRAME_MALFORMED,
   * FRAME_TOO_LARGE); from then on nothing more is decoded: the stream has lost its framing.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.broken !== null) return [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Uint8Array[] = [];
    try {
      for (;;) {
        if (this.expected === null) {
          const prefix = this.readPrefix();
          if (prefix === null) return frames;
          this.skip(prefix.bytes);
          this.expected = prefix.length;
        }
        if (this.buffered < this.expected) return frames;
        frames.push(this.take(this.expected));
        this.expected = null;
      }
    } catch (error) {
      if (!(error instanceof AbciError)) throw error;
      this.broken = error;
      this.chunks = [];
      this.buffered = 0;
      return frames;
    }
  }

  /** Parses the varint at the head, or null if more bytes are needed. */
  private readPrefix(): { length: number; bytes: number } | null {
    let value = 0;
    let scale = 1;
    let index = 0;
    for (const chunk of this.chunks) {
      for (const byte of chunk) {
        index += 1;
        if (index > MAX_VARINT_BYTES || (index === MAX_VARINT_BYTES && byte > 1)) {
          throw new AbciError(
            'FRAME_MALFORMED',
            'length prefix is not an unsigned varint of at most 64 bits: the peer does not speak ABCI socket framing',
          );
        }
        value += (byte & 0x7f) * scale;
        scale *= 128;
        // Checked before the prefix ends, so a hostile 2^60 prefix is refused at once.
        if (value > this.maxFrameBytes) {
          throw new AbciError(
            'FRAME_TOO_LARGE',
            `frame longer than ${this.maxFrameBytes} bytes: refuse it (raise maxFrameBytes only if blocks need it)`,
          );
        }
        if ((byte & 0x80) === 0) return { length: value, bytes: index };
      }
    }
    return null;
  }

  private skip(count: number): void {
    this.take(count);
  }

  private take(count: number): Uint8Array {
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const head = this.chunks[0];
      if (head === undefined) throw new Error('FrameDecoder: take past the buffered bytes');
      const needed = count - filled;
      if (head.length <= needed) {
        out.set(head, filled);
        filled += head.length;
        this.chunks.shift();
      } else {
        out.set(head.subarray(0, needed), filled);
        filled += needed;
        this.chunks[0] = head.subarray(needed);
      }
    }
    this.buffered -= count;
    return out;
  }
}
