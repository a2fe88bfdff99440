// Validator sets and CometBFT's weighted round-robin proposer selection
// (cometbft types/validator_set.go, spec/consensus/proposer-selection.md): every step each
// validator's priority grows by its voting power, the highest priority proposes and pays the
// total power; before a run of steps priorities are rescaled into a window of 2×total power and
// centered on their (Euclidean, i.e. floored) average. Ties go to the smaller address. Integer
// arithmetic is int64 with clipping, reproduced with bigint so results match CometBFT exactly.
import { bytesToHex, sha256 } from '../../crypto/index.js';
import { ConsensusError } from '../errors.js';

export const INT64_MAX = (1n << 63n) - 1n;
export const INT64_MIN = -(1n << 63n);
/** CometBFT MaxTotalVotingPower: keeps priority arithmetic far from int64 overflow. */
export const TOTAL_VOTING_POWER_MAX = INT64_MAX / 8n;
/** CometBFT PriorityWindowSizeFactor. */
export const PRIORITY_WINDOW_SIZE_FACTOR = 2n;
export const VALIDATORS_MAX = 10_000;
export const ADDRESS_BYTES = 20;

export interface Validator {
  /** Lower-case hex of sha256(publicKey)[0..20] (CometBFT's ed25519 address rule). */
  readonly address: string;
  readonly publicKey: Uint8Array;
  readonly votingPower: bigint;
  readonly proposerPriority: bigint;
}

/** One entry of a validator-set change: power 0 removes the validator. */
export interface ValidatorUpdate {
  readonly publicKey: Uint8Array;
  readonly votingPower: bigint;
}

/** The address of an ed25519 consensus key. */
export function addressOfPublicKey(publicKey: Uint8Array): string {
  return bytesToHex(sha256(publicKey).subarray(0, ADDRESS_BYTES));
}

function clip(value: bigint): bigint {
  return value > INT64_MAX ? INT64_MAX : value < INT64_MIN ? INT64_MIN : value;
}

/** Euclidean division for a positive divisor (Go's big.Int.Div), used for the average. */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

