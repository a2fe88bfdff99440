// The on-disk WAL: one append-only file of frames
//
//   u32 BE payload length | u32 BE CRC-32 (zlib) of the payload | payload (codec.ts)
//
// Each append is written with one write() and fsync'ed before append() returns, so an entry the
// host acted on is durable (write-ahead). A crash mid-write leaves a torn tail: an incomplete
// header or payload, or a last frame whose CRC fails. Opening the WAL truncates such a tail
// (those entries were never acted on). A bad frame FOLLOWED by more data is corruption of
// durable entries: opening fails with WAL_CORRUPTED rather than silently dropping history.
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { ConsensusError } from '../errors.js';
import { decodeWalEntry, encodeWalEntry } from './codec.js';
import type { Wal, WalEntry } from './wal.js';

export const WAL_FRAME_HEADER_BYTES = 8;
/** Largest entry accepted (a proposal carries a whole value); bounds reads of a corrupt length. */
export const WAL_ENTRY_BYTES_MAX = 16 * 1024 * 1024;

interface Scan {
  readonly entries: WalEntry[];
  /** Bytes of whole, valid frames from the start of the file. */
  readonly validBytes: number;
}

function scanFrames(data: Uint8Array, path: string): Scan {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const entries: WalEntry[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (data.length - offset < WAL_FRAME_HEADER_BYTES) break; // torn header
    const length = view.getUint32(offset);
    const checksum = view.getUint32(offset + 4);
    const end = offset + WAL_FRAME_HEADER_BYTES + length;
    if (end > data.length) break; // the frame runs past the end of the file: a torn write
    if (length > WAL_ENTRY_BYTES_MAX) {
      throw new ConsensusError('WAL_CORRUPTED', `${path}: frame at byte ${offset} has an impossible length`);
    }
    const payload = data.subarray(offset + WAL_FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== checksum) {
      if (end === data.length) break; // the last frame: a torn write
      throw new ConsensusError(
        'WAL_CORRUPTED',
        `${path}: frame at byte ${offset} fails its CRC and is followed by more frames; stop and inspect the file`,
      );
    }
    entries.push(decodeWalEntry(payload));
    offset = end;
  }
  return { entries, validBytes: offset };
}

/** An append-only, fsync'ed, CRC-framed WAL file (synchronous, like the core it serves). */
export class FileWal implements Wal {
  private fd: number | null;
  private readonly path: string;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /**
   * Opens (creating if needed) the WAL at `path` and truncates a torn tail.
   * @throws {ConsensusError} WAL_CORRUPTED if a frame before the tail is damaged; WAL_IO on I/O errors.
   */
  static open(path: string): FileWal {
    let fd: number;
    try {
      fd = openSync(path, 'a+');
    } catch (cause) {
      throw new ConsensusError('WAL_IO', `cannot open the WAL at ${path}: check the path and permissions`, {
        cause,
      });
    }
    try {
      const data = readFileSync(path);
      const scan = scanFrames(data, path);
      if (scan.validBytes < data.length) {
        ftruncateSync(fd, scan.validBytes);
        fsyncSync(fd);
      }
      return new FileWal(path, fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /**
   * Appends one entry and fsyncs before returning.
   * @throws {ConsensusError} WAL_IO if the write or sync fails (stop the node: durability is lost).
   */
  append(entry: WalEntry): void {
    const fd = this.openFd();
    const payload = encodeWalEntry(entry);
    if (payload.length > WAL_ENTRY_BYTES_MAX) {
      throw new ConsensusError(
        'INVALID_ARGUMENT',
        `a WAL entry of ${payload.length} bytes exceeds ${WAL_ENTRY_BYTES_MAX}`,
      );
    }
    const frame = new Uint8Array(WAL_FRAME_HEADER_BYTES + payload.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, payload.length);
    view.setUint32(4, crc32(payload));
    frame.set(payload, WAL_FRAME_HEADER_BYTES);
    try {
      let written = 0;
      while (written < frame.length) written += writeSync(fd, frame, written);
      fsyncSync(fd);
    } catch (cause) {
      throw new ConsensusError('WAL_IO', `writing the WAL at ${this.path} failed: stop the node`, { cause });
    }
  }

  /**
   * Every entry in the file, oldest first.
   * @throws {ConsensusError} WAL_CORRUPTED or WAL_IO.
   */
  replay(): WalEntry[] {
    this.openFd();
    return scanFrames(readFileSync(this.path), this.path).entries;
  }

  /** Size of the file in bytes. */
  get sizeBytes(): number {
    return fstatSync(this.openFd()).size;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private openFd(): number {
    if (this.fd === null) throw new ConsensusError('WAL_IO', `the WAL at ${this.path} is closed`);
    return this.fd;
  }
}
