// Byte helpers with no backend dependency: hex, UTF-8, concatenation, constant-time compare.
import { assertString, assertUint8Array } from './checks.js';
import { CryptoError } from './errors.js';

const HEX_DIGITS = '0123456789abcdef';
const HEX_PAIRS: string[] = Array.from({ length: 256 }, (_, i) => HEX_DIGITS[i >> 4]! + HEX_DIGITS[i & 15]!);
const textEncoder = new TextEncoder();
// fatal: malformed UTF-8 is an error, not silently replaced by U+FFFD.
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes hexadecimal (upper or lower case, no `0x` prefix, even length).
 * @example hexToBytes('00ff') // Uint8Array [0, 255]
 * @throws {CryptoError} INVALID_ARGUMENT if not a string; INVALID_HEX if odd length or a non-hex character.
 */
export function hexToBytes(hex: string): Uint8Array {
  assertString('hex', hex);
  if (hex.length % 2 !== 0)
    throw new CryptoError('INVALID_HEX', `hex must have even length, got ${hex.length}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const high = nibble(hex.charCodeAt(2 * i));
    const low = nibble(hex.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) {
      throw new CryptoError('INVALID_HEX', `hex has a non-hex character near position ${2 * i}`);
    }
    out[i] = (high << 4) | low;
  }
  return out;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/**
 * Encodes bytes as lowercase hexadecimal.
 * @throws {CryptoError} INVALID_ARGUMENT if `bytes` is not a Uint8Array.
 */
export function bytesToHex(bytes: Uint8Array): string {
  assertUint8Array('bytes', bytes);
  let out = '';
  for (const byte of bytes) out += HEX_PAIRS[byte]!;
  return out;
}

/**
 * Concatenates byte arrays into a new one.
 * @throws {CryptoError} INVALID_ARGUMENT if a part is not a Uint8Array.
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index];
    // The argument name is built only on failure: a template string per part cost ~0.2 µs each
    // on the enclave's hot path (bench/RESULTS.md "enclave").
    if (!(part instanceof Uint8Array)) assertUint8Array(`parts[${index}]`, part);
    length += part.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * UTF-8 encodes a string.
 * @throws {CryptoError} INVALID_ARGUMENT if not a string.
 */
export function utf8Encode(text: string): Uint8Array {
  assertString('text', text);
  return textEncoder.encode(text);
}

/**
 * Decodes UTF-8 strictly.
 * @throws {CryptoError} INVALID_ARGUMENT if not a Uint8Array or not valid UTF-8.
 */
export function utf8Decode(bytes: Uint8Array): string {
  assertUint8Array('bytes', bytes);
  try {
    return textDecoder.decode(bytes);
  } catch (error) {
    throw new CryptoError('INVALID_ARGUMENT', 'bytes are not valid UTF-8', { cause: error });
  }
}
