// The tx index record kept in store metadata under `tx/<hash hex>` (ADR 007 "State layout"):
// a compact binary encoding written once per tx in finalizeBlock (JSON cost ~25-50 µs per tx
// on the block's critical path, bench/RESULTS.md "app"); `/tx/<hash>` queries still answer
// JSON (encodeIndexedTx), converted when asked. Records written as JSON by earlier builds
// (first byte `{`) still decode.
//
// Layout (version 1), integers big-endian, strings UTF-8 with a u32 byte length:
//   u8 1 ‖ u64 height ‖ u32 index ‖ u32 code ‖ str codespace ‖ str log ‖ u32 |data| ‖ data ‖
//   u64 gas wanted ‖ u64 gas used ‖ u32 event count ‖ per event: str type ‖ u32 attribute
//   count ‖ per attribute: str key ‖ str value ‖ u8 index (0/1)
import type { AbciEvent } from './abci.js';
import type { IndexedTx } from './app.js';

const VERSION = 1;
const JSON_FIRST_BYTE = 0x7b; // '{'

class Out {
  private buffer = Buffer.allocUnsafe(512);
  // u64s through a DataView: Buffer#writeBigUInt64BE does its BigInt arithmetic in JS (~200 ns
  // a call here against ~10 ns; it was ~5 % of finalizeBlock's host profile, 3 per tx).
  private view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + n));
    this.buffer.copy(next, 0, 0, this.at);
    this.buffer = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  u8(value: number): void {
    this.room(1);
    this.buffer[this.at++] = value;
  }

  u32(value: number): void {
    this.room(4);
    this.at = this.buffer.writeUInt32BE(value, this.at);
  }

  u64(value: bigint): void {
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn)
      throw new RangeError('tx record: a u64 is out of range');
    this.room(8);
    this.view.setBigUint64(this.at, value);
    this.at += 8;
  }

  bytes(value: Uint8Array): void {
    this.u32(value.length);
    this.room(value.length);
    this.buffer.set(value, this.at);
    this.at += value.length;
  }

  string(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.u32(length);
    this.room(length);
    this.at += this.buffer.write(value, this.at, length, 'utf8');
  }

  done(): Uint8Array {
    return new Uint8Array(this.buffer.subarray(0, this.at));
  }
}

class In {
  private at = 0;
  constructor(private readonly buffer: Buffer) {}

  private take(n: number): number {
    if (this.at + n > this.buffer.length) throw new RangeError('tx record truncated');
    const start = this.at;
    this.at += n;
    return start;
  }

  u8(): number {
    return this.buffer[this.take(1)] as number;
  }

  u32(): number {
    return this.buffer.readUInt32BE(this.take(4));
  }

  u64(): bigint {
    return this.buffer.readBigUInt64BE(this.take(8));
  }

  bytes(): Uint8Array {
    const length = this.u32();
    const start = this.take(length);
    return new Uint8Array(this.buffer.subarray(start, start + length));
  }

  string(): string {
    const length = this.u32();
    const start = this.take(length);
    return this.buffer.toString('utf8', start, start + length);
  }

  end(): void {
    if (this.at !== this.buffer.length) throw new RangeError('tx record has trailing bytes');
  }
}

/** Binary tx index record (see the layout above). */
export function encodeTxRecord(indexed: IndexedTx): Uint8Array {
  const out = new Out();
  const result = indexed.result;
  out.u8(VERSION);
  out.u64(indexed.height);
  out.u32(indexed.index);
  out.u32(result.code);
  out.string(result.codespace);
  out.string(result.log);
  out.bytes(result.data);
  out.u64(result.gasWanted);
  out.u64(result.gasUsed);
  out.u32(result.events.length);
  for (const event of result.events) {
    out.string(event.type);
    out.u32(event.attributes.length);
    for (const attribute of event.attributes) {
      out.string(attribute.key);
      out.string(attribute.value);
      out.u8(attribute.index ? 1 : 0);
    }
  }
  return out.done();
}

/**
 * Decodes a tx index record: binary (version 1) or, from earlier builds, JSON (`parseJson`).
 * @throws RangeError on a truncated or unknown binary record.
 */
export function decodeTxRecord(bytes: Uint8Array, parseJson: (bytes: Uint8Array) => IndexedTx): IndexedTx {
  if (bytes[0] === JSON_FIRST_BYTE) return parseJson(bytes);
  const input = new In(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (input.u8() !== VERSION) throw new RangeError('unknown tx record version');
  const height = input.u64();
  const index = input.u32();
  const code = input.u32();
  const codespace = input.string();
  const log = input.string();
  const data = input.bytes();
  const gasWanted = input.u64();
  const gasUsed = input.u64();
  const events: AbciEvent[] = [];
  for (let e = input.u32(); e > 0; e--) {
    const type = input.string();
    const attributes = [];
    for (let a = input.u32(); a > 0; a--) {
      const key = input.string();
      const value = input.string();
      attributes.push({ key, value, index: input.u8() === 1 });
    }
    events.push({ type, attributes });
  }
  input.end();
  return { height, index, result: { code, codespace, log, data, gasWanted, gasUsed, events } };
}
