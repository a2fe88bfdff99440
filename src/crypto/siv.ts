// Synthetic-IV AES-256-GCM sealing (DESIGN.md §3 "State at rest"; the layout of contract state
// values in src/enclave/secrets/state-encryption.ts) and the per-key handle API.
//
//   iv   = HMAC-SHA256(key, ivLabel || ivContext || salt || plaintext)[0..12]
//   blob = version(1) || iv(12) || AES-256-GCM(key, iv, plaintext, aad = version || aadA || aadB)
//          || tag(16)
//
// The IV is a keyed hash of everything that goes into the ciphertext, so it is identical on
// every validator and repeats only when (context, salt, plaintext) repeat, which then gives the
// same blob (no information beyond equality leaks; the caller's salt hides even that).
// A backend may provide the whole seal as one call (the native addon: one HMAC from saved pad
// states and one GCM pass on a keyed context); the composition below is the reference and the
// fallback, and the tests hold the two to the same bytes.
import { createAead, AES_KEY_BYTES, GCM_IV_BYTES, GCM_TAG_BYTES } from './aead.js';
import type { CryptoBackend } from './backend.js';
import { assertBytes, assertInteger, assertUint8Array } from './checks.js';
import { CryptoError } from './errors.js';

/** Bytes a seal adds to the plaintext: version, IV and tag. */
export const SIV_OVERHEAD_BYTES = 1 + GCM_IV_BYTES + GCM_TAG_BYTES;

/** The seal as hmacSha256 + aesGcmEncrypt of `backend` (arguments already validated). */
export function composedSivSeal(
  backend: CryptoBackend,
  key: Uint8Array,
  version: number,
  ivLabel: Uint8Array,
  ivContext: Uint8Array,
  salt: Uint8Array,
  plaintext: Uint8Array,
  aadA: Uint8Array,
  aadB: Uint8Array,
): Uint8Array {
  // Every intermediate is one exact-size array, no concatenation helpers (7 seals per transfer).
  const ivInput = new Uint8Array(ivLabel.length + ivContext.length + salt.length + plaintext.length);
  ivInput.set(ivLabel, 0);
  ivInput.set(ivContext, ivLabel.length);
  ivInput.set(salt, ivLabel.length + ivContext.length);
  ivInput.set(plaintext, ivLabel.length + ivContext.length + salt.length);
  const iv = backend.hmacSha256(key, ivInput).subarray(0, GCM_IV_BYTES);
  ivInput.fill(0); // it holds the plaintext
  const sealed = backend.aesGcmEncrypt(key, iv, plaintext, sivAad(version, aadA, aadB));
  const blob = new Uint8Array(1 + GCM_IV_BYTES + sealed.length);
  blob[0] = version;
  blob.set(iv, 1);
  blob.set(sealed, 1 + GCM_IV_BYTES);
  return blob;
}

/** Opens a composedSivSeal blob with `backend`'s aesGcmDecrypt; null for a wrong layout or tag. */
export function composedSivOpen(
  backend: CryptoBackend,
  key: Uint8Array,
  version: number,
  aadA: Uint8Array,
  aadB: Uint8Array,
  blob: Uint8Array,
): Uint8Array | null {
  if (blob.length < SIV_OVERHEAD_BYTES || blob[0] !== version) return null;
  return backend.aesGcmDecrypt(
    key,
    blob.subarray(1, 1 + GCM_IV_BYTES),
    blob.subarray(1 + GCM_IV_BYTES),
    sivAad(version, aadA, aadB),
  );
}

function sivAad(version: number, aadA: Uint8Array, aadB: Uint8Array): Uint8Array {
  const aad = new Uint8Array(1 + aadA.length + aadB.length);
  aad[0] = version;
  aad.set(aadA, 1);
  aad.set(aadB, 1 + aadA.length);
  return aad;
}

