// Growable byte writer for emitting wasm binaries (LEB128 per WebAssembly spec §5.2.2,
// always minimal encodings).

export class WasmWriter {
  private buffer: Uint8Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
  }

  private ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  u8(byte: number): this {
    this.ensure(1);
    this.buffer[this.length++] = byte & 0xff;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** Unsigned LEB128 of a u32. @throws RangeError if `value` is not a u32. */
  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
      throw new RangeError(`u32 out of range: ${value}`);
    let v = value;
    do {
      let byte = v & 0x7f;
      v = Math.floor(v / 128);
      if (v !== 0) byte |= 0x80;
      this.u8(byte);
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of an i32. @throws RangeError if out of range. */
  i32(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new RangeError(`i32 out of range: ${value}`);
    }
    let v = value;
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7; // arithmetic shift: exact for 32-bit values
      if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) return this.u8(byte);
      this.u8(byte | 0x80);
    }
  }

  /** Signed LEB128 of an i64. @throws RangeError if out of range. */
  i64(value: bigint): this {
    if (value < -(1n << 63n) || value >= 1n << 63n) throw new RangeError(`i64 out of range: ${value}`);
    // Same bytes as the bigint path; numbers are much faster (instrumentation writes many costs).
    if (value >= -0x80000000n && value <= 0x7fffffffn) return this.i32(Number(value));
    return this.signed(value);
  }

  /** Unsigned LEB128 of a u64. @throws RangeError if out of range. */
  u64(value: bigint): this {
    if (value < 0n || value >= 1n << 64n) throw new RangeError(`u64 out of range: ${value}`);
    let v = value;
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      this.u8(byte);
    } while (v !== 0n);
    return this;
  }

  private signed(value: bigint): this {
    let v = value;
    for (;;) {
      const byte = Number(v & 0x7fn);
      v >>= 7n; // arithmetic shift on bigint
      const signBitSet = (byte & 0x40) !== 0;
      if ((v === 0n && !signBitSet) || (v === -1n && signBitSet)) {
        this.u8(byte);
        return this;
      }
      this.u8(byte | 0x80);
    }
  }

  /** A name: length + UTF-8 bytes. */
  name(text: string): this {
    const encoded = new TextEncoder().encode(text);
    return this.u32(encoded.length).bytes(encoded);
  }

  /** Appends a section: id, payload size, payload. */
  section(id: number, payload: Uint8Array): this {
    return this.u8(id).u32(payload.length).bytes(payload);
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}
