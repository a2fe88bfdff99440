// The on-disk WAL: append-only segment files of frames
//
//   u32 BE payload length | u32 BE CRC-32 (zlib) of the payload | payload (codec.ts)
//
// Each append is written with one write(); by default it is fsync'ed before append() returns, so
// an entry the host acted on is durable (write-ahead). The host may skip the sync for entries
// whose loss cannot make it contradict what it already released (peers' messages: CometBFT's
// `Write` vs `WriteSync`); the next synced append or rotation makes them durable too, since
// fsync covers every earlier write of the file. A crash mid-write leaves a torn tail: an
// incomplete header or payload, or a last frame whose CRC fails. Opening the WAL truncates such a
// tail (those entries were never acted on). A bad frame FOLLOWED by more data is corruption of
// durable entries: opening fails with WAL_CORRUPTED rather than silently dropping history.
//
// Rotation (docs/adr/011-block-sync-and-wal-rotation.md): replay needs only the entries since the
// last StartHeight (wal.ts replayWal: inputs and own signatures of older heights are never read),
// and StartHeight(h) is logged only after block h-1 and its commit are in the block store. So
// appending StartHeight(h) to a segment of at least `segmentBytesMin` bytes starts a new segment
// `<path>.<h, 20 digits>`
// and deletes every segment but the new one and the one before it (kept for inspection, and so
// that a crash right after the new file was created still finds the previous StartHeight).
// The first segment is `<path>` itself (the single file of earlier versions is read as is).
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ConsensusError } from '../errors.js';
import { decodeWalEntry, encodeWalEntry } from './codec.js';
import type { AppendOptions, Wal, WalEntry } from './wal.js';

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

/** Points of a rotation a crash test can stop at (`FileWalOptions.onRotationStep`). */
export type RotationStep = 'synced-old' | 'created' | 'written' | 'deleted-one' | 'done';

export interface FileWalOptions {
  /** Segments kept after a rotation, the new one included (default 2, at least 2). */
  segmentsKept?: number;
  /**
   * A StartHeight rotates only once the current segment holds at least this many bytes (default
   * 1 MiB; 0 rotates at every height). Bounds disk use and replay to about two segments of this
   * size plus one height's entries, without the rotation's fsyncs on every block.
   */
  segmentBytesMin?: number;
  /** Test hook: called at each step of a rotation (a crash test kills the process there). */
  onRotationStep?: (step: RotationStep, segment: string) => void;
}

const SEGMENT_DIGITS = 20;
export const DEFAULT_SEGMENT_BYTES_MIN = 1024 * 1024;

function segmentName(base: string, height: number): string {
  return `${base}.${String(height).padStart(SEGMENT_DIGITS, '0')}`;
}