/** One AES-256/HMAC-SHA256 key, for code that runs many operations under it. */
export interface AeadKey {
  /** AES-256-GCM: ciphertext || tag. The caller never reuses an IV under this key. */
  gcmEncrypt(iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** @throws {CryptoError} DECRYPT_FAILED when the tag does not verify. */
  gcmDecrypt(iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** HMAC-SHA256(key, message). */
  hmac(message: Uint8Array): Uint8Array;
  /** See {@link SivApi.sivSeal}. */
  sivSeal(
    version: number,
    ivLabel: Uint8Array,
    ivContext: Uint8Array,
    salt: Uint8Array,
    plaintext: Uint8Array,
    aadA: Uint8Array,
    aadB: Uint8Array,
  ): Uint8Array;
  /** See {@link SivApi.sivOpen}. */
  sivOpen(version: number, aadA: Uint8Array, aadB: Uint8Array, blob: Uint8Array): Uint8Array;
}

/** The synthetic-IV and key-handle functions of one backend. */
export function createSiv(backend: CryptoBackend) {
  const aead = createAead(backend);
  const seal = backend.sivSeal?.bind(backend) ?? composedSivSeal.bind(null, backend);
  const open = backend.sivOpen?.bind(backend) ?? composedSivOpen.bind(null, backend);

  function sivSeal(
    key: Uint8Array,
    version: number,
    ivLabel: Uint8Array,
    ivContext: Uint8Array,
    salt: Uint8Array,
    plaintext: Uint8Array,
    aadA: Uint8Array,
    aadB: Uint8Array,
  ): Uint8Array {
    assertBytes('key', key, AES_KEY_BYTES);
    assertInteger('version', version, 0, 255);
    assertUint8Array('ivLabel', ivLabel);
    assertUint8Array('ivContext', ivContext);
    assertUint8Array('salt', salt);
    assertUint8Array('plaintext', plaintext);
    assertUint8Array('aadA', aadA);
    assertUint8Array('aadB', aadB);
    return seal(key, version, ivLabel, ivContext, salt, plaintext, aadA, aadB);
  }

  function sivOpen(
    key: Uint8Array,
    version: number,
    aadA: Uint8Array,
    aadB: Uint8Array,
    blob: Uint8Array,
  ): Uint8Array {
    assertBytes('key', key, AES_KEY_BYTES);
    assertInteger('version', version, 0, 255);
    assertUint8Array('aadA', aadA);
    assertUint8Array('aadB', aadB);
    assertUint8Array('blob', blob);
    const plaintext = open(key, version, aadA, aadB, blob);
    if (plaintext === null) {
      throw new CryptoError(
        'DECRYPT_FAILED',
        'synthetic-IV blob does not open: wrong key, version or associated data, or the data was altered',
      );
    }
    return plaintext;
  }

  return {
    /**
     * Seals `plaintext` with a synthetic IV (layout at the top of siv.ts): deterministic, so
     * every validator writes the same bytes.
     * @returns version || iv(12) || ciphertext || tag(16)
     * @throws {CryptoError} INVALID_LENGTH unless key is 32 bytes; INVALID_ARGUMENT for a
     *   version outside 0..255 or an argument that is not a Uint8Array.
     */
    sivSeal,
    /**
     * Opens a {@link sivSeal} blob.
     * @throws {CryptoError} DECRYPT_FAILED for a blob too short, of another version, or whose
     *   tag does not verify under this key and associated data; INVALID_LENGTH /
     *   INVALID_ARGUMENT for malformed arguments.
     */
    sivOpen,
    /**
     * A handle on one 32-byte key (copied: later changes to `key` do not affect it). On Node
     * with the native addon its operations reuse one OpenSSL context and the HMAC pad states.
     * @example
     * const handle = aeadKey(contractKey);
     * const blob = handle.sivSeal(1, label, slot, salt, value, address, slot);
     * @throws {CryptoError} INVALID_LENGTH unless key is 32 bytes; operations throw as their
     *   one-shot counterparts (aesGcmEncrypt, aesGcmDecrypt, hmacSha256, sivSeal, sivOpen).
     */
    aeadKey: (key: Uint8Array): AeadKey => {
      assertBytes('key', key, AES_KEY_BYTES);
      // A private copy: the backend's handle cache is keyed by this array, which nobody else
      // can change, so every operation finds the same native handle.
      const own = key.slice();
      return {
        gcmEncrypt: (iv, plaintext, aad) => aead.aesGcmEncrypt(own, iv, plaintext, aad),
        gcmDecrypt: (iv, sealed, aad) => aead.aesGcmDecrypt(own, iv, sealed, aad),
        hmac: (message) => {
          assertUint8Array('message', message);
          return backend.hmacSha256(own, message);
        },
        sivSeal: (version, ivLabel, ivContext, salt, plaintext, aadA, aadB) =>
          sivSeal(own, version, ivLabel, ivContext, salt, plaintext, aadA, aadB),
        sivOpen: (version, aadA, aadB, blob) => sivOpen(own, version, aadA, aadB, blob),
      };
    },
  };
}

export type SivApi = ReturnType<typeof createSiv>;
