// Fixtures for tests and the simulator: deterministic validator keys, values and signed
// messages. Not used by production code.
import { sha256, utf8Encode } from '../crypto/index.js';
import { proposalSignBytes, voteSignBytes } from './core/messages.js';
import { createEd25519Signer } from './core/signer.js';
import type { SignedProposal, SignedVote, Signer, Value, VoteType } from './core/types.js';
import { ValidatorSet } from './core/validator-set.js';

export type TestSigner = Signer & { readonly publicKey: Uint8Array };

/** Validator i's key comes from the seed [i+1, i+1, ...]: stable across runs. */
export function makeValidators(powers: readonly (number | bigint)[]): {
  signers: TestSigner[];
  set: ValidatorSet;
} {
  const signers = powers.map((_, i) => createEd25519Signer(new Uint8Array(32).fill(i + 1)));
  const set = ValidatorSet.fromGenesis(
    signers.map((s, i) => ({ publicKey: s.publicKey, votingPower: BigInt(powers[i] as number | bigint) })),
  );
  return { signers, set };
}

/** A value whose id is sha256 of its UTF-8 bytes (the core's default hashValue). */
export function makeValue(text: string): Value {
  const bytes = utf8Encode(text);
  return { id: sha256(bytes), bytes };
}

export function signVote(
  signer: Signer,
  chainId: string,
  type: VoteType,
  height: number,
  round: number,
  valueId: Uint8Array | null,
): SignedVote {
  const unsigned = { type, height, round, valueId };
  return {
    ...unsigned,
    validatorAddress: signer.address,
    signature: signer.sign(voteSignBytes(chainId, unsigned)),
  };
}

export function signProposal(
  signer: Signer,
  chainId: string,
  height: number,
  round: number,
  polRound: number,
  value: Value,
): SignedProposal {
  const unsigned = { height, round, polRound, value };
  return {
    ...unsigned,
    proposerAddress: signer.address,
    signature: signer.sign(proposalSignBytes(chainId, unsigned)),
  };
}
