// The Node backend: the fastest implementation measured per primitive (DESIGN.md §3,
// bench/RESULTS.md "crypto"): libsecp256k1 (`secp256k1` package) for secp256k1, libsodium
// (`sodium-native`) for ed25519 and X25519, OpenSSL (`node:crypto`) for hashes, HMAC, HKDF,
// PBKDF2 and AES-256-GCM. libsecp256k1 has public-key recovery (ecdsaRecover), so nothing
// here falls back to pure JS; BIP32 and bech32 live above the backend (wallet.ts, bech32.ts).
// AES-256-GCM and HMAC-SHA256 under 32-byte keys go through per-key OpenSSL handles of the
// shroud_aead addon when it is built (aead-native.ts; ~4× cheaper per seal, bench/RESULTS.md
// "enclave"), else through node:crypto: createNativeBackend(null) is that fallback.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  pbkdf2Sync,
  randomFillSync,
  timingSafeEqual,
} from 'node:crypto';
import secp from 'secp256k1';
import sodium from 'sodium-native';
import { aeadAddon, type AddonKey, type AeadAddon } from './aead-native.js';
import type { CryptoBackend } from './backend.js';
import { CryptoError } from './errors.js';
import { SIV_OVERHEAD_BYTES } from './siv.js';
import { sodiumHkdfSha256OneBlock, sodiumHmacSha256, sodiumSha256 } from './sha256-sodium.js';

const TAG_BYTES = 16;

/** A Buffer view (no copy) over `bytes`: sodium-native's typings want Buffers. */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A plain Uint8Array copy of a Node Buffer (Buffers may share a pooled ArrayBuffer). */
function plain(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer);
}

function digest(algorithm: string, data: Uint8Array): Uint8Array {
  return plain(createHash(algorithm).update(data).digest());
}

function hmac(algorithm: string, key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(createHmac(algorithm, key).update(data).digest());
}

const HKDF_SYNC_INFO_MAX = 1024;
/** One HMAC block of expand output: for L ≤ 32, HKDF is exactly two HMACs (RFC 5869 §2.2–2.3). */
const HKDF_ONE_BLOCK = 32;
const FIRST_BLOCK = new Uint8Array([1]);
const SHA256_BYTES = 32;

/** RFC 5869 §2.2–2.3 with OpenSSL HMAC, for the inputs hkdfSync rejects. */
function hkdfFromHmac(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  // §2.2: an absent salt is HashLen zero bytes (HMAC pads short keys with zeros anyway).
  const prk = hmac('sha256', salt.length > 0 ? salt : new Uint8Array(SHA256_BYTES), ikm);
  if (length <= SHA256_BYTES) {
    // §2.3 with N = 1: T(1) = HMAC(PRK, info || 0x01).
    const block = createHmac('sha256', prk).update(info).update(FIRST_BLOCK).digest();
    prk.fill(0);
    const okm = new Uint8Array(block.subarray(0, length));
    block.fill(0);
    return okm;
  }
  const okm = new Uint8Array(Math.ceil(length / SHA256_BYTES) * SHA256_BYTES);
  let previous: Uint8Array = new Uint8Array(0);
  for (let block = 1; (block - 1) * SHA256_BYTES < length; block++) {
    previous = plain(
      createHmac('sha256', prk)
        .update(previous)
        .update(info)
        .update(new Uint8Array([block]))
        .digest(),
    );
    okm.set(previous, (block - 1) * SHA256_BYTES);
  }
  prk.fill(0);
  return okm.slice(0, length);
}

