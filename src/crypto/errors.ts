// Typed errors of the crypto layer. Callers branch on `code`; messages name the argument and
// what to do, and never carry key material or plaintext (they can reach logs and RPC).
import { ShroudError } from '../errors.js';

/**
 * Codes of {@link CryptoError}:
 * - `INVALID_ARGUMENT`: wrong type or out-of-range number (a programming error in the caller).
 * - `INVALID_LENGTH`: a byte argument has the wrong length.
 * - `INVALID_KEY`: a key has the right length but is not a valid key (zero/overflowing scalar,
 *   not a curve point, key pair halves that do not match).
 * - `INVALID_HEX`: a string is not even-length hexadecimal.
 * - `INVALID_BECH32`: not a valid bech32 string (checksum, charset, mixed case, padding, length).
 * - `WRONG_PREFIX`: valid bech32 but a human-readable prefix other than the expected one.
 * - `INVALID_MNEMONIC`: unknown word, wrong word count or bad BIP39 checksum.
 * - `INVALID_PATH`: malformed BIP32 derivation path.
 * - `ENVELOPE_TOO_SHORT`: a transaction envelope shorter than its fixed header plus tag.
 * - `DECRYPT_FAILED`: AES-GCM authentication failed (wrong key, IV, associated data or tampering).
 *   Policy: treat as an invalid transaction; never retry with other keys.
 * - `LOW_ORDER_POINT`: an X25519 peer key gave the all-zero shared secret (RFC 7748 §6.1).
 * - `INVALID_SIGNATURE_ENCODING`: a signature's scalars are out of range or high-S.
 * - `RECOVERY_FAILED`: no public key can be recovered from this signature and recovery id.
 */
export type CryptoErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_LENGTH'
  | 'INVALID_KEY'
  | 'INVALID_HEX'
  | 'INVALID_BECH32'
  | 'WRONG_PREFIX'
  | 'INVALID_MNEMONIC'
  | 'INVALID_PATH'
  | 'ENVELOPE_TOO_SHORT'
  | 'DECRYPT_FAILED'
  | 'LOW_ORDER_POINT'
  | 'INVALID_SIGNATURE_ENCODING'
  | 'RECOVERY_FAILED'
  | 'ADDON_FAULT';

/** The one error type thrown by `src/crypto`. */
export class CryptoError extends ShroudError<CryptoErrorCode> {}