/** CometBFT ValidatorsByVotingPower: power descending, then address ascending. */
function byPowerThenAddress(a: Validator, b: Validator): number {
  if (a.votingPower !== b.votingPower) return a.votingPower > b.votingPower ? -1 : 1;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

/** The validator with the highest priority; ties go to the smaller address (CompareProposerPriority). */
function mostPriority(validators: readonly Validator[]): Validator {
  let best = validators[0];
  if (best === undefined) throw new ConsensusError('INVALID_VALIDATOR_SET', 'empty validator set');
  for (const v of validators) {
    if (v.proposerPriority > best.proposerPriority) best = v;
    else if (v.proposerPriority === best.proposerPriority && v.address < best.address) best = v;
  }
  return best;
}

/** An immutable validator set with proposer priorities and the current proposer. */
export class ValidatorSet {
  readonly validators: readonly Validator[];
  readonly totalVotingPower: bigint;
  readonly proposerAddress: string;
  private readonly byAddress: ReadonlyMap<string, Validator>;
  private hashCache: Uint8Array | undefined;
  private readonly roundProposerCache = new Map<number, string>();

  /**
   * Builds a set from explicit priorities (e.g. decoded from a WAL or block store).
   * @throws {ConsensusError} INVALID_VALIDATOR_SET on an empty set, duplicates, bad power or proposer.
   */
  constructor(validators: readonly Validator[], proposerAddress: string) {
    if (validators.length === 0 || validators.length > VALIDATORS_MAX) {
      throw new ConsensusError(
        'INVALID_VALIDATOR_SET',
        `a validator set holds 1..${VALIDATORS_MAX} validators`,
      );
    }
    const map = new Map<string, Validator>();
    let total = 0n;
    for (const v of validators) {
      if (v.publicKey.length !== 32 || addressOfPublicKey(v.publicKey) !== v.address) {
        throw new ConsensusError(
          'INVALID_VALIDATOR_SET',
          `validator ${v.address}: address does not match its key`,
        );
      }
      if (v.votingPower <= 0n) {
        throw new ConsensusError('INVALID_VALIDATOR_SET', `validator ${v.address}: voting power must be > 0`);
      }
      if (map.has(v.address)) {
        throw new ConsensusError('INVALID_VALIDATOR_SET', `duplicate validator ${v.address}`);
      }
      map.set(v.address, v);
      total += v.votingPower;
    }
    if (total > TOTAL_VOTING_POWER_MAX) {
      throw new ConsensusError(
        'INVALID_VALIDATOR_SET',
        `total voting power exceeds ${TOTAL_VOTING_POWER_MAX}`,
      );
    }
    if (!map.has(proposerAddress)) {
      throw new ConsensusError('INVALID_VALIDATOR_SET', 'the proposer is not in the set');
    }
    this.validators = [...validators].sort(byPowerThenAddress);
    this.byAddress = map;
    this.totalVotingPower = total;
    this.proposerAddress = proposerAddress;
  }

  /**
   * The genesis set (CometBFT NewValidatorSet): priorities start equal, then one increment
   * elects the proposer of height 1, round 0.
   * @throws {ConsensusError} INVALID_VALIDATOR_SET on duplicates, zero power or an empty list.
   */
  static fromGenesis(entries: readonly ValidatorUpdate[]): ValidatorSet {
    const validators = entries.map((e) => ({
      address: addressOfPublicKey(e.publicKey),
      publicKey: e.publicKey.slice(),
      votingPower: e.votingPower,
      proposerPriority: 0n,
    }));
    const first = validators[0];
    if (first === undefined) throw new ConsensusError('INVALID_VALIDATOR_SET', 'genesis needs a validator');
    return new ValidatorSet(validators, first.address).withIncrementedPriority(1);
  }

  get size(): number {
    return this.validators.length;
  }

  getByAddress(address: string): Validator | undefined {
    return this.byAddress.get(address);
  }

  /** The proposer of round 0 at this set's height. */
  proposer(): Validator {
    const v = this.byAddress.get(this.proposerAddress);
    if (v === undefined) throw new Error('consensus invariant broken: proposer missing');
    return v;
  }

  /** The proposer of `round` at this height: CometBFT's CopyIncrementProposerPriority(round). */
  proposerForRound(round: number): Validator {
    if (round === 0) return this.proposer();
    let address = this.roundProposerCache.get(round);
    if (address === undefined) {
      address = this.withIncrementedPriority(round).proposerAddress;
      this.roundProposerCache.set(round, address);
    }
    return this.byAddress.get(address) as Validator;
  }

  /**
   * CometBFT IncrementProposerPriority(times): rescale, center, then `times` elections.
   * @throws {ConsensusError} INVALID_ARGUMENT when times < 1.
   */
  withIncrementedPriority(times: number): ValidatorSet {
    if (!Number.isInteger(times) || times < 1) {
      throw new ConsensusError('INVALID_ARGUMENT', `times must be an integer >= 1, got ${times}`);
    }
    const total = this.totalVotingPower;
    let priorities = rescaleAndCenter(this.validators, total);
    let proposer = '';
    for (let i = 0; i < times; i++) {
      priorities = priorities.map((v) => ({
        ...v,
        proposerPriority: clip(v.proposerPriority + v.votingPower),
      }));
      const most = mostPriority(priorities);
      proposer = most.address;
      priorities = priorities.map((v) =>
        v.address === most.address ? { ...v, proposerPriority: clip(v.proposerPriority - total) } : v,
      );
    }
    return new ValidatorSet(priorities, proposer);
  }

  /**
   * Applies a change set (CometBFT UpdateWithChangeSet): power 0 removes; an existing validator
   * keeps its priority; a new one starts at -(1.125 × total power after updates) so it cannot
   * propose right away; then priorities are rescaled and centered.
   * @throws {ConsensusError} INVALID_VALIDATOR_SET on duplicates, negative power, removing an
   *   unknown validator, or an empty result.
   */
  withChanges(changes: readonly ValidatorUpdate[]): ValidatorSet {
    const seen = new Set<string>();
    const next = new Map(this.byAddress);
    for (const change of changes) {
      const address = addressOfPublicKey(change.publicKey);
      if (seen.has(address))
        throw new ConsensusError('INVALID_VALIDATOR_SET', `duplicate change for ${address}`);
      seen.add(address);
      if (change.votingPower < 0n) throw new ConsensusError('INVALID_VALIDATOR_SET', 'negative voting power');
      if (change.votingPower === 0n && !next.has(address)) {
        throw new ConsensusError('INVALID_VALIDATOR_SET', `cannot remove unknown validator ${address}`);
      }
    }
    let totalAfterUpdates = 0n;
    for (const v of next.values()) totalAfterUpdates += v.votingPower;
    for (const change of changes) {
      const old = next.get(addressOfPublicKey(change.publicKey));
      if (change.votingPower > 0n) totalAfterUpdates += change.votingPower - (old?.votingPower ?? 0n);
    }
    for (const change of changes) {
      const address = addressOfPublicKey(change.publicKey);
      const old = next.get(address);
      if (change.votingPower === 0n) continue;
      next.set(address, {
        address,
        publicKey: change.publicKey.slice(),
        votingPower: change.votingPower,
        proposerPriority: old?.proposerPriority ?? -(totalAfterUpdates + (totalAfterUpdates >> 3n)),
      });
    }
    for (const change of changes) {
      if (change.votingPower === 0n) next.delete(addressOfPublicKey(change.publicKey));
    }
    if (next.size === 0)
      throw new ConsensusError('INVALID_VALIDATOR_SET', 'a change set cannot remove every validator');
    const list = [...next.values()];
    let total = 0n;
    for (const v of list) total += v.votingPower;
    const centered = rescaleAndCenter(list, total);
    const proposer = next.has(this.proposerAddress) ? this.proposerAddress : mostPriority(centered).address;
    return new ValidatorSet(centered, proposer);
  }

  /**
   * CometBFT's state update after committing a block: `nextValidators` (the set already fixed
   * for the following height) with the app's `updates` from this block applied, then one
   * priority increment. The result is the set two heights after the block that returned the
   * updates (changes apply at H+2).
   * @throws {ConsensusError} INVALID_VALIDATOR_SET if the updates are invalid.
   */
  static advance(nextValidators: ValidatorSet, updates: readonly ValidatorUpdate[]): ValidatorSet {
    const changed = updates.length > 0 ? nextValidators.withChanges(updates) : nextValidators;
    return changed.withIncrementedPriority(1);
  }

  /**
   * sha256 over: u32 count, then per validator (in set order) its 32-byte key and u64 power.
   * Priorities are excluded (CometBFT's rule: they change every height without a set change).
   */
  hash(): Uint8Array {
    if (this.hashCache === undefined) {
      const out = new Uint8Array(4 + this.validators.length * 40);
      const view = new DataView(out.buffer);
      view.setUint32(0, this.validators.length);
      this.validators.forEach((v, i) => {
        out.set(v.publicKey, 4 + i * 40);
        view.setBigUint64(4 + i * 40 + 32, v.votingPower);
      });
      this.hashCache = sha256(out);
    }
    return this.hashCache.slice();
  }
}

/** CometBFT RescalePriorities(2 × total) followed by shiftByAvgProposerPriority. */
function rescaleAndCenter(validators: readonly Validator[], total: bigint): Validator[] {
  const diffMax = PRIORITY_WINDOW_SIZE_FACTOR * total;
  let min = INT64_MAX;
  let max = INT64_MIN;
  for (const v of validators) {
    if (v.proposerPriority < min) min = v.proposerPriority;
    if (v.proposerPriority > max) max = v.proposerPriority;
  }
  const diff = max - min;
  let list = validators.map((v) => ({ ...v }));
  if (diffMax > 0n && diff > diffMax) {
    const ratio = (diff + diffMax - 1n) / diffMax;
    // bigint division truncates toward zero, like Go's int64 `/=`.
    list = list.map((v) => ({ ...v, proposerPriority: v.proposerPriority / ratio }));
  }
  let sum = 0n;
  for (const v of list) sum += v.proposerPriority;
  const average = floorDiv(sum, BigInt(list.length));
  return list.map((v) => ({ ...v, proposerPriority: clip(v.proposerPriority - average) }));
}
