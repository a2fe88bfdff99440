// Transaction hashes. CometBFT identifies a tx by SHA-256 of its bytes, shown as uppercase
// hex; we do the same so explorers and `tx_search` style RPCs agree with CometBFT tooling.
import { bytesToHex, sha256 } from '../crypto/index.js';

/** SHA-256 of the exact tx bytes as broadcast (32 bytes). */
export function txHash(txBytes: Uint8Array): Uint8Array {
  return sha256(txBytes);
}

/** {@link txHash} as 64 uppercase hex characters, as CometBFT prints it. */
export function txHashHex(txBytes: Uint8Array): string {
  return bytesToHex(txHash(txBytes)).toUpperCase();
}
