// The crypto host functions of CONTRACT_ABI §2 as pure functions from bytes to a return code
// (and output bytes). They never throw: every malformed input maps to the code the table
// gives, so the same input returns the same code on every node.
//
// ed25519 verification uses @noble/curves with ZIP-215 rules directly, not the crypto layer:
// Secret's host uses ed25519-zebra, which implements exactly ZIP-215 (cofactored equation,
// non-canonical encodings accepted), and consensus needs that precise acceptance set.

import { ed25519 } from '@noble/curves/ed25519.js';
import {
  ed25519Sign,
  secp256k1RecoverPublicKey,
  secp256k1Sign,
  secp256k1Verify,
  sha256,
} from '../../crypto/index.js';

/** Return codes of the crypto host functions (cosmwasm-crypto's CryptoError numbering). */
export const CryptoCode = {
  ok: 0,
  invalid: 1,
  invalidHashFormat: 3,
  invalidSignatureFormat: 4,
  invalidPubkeyFormat: 5,
  batchErr: 7,
  genericErr: 10,
  invalidPrivateKeyFormat: 1000,
} as const;

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** r and s of a compact signature are both in [0, n) (libsecp256k1 parse_compact overflow check). */
function compactScalarsInRange(signature: Uint8Array): boolean {
  return (
    bytesToBigInt(signature.subarray(0, 32)) < SECP256K1_N &&
    bytesToBigInt(signature.subarray(32, 64)) < SECP256K1_N
  );
}

/**
 * Normalizes a SEC1 public key for verification: 02/03 + 32 bytes, 04 + 64 bytes, or a
 * hybrid 06/07 key (whose prefix must match the parity of y) rewritten as 04.
 * @returns the key, `'format'` for a bad length/prefix (code 5), `'parse'` for a bad hybrid key.
 */
function normalizePublicKey(key: Uint8Array): Uint8Array | 'format' | 'parse' {
  const prefix = key[0];
  if (prefix === 0x02 || prefix === 0x03) return key.length === 33 ? key : 'format';
  if (prefix === 0x04 || prefix === 0x06 || prefix === 0x07) {
    if (key.length !== 65) return 'format';
    if (prefix === 0x04) return key;
    const yOdd = ((key[64] as number) & 1) === 1;
    if (yOdd !== (prefix === 0x07)) return 'parse';
    const normalized = key.slice();
    normalized[0] = 0x04;
    return normalized;
  }
  return 'format';
}

/** secp256k1_verify: 0 valid, 1 invalid, 3 hash ≠ 32, 4 sig ≠ 64, 5 bad key format, 10 parse error. */
export function secp256k1VerifyCode(hash: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): number {
  if (hash.length !== 32) return CryptoCode.invalidHashFormat;
  if (signature.length !== 64) return CryptoCode.invalidSignatureFormat;
  const key = normalizePublicKey(publicKey);
  if (key === 'format') return CryptoCode.invalidPubkeyFormat;
  if (key === 'parse' || !compactScalarsInRange(signature)) return CryptoCode.genericErr;
  try {
    // Point not on the curve → the crypto layer throws → generic error, as libsecp256k1's pubkey parse.
    return secp256k1Verify(hash, signature, key) ? CryptoCode.ok : CryptoCode.invalid;
  } catch {
    return CryptoCode.genericErr;
  }
}

/** secp256k1_recover_pubkey: the 33-byte compressed key, or code 3, 4 or 10 (bad recovery id too). */
export function secp256k1RecoverCode(
  hash: Uint8Array,
  signature: Uint8Array,
  recoveryId: number,
): Uint8Array | number {
  if (hash.length !== 32) return CryptoCode.invalidHashFormat;
  if (signature.length !== 64) return CryptoCode.invalidSignatureFormat;
  if (!Number.isInteger(recoveryId) || recoveryId < 0 || recoveryId > 3) return CryptoCode.genericErr;
  if (!compactScalarsInRange(signature)) return CryptoCode.genericErr;
  try {
    return secp256k1RecoverPublicKey(hash, signature, recoveryId);
  } catch {
    return CryptoCode.genericErr;
  }
}

