// The seam between Shroud's crypto logic and the libraries that do the math. Everything
// above this interface (argument checks, envelopes, wallets, ed25519 acceptance rules) is
// shared, so the two implementations only have to agree on raw primitives, which the tests
// check byte for byte over random inputs (test/property/crypto-backends.test.ts).
//
// Contract for implementations: arguments are already validated (types, lengths, scalar
// ranges) by the caller; methods return plain `Uint8Array`s (never a Node `Buffer` subclass,
// so results compare equal across backends) and report expected failures by return value
// (`null`/`false`), never by throwing.

export interface CryptoBackend {
  /** Short name for benchmarks and reports: 'native' or 'pure'. */
  readonly name: string;
  randomBytes(length: number): Uint8Array;
  /** Compares equal-length arrays in constant time. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;

  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  ripemd160(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** RFC 5869; `length` ≤ 255 × 32. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  pbkdf2Sha512(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array;

  /** AES-256-GCM, 16-byte tag appended. */
  aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Returns null when authentication fails. */
  aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;

  /**
   * Optional fused synthetic-IV seal (siv.ts; the native backend's key-handle addon). A backend
   * without it gets siv.ts's composition of hmacSha256 and aesGcmEncrypt: the same bytes.
   */
  sivSeal?(
    key: Uint8Array,
    version: number,
    ivLabel: Uint8Array,
    ivContext: Uint8Array,
    salt: Uint8Array,
    plaintext: Uint8Array,
    aadA: Uint8Array,
    aadB: Uint8Array,
  ): Uint8Array;
  /** Optional fused open of a sivSeal blob; null for a wrong layout or tag. */
  sivOpen?(
    key: Uint8Array,
    version: number,
    aadA: Uint8Array,
    aadB: Uint8Array,
    blob: Uint8Array,
  ): Uint8Array | null;

  /** RFC 7748 X25519(k, 9). */
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** RFC 7748 X25519(k, u); null when the result is all zero (low-order u). */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;

  /** `privateKey` is a valid scalar (1 ≤ k < n). */
  secp256k1PublicKey(privateKey: Uint8Array, compressed: boolean): Uint8Array;
  /** Null when `publicKey` is not a valid SEC1 encoding of a curve point. */
  secp256k1ConvertPublicKey(publicKey: Uint8Array, compressed: boolean): Uint8Array | null;
  /** RFC 6979 deterministic, low-S compact signature and its recovery id. */
  secp256k1Sign(
    messageHash: Uint8Array,
    privateKey: Uint8Array,
  ): { signature: Uint8Array; recoveryId: number };
  /** `signature` has r, s in range and low S. Null when `publicKey` is not a valid point. */
  secp256k1Verify(messageHash: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean | null;
  /** Compressed key, or null when no key can be recovered. `signature` is in range and low-S. */
  secp256k1Recover(messageHash: Uint8Array, signature: Uint8Array, recoveryId: number): Uint8Array | null;

  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  ed25519Sign(message: Uint8Array, seed: Uint8Array): Uint8Array;
  /**
   * The cofactorless RFC 8032 equation checked as libsodium does: encode([S]B − [k]A) and
   * compare with R byte for byte. Callers have already rejected S ≥ L, small-order R and A,
   * and non-canonical A (ed25519.ts), so both backends see identical inputs.
   */
  ed25519Verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}
