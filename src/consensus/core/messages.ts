// Sign bytes of whole messages, and the shape checks every message passes at the boundary of
// apply() before anything else looks at it (decode → validate → use, STYLE.md rule 4).
import { ED25519_SIGNATURE_BYTES } from '../../crypto/index.js';
import { encodeSignBytes, ROUND_MAX, VALUE_ID_BYTES, voteStep } from './sign-bytes.js';
import type { SignedProposal, SignedVote } from './types.js';

export const VALUE_BYTES_MAX = 4 * 1024 * 1024;

export function proposalSignBytes(
  chainId: string,
  p: Pick<SignedProposal, 'height' | 'round' | 'polRound' | 'value'>,
): Uint8Array {
  return encodeSignBytes(chainId, 1, p.height, p.round, p.polRound, p.value.id);
}

export function voteSignBytes(
  chainId: string,
  v: Pick<SignedVote, 'type' | 'height' | 'round' | 'valueId'>,
): Uint8Array {
  return encodeSignBytes(chainId, voteStep(v.type), v.height, v.round, -1, v.valueId);
}

function isBytes(x: unknown, length?: number): x is Uint8Array {
  return x instanceof Uint8Array && (length === undefined || x.length === length);
}

function isHeightRound(height: unknown, round: unknown): boolean {
  return (
    typeof height === 'number' &&
    Number.isSafeInteger(height) &&
    height >= 1 &&
    typeof round === 'number' &&
    Number.isInteger(round) &&
    round >= 0 &&
    round <= ROUND_MAX
  );
}

/** A problem description when `p` is not a well-formed proposal, else null. */
export function checkProposalShape(p: SignedProposal): string | null {
  if (!isHeightRound(p.height, p.round)) return 'bad height or round';
  if (!Number.isInteger(p.polRound) || p.polRound < -1 || p.polRound >= p.round) return 'bad POL round';
  if (typeof p.value !== 'object' || p.value === null) return 'missing value';
  if (!isBytes(p.value.id, VALUE_ID_BYTES)) return 'value id must be 32 bytes';
  if (!isBytes(p.value.bytes) || p.value.bytes.length > VALUE_BYTES_MAX) return 'bad value bytes';
  if (typeof p.proposerAddress !== 'string' || !/^[0-9a-f]{40}$/.test(p.proposerAddress))
    return 'bad proposer address';
  if (!isBytes(p.signature, ED25519_SIGNATURE_BYTES)) return 'signature must be 64 bytes';
  return null;
}

/** A problem description when `v` is not a well-formed vote, else null. */
export function checkVoteShape(v: SignedVote): string | null {
  if (v.type !== 'prevote' && v.type !== 'precommit') return 'bad vote type';
  if (!isHeightRound(v.height, v.round)) return 'bad height or round';
  if (v.valueId !== null && !isBytes(v.valueId, VALUE_ID_BYTES)) return 'value id must be 32 bytes or nil';
  if (typeof v.validatorAddress !== 'string' || !/^[0-9a-f]{40}$/.test(v.validatorAddress))
    return 'bad validator address';
  if (!isBytes(v.signature, ED25519_SIGNATURE_BYTES)) return 'signature must be 64 bytes';
  return null;
}