/** secp256k1_sign: the host hashes `message` with SHA-256 first; 1000 = bad private key. */
export function secp256k1SignCode(message: Uint8Array, privateKey: Uint8Array): Uint8Array | number {
  if (privateKey.length !== 32) return CryptoCode.invalidPrivateKeyFormat;
  const scalar = bytesToBigInt(privateKey);
  if (scalar === 0n || scalar >= SECP256K1_N) return CryptoCode.invalidPrivateKeyFormat;
  try {
    return secp256k1Sign(sha256(message), privateKey);
  } catch {
    return CryptoCode.genericErr;
  }
}

/** ed25519_sign: `seed` is the 32-byte secret seed; 1000 = bad key. */
export function ed25519SignCode(message: Uint8Array, seed: Uint8Array): Uint8Array | number {
  if (seed.length !== 32) return CryptoCode.invalidPrivateKeyFormat;
  try {
    return ed25519Sign(message, seed);
  } catch {
    return CryptoCode.genericErr;
  }
}

function ed25519PublicKeyValid(publicKey: Uint8Array): boolean {
  try {
    ed25519.Point.fromBytes(publicKey, true);
    return true;
  } catch {
    return false;
  }
}

function ed25519VerifyZip215(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: true });
  } catch {
    return false;
  }
}

/** ed25519_verify: 0 valid, 1 invalid, 4 sig ≠ 64 bytes, 5 key ≠ 32 bytes or not a point. */
export function ed25519VerifyCode(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): number {
  if (signature.length !== 64) return CryptoCode.invalidSignatureFormat;
  if (publicKey.length !== 32 || !ed25519PublicKeyValid(publicKey)) return CryptoCode.invalidPubkeyFormat;
  return ed25519VerifyZip215(message, signature, publicKey) ? CryptoCode.ok : CryptoCode.invalid;
}

/**
 * Splits an ed25519_batch_verify argument: elements `bytes ‖ u32 BE length`, parsed from the
 * end (cosmwasm `decode_sections`). Leading bytes shorter than a length field are ignored.
 * @returns the sections in order, or undefined when a length points before the start.
 */
export function decodeSections(data: Uint8Array): Uint8Array[] | undefined {
  const sections: Uint8Array[] = [];
  let end = data.length;
  while (end >= 4) {
    const length =
      (data[end - 4] as number) * 0x1000000 +
      ((data[end - 3] as number) << 16) +
      ((data[end - 2] as number) << 8) +
      (data[end - 1] as number);
    const start = end - 4 - length;
    if (start < 0) return undefined;
    sections.push(data.subarray(start, end - 4));
    end = start;
  }
  return sections.reverse();
}

/** Count rules of ed25519_batch_verify; the number of signatures to check, or undefined (code 7). */
export function batchSize(messages: number, signatures: number, publicKeys: number): number | undefined {
  if (messages === signatures && signatures === publicKeys) return signatures;
  if (messages === 1 && signatures === publicKeys) return signatures;
  if (publicKeys === 1 && messages === signatures) return signatures;
  return undefined;
}

/** ed25519_batch_verify after the count check: 0 all valid, 1 one invalid, 4/5 bad encoding. */
export function ed25519BatchVerifyCode(
  messages: Uint8Array[],
  signatures: Uint8Array[],
  publicKeys: Uint8Array[],
): number {
  const n = signatures.length;
  for (let i = 0; i < n; i++) {
    const signature = signatures[i] as Uint8Array;
    const publicKey = (publicKeys.length === 1 ? publicKeys[0] : publicKeys[i]) as Uint8Array;
    if (signature.length !== 64) return CryptoCode.invalidSignatureFormat;
    if (publicKey.length !== 32) return CryptoCode.invalidPubkeyFormat;
  }
  for (let i = 0; i < n; i++) {
    const message = (messages.length === 1 ? messages[0] : messages[i]) as Uint8Array;
    const publicKey = (publicKeys.length === 1 ? publicKeys[0] : publicKeys[i]) as Uint8Array;
    // zebra's batch: an undecodable key makes the batch fail (1), it is not a format error.
    if (!ed25519VerifyZip215(message, signatures[i] as Uint8Array, publicKey)) return CryptoCode.invalid;
  }
  return CryptoCode.ok;
}
