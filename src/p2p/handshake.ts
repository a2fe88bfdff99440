// The authenticated key exchange, in the spirit of CometBFT's SecretConnection (own design,
// see docs/adr/008-p2p.md):
//   1. each side sends HELLO = MAGIC (8 bytes) || ephemeral X25519 public key (32 bytes);
//   2. both compute shared = X25519(own ephemeral, peer ephemeral) and, with the two
//      ephemeral keys sorted (lo, hi), transcript = sha256(LABEL || lo || hi) and
//      okm = HKDF-SHA256(ikm = shared, salt = transcript, info = LABEL, 96 bytes) (RFC 5869):
//      okm[0..32) encrypts lo→hi, okm[32..64) hi→lo, okm[64..96) is the challenge;
//   3. each side sends, in its first encrypted frame, AUTH = ed25519 public key (32) ||
//      signature over the challenge (64) || largest frame payload it accepts (u32 BE) ||
//      network id length (1) || network id.
// The challenge depends on the shared secret and on both ephemeral keys, so a signature
// cannot be relayed by a man in the middle (who would hold different ephemeral keys), and a
// peer that echoes our own ephemeral key back (reflection) is refused before any signature.
// Everything here is pure; connection.ts moves the bytes.
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  X25519_KEY_BYTES,
  concatBytes,
  constantTimeEqual,
  ed25519Sign,
  ed25519Verify,
  hkdfSha256,
  sha256,
  utf8Decode,
  utf8Encode,
  x25519SharedSecret,
} from '../crypto/index.js';
import { P2pError } from './errors.js';
import { nodeIdFromPublicKey } from './node-id.js';

/** Protocol magic and version: "SHRDP2P" + version 1. A change of wire format bumps it. */
export const HANDSHAKE_MAGIC = utf8Encode('SHRDP2P\x01');
export const HELLO_BYTES = HANDSHAKE_MAGIC.length + X25519_KEY_BYTES;
const LABEL = utf8Encode('shroud-p2p-v1 secret connection');
const NETWORK_ID_MAX_BYTES = 64;
/** Largest AUTH plaintext: bounds the only frame read before the peer is authenticated. */
export const AUTH_MAX_BYTES =
  ED25519_PUBLIC_KEY_BYTES + ED25519_SIGNATURE_BYTES + 4 + 1 + NETWORK_ID_MAX_BYTES;

/** Session secrets of one side after step 2. */
export interface SessionKeys {
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
  challenge: Uint8Array;
}

/** Encodes our HELLO. */
export function encodeHello(ephemeralPublicKey: Uint8Array): Uint8Array {
  return concatBytes(HANDSHAKE_MAGIC, ephemeralPublicKey);
}

/**
 * Checks the peer's HELLO and returns its ephemeral public key.
 * @throws {P2pError} HANDSHAKE_FAILED on a wrong magic (not a Shroud node, or another version).
 */
export function decodeHello(hello: Uint8Array): Uint8Array {
  if (hello.length !== HELLO_BYTES || !constantTimeEqual(hello.subarray(0, 8), HANDSHAKE_MAGIC)) {
    throw new P2pError('HANDSHAKE_FAILED', 'peer did not send the Shroud p2p v1 magic: not a Shroud node');
  }
  return hello.slice(HANDSHAKE_MAGIC.length);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/**
 * Step 2: the directional keys and the challenge.
 * @throws {P2pError} HANDSHAKE_FAILED if the peer reflected our ephemeral key or sent a
 *   low-order point (the shared secret would be known to everyone, RFC 7748 §6.1).
 */
export function deriveSessionKeys(
  ephemeralPrivateKey: Uint8Array,
  ephemeralPublicKey: Uint8Array,
  peerEphemeralPublicKey: Uint8Array,
): SessionKeys {
  const order = compareBytes(ephemeralPublicKey, peerEphemeralPublicKey);
  if (order === 0) throw new P2pError('HANDSHAKE_FAILED', 'peer reflected our ephemeral key');
  let shared: Uint8Array;
  try {
    shared = x25519SharedSecret(ephemeralPrivateKey, peerEphemeralPublicKey);
  } catch (cause) {
    throw new P2pError('HANDSHAKE_FAILED', 'peer sent an invalid ephemeral key', { cause });
  }
  const [lo, hi] =
    order < 0 ? [ephemeralPublicKey, peerEphemeralPublicKey] : [peerEphemeralPublicKey, ephemeralPublicKey];
  const transcript = sha256(concatBytes(LABEL, lo, hi));
  const okm = hkdfSha256(shared, transcript, LABEL, 96);
  shared.fill(0);
  const loToHi = okm.slice(0, 32);
  const hiToLo = okm.slice(32, 64);
  const challenge = okm.slice(64, 96);
  okm.fill(0);
  return order < 0
    ? { sendKey: loToHi, receiveKey: hiToLo, challenge }
    : { sendKey: hiToLo, receiveKey: loToHi, challenge };
}

/** Step 3: our AUTH message. */
export function encodeAuth(
  nodeSeed: Uint8Array,
  nodePublicKey: Uint8Array,
  challenge: Uint8Array,
  networkId: string,
  maxFramePayloadBytes: number,
): Uint8Array {
  const network = utf8Encode(networkId);
  const limits = new Uint8Array(5);
  new DataView(limits.buffer).setUint32(0, maxFramePayloadBytes);
  limits[4] = network.length;
  return concatBytes(nodePublicKey, ed25519Sign(challenge, nodeSeed), limits, network);
}

/** What a verified AUTH tells us. */
export interface PeerIdentity {
  publicKey: Uint8Array;
  id: string;
  networkId: string;
  /** Largest frame payload the peer accepts: we never send bigger ones. */
  maxFramePayloadBytes: number;
}

/**
 * Step 3, receiving: verifies the peer's AUTH against our challenge.
 * @throws {P2pError} HANDSHAKE_FAILED (malformed), AUTH_FAILED (signature does not verify).
 */
export function verifyAuth(auth: Uint8Array, challenge: Uint8Array): PeerIdentity {
  const signed = ED25519_PUBLIC_KEY_BYTES + ED25519_SIGNATURE_BYTES;
  const fixed = signed + 4;
  const networkLength = auth[fixed];
  if (networkLength === undefined || auth.length !== fixed + 1 + networkLength) {
    throw new P2pError('HANDSHAKE_FAILED', 'malformed authentication message from peer');
  }
  const publicKey = auth.slice(0, ED25519_PUBLIC_KEY_BYTES);
  const signature = auth.subarray(ED25519_PUBLIC_KEY_BYTES, signed);
  let valid: boolean;
  try {
    valid = ed25519Verify(challenge, signature, publicKey);
  } catch {
    valid = false; // a malformed key or signature encoding is the same failure to us
  }
  if (!valid)
    throw new P2pError('AUTH_FAILED', 'peer failed to prove its node key (bad handshake signature)');
  let networkId: string;
  try {
    networkId = utf8Decode(auth.subarray(fixed + 1));
  } catch (cause) {
    throw new P2pError('HANDSHAKE_FAILED', 'peer network id is not UTF-8', { cause });
  }
  const maxFramePayloadBytes = new DataView(auth.buffer, auth.byteOffset + signed, 4).getUint32(0);
  return { publicKey, id: nodeIdFromPublicKey(publicKey), networkId, maxFramePayloadBytes };
}
