// Deterministic test bytes: a seeded xorshift32 stream, so a failing case reproduces from its
// seed (the native-crypto tests compare the addon and node:crypto over many sizes and seeds).

/** `length` bytes of the xorshift32 stream seeded by `seed` (seed 0 is taken as 1). */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
