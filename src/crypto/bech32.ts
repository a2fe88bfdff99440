// bech32 (BIP 173) strings for addresses. Backend-free: @scure/base is pure and fast enough.
import { bech32 } from '@scure/base';
import { assertString, assertUint8Array } from './checks.js';
import { CryptoError } from './errors.js';

/** BIP 173 length limit; a 32-byte payload with a 10-character prefix still fits. */
export const BECH32_MAX_LENGTH = 90;
const PREFIX_PATTERN = /^[\x21-\x7e]{1,83}$/;

function assertPrefix(prefix: string): void {
  assertString('prefix', prefix);
  if (!PREFIX_PATTERN.test(prefix) || prefix !== prefix.toLowerCase()) {
    throw new CryptoError('INVALID_ARGUMENT', 'prefix must be 1–83 lowercase printable ASCII characters');
  }
}

/**
 * Encodes bytes as lowercase bech32 with the given human-readable prefix.
 * @example toBech32('shroud', new Uint8Array(20)) // 'shroud1qqqq…'
 * @throws {CryptoError} INVALID_ARGUMENT for a bad prefix or data type; INVALID_LENGTH when
 *   the result would exceed 90 characters.
 */
export function toBech32(prefix: string, data: Uint8Array): string {
  assertPrefix(prefix);
  assertUint8Array('data', data);
  const words = bech32.toWords(data);
  const length = prefix.length + 1 + words.length + 6;
  if (length > BECH32_MAX_LENGTH) {
    throw new CryptoError(
      'INVALID_LENGTH',
      `bech32 string would be ${length} characters, max ${BECH32_MAX_LENGTH}`,
    );
  }
  return bech32.encode(prefix, words, BECH32_MAX_LENGTH);
}

/**
 * Decodes a bech32 string (all lowercase or all uppercase; the prefix is returned lowercase).
 * @throws {CryptoError} INVALID_BECH32 for a bad checksum, character, mixed case, non-zero
 *   padding or length; INVALID_ARGUMENT if not a string.
 */
export function fromBech32(address: string): { prefix: string; data: Uint8Array } {
  assertString('address', address);
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) {
    throw new CryptoError('INVALID_BECH32', 'address mixes upper and lower case');
  }
  if (address.length > BECH32_MAX_LENGTH) {
    throw new CryptoError(
      'INVALID_BECH32',
      `address is ${address.length} characters, max ${BECH32_MAX_LENGTH}`,
    );
  }
  try {
    const { prefix, words } = bech32.decode(address as `${string}1${string}`, BECH32_MAX_LENGTH);
    return { prefix, data: bech32.fromWords(words) };
  } catch (error) {
    throw new CryptoError('INVALID_BECH32', 'address is not valid bech32 (check for typos)', {
      cause: error,
    });
  }
}

/**
 * Decodes an address and checks its prefix.
 * @throws {CryptoError} WRONG_PREFIX when the prefix differs; as {@link fromBech32} otherwise.
 */
export function decodeBech32WithPrefix(address: string, expectedPrefix: string): Uint8Array {
  assertPrefix(expectedPrefix);
  const { prefix, data } = fromBech32(address);
  if (prefix !== expectedPrefix) {
    throw new CryptoError('WRONG_PREFIX', `address prefix must be "${expectedPrefix}", got "${prefix}"`);
  }
  return data;
}
