// Base64 and hex for JSON-RPC fields, without Node's Buffer (the SDK bundles for browsers).
// @scure/base is pure JS and strict: it refuses bad characters and bad padding.
import { base64 } from '@scure/base';
import { bytesToHex } from '../crypto/index.js';

/** Standard base64 with padding (CometBFT's encoding of []byte in JSON). */
export function toBase64(bytes: Uint8Array): string {
  return base64.encode(bytes);
}

/** Decodes standard padded base64; null if the text is not that. */
export function fromBase64OrNull(text: string): Uint8Array | null {
  try {
    return base64.decode(text);
  } catch {
    return null;
  }
}

export { bytesToHex };