/** The backend with AES-GCM and HMAC on node:crypto and libsodium (no addon). */
const nodeCryptoBackend: CryptoBackend = {
  name: 'native',

  randomBytes(length) {
    return randomFillSync(new Uint8Array(length));
  },
  timingSafeEqual(a, b) {
    return timingSafeEqual(a, b);
  },

  // libsodium one-shot into the result array: no Buffer, no copy (0.95 vs 1.13 µs + copy for
  // node:crypto's hash, 120 B; bench/RESULTS.md "enclave", crypto helper).
  sha256: sodiumSha256,
  sha512: (data) => digest('sha512', data),
  ripemd160: (data) => digest('ripemd160', data),
  // Two libsodium hashes over scratch buffers (sha256-sodium.ts); node:crypto for long messages.
  hmacSha256: (key, data) => sodiumHmacSha256(key, data) ?? hmac('sha256', key, data),
  hmacSha512: (key, data) => hmac('sha512', key, data),
  hkdfSha256(ikm, salt, info, length) {
    // Node's hkdfSync refuses info longer than 1,024 bytes; RFC 5869 has no such limit. For one
    // output block the two HMACs are also faster than hkdfSync, which builds KeyObjects per call
    // (measured 5.5 vs 10.8 µs idle, ~30 µs under load; bench/RESULTS.md "enclave"), and faster
    // still on libsodium's hash without Hmac objects (sha256-sodium.ts).
    if (length <= HKDF_ONE_BLOCK) {
      const okm = sodiumHkdfSha256OneBlock(ikm, salt, info, length);
      if (okm !== null) return okm;
    }
    if (info.length > HKDF_SYNC_INFO_MAX || length <= HKDF_ONE_BLOCK)
      return hkdfFromHmac(ikm, salt, info, length);
    return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
  },
  pbkdf2Sha512(password, salt, iterations, length) {
    return plain(pbkdf2Sync(password, salt, iterations, length, 'sha512'));
  },

  aesGcmEncrypt(key, iv, plaintext, aad) {
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    const out = new Uint8Array(head.length + tail.length + TAG_BYTES);
    out.set(head, 0);
    out.set(tail, head.length);
    out.set(cipher.getAuthTag(), head.length + tail.length);
    return out;
  },
  aesGcmDecrypt(key, iv, sealed, aad) {
    const split = sealed.length - TAG_BYTES;
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(sealed.subarray(split));
    decipher.setAAD(aad);
    const head = decipher.update(sealed.subarray(0, split));
    try {
      const tail = decipher.final(); // throws when the tag does not verify
      const out = new Uint8Array(head.length + tail.length);
      out.set(head, 0);
      out.set(tail, head.length);
      return out;
    } catch {
      head.fill(0); // unauthenticated plaintext never leaves this function
      return null;
    }
  },

  x25519PublicKey(privateKey) {
    const out = new Uint8Array(sodium.crypto_scalarmult_BYTES);
    sodium.crypto_scalarmult_base(view(out), view(privateKey));
    return out;
  },
  x25519(privateKey, publicKey) {
    const out = new Uint8Array(sodium.crypto_scalarmult_BYTES);
    try {
      // libsodium returns -1 (sodium-native throws) exactly when the result is all zero.
      sodium.crypto_scalarmult(view(out), view(privateKey), view(publicKey));
    } catch {
      return null;
    }
    return out;
  },

  secp256k1PublicKey(privateKey, compressed) {
    return secp.publicKeyCreate(privateKey, compressed);
  },
  secp256k1ConvertPublicKey(publicKey, compressed) {
    try {
      return secp.publicKeyConvert(publicKey, compressed);
    } catch {
      return null;
    }
  },
  secp256k1Sign(messageHash, privateKey) {
    // libsecp256k1 signs with RFC 6979 nonces and always returns a normalized (low-S) signature.
    const { signature, recid } = secp.ecdsaSign(messageHash, privateKey);
    return { signature, recoveryId: recid };
  },
  secp256k1Verify(messageHash, signature, publicKey) {
    try {
      // libsecp256k1 verify returns false for high-S (it requires normalized signatures); it
      // throws for an unparseable key (scalars were range-checked by the caller).
      return secp.ecdsaVerify(signature, messageHash, publicKey);
    } catch {
      return null;
    }
  },
  secp256k1Recover(messageHash, signature, recoveryId) {
    try {
      return secp.ecdsaRecover(signature, recoveryId, messageHash, true);
    } catch {
      return null;
    }
  },

  ed25519PublicKey(seed) {
    const publicKey = new Uint8Array(sodium.crypto_sign_PUBLICKEYBYTES);
    const secretKey = new Uint8Array(sodium.crypto_sign_SECRETKEYBYTES);
    sodium.crypto_sign_seed_keypair(view(publicKey), view(secretKey), view(seed));
    secretKey.fill(0);
    return publicKey;
  },
  ed25519Sign(message, seed) {
    const publicKey = new Uint8Array(sodium.crypto_sign_PUBLICKEYBYTES);
    const secretKey = new Uint8Array(sodium.crypto_sign_SECRETKEYBYTES);
    sodium.crypto_sign_seed_keypair(view(publicKey), view(secretKey), view(seed));
    const signature = new Uint8Array(sodium.crypto_sign_BYTES);
    sodium.crypto_sign_detached(view(signature), view(message), view(secretKey));
    secretKey.fill(0);
    return signature;
  },
  ed25519Verify(message, signature, publicKey) {
    return sodium.crypto_sign_verify_detached(view(signature), view(message), view(publicKey));
  },
};

