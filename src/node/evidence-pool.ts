// Evidence of equivocation (duplicate votes) waiting to be put in a block (issue #6 gap 3).
// Which evidence is already on chain comes from the block store's evidence index, so it survives
// a restart (an in-memory set did not: a restarted node could propose evidence already
// committed). Evidence older than `maxAgeHeights` is neither pooled, proposed nor accepted in a
// proposal (CometBFT's evidence params MaxAgeNumBlocks, default 100000; we have no time bound
// because header times are the proposer's clock within maxClockDriftMs).
import type { DuplicateVoteEvidence } from './block.js';

/** Key of a duplicate vote: who equivocated, where. One per (validator, height, round, type). */
export function evidenceKey(ev: DuplicateVoteEvidence): string {
  return `${ev.first.validatorAddress}/${ev.first.height}/${ev.first.round}/${ev.first.type}`;
}

export const DEFAULT_EVIDENCE_MAX_AGE_HEIGHTS = 100_000;
export const EVIDENCE_POOL_MAX = 100;
export const EVIDENCE_PER_BLOCK_MAX = 10;

export interface EvidencePoolOptions {
  /** Height of the block the evidence was committed in, or undefined (the block store index). */
  committedAt: (key: string) => bigint | undefined;
  maxAgeHeights?: number;
  poolMax?: number;
}

export type AddEvidenceResult = 'added' | 'known' | 'committed' | 'expired' | 'full';

/** Pending evidence, bounded; "committed" and "expired" are decided against the chain, not memory. */
export class EvidencePool {
  private readonly pending = new Map<string, DuplicateVoteEvidence>();
  readonly maxAgeHeights: number;
  private readonly poolMax: number;

  constructor(private readonly o: EvidencePoolOptions) {
    this.maxAgeHeights = o.maxAgeHeights ?? DEFAULT_EVIDENCE_MAX_AGE_HEIGHTS;
    this.poolMax = o.poolMax ?? EVIDENCE_POOL_MAX;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Pools verified evidence seen while working on `height`. */
  add(ev: DuplicateVoteEvidence, height: number): AddEvidenceResult {
    const key = evidenceKey(ev);
    if (this.pending.has(key)) return 'known';
    const problem = this.problem(ev, height);
    if (problem !== null) return problem;
    if (this.pending.size >= this.poolMax) return 'full';
    this.pending.set(key, ev);
    return 'added';
  }

  /**
   * Why evidence cannot go in a block of `height` (already committed, or older than the max
   * age), or null. Deterministic: the same for every node that has the blocks below `height`.
   */
  problem(ev: DuplicateVoteEvidence, height: number): 'committed' | 'expired' | null {
    if (ev.first.height >= height) return null; // evidence of the current height waits (below)
    if (height - ev.first.height > this.maxAgeHeights) return 'expired';
    if (this.o.committedAt(evidenceKey(ev)) !== undefined) return 'committed';
    return null;
  }

  /** Evidence for a block of `height`: of earlier heights, not committed, not expired (those are dropped). */
  forProposal(height: number, max = EVIDENCE_PER_BLOCK_MAX): DuplicateVoteEvidence[] {
    const chosen: DuplicateVoteEvidence[] = [];
    for (const [key, ev] of this.pending) {
      if (this.problem(ev, height) !== null) {
        this.pending.delete(key);
        continue;
      }
      if (ev.first.height < height && chosen.length < max) chosen.push(ev);
    }
    return chosen;
  }

  /** The evidence was committed in a block: no longer pending. */
  remove(evidence: readonly DuplicateVoteEvidence[]): void {
    for (const ev of evidence) this.pending.delete(evidenceKey(ev));
  }
}
