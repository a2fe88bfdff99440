// Canonical, domain-separated sign bytes of proposals and votes. A fixed binary layout (all
// integers big-endian) so every implementation signs exactly the same bytes:
//
//   offset  size  field
//   0       16    domain tag "shroud/cons/v1\0\0" (never a prefix of a tx or other signed payload)
//   16      1     type: 1 proposal, 2 prevote, 3 precommit
//   17      1     chain id length L (1..64), then L bytes of ASCII chain id
//   18+L    8     height (u64)
//   26+L    4     round (u32)
//   30+L    4     POL round (i32; -1 = none; always -1 for votes)
//   34+L    1     1 if a value id follows, 0 for nil
//   35+L    32    value id (32 zero bytes when nil)
//
// Total 67 + L bytes. The type byte binds a signature to its message kind, the chain id to one
// chain; a signature for one (type, h, r) can never be replayed as another.
import { ConsensusError } from '../errors.js';
import type { SignStep, VoteType } from './types.js';

export const SIGN_DOMAIN_TAG = new Uint8Array([...new TextEncoder().encode('shroud/cons/v1'), 0, 0]);
export const VALUE_ID_BYTES = 32;
export const CHAIN_ID_MAX_BYTES = 64;
export const ROUND_MAX = 0xffff_ffff;

const encoder = new TextEncoder();

/** Step number used both in sign bytes and in the double-sign guard (CometBFT's ordering). */
export function voteStep(type: VoteType): SignStep {
  return type === 'prevote' ? 2 : 3;
}

/**
 * Sign bytes for a message of `step` (1 proposal, 2 prevote, 3 precommit).
 * @throws {ConsensusError} INVALID_ARGUMENT if a field is out of range (a programming error).
 */
export function encodeSignBytes(
  chainId: string,
  step: SignStep,
  height: number,
  round: number,
  polRound: number,
  valueId: Uint8Array | null,
): Uint8Array {
  const chain = encoder.encode(chainId);
  if (chain.length === 0 || chain.length > CHAIN_ID_MAX_BYTES || !/^[\x21-\x7e]+$/.test(chainId)) {
    throw new ConsensusError(
      'INVALID_ARGUMENT',
      `chainId must be 1..${CHAIN_ID_MAX_BYTES} printable ASCII bytes`,
    );
  }
  if (!Number.isSafeInteger(height) || height < 1) {
    throw new ConsensusError('INVALID_ARGUMENT', `height must be a safe integer >= 1, got ${height}`);
  }
  if (!Number.isInteger(round) || round < 0 || round > ROUND_MAX) {
    throw new ConsensusError('INVALID_ARGUMENT', `round must be an integer in 0..${ROUND_MAX}, got ${round}`);
  }
  if (step === 1) {
    // A proposal's POL round is below its round (L28: vr < round), or -1.
    if (!Number.isInteger(polRound) || polRound < -1 || polRound >= round) {
      throw new ConsensusError('INVALID_ARGUMENT', `polRound ${polRound} out of range for round ${round}`);
    }
  } else if (polRound !== -1) {
    throw new ConsensusError('INVALID_ARGUMENT', 'votes carry polRound -1');
  }
  if (valueId !== null && valueId.length !== VALUE_ID_BYTES) {
    throw new ConsensusError('INVALID_ARGUMENT', `valueId must be ${VALUE_ID_BYTES} bytes`);
  }
  if (step === 1 && valueId === null) {
    throw new ConsensusError('INVALID_ARGUMENT', 'a proposal carries a value id');
  }
  const out = new Uint8Array(67 + chain.length);
  const view = new DataView(out.buffer);
  out.set(SIGN_DOMAIN_TAG, 0);
  out[16] = step;
  out[17] = chain.length;
  out.set(chain, 18);
  let offset = 18 + chain.length;
  view.setBigUint64(offset, BigInt(height));
  view.setUint32(offset + 8, round);
  view.setInt32(offset + 12, polRound);
  offset += 16;
  out[offset] = valueId === null ? 0 : 1;
  if (valueId !== null) out.set(valueId, offset + 1);
  return out;
}
