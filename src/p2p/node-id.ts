// Node identities, CometBFT style: the id is the hex of the first 20 bytes of
// sha256(ed25519 public key) (CometBFT p2p/key.go, "ID is the hex-encoded address").
import { bytesToHex, sha256 } from '../crypto/index.js';

export const NODE_ID_BYTES = 20;
const NODE_ID_PATTERN = /^[0-9a-f]{40}$/;

/**
 * The node id of an ed25519 public key.
 * @example nodeIdFromPublicKey(ed25519KeyPairFromSeed(seed).publicKey) // '3f1c…' (40 hex)
 * @throws {CryptoError} INVALID_ARGUMENT if publicKey is not a Uint8Array.
 */
export function nodeIdFromPublicKey(publicKey: Uint8Array): string {
  return bytesToHex(sha256(publicKey).subarray(0, NODE_ID_BYTES));
}

/** True for a well-formed node id (40 lowercase hex characters). */
export function isNodeId(value: unknown): value is string {
  return typeof value === 'string' && NODE_ID_PATTERN.test(value);
}
