// Software-mode attestation (DESIGN.md §4). A platform attestation authority — playing the
// CPU vendor's attestation service — signs quotes with ed25519. Genesis names the trusted
// authority keys and the allowed enclave measurements; every validator checks a quote against
// them at the block time (never the wall clock: the check runs in consensus).
//
// Quote layout (201 bytes): version(1) = 0x01 || measurement(32) || registrationPublicKey(32,
// X25519) || platformId(32) || timestampSeconds(u64 BE) || authorityPublicKey(32) || signature(64),
// the signature over LABELS.quote || every preceding byte.

import {
  concatBytes,
  constantTimeEqual,
  ed25519KeyPairFromSeed,
  ed25519Sign,
  ed25519Verify,
} from '../../crypto/index.js';
import { EnclaveError } from '../errors.js';
import { LABELS } from './labels.js';

const QUOTE_VERSION = 0x01;
const SIGNED_BYTES = 1 + 32 + 32 + 32 + 8 + 32;
export const QUOTE_BYTES = SIGNED_BYTES + 64;

export interface Quote {
  /** Hash of the enclave code bundle. */
  measurement: Uint8Array;
  /** The enclave's X25519 registration key: the seed is encrypted to it. */
  registrationPublicKey: Uint8Array;
  platformId: Uint8Array;
  timestampSeconds: bigint;
  authorityPublicKey: Uint8Array;
  signature: Uint8Array;
}

export type QuoteBody = Omit<Quote, 'authorityPublicKey' | 'signature'>;

export interface AttestationPolicy {
  trustedAuthorities: readonly Uint8Array[];
  allowedMeasurements: readonly Uint8Array[];
  /** The block time, in seconds. */
  nowSeconds: bigint;
  /** A quote older than this is expired. */
  maxAgeSeconds: bigint;
  /** A quote dated further than this in the future is refused. */
  maxClockSkewSeconds: bigint;
}

function checkLength(name: string, value: Uint8Array, length: number): void {
  if (value.byteLength !== length) {
    throw new EnclaveError(
      'QUOTE_MALFORMED',
      `quote ${name} must be ${length} bytes, got ${value.byteLength}`,
    );
  }
}

function signedPart(body: QuoteBody, authorityPublicKey: Uint8Array): Uint8Array {
  checkLength('measurement', body.measurement, 32);
  checkLength('registrationPublicKey', body.registrationPublicKey, 32);
  checkLength('platformId', body.platformId, 32);
  checkLength('authorityPublicKey', authorityPublicKey, 32);
  if (body.timestampSeconds < 0n || body.timestampSeconds >= 1n << 64n) {
    throw new EnclaveError('QUOTE_MALFORMED', 'quote timestamp must fit in an unsigned 64-bit integer');
  }
  const timestamp = new Uint8Array(8);
  new DataView(timestamp.buffer).setBigUint64(0, body.timestampSeconds);
  return concatBytes(
    Uint8Array.of(QUOTE_VERSION),
    body.measurement,
    body.registrationPublicKey,
    body.platformId,
    timestamp,
    authorityPublicKey,
  );
}

/** The authority's side: signs a quote for an enclave. */
export function signQuote(body: QuoteBody, authoritySeed: Uint8Array): Quote {
  const authority = ed25519KeyPairFromSeed(authoritySeed);
  const signed = signedPart(body, authority.publicKey);
  return {
    ...body,
    authorityPublicKey: authority.publicKey,
    signature: ed25519Sign(concatBytes(LABELS.quote, signed), authority.seed),
  };
}

export function encodeQuote(quote: Quote): Uint8Array {
  checkLength('signature', quote.signature, 64);
  return concatBytes(signedPart(quote, quote.authorityPublicKey), quote.signature);
}

/** @throws EnclaveError QUOTE_MALFORMED. */
export function decodeQuote(bytes: Uint8Array): Quote {
  if (bytes.byteLength !== QUOTE_BYTES || bytes[0] !== QUOTE_VERSION) {
    throw new EnclaveError(
      'QUOTE_MALFORMED',
      `a quote is ${QUOTE_BYTES} bytes starting with version ${QUOTE_VERSION}`,
    );
  }
  const at = (offset: number, length: number) => bytes.slice(offset, offset + length);
  return {
    measurement: at(1, 32),
    registrationPublicKey: at(33, 32),
    platformId: at(65, 32),
    timestampSeconds: new DataView(bytes.buffer, bytes.byteOffset + 97, 8).getBigUint64(0),
    authorityPublicKey: at(105, 32),
    signature: at(137, 64),
  };
}

const includes = (list: readonly Uint8Array[], value: Uint8Array) =>
  list.some((item) => constantTimeEqual(item, value));

/**
 * Checks a quote against the genesis policy. A node whose quote fails gets nothing.
 * @throws EnclaveError QUOTE_UNTRUSTED_AUTHORITY, QUOTE_BAD_SIGNATURE, QUOTE_WRONG_MEASUREMENT,
 *   QUOTE_EXPIRED, QUOTE_FROM_FUTURE, QUOTE_MALFORMED.
 */
export function verifyQuote(quote: Quote, policy: AttestationPolicy): void {
  if (!includes(policy.trustedAuthorities, quote.authorityPublicKey)) {
    throw new EnclaveError(
      'QUOTE_UNTRUSTED_AUTHORITY',
      'the quote is signed by an authority this network does not trust',
    );
  }
  const signed = concatBytes(LABELS.quote, signedPart(quote, quote.authorityPublicKey));
  if (
    quote.signature.byteLength !== 64 ||
    !ed25519Verify(signed, quote.signature, quote.authorityPublicKey)
  ) {
    throw new EnclaveError(
      'QUOTE_BAD_SIGNATURE',
      'the quote signature does not verify: it was forged or altered',
    );
  }
  if (!includes(policy.allowedMeasurements, quote.measurement)) {
    throw new EnclaveError(
      'QUOTE_WRONG_MEASUREMENT',
      'the quote is for an enclave build this network does not allow (measurement not in genesis)',
    );
  }
  if (quote.timestampSeconds + policy.maxAgeSeconds < policy.nowSeconds) {
    throw new EnclaveError(
      'QUOTE_EXPIRED',
      'the quote is too old: ask the attestation authority for a fresh one',
    );
  }
  if (quote.timestampSeconds > policy.nowSeconds + policy.maxClockSkewSeconds) {
    throw new EnclaveError(
      'QUOTE_FROM_FUTURE',
      'the quote is dated in the future beyond the allowed clock skew',
    );
  }
}
