// SHA-256, HMAC-SHA256 (RFC 2104) and one-block HKDF-SHA256 (RFC 5869) on one-shot hash calls
// (libsodium's crypto_hash_sha256 for short inputs, OpenSSL's crypto.hash for long ones), for the
// native backend's hot path (the enclave computes ~11 HMACs per token
// transfer: tx_key, IVs, synthetic state IVs). node:crypto's createHmac builds a JS Hmac object
// and a native handle per call that the GC must later finalize; here an HMAC is two one-shot hash
// calls over two module-level scratch buffers, and the only allocation is the 32-byte result.
// Same algorithm, same bytes: the tests compare every function with node:crypto and @noble
// (src/crypto/crypto.test.ts "sodium SHA-256 paths").
//
// Not re-entrant by design: JS runs one call at a time on a thread and nothing here yields, so
// the scratch buffers (one set per thread: module state is per worker) are never shared by two
// calls in flight. Key pads and messages are wiped from the scratch after each call.
import { hash as nodeHash } from 'node:crypto';
import sodium from 'sodium-native';

const SHA256_BYTES = 32;
/** SHA-256 block size B of RFC 2104 §2. */
const BLOCK_BYTES = 64;
/**
 * Longest message the scratch path takes; longer ones go to the caller's fallback (createHmac
 * is as fast from ~800 bytes on: both hashes are then OpenSSL's, plus a copy here).
 */
export const SODIUM_HMAC_MAX_MESSAGE_BYTES = 768;

// inner = (K ^ ipad) || message; outer = (K ^ opad) || H(inner) (RFC 2104 §2 steps 1–7).
const inner = new Uint8Array(BLOCK_BYTES + SODIUM_HMAC_MAX_MESSAGE_BYTES);
const outer = new Uint8Array(BLOCK_BYTES + SHA256_BYTES);
const outerDigest = outer.subarray(BLOCK_BYTES);
const hashedKey = new Uint8Array(SHA256_BYTES);

/**
 * Up to this many bytes libsodium's SHA-256 is the cheaper call; above, OpenSSL's one-shot
 * `crypto.hash` (Node ≥ 20.12). libsodium hashes in portable C (~5 ns/byte here) after a ~0.3 µs
 * call; OpenSSL uses the CPU's SHA extensions (<1 ns/byte) after a ~1 µs call and a Buffer per
 * result. Measured crossover 160–200 bytes (bench/RESULTS.md "enclave", crypto helper).
 */
export const SODIUM_SHA256_MAX_BYTES = 160;

const oneShot: ((data: Uint8Array) => Uint8Array) | null =
  typeof nodeHash === 'function' ? (data) => nodeHash('sha256', data, 'buffer') : null;

/** SHA-256 of `data` (FIPS 180-4) written into `out` (32 bytes). */
function sha256Into(out: Uint8Array, data: Uint8Array): void {
  if (data.length <= SODIUM_SHA256_MAX_BYTES || oneShot === null) {
    // sodium-native's typings say Buffer; at run time it takes any typed array (no copy, no view).
    sodium.crypto_hash_sha256(out as Buffer, data as Buffer);
  } else {
    out.set(oneShot(data));
  }
}

/** SHA-256 of `data` (FIPS 180-4) into a new 32-byte array. */
export function sodiumSha256(data: Uint8Array): Uint8Array {
  // A plain copy of OpenSSL's Buffer (Buffers may share a pooled ArrayBuffer), as before.
  if (data.length > SODIUM_SHA256_MAX_BYTES && oneShot !== null) return new Uint8Array(oneShot(data));
  const out = new Uint8Array(SHA256_BYTES);
  sodium.crypto_hash_sha256(out as Buffer, data as Buffer);
  return out;
}

/** Fills the pads of both scratch buffers from `key` (keys longer than B are hashed first, §2). */
function loadKey(key: Uint8Array): void {
  let k = key;
  if (k.length > BLOCK_BYTES) {
    sha256Into(hashedKey, k);
    k = hashedKey;
  }
  for (let i = 0; i < BLOCK_BYTES; i++) {
    const byte = i < k.length ? k[i]! : 0;
    inner[i] = byte ^ 0x36;
    outer[i] = byte ^ 0x5c;
  }
}

/** The two hashes once the message sits at inner[64..64+length]; wipes the scratch. */
function finish(messageLength: number): Uint8Array {
  const end = BLOCK_BYTES + messageLength;
  sha256Into(outerDigest, inner.subarray(0, end));
  const out = new Uint8Array(SHA256_BYTES);
  sha256Into(out, outer);
  inner.fill(0, 0, end);
  outer.fill(0);
  hashedKey.fill(0);
  return out;
}

/**
 * HMAC-SHA256(key, data), or null when `data` is longer than SODIUM_HMAC_MAX_MESSAGE_BYTES
 * (the caller then uses its general implementation).
 */
export function sodiumHmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array | null {
  if (data.length > SODIUM_HMAC_MAX_MESSAGE_BYTES) return null;
  loadKey(key);
  inner.set(data, BLOCK_BYTES);
  return finish(data.length);
}

/**
 * HKDF-SHA256 with L ≤ 32 (RFC 5869 §2.2–2.3 with N = 1): PRK = HMAC(salt or 32 zero bytes,
 * IKM), OKM = first L bytes of HMAC(PRK, info || 0x01). Null when IKM or info is too long for
 * the scratch (the caller falls back).
 */
export function sodiumHkdfSha256OneBlock(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array | null {
  if (length > SHA256_BYTES || info.length + 1 > SODIUM_HMAC_MAX_MESSAGE_BYTES) return null;
  // §2.2: an absent salt is HashLen zeros, which pad to the same block as an empty key.
  const prk = sodiumHmacSha256(salt, ikm);
  if (prk === null) return null;
  loadKey(prk);
  prk.fill(0);
  inner.set(info, BLOCK_BYTES);
  inner[BLOCK_BYTES + info.length] = 0x01;
  const block = finish(info.length + 1);
  if (length === SHA256_BYTES) return block;
  const okm = block.slice(0, length);
  block.fill(0);
  return okm;
}
