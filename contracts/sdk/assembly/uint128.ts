// Uint128 (CosmWasm amounts: decimal strings in JSON) as two u64 halves, with checked
// arithmetic. Decimal conversion uses 32-bit limbs so every intermediate fits a u64.

export class Uint128 {
  constructor(
    public hi: u64 = 0,
    public lo: u64 = 0,
  ) {}

  static zero(): Uint128 {
    return new Uint128(0, 0);
  }

  static from(value: u64): Uint128 {
    return new Uint128(0, value);
  }

  /**
   * Parses decimal digits; null if empty, not all digits, or ≥ 2^128. Leading zeros are
   * accepted because cosmwasm-std's Uint128 (Rust's `u128::from_str`) accepts them.
   */
  static parse(text: string): Uint128 | null {
    if (text.length == 0) return null;
    // Limbs, least significant first.
    let l0: u64 = 0,
      l1: u64 = 0,
      l2: u64 = 0,
      l3: u64 = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return null;
      let carry: u64 = <u64>(c - 0x30);
      l0 = l0 * 10 + carry;
      carry = l0 >> 32;
      l0 &= 0xffffffff;
      l1 = l1 * 10 + carry;
      carry = l1 >> 32;
      l1 &= 0xffffffff;
      l2 = l2 * 10 + carry;
      carry = l2 >> 32;
      l2 &= 0xffffffff;
      l3 = l3 * 10 + carry;
      if (l3 >> 32 != 0) return null;
    }
    return new Uint128((l3 << 32) | l2, (l1 << 32) | l0);
  }

  isZero(): bool {
    return this.hi == 0 && this.lo == 0;
  }

  /** -1, 0 or 1. */
  compare(other: Uint128): i32 {
    if (this.hi != other.hi) return this.hi < other.hi ? -1 : 1;
    if (this.lo != other.lo) return this.lo < other.lo ? -1 : 1;
    return 0;
  }

  eq(other: Uint128): bool {
    return this.compare(other) == 0;
  }
  lt(other: Uint128): bool {
    return this.compare(other) < 0;
  }
  gt(other: Uint128): bool {
    return this.compare(other) > 0;
  }

  /** this + other, or null on overflow. */
  checkedAdd(other: Uint128): Uint128 | null {
    const lo = this.lo + other.lo;
    const carry: u64 = lo < this.lo ? 1 : 0;
    const hi1 = this.hi + other.hi;
    if (hi1 < this.hi) return null;
    const hi = hi1 + carry;
    if (hi < hi1) return null;
    return new Uint128(hi, lo);
  }

  /** this - other, or null if other > this. */
  checkedSub(other: Uint128): Uint128 | null {
    if (this.lt(other)) return null;
    const borrow: u64 = this.lo < other.lo ? 1 : 0;
    return new Uint128(this.hi - other.hi - borrow, this.lo - other.lo);
  }

  /** Decimal text. */
  toString(): string {
    if (this.hi == 0) return this.lo.toString();
    // Repeated division by 10^9 over 32-bit limbs.
    const limbs: StaticArray<u64> = [
      this.hi >> 32,
      this.hi & 0xffffffff,
      this.lo >> 32,
      this.lo & 0xffffffff,
    ];
    const chunks = new Array<string>();
    while (limbs[0] != 0 || limbs[1] != 0 || limbs[2] != 0 || limbs[3] != 0) {
      let rem: u64 = 0;
      for (let i = 0; i < 4; i++) {
        const cur = (rem << 32) | limbs[i];
        limbs[i] = cur / 1000000000;
        rem = cur % 1000000000;
      }
      chunks.push(rem.toString());
    }
    let out = chunks[chunks.length - 1];
    for (let i = chunks.length - 2; i >= 0; i--) out += chunks[i].padStart(9, '0');
    return out;
  }

  /** 16 bytes big-endian (storage encoding). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(16);
    for (let i = 0; i < 8; i++) {
      out[i] = <u8>(this.hi >> (<u64>(56 - 8 * i)));
      out[8 + i] = <u8>(this.lo >> (<u64>(56 - 8 * i)));
    }
    return out;
  }

  /** Reads 16 bytes big-endian; null if the length is wrong. */
  static fromBytes(bytes: Uint8Array): Uint128 | null {
    if (bytes.length != 16) return null;
    let hi: u64 = 0,
      lo: u64 = 0;
    for (let i = 0; i < 8; i++) {
      hi = (hi << 8) | (<u64>bytes[i]);
      lo = (lo << 8) | (<u64>bytes[8 + i]);
    }
    return new Uint128(hi, lo);
  }
}