/** Segment file names of the WAL `base` in `dir`, oldest first (`base` itself first). */
function listSegments(dir: string, base: string): string[] {
  const prefix = `${base}.`;
  const numbered = (name: string): boolean =>
    name.length === prefix.length + SEGMENT_DIGITS &&
    name.startsWith(prefix) &&
    /^\d+$/.test(name.slice(prefix.length));
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const segments = names.filter(numbered).sort();
  return names.includes(base) ? [base, ...segments] : segments;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function encodeFrame(entry: WalEntry, encoded?: Uint8Array): Uint8Array {
  const payload = encoded ?? encodeWalEntry(entry);
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
  return frame;
}

/**
 * An append-only, CRC-framed WAL in height segments (synchronous, like the core it serves).
 * Disk use and replay time are bounded by two heights' entries.
 */
export class FileWal implements Wal {
  private fd: number | null;
  /** File name of the segment appended to. */
  private current: string;
  private currentBytes: number;
  private unsynced = false;
  private readonly dir: string;
  private readonly base: string;
  private readonly segmentsKept: number;
  private readonly segmentBytesMin: number;
  private readonly onRotationStep: FileWalOptions['onRotationStep'];

  private constructor(path: string, current: string, fd: number, bytes: number, options: FileWalOptions) {
    this.dir = dirname(path);
    this.base = basename(path);
    this.current = current;
    this.fd = fd;
    this.currentBytes = bytes;
    this.segmentsKept = Math.max(2, options.segmentsKept ?? 2);
    this.segmentBytesMin = Math.max(0, options.segmentBytesMin ?? DEFAULT_SEGMENT_BYTES_MIN);
    this.onRotationStep = options.onRotationStep;
  }

  /**
   * Opens (creating if needed) the WAL whose first segment is `path`, checks every segment and
   * truncates a torn tail of the last one.
   * @throws {ConsensusError} WAL_CORRUPTED if a frame before the tail is damaged; WAL_IO on I/O errors.
   */
  static open(path: string, options: FileWalOptions = {}): FileWal {
    const dir = dirname(path);
    const base = basename(path);
    const segments = listSegments(dir, base);
    const current = segments.at(-1) ?? base;
    // Earlier segments were fsync'ed before the next one was created: any damage is corruption.
    for (const name of segments.slice(0, -1)) {
      const data = readSegment(join(dir, name));
      const scan = scanFrames(data, join(dir, name));
      if (scan.validBytes < data.length) {
        throw new ConsensusError(
          'WAL_CORRUPTED',
          `${join(dir, name)}: a closed WAL segment ends in a damaged frame; stop and inspect it`,
        );
      }
    }
    const currentPath = join(dir, current);
    let fd: number;
    try {
      fd = openSync(currentPath, 'a+');
    } catch (cause) {
      throw new ConsensusError(
        'WAL_IO',
        `cannot open the WAL at ${currentPath}: check the path and permissions`,
        {
          cause,
        },
      );
    }
    try {
      const data = readFileSync(currentPath);
      const scan = scanFrames(data, currentPath);
      if (scan.validBytes < data.length) {
        ftruncateSync(fd, scan.validBytes);
        fsyncSync(fd);
      }
      const wal = new FileWal(path, current, fd, scan.validBytes, options);
      // A crash after a rotation wrote its new segment but before it pruned leaves one segment
      // too many; finish that prune now, or the next such crash would leave two too many. Only
      // when the newest segment holds its (synced) StartHeight: an empty one is a rotation that
      // has not happened yet, which the next StartHeight completes (append).
      if (scan.validBytes > 0 && segments.length > wal.segmentsKept) wal.prune();
      return wal;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /**
   * Appends one entry; fsyncs before returning unless `options.sync` is false. StartHeight on a
   * non-empty segment rotates first (always synced).
   * @throws {ConsensusError} WAL_IO if a write, sync or rotation fails (stop the node: durability is lost).
   */
  append(entry: WalEntry, options: AppendOptions = {}): void {
    this.openFd();
    const frame = encodeFrame(entry, options.encoded);
    if (entry.kind === 'input' && entry.input.kind === 'StartHeight') {
      const name = segmentName(this.base, entry.input.height);
      const full = this.currentBytes > 0 && this.currentBytes >= this.segmentBytesMin;
      if (full && name > this.current) return this.rotate(name, frame);
      if (this.currentBytes === 0 && this.current !== this.base) {
        // The empty segment a crashed rotation created: this completes that rotation.
        this.write(frame, true);
        return this.prune();
      }
    }
    this.write(frame, options.sync ?? true);
  }

  /** Makes every append so far durable (a no-op when nothing is pending). @throws {ConsensusError} WAL_IO. */
  sync(): void {
    if (!this.unsynced) return;
    try {
      fsyncSync(this.openFd());
    } catch (cause) {
      throw new ConsensusError('WAL_IO', `syncing the WAL at ${this.path} failed: stop the node`, { cause });
    }
    this.unsynced = false;
  }

  /**
   * Every entry of every segment, oldest first.
   * @throws {ConsensusError} WAL_CORRUPTED or WAL_IO.
   */
  replay(): WalEntry[] {
    this.openFd();
    const entries: WalEntry[] = [];
    for (const name of listSegments(this.dir, this.base)) {
      const path = join(this.dir, name);
      entries.push(...scanFrames(readSegment(path), path).entries);
    }
    return entries;
  }

  /** Bytes of all segments on disk. */
  get sizeBytes(): number {
    this.openFd();
    let total = 0;
    for (const name of listSegments(this.dir, this.base)) total += readSegmentSize(join(this.dir, name));
    return total;
  }

  /** File names of the segments on disk, oldest first. */
  get segments(): string[] {
    return listSegments(this.dir, this.base);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private get path(): string {
    return join(this.dir, this.current);
  }

  private write(frame: Uint8Array, sync: boolean): void {
    const fd = this.openFd();
    try {
      let written = 0;
      while (written < frame.length) written += writeSync(fd, frame, written);
      this.currentBytes += frame.length;
      if (sync) {
        fsyncSync(fd);
        this.unsynced = false;
      } else {
        this.unsynced = true;
      }
    } catch (cause) {
      throw new ConsensusError('WAL_IO', `writing the WAL at ${this.path} failed: stop the node`, { cause });
    }
  }

  /**
   * Starts segment `name` with `frame` (a StartHeight). Order matters for crash safety: the old
   * segment is synced before the new file exists; the new file holds a synced StartHeight (and
   * the directory entry is synced) before any old segment is deleted. A crash at any point leaves
   * either the old StartHeight as the last one or the new one, both valid resumption points.
   */
  private rotate(name: string, frame: Uint8Array): void {
    const previous = this.current;
    this.sync();
    this.step('synced-old', previous);
    let fd: number;
    try {
      fd = openSync(join(this.dir, name), 'a+');
      ftruncateSync(fd, 0); // a leftover of a crashed rotation to this height holds no StartHeight
    } catch (cause) {
      throw new ConsensusError('WAL_IO', `cannot create the WAL segment ${name}: stop the node`, { cause });
    }
    this.step('created', name);
    closeSync(this.openFd());
    this.fd = fd;
    this.current = name;
    this.currentBytes = 0;
    this.write(frame, true);
    this.io(() => fsyncDir(this.dir));
    this.step('written', name);
    this.prune();
    this.step('done', name);
  }

  /** Deletes all but the newest `segmentsKept` segments. @throws {ConsensusError} WAL_IO. */
  private prune(): void {
    const segments = listSegments(this.dir, this.base);
    for (const old of segments.slice(0, Math.max(0, segments.length - this.segmentsKept))) {
      this.io(() => unlinkSync(join(this.dir, old)));
      this.step('deleted-one', old);
    }
    this.io(() => fsyncDir(this.dir));
  }

  /** @throws {ConsensusError} WAL_IO when `action` fails. */
  private io(action: () => void): void {
    try {
      action();
    } catch (cause) {
      throw new ConsensusError('WAL_IO', `rotating the WAL in ${this.dir} failed: stop the node`, { cause });
    }
  }

  private step(step: RotationStep, segment: string): void {
    this.onRotationStep?.(step, segment);
  }

  private openFd(): number {
    if (this.fd === null) throw new ConsensusError('WAL_IO', `the WAL at ${this.path} is closed`);
    return this.fd;
  }
}

function readSegment(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new ConsensusError('WAL_IO', `cannot read the WAL segment ${path}: check permissions`, { cause });
  }
}

function readSegmentSize(path: string): number {
  try {
    const fd = openSync(path, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0; // deleted by a concurrent rotation: not part of the WAL any more
  }
}