const HANDLE_KEY_BYTES = 32;

/**
 * The native backend, with AES-256-GCM, HMAC-SHA256 (32-byte keys) and the synthetic-IV seal on
 * `addon`'s key handles, or on node:crypto when `addon` is null (tests inject null to run the
 * fallback; the default comes from aeadAddon()). Both give the same bytes.
 */
export function createNativeBackend(native: AeadAddon | null): CryptoBackend {
  if (native === null) return nodeCryptoBackend;
  const addon = native;
  // Handles cached by key array identity, not by key bytes: a Map keyed by the bytes would hold
  // every key as an immutable, unwipeable string. Callers reuse one array per key (the
  // executor's contract keys, one tx_key per transaction), so identity finds them; the addon
  // compares the array's bytes with the handle's key on every call (`check`) and answers
  // undefined when they differ, so a reused or wiped array never selects a stale key. Bounded by
  // the live key arrays: a handle goes (and its key is wiped) when its array is collected.
  const handles = new WeakMap<Uint8Array, AddonKey>();
  function withHandle<T>(
    key: Uint8Array,
    run: (handle: AddonKey, check: Uint8Array | undefined) => T | undefined,
  ): T {
    const cached = handles.get(key);
    if (cached !== undefined) {
      const result = run(cached, key);
      if (result !== undefined) return result;
    }
    const handle = addon.createKey(key);
    handles.set(key, handle);
    const result = run(handle, undefined);
    // A fresh handle is never stale (no check), so undefined is an addon fault: never hand out
    // the untouched output array as a MAC, ciphertext or sealed value.
    if (result === undefined) {
      throw new CryptoError(
        'ADDON_FAULT',
        'the shroud_aead addon gave no answer for a fresh key handle: rebuild it (npm run build:native) or run without it (SHROUD_NATIVE_AEAD=0)',
      );
    }
    return result;
  }
  return {
    ...nodeCryptoBackend,
    hmacSha256(key, data) {
      if (key.length !== HANDLE_KEY_BYTES) return nodeCryptoBackend.hmacSha256(key, data);
      const out = new Uint8Array(SHA256_BYTES);
      withHandle(key, (handle, check) => addon.hmac(handle, check, data, out));
      return out;
    },
    aesGcmEncrypt(key, iv, plaintext, aad) {
      const out = new Uint8Array(plaintext.length + TAG_BYTES);
      withHandle(key, (handle, check) => addon.gcmEncrypt(handle, check, iv, plaintext, aad, out));
      return out;
    },
    aesGcmDecrypt(key, iv, sealed, aad) {
      if (sealed.length < TAG_BYTES) return null;
      const out = new Uint8Array(sealed.length - TAG_BYTES);
      return withHandle(key, (handle, check) => addon.gcmDecrypt(handle, check, iv, sealed, aad, out))
        ? out
        : null;
    },
    sivSeal(key, version, ivLabel, ivContext, salt, plaintext, aadA, aadB) {
      const out = new Uint8Array(plaintext.length + SIV_OVERHEAD_BYTES);
      withHandle(key, (handle, check) =>
        addon.sivSeal(handle, check, version, ivLabel, ivContext, salt, plaintext, aadA, aadB, out),
      );
      return out;
    },
    sivOpen(key, version, aadA, aadB, blob) {
      if (blob.length < SIV_OVERHEAD_BYTES) return null;
      const out = new Uint8Array(blob.length - SIV_OVERHEAD_BYTES);
      return withHandle(key, (handle, check) => addon.sivOpen(handle, check, version, aadA, aadB, blob, out))
        ? out
        : null;
    },
  };
}

/** The Node backend: on the shroud_aead addon when it loads (aeadAddonStatus()), else node:crypto. */
export const nativeBackend: CryptoBackend = createNativeBackend(aeadAddon());
