// Protobuf wire-format pieces written by hand (protobuf.dev/programming-guides/encoding), for
// tests that build or split encodings independently of src/codec and its generated code.

/** The base-128 varint of a non-negative integer (7 bits a byte, low group first, MSB = more). */
export function varint(value: number | bigint): number[] {
  let rest = BigInt(value);
  if (rest < 0n) throw new RangeError(`varint: value must be non-negative, got ${rest}`);
  const out: number[] = [];
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return out;
}
