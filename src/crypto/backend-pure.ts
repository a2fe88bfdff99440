// The pure-JS backend (noble/scure) for browsers and other hosts without native addons. It
// must produce byte-identical results to backend-native.ts; the property tests compare both.
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { CryptoBackend } from './backend.js';

const ED25519_ORDER = ed25519.Point.Fn.ORDER;

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const byte of bytes) acc |= byte;
  return acc === 0;
}

export const pureBackend: CryptoBackend = {
  name: 'pure',

  randomBytes(length) {
    // Web Crypto's getRandomValues fills at most 65,536 bytes per call.
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 65536) {
      globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
    }
    return out;
  },
  timingSafeEqual(a, b) {
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
    return diff === 0;
  },

  sha256: (data) => sha256(data),
  sha512: (data) => sha512(data),
  ripemd160: (data) => ripemd160(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  hmacSha512: (key, data) => hmac(sha512, key, data),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  pbkdf2Sha512: (password, salt, iterations, length) =>
    pbkdf2(sha512, password, salt, { c: iterations, dkLen: length }),

  aesGcmEncrypt: (key, iv, plaintext, aad) => gcm(key, iv, aad).encrypt(plaintext),
  aesGcmDecrypt(key, iv, sealed, aad) {
    try {
      return gcm(key, iv, aad).decrypt(sealed);
    } catch {
      return null;
    }
  },

  x25519PublicKey: (privateKey) => x25519.getPublicKey(privateKey),
  x25519(privateKey, publicKey) {
    try {
      const shared = x25519.getSharedSecret(privateKey, publicKey);
      return isAllZero(shared) ? null : shared;
    } catch {
      return null; // noble throws exactly for the all-zero result
    }
  },

  secp256k1PublicKey: (privateKey, compressed) => secp256k1.getPublicKey(privateKey, compressed),
  secp256k1ConvertPublicKey(publicKey, compressed) {
    try {
      return secp256k1.Point.fromBytes(publicKey).toBytes(compressed);
    } catch {
      return null;
    }
  },
  secp256k1Sign(messageHash, privateKey) {
    const recovered = secp256k1.sign(messageHash, privateKey, {
      prehash: false,
      lowS: true,
      format: 'recovered',
    });
    return { signature: recovered.slice(1), recoveryId: recovered[0]! };
  },
  secp256k1Verify(messageHash, signature, publicKey) {
    try {
      secp256k1.Point.fromBytes(publicKey);
    } catch {
      return null;
    }
    try {
      return secp256k1.verify(signature, messageHash, publicKey, { prehash: false, lowS: true });
    } catch {
      return false;
    }
  },
  secp256k1Recover(messageHash, signature, recoveryId) {
    try {
      const recovered = new Uint8Array(65);
      recovered[0] = recoveryId;
      recovered.set(signature, 1);
      return secp256k1.recoverPublicKey(recovered, messageHash, { prehash: false });
    } catch {
      return null;
    }
  },

  ed25519PublicKey: (seed) => ed25519.getPublicKey(seed),
  ed25519Sign: (message, seed) => ed25519.sign(message, seed),
  ed25519Verify(message, signature, publicKey) {
    // libsodium's equation, not noble's verify(): noble checks the cofactored equation
    // [8][S]B = [8]R + [8][k]A, which accepts signatures under mixed-order keys that the
    // cofactorless check rejects. Consensus needs one answer, so we replicate libsodium:
    // R' = [S]B − [k]A, valid iff encode(R') equals the signature's R bytes.
    try {
      const A = ed25519.Point.fromBytes(publicKey, false);
      const S = bytesToNumberLE(signature.subarray(32, 64));
      const k =
        bytesToNumberLE(sha512(concat3(signature.subarray(0, 32), publicKey, message))) % ED25519_ORDER;
      const check = ed25519.Point.BASE.multiplyUnsafe(S).add(A.multiplyUnsafe(k).negate());
      const encoded = check.toBytes();
      let diff = 0;
      for (let i = 0; i < 32; i++) diff |= encoded[i]! ^ signature[i]!;
      return diff === 0;
    } catch {
      return false; // A is not a curve point
    }
  },
};

function concat3(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a, 0);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}
