// Standard base64 with padding (RFC 4648 §4), the encoding of CosmWasm's `Binary`.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Encodes bytes as padded standard base64. */
export function base64Encode(bytes: Uint8Array): string {
  const parts = new Array<string>();
  let i = 0;
  const n = bytes.length;
  while (i + 3 <= n) {
    const v = ((<u32>bytes[i]) << 16) | ((<u32>bytes[i + 1]) << 8) | (<u32>bytes[i + 2]);
    parts.push(
      ALPHABET.charAt(v >> 18) +
        ALPHABET.charAt((v >> 12) & 63) +
        ALPHABET.charAt((v >> 6) & 63) +
        ALPHABET.charAt(v & 63),
    );
    i += 3;
  }
  if (n - i == 1) {
    const v = (<u32>bytes[i]) << 16;
    parts.push(ALPHABET.charAt(v >> 18) + ALPHABET.charAt((v >> 12) & 63) + '==');
  } else if (n - i == 2) {
    const v = ((<u32>bytes[i]) << 16) | ((<u32>bytes[i + 1]) << 8);
    parts.push(
      ALPHABET.charAt(v >> 18) + ALPHABET.charAt((v >> 12) & 63) + ALPHABET.charAt((v >> 6) & 63) + '=',
    );
  }
  return parts.join('');
}

function sextet(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b) return 62;
  if (c == 0x2f) return 63;
  return -1;
}

/** Decodes padded standard base64; null if the text is not canonical base64. */
export function base64Decode(text: string): Uint8Array | null {
  const n = text.length;
  if (n % 4 != 0) return null;
  let padding = 0;
  if (n > 0 && text.charCodeAt(n - 1) == 0x3d) padding++;
  if (n > 1 && text.charCodeAt(n - 2) == 0x3d) padding++;
  const out = new Uint8Array((n / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < n; i += 4) {
    const last = i + 4 == n;
    const a = sextet(text.charCodeAt(i));
    const b = sextet(text.charCodeAt(i + 1));
    const c = last && padding == 2 ? 0 : sextet(text.charCodeAt(i + 2));
    const d = last && padding >= 1 ? 0 : sextet(text.charCodeAt(i + 3));
    if (a < 0 || b < 0 || c < 0 || d < 0) return null;
    const v = ((<u32>a) << 18) | ((<u32>b) << 12) | ((<u32>c) << 6) | (<u32>d);
    out[o++] = <u8>(v >> 16);
    if (o < out.length) out[o++] = <u8>(v >> 8);
    if (o < out.length) out[o++] = <u8>v;
    // Non-zero bits under the padding would decode the same as zeros: refuse (not canonical).
    if (last && padding == 2 && (v & 0xffff) != 0) return null;
    if (last && padding == 1 && (v & 0xff) != 0) return null;
  }
  return out;
}

/** Lowercase hex of bytes. */
export function hexEncode(bytes: Uint8Array): string {
  const digits = '0123456789abcdef';
  const parts = new Array<string>();
  for (let i = 0; i < bytes.length; i++)
    parts.push(digits.charAt(bytes[i] >> 4) + digits.charAt(bytes[i] & 15));
  return parts.join('');
}
