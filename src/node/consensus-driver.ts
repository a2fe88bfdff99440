// The host of the consensus core (docs/adr/004-consensus-core.md "the host's contract"): feeds
// it inputs (peer messages, timers, the app's answers), WAL-appends each input before applying
// it, makes each PersistSignedState durable before the next effect, and executes the effects
// against real parts: the p2p consensus channel, timers, the app (prepare/process/finalize/
// commit), the block store, the mempool. It is the simulator's wiring (test/sim/simulator.ts)
// with real I/O; the gossip rules (own messages, relay of current/locked/valid rounds, commits
// pushed to lagging peers) are the ones the simulator proved sufficient for liveness.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { bytesToHex, ed25519Verify, hexToBytes, sha256 } from '../crypto/index.js';
import {
  decodeWalEntry,
  encodeWalEntry,
  replayWal,
  ValidatorSet,
  voteSignBytes,
  type ConsensusCore,
  type ConsensusState,
  type Effect,
  type Input,
  type SignedProposal,
  type SignedStateRecord,
  type SignedVote,
  type SignStep,
  type Value,
  type Wal,
} from '../consensus/index.js';
import type { Mempool } from '../mempool/index.js';
import type { P2pNode } from '../p2p/index.js';
import type { Misbehavior, ShroudApp } from '../app/index.js';
import type { Store } from '../store/index.js';
import {
  commitHash,
  decodeConsensusBlock,
  DEFAULT_MAX_CLOCK_DRIFT_MS,
  proposalTimeProblem,
  proposedBlockProblem,
  sameBytes,
  decodeEvidence,
  encodeEvidence,
  encodeConsensusBlock,
  evidenceHash,
  txsDataHash,
  type Commit,
  type ConsensusBlock,
  type DuplicateVoteEvidence,
} from './block.js';
import { resultsHash, type BlockStore, type StoredBlock } from './blockstore.js';
import { BlockSyncWindow, type CommitInput } from './block-sync.js';
import { EvidencePool, evidenceKey } from './evidence-pool.js';
import { PeerGossip } from './peer-gossip.js';
import type { BlockFeed } from './node.js';

/** p2p channel ids (CometBFT's numbering: consensus 0x20, mempool 0x30, evidence 0x38, block sync 0x40). */
export const CHANNELS = { consensus: 0x20, mempool: 0x30, evidence: 0x38, blockSync: 0x40 } as const;

/** Block-sync message tags (first byte): status = u64 height; commit = a CommitReceived WAL
 * entry; request = u64 first height, u16 count (answered with commits, in order); decided = u64
 * height, a status saying that height's block is decided and being executed (ADR 011 §8: no
 * catch-up for it; a node that does not know the tag ignores it and keeps our last status). */
const SYNC_STATUS = 1;
const SYNC_COMMIT = 2;
const SYNC_REQUEST = 3;
const SYNC_DECIDED = 4;
/** Heights one request may ask for, and bytes of blocks sent in answer to one request. */
const SYNC_REQUEST_HEIGHTS_MAX = 64;
const SYNC_ANSWER_BYTES_MAX = 16 * 1024 * 1024;
/** Period of status announcements and of the re-gossip of the current height's messages. */
const GOSSIP_INTERVAL_MS = 1000;
/** A lagging peer is sent the same decided block at most this often. */
const CATCHUP_RESEND_MS = 500;
/** Messages of the next height kept until we get there (STYLE.md §6: bounded). */
const FUTURE_MESSAGES_MAX = 1000;
/** Bytes of txs per proposal: the block's base64 encoding must stay under the core's 4 MiB value limit. */
const PROPOSAL_TX_BYTES_MAX = 2 * 1024 * 1024;

/** What the driver needs; everything with I/O is injected so tests can wire it differently. */
export interface ConsensusDriverOptions {
  chainId: string;
  core: ConsensusCore;
  wal: Wal;
  /** The double-sign guard's record (written atomically and fsync'ed). */
  signedStatePath: string;
  genesisValidators: ValidatorSet;
  /** Consensus address (20 bytes) of this node's validator key. */
  validatorAddress: Uint8Array;
  /** Wait after a commit before the next height (the target block time). */
  timeoutCommitMs: number;
  /** Most transactions a proposal carries (config.json consensus.maxBlockTxs). */
  maxBlockTxs: number;
  /**
   * Skip timeout_commit when a full block already waits in the mempool (default true, ADR
   * 012); false keeps the target block time under any load.
   */
  startEarlyWhenFull?: boolean;
  app: ShroudApp;
  store: Store;
  blocks: BlockStore;
  mempool: Mempool;
  p2p: P2pNode;
  feed: BlockFeed;
  log: Logger;
  /** Wall clock in ns (block times only; injected for tests). */
  clockNanos?: () => bigint;
  /** A proposal whose header time is further ahead of our clock gets a nil prevote (default 5000). */
  maxClockDriftMs?: number;
  /** Evidence older than this many heights is dropped (default 100000, CometBFT's MaxAgeNumBlocks). */
  evidenceMaxAgeHeights?: number;
  /** Called once if a decided block cannot be executed (the node must stop: it cannot advance). */
  onFatal?: (error: unknown) => void;
}

type ConsensusMessage =
  | { readonly kind: 'ProposalReceived'; readonly proposal: SignedProposal }
  | { readonly kind: 'VoteReceived'; readonly vote: SignedVote };

function messageHeight(m: ConsensusMessage): number {
  return m.kind === 'ProposalReceived' ? m.proposal.height : m.vote.height;
}

/** Identity for dedupe: the signature (checked to be bytes by `admissible` first). */
function messageKey(m: ConsensusMessage): string {
  return bytesToHex(m.kind === 'ProposalReceived' ? m.proposal.signature : m.vote.signature);
}

/** Loads the double-sign guard's record (null on a fresh home). @throws Error if unreadable. */
export function loadSignedState(path: string): SignedStateRecord | null {
  if (!existsSync(path)) return null;
  const json = JSON.parse(readFileSync(path, 'utf8')) as {
    height: number;
    round: number;
    step: SignStep;
    sign_bytes: string;
    signature: string;
  };
  return {
    height: json.height,
    round: json.round,
    step: json.step,
    signBytes: hexToBytes(json.sign_bytes),
    signature: hexToBytes(json.signature),
  };
}

/** Writes the record atomically and durably (tmp file, fsync, rename, fsync of the directory). */
export function saveSignedState(path: string, record: SignedStateRecord): void {
  const tmp = `${path}.tmp`;
  writeFileSync(
    tmp,
    JSON.stringify({
      height: record.height,
      round: record.round,
      step: record.step,
      sign_bytes: bytesToHex(record.signBytes),
      signature: bytesToHex(record.signature),
    }),
    { mode: 0o600 },
  );
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * Runs the consensus core for one node. `start()` replays the WAL and joins the network;
 * `stop()` cancels timers and waits for a block being executed.
 */
export class ConsensusDriver {
  private state: ConsensusState;
  private readonly timers = new Set<NodeJS.Timeout>();
  private gossipTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The app is called by one task at a time (proposals, validation, execution). */
  private appQueue: Promise<unknown> = Promise.resolve();
  private executing: Promise<void> = Promise.resolve();
  private readonly sets = new Map<number, ValidatorSet>();
  private readonly nextSets = new Map<number, ValidatorSet>();
  /** Messages of the next height, with the bytes they came in (written to the WAL as they are). */
  private readonly future: { message: ConsensusMessage; bytes: Uint8Array }[] = [];
  private seen = new Set<string>();
  private seenHeight = 0;
  /** Own signed messages of the current height (re-gossiped). */
  private own: ConsensusMessage[] = [];
  private readonly peerHeights = new Map<string, number>();
  private readonly catchupSentAt = new Map<string, number>();
  /** Which consensus messages each peer has, and which peers are executing a decided block. */
  private readonly peerGossip = new PeerGossip();
  /** Block sync: heights requested from peers, blocks held for later heights. */
  private readonly sync = new BlockSyncWindow();
  /** Pending evidence; "already on chain" is the block store's evidence index (survives restarts). */
  private readonly evidencePool: EvidencePool;
  private readonly clock: () => bigint;
  /** Decided heights whose StartHeight(h + 1) is already scheduled. */
  private readonly advancing = new Set<number>();
  /** validatorSet(h) is cached for every h <= this. */
  private setsKnownTo = 1;

  constructor(private readonly o: ConsensusDriverOptions) {
    this.state = o.core.initialState(null);
    this.clock = o.clockNanos ?? (() => BigInt(Date.now()) * 1_000_000n);
    this.evidencePool = new EvidencePool({
      committedAt: (key) => o.blocks.evidenceHeight(key),
      ...(o.evidenceMaxAgeHeights === undefined ? {} : { maxAgeHeights: o.evidenceMaxAgeHeights }),
    });
    this.sets.set(1, o.genesisValidators);
    this.nextSets.set(1, o.genesisValidators.withIncrementedPriority(1));
  }

  /** The height the core works on (0 before start). */
  get height(): number {
    return this.state.height;
  }

  get round(): number {
    return this.state.round;
  }

  /**
   * Replays the WAL (resuming the height and round it recorded), catches the core up with the
   * block store, registers the p2p handlers and starts gossiping.
   * @throws {ConsensusError} WAL_CORRUPTED / WAL_IO.
   */
  start(): void {
    const p2p = this.o.p2p;
    p2p.on(CHANNELS.consensus, (peer, bytes) => this.onConsensusBytes(peer, bytes));
    p2p.on(CHANNELS.blockSync, (peer, bytes) => this.onSyncBytes(peer, bytes));
    p2p.on(CHANNELS.evidence, (peer, bytes) => this.onEvidenceBytes(peer, bytes));
    p2p.onPeerConnected((peer) => this.sendStatus(peer.id));
    p2p.onPeerDisconnected((peerId) => {
      this.peerHeights.delete(peerId);
      this.peerGossip.removePeer(peerId);
      this.sync.removePeer(peerId);
    });

    const record = loadSignedState(this.o.signedStatePath);
    const entries = this.o.wal.replay();
    const replayed = replayWal(this.o.core, record, entries);
    this.state = replayed.state;
    this.o.log.info(
      { entries: entries.length, height: this.state.height, round: this.state.round, step: this.state.step },
      'consensus WAL replayed',
    );
    this.execute(replayed.effects);
    // The block store may be ahead of the WAL's height (a decided block whose StartHeight was
    // not logged yet): resume after the last stored block, as CometBFT's handshake does.
    const next = Number(this.o.blocks.height()) + 1;
    if (this.state.height < next) this.startHeight(next);
    this.gossipTimer = setInterval(() => this.gossip(), GOSSIP_INTERVAL_MS);
  }

  /** Stops timers and waits for a block being executed (the app and stores stay open). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.gossipTimer !== undefined) clearInterval(this.gossipTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.executing;
    await this.appQueue.catch(() => undefined);
  }

  /**
   * The validator set of `height` (CometBFT's schedule: updates returned by block h apply at
   * h + 2), or undefined above what the stored blocks determine.
   */
  validatorSet(height: number): ValidatorSet | undefined {
    if (height < 1) return undefined;
    for (let h = Math.max(2, this.setsKnownTo + 1); h <= height; h++) {
      // next(h - 1) = advance(next(h - 2), updates of block h - 2); set(h) = next(h - 1).
      if (!this.nextSets.has(h - 1)) {
        const base = this.nextSets.get(h - 2);
        const updates = this.updatesOf(h - 2);
        if (base === undefined || updates === undefined) return undefined;
        this.nextSets.set(h - 1, ValidatorSet.advance(base, updates));
      }
      this.sets.set(h, this.nextSets.get(h - 1)!);
      this.setsKnownTo = h;
    }
    return this.sets.get(height);
  }

  private updatesOf(height: number): { publicKey: Uint8Array; votingPower: bigint }[] | undefined {
    if (height === 0) return [];
    const block = this.o.blocks.load(BigInt(height));
    if (block === undefined) return undefined;
    return (block.consensus?.validatorUpdates ?? []).map((u) => ({
      publicKey: u.pubKey,
      votingPower: u.power,
    }));
  }

  // ---- the core ------------------------------------------------------------------------------

  /**
   * WAL-appends `input`, applies it, executes the effects. Only our own signed messages
   * (PersistSignedState) and WAL rotations are fsync'ed; inputs are written without their own sync (CometBFT: `Write` for peers' messages, `WriteSync` for ours). Losing
   * such a tail in an OS crash cannot make us contradict what we released: every message we
   * sign is preceded by a synced append, which makes all earlier entries durable too, and a
   * decided block is durable in the block store before anything depends on it (a process crash
   * loses nothing: the writes are in the page cache). Measured: 2.1-3.5 ms → 0.04-0.07 ms per
   * peer vote appended (bench/RESULTS.md "consensus").
   */
  private input(input: Input, encoded?: Uint8Array): void {
    if (this.stopped) return;
    // write-ahead (see above); a peer's message as its bytes came (they decode to `input`)
    this.o.wal.append(
      { kind: 'input', input },
      encoded === undefined ? { sync: false } : { sync: false, encoded },
    );
    const before = this.state;
    const result = this.o.core.apply(this.state, input);
    this.state = result.state;
    if (before.round !== this.state.round || before.height !== this.state.height) {
      this.o.log.debug({ height: this.state.height, round: this.state.round, on: input.kind }, 'new round');
    }
    this.execute(result.effects);
  }

  private startHeight(height: number): void {
    if (this.stopped || this.state.height >= height) return;
    const set = this.validatorSet(height);
    if (set === undefined) {
      this.o.log.error({ height }, 'no validator set for the next height: the block store is behind');
      return;
    }
    this.own = []; // before the input: its effects may already hold our first message
    this.peerGossip.forgetBelow(height);
    this.input({ kind: 'StartHeight', height, validatorSet: set });
    this.broadcastStatus();
    const buffered = this.future.splice(0);
    for (const { message, bytes } of buffered) this.deliver(message, bytes);
    const synced = this.sync.take(height);
    if (synced !== undefined) this.feedCommit(synced.peer, synced.input);
    this.requestBlocks();
  }

  private execute(effects: readonly Effect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case 'PersistSignedState':
          // Durable before the broadcast that follows it in the same list (ADR 004 §4).
          saveSignedState(this.o.signedStatePath, e.record);
          this.o.wal.append({ kind: 'signed', message: e.message });
          break;
        case 'BroadcastProposal':
          this.broadcastOwn({ kind: 'ProposalReceived', proposal: e.proposal });
          break;
        case 'BroadcastVote':
          this.broadcastOwn({ kind: 'VoteReceived', vote: e.vote });
          break;
        case 'ScheduleTimeout':
          this.after(e.durationMs, () => {
            // A timeout of a round we left is ignored by the core (L57-67 need round_p = r):
            // skip it here so it costs no WAL write.
            if (e.height !== this.state.height || e.round !== this.state.round) return;
            this.input({ kind: 'TimeoutElapsed', step: e.step, height: e.height, round: e.round });
          });
          break;
        case 'GetValue':
          this.whenApp(
            () => this.proposeValue(e.height),
            (value) => {
              if (value !== null) this.input({ kind: 'ValueReady', height: e.height, round: e.round, value });
            },
          );
          break;
        case 'ValidateValue':
          this.whenApp(
            () => this.validateValue(e.height, e.value),
            (valid) => this.input({ kind: 'ValueValidated', height: e.height, valueId: e.value.id, valid }),
          );
          break;
        case 'Decide':
          this.decide(e);
          // Peers at the next height stop pushing this block to us (ADR 011 §8).
          this.broadcastStatus();
          break;
        case 'Evidence':
          if (e.evidence.kind === 'DuplicateVote') this.addEvidence(e.evidence, true);
          else this.o.log.warn({ proposer: e.evidence.first.proposerAddress }, 'duplicate proposal seen');
          break;
        case 'Dropped':
          this.o.log.debug({ reason: e.reason, detail: e.detail }, 'consensus message dropped');
          break;
      }
    }
  }

  private after(ms: number, action: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  /** Runs an app task in the app's queue, then hands its result to the core (unless stopped). */
  private whenApp<T>(task: () => Promise<T>, then: (result: T) => void): void {
    const run = this.appQueue.then(task);
    this.appQueue = run.catch(() => undefined);
    run.then(
      (result) => {
        if (!this.stopped) then(result);
      },
      (error: unknown) => this.o.log.error({ err: error }, 'consensus app task failed'),
    );
  }

  // ---- values: propose, validate, decide -----------------------------------------------------

  /** GetValue: a block from the mempool on top of our last committed block (L18). */
  private async proposeValue(height: number): Promise<Value | null> {
    if (height !== this.state.height) return null;
    const previous = height > 1 ? this.o.blocks.load(BigInt(height - 1)) : undefined;
    const set = this.validatorSet(height);
    if ((height > 1 && previous?.consensus === undefined) || set === undefined) {
      this.o.log.error({ height }, 'cannot propose: the previous block or the validator set is missing');
      return null;
    }
    const params = this.o.app.genesis.params;
    const maxBytes = Math.min(Number(params.maxBlockBytes), PROPOSAL_TX_BYTES_MAX);
    const candidates = this.o.mempool.reap({
      maxBytes,
      maxGas: params.blockGasLimit,
      maxTxs: this.o.maxBlockTxs,
    });
    let time = this.clock();
    if (previous !== undefined && time <= previous.header.timeNanos)
      time = previous.header.timeNanos + 1_000_000n; // block times strictly increase
    const proposerAddress = this.o.validatorAddress;
    const { txs } = await this.o.app.prepareProposal({
      maxTxBytes: BigInt(maxBytes),
      txs: candidates,
      height: BigInt(height),
      timeNanos: time,
      proposerAddress,
    });
    const evidence = this.evidencePool.forProposal(height);
    const lastCommit = previous?.consensus?.commit ?? null;
    const block: ConsensusBlock = {
      header: {
        chainId: this.o.chainId,
        height: BigInt(height),
        timeNanos: time,
        proposerAddress,
        lastBlockHash: previous?.hash ?? new Uint8Array(0),
        appHash: this.o.store.info().appHash,
        lastResultsHash: previous === undefined ? new Uint8Array(0) : resultsHash(previous.results),
        validatorsHash: set.hash(),
        dataHash: txsDataHash(txs.map((tx) => sha256(tx))),
        lastCommitHash: commitHash(lastCommit),
        evidenceHash: evidenceHash(evidence),
      },
      txs,
      lastCommit,
      evidence,
    };
    const bytes = encodeConsensusBlock(block);
    return { id: sha256(bytes), bytes };
  }

  /**
   * ValidateValue: the header must match OUR state (previous block id, app hash and results
   * hash after the previous block — a validator whose own execution differs votes nil, DESIGN.md
   * §6), the last commit must be +2/3 of the previous height's set, the evidence must verify,
   * and the app's processProposal must accept the txs.
   */
  private async validateValue(height: number, value: Value): Promise<boolean> {
    // A validation replayed from the WAL for a height already executed: the answer no longer matters.
    if (this.o.blocks.height() >= BigInt(height)) return false;
    const problem = this.blockProblem(height, value);
    if (problem !== null) {
      this.o.log.warn({ height, problem }, 'proposed block refused');
      return false;
    }
    const block = decodeConsensusBlock(value.bytes)!;
    // Timeliness (ADR 011): only for a proposal. A value +2/3 already committed (block sync) is
    // final, and the core asks again for one it saw refused as a proposal.
    const pending = this.state.pendingCommit;
    if (pending === null || !sameBytes(pending.value.id, value.id)) {
      const late = proposalTimeProblem(
        block.header.timeNanos,
        null, // the previous block's time is checked by blockProblem
        this.clock(),
        this.o.maxClockDriftMs ?? DEFAULT_MAX_CLOCK_DRIFT_MS,
      );
      if (late !== null) {
        this.o.log.warn({ height, problem: late }, 'proposed block refused');
        return false;
      }
    }
    const answer = await this.o.app.processProposal({
      txs: block.txs,
      hash: value.id,
      height: block.header.height,
      timeNanos: block.header.timeNanos,
      proposerAddress: block.header.proposerAddress,
    });
    if (answer.status !== 'accept') this.o.log.warn({ height }, 'proposed block refused by the app');
    return answer.status === 'accept';
  }

  /** What is wrong with a proposed block at `height`, or null (block.ts proposedBlockProblem). */
  private blockProblem(height: number, value: Value): string | null {
    if (this.o.blocks.height() !== BigInt(height - 1)) return 'our previous block is not committed yet';
    const previous = height > 1 ? this.o.blocks.load(BigInt(height - 1)) : undefined;
    const set = this.validatorSet(height);
    const previousSet = height > 1 ? this.validatorSet(height - 1) : undefined;
    if (set === undefined || (height > 1 && (previous === undefined || previousSet === undefined)))
      return 'no previous block or validator set for this height';
    return proposedBlockProblem(value.bytes, {
      chainId: this.o.chainId,
      height,
      appHash: this.o.store.info().appHash,
      previous:
        previous === undefined || previousSet === undefined
          ? null
          : {
              hash: previous.hash,
              timeNanos: previous.header.timeNanos,
              resultsHash: resultsHash(previous.results),
              validators: previousSet,
            },
      validators: set,
      verify: ed25519Verify,
      evidenceProblem: (ev) =>
        ev.first.height >= height
          ? 'evidence of this height or later'
          : (this.evidencePool.problem(ev, height) ?? this.evidenceProblem(ev)),
    });
  }

  /** Decide: execute the block, store it with its commit, commit the app, update the mempool. */
  private decide(e: Extract<Effect, { kind: 'Decide' }>): void {
    if (this.advancing.has(e.height)) return; // replay repeats Decide: execute once
    this.advancing.add(e.height);
    // As CometBFT: timeout_commit counts from the commit (+2/3 precommits seen), so executing
    // the block overlaps the wait; only what is left of it runs after execution (measured
    // session 3: counting from the end of execution made a 1 s block time 2.2 s at 500 txs).
    const decidedAtMs = Number(this.clock() / 1_000_000n);
    const run = this.appQueue.then(() => this.executeBlock(e));
    this.appQueue = run.catch(() => undefined);
    this.executing = run.then(
      () => {
        const catchingUp = [...this.peerHeights.values()].some((h) => h > e.height + 1);
        const elapsedMs = Number(this.clock() / 1_000_000n) - decidedAtMs;
        // A full block already waiting (ADR 012): the wait would only delay txs that cannot
        // all fit in the next block anyway, so the next height starts as soon as this one is
        // executed. Below a full block the target block time holds (txs gather into blocks).
        const waitMs =
          catchingUp || this.fullBlockWaiting()
            ? 0
            : Math.min(this.o.timeoutCommitMs, Math.max(0, this.o.timeoutCommitMs - elapsedMs));
        this.after(waitMs, () => this.startHeight(e.height + 1));
      },
      (error: unknown) => {
        // The app could not execute a decided block: a node fault (enclave, disk). Stop
        // advancing rather than diverge; an operator must look (node.log).
        this.o.log.fatal(
          { err: error, height: e.height },
          'executing a decided block failed; consensus halted',
        );
        this.o.onFatal?.(error);
      },
    );
  }

  /**
   * True when the mempool holds at least a full proposal (consensus.maxBlockTxs txs, or the
   * proposal's tx bytes): timeout_commit is then skipped (ADR 012). Liveness only: each node
   * decides from its own mempool; one that starts early waits in the propose step
   * (timeoutProposeMs) for a proposer that did not.
   */
  private fullBlockWaiting(): boolean {
    if (this.o.startEarlyWhenFull === false) return false;
    const maxBytes = Math.min(Number(this.o.app.genesis.params.maxBlockBytes), PROPOSAL_TX_BYTES_MAX);
    return this.o.mempool.size >= this.o.maxBlockTxs || this.o.mempool.bytes >= maxBytes;
  }

  private async executeBlock(e: Extract<Effect, { kind: 'Decide' }>): Promise<void> {
    const height = BigInt(e.height);
    if (this.o.blocks.height() >= height) return; // executed before a restart
    const block = decodeConsensusBlock(e.value.bytes);
    if (block === null) throw new Error(`decided block ${e.height} does not decode`);
    const h = block.header;
    const misbehavior: Misbehavior[] = block.evidence.map((ev) => ({
      type: 'duplicate_vote',
      validatorAddress: hexToBytes(ev.first.validatorAddress),
      height: BigInt(ev.first.height),
    }));
    const response = await this.o.app.finalizeBlock({
      txs: block.txs,
      hash: e.value.id,
      height,
      timeNanos: h.timeNanos,
      proposerAddress: h.proposerAddress,
      misbehavior,
    });
    const commit: Commit = { height: e.height, round: e.round, votes: [...e.commit] };
    const own = bytesToHex(this.o.validatorAddress);
    const signature = (e.commit.find((v) => v.validatorAddress === own) ?? e.commit[0])?.signature;
    const txHashes = block.txs.map((tx) => sha256(tx));
    const record: Omit<StoredBlock, 'sizeBytes'> = {
      header: {
        chainId: h.chainId,
        height,
        timeNanos: h.timeNanos,
        proposerAddress: h.proposerAddress,
        lastBlockHash: h.lastBlockHash,
        appHash: response.appHash,
        resultsHash: resultsHash(response.txResults),
        dataHash: h.dataHash,
        txHashes,
      },
      hash: e.value.id,
      txs: block.txs,
      results: response.txResults,
      finalizeEvents: response.events,
      commitSignature: signature ?? new Uint8Array(64),
      commitTimeNanos: h.timeNanos,
      consensus: { block: e.value.bytes, commit, validatorUpdates: response.validatorUpdates },
    };
    // Saved before the app commits: a crash in between is repaired at start (the record is
    // dropped and the WAL decides the height again).
    await this.o.blocks.save(record);
    await this.o.app.commit();
    this.evidencePool.remove(block.evidence); // and the block store indexed it (blocks.save)
    this.o.log.info(
      { height: e.height, round: e.round, txs: block.txs.length, hash: bytesToHex(e.value.id).slice(0, 16) },
      'committed block',
    );
    const stored = this.o.blocks.load(height);
    if (stored !== undefined) this.o.feed.emit(stored);
    await this.o.mempool.update(e.height, block.txs);
  }

  // ---- gossip ---------------------------------------------------------------------------------

  private broadcastOwn(message: ConsensusMessage): void {
    const height = messageHeight(message);
    if (height === this.state.height) this.own.push(message);
    this.sendToPeers(
      message,
      this.o.p2p.peers().map((p) => p.id),
    );
  }

  /**
   * Sends `message` to each of `peers` the gossip state does not know to have it, and records
   * the peers that announced the message's height as having it (ADR 011 §8). Encodes once, and
   * only if some peer needs it.
   */
  private sendToPeers(message: ConsensusMessage, peers: readonly string[]): void {
    const height = messageHeight(message);
    const key = messageKey(message);
    let bytes: Uint8Array | undefined;
    for (const peer of peers) {
      if (this.peerGossip.peerHas(peer, height, key)) continue;
      bytes ??= encodeMessage(message);
      if (this.o.p2p.send(peer, CHANNELS.consensus, bytes) && this.peerHeights.get(peer) === height)
        this.peerGossip.markHas(peer, height, key);
    }
  }

  private onConsensusBytes(peer: string, bytes: Uint8Array): void {
    const message = decodeMessage(bytes);
    if (message === null) {
      this.o.log.debug({ peer }, 'malformed consensus message');
      return;
    }
    const height = messageHeight(message);
    if (height < this.state.height) return this.sendCatchup(peer, height);
    // The sender has it: the relay will not send it back. Only for the heights the relay works
    // on (a peer's far-future heights would grow the record) and a signature of bytes (the key).
    const signature =
      message.kind === 'ProposalReceived' ? message.proposal.signature : message.vote.signature;
    if (height <= this.state.height + 1 && signature instanceof Uint8Array && signature.length === 64)
      this.peerGossip.markHas(peer, height, messageKey(message));
    this.deliver(message, bytes);
  }

  /** A peer's message of our height (or the next, buffered); `bytes` as it came, for the WAL. */
  private deliver(message: ConsensusMessage, bytes: Uint8Array): void {
    const height = messageHeight(message);
    if (height === this.state.height + 1 || (height === this.state.height && this.state.step === 'idle')) {
      if (this.future.length < FUTURE_MESSAGES_MAX) this.future.push({ message, bytes });
      return;
    }
    if (height !== this.state.height || !this.admissible(message)) return;
    if (this.seenHeight !== height) {
      this.seenHeight = height;
      this.seen = new Set();
    }
    const key = messageKey(message);
    if (this.seen.has(key)) return; // gossip repeats messages; the core would ignore them anyway
    this.seen.add(key);
    this.input(message, bytes);
  }

  /**
   * Cheap checks before a peer's message costs a WAL write (fsync): the signer must be in this
   * height's set and the signature 64 bytes. The core checks everything again, signatures
   * included; this only keeps strangers' garbage off the disk.
   */
  private admissible(message: ConsensusMessage): boolean {
    const set = this.state.validatorSet;
    const [signer, signature] =
      message.kind === 'ProposalReceived'
        ? [message.proposal.proposerAddress, message.proposal.signature]
        : [message.vote.validatorAddress, message.vote.signature];
    if (message.kind === 'ProposalReceived' && !(message.proposal.value?.bytes instanceof Uint8Array))
      return false;
    return (
      set !== null &&
      typeof signer === 'string' &&
      set.getByAddress(signer) !== undefined &&
      signature instanceof Uint8Array &&
      signature.length === 64
    );
  }

  private gossip(): void {
    if (this.stopped) return;
    this.broadcastStatus();
    const st = this.state;
    if (st.step === 'decided' || st.step === 'idle' || st.height === 0) return;
    const relay: ConsensusMessage[] = [...this.own];
    for (const round of new Set([st.round, st.lockedRound, st.validRound])) {
      if (round < 0) continue;
      for (const proposal of st.proposals.get(round) ?? [])
        relay.push({ kind: 'ProposalReceived', proposal });
      const votes = st.votes.get(round);
      for (const vote of [...(votes?.prevote.all() ?? []), ...(votes?.precommit.all() ?? [])])
        relay.push({ kind: 'VoteReceived', vote });
    }
    // Only to peers at our height: a peer behind is sent commits, one ahead ignores us. Not
    // what a peer is known to have (it sent it to us, or got it from us at this height).
    const peers = this.o.p2p
      .peers()
      .filter((p) => this.peerHeights.get(p.id) === st.height)
      .map((p) => p.id);
    if (peers.length === 0) return;
    for (const message of relay) this.sendToPeers(message, peers);
  }

  /** Our status: the height we work on, flagged "decided" while we execute its block. */
  private statusBytes(): Uint8Array {
    const bytes = new Uint8Array(9);
    bytes[0] = this.state.step === 'decided' ? SYNC_DECIDED : SYNC_STATUS;
    new DataView(bytes.buffer).setBigUint64(1, BigInt(Math.max(this.state.height, 0)));
    return bytes;
  }

  private broadcastStatus(): void {
    this.o.p2p.broadcast(CHANNELS.blockSync, this.statusBytes());
  }

  /** A peer (re)connected: our height and our own messages of this height (txs: tx-gossip.ts). */
  private sendStatus(peer: string): void {
    this.o.p2p.send(peer, CHANNELS.blockSync, this.statusBytes());
    // Without this a proposal broadcast before the peer was connected (every first block of a
    // network starting up) waits for the relay, or for timeoutPropose and a new round.
    for (const message of this.own) this.o.p2p.send(peer, CHANNELS.consensus, encodeMessage(message));
  }

  /** Block sync: status announcements, requests for blocks, and decided blocks with their commits. */
  private onSyncBytes(peer: string, bytes: Uint8Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if ((bytes[0] === SYNC_STATUS || bytes[0] === SYNC_DECIDED) && bytes.length === 9) {
      const height = Number(view.getBigUint64(1));
      if (!Number.isSafeInteger(height)) return;
      this.peerHeights.set(peer, height);
      this.peerGossip.setStatus(peer, height, bytes[0] === SYNC_DECIDED);
      this.sync.setPeerHeight(peer, height);
      if (height > 0 && height < this.state.height) this.sendCatchup(peer, height);
      this.requestBlocks();
      return;
    }
    if (bytes[0] === SYNC_REQUEST && bytes.length === 11) {
      const from = Number(view.getBigUint64(1));
      const count = Math.min(view.getUint16(9), SYNC_REQUEST_HEIGHTS_MAX);
      if (Number.isSafeInteger(from) && from > 0) this.answerRequest(peer, from, count);
      return;
    }
    if (bytes[0] !== SYNC_COMMIT) return;
    const input = decodeCommitInput(bytes.subarray(1));
    if (input === null) return this.o.log.debug({ peer }, 'malformed block-sync message');
    // Cheap checks before anything costs a WAL write: the bytes must hash to the id.
    if (!sameBytes(sha256(input.value.bytes), input.value.id)) return;
    const st = this.state;
    if (input.height === st.height && st.step !== 'decided' && st.step !== 'idle') {
      if (st.pendingCommit === null) this.feedCommit(peer, input, bytes.subarray(1));
    } else if (input.height > st.height) {
      this.sync.accept({ peer, input, bytes: bytes.length }, this.nextNeeded());
    }
    this.requestBlocks();
  }

  /** The height whose block we need next (the current one unless it is decided). */
  private nextNeeded(): number {
    return this.state.step === 'decided' ? this.state.height + 1 : Math.max(1, this.state.height);
  }

  /**
   * Hands a decided block to the core, which verifies its commit (+2/3 of this height's set,
   * every signature) before asking us to validate and execute it. A commit that does not verify
   * came from a faulty or hostile peer: it is disconnected and its other blocks forgotten.
   */
  private feedCommit(peer: string, input: CommitInput, encoded?: Uint8Array): void {
    this.input(input, encoded);
    const st = this.state;
    if (st.height === input.height && st.step !== 'decided' && st.pendingCommit === null) {
      this.o.log.warn({ peer, height: input.height }, 'block sync: a commit does not verify; peer dropped');
      this.sync.dropPeer(peer);
      this.o.p2p.disconnect(peer);
    }
  }

  /** Asks peers for the decided blocks of the window ahead of us (block-sync.ts). */
  private requestBlocks(): void {
    if (this.stopped || this.state.height === 0) return;
    for (const request of this.sync.plan(this.nextNeeded(), Date.now())) {
      const bytes = new Uint8Array(11);
      bytes[0] = SYNC_REQUEST;
      const view = new DataView(bytes.buffer);
      view.setBigUint64(1, BigInt(request.from));
      view.setUint16(9, request.count);
      this.o.p2p.send(request.peer, CHANNELS.blockSync, bytes);
    }
  }

  /** Sends the stored blocks `from ..` (at most `count`, and a byte budget) with their commits. */
  private answerRequest(peer: string, from: number, count: number): void {
    let sent = 0;
    for (let height = from; height < from + count && sent < SYNC_ANSWER_BYTES_MAX; height++) {
      const bytes = this.commitMessage(height);
      if (bytes === undefined || !this.o.p2p.send(peer, CHANNELS.blockSync, bytes)) return;
      sent += bytes.length;
    }
  }

  /** A peer is behind: send it our decided block of its height and the commit (block sync). */
  private sendCatchup(peer: string, height: number): void {
    // It decided that block and is executing it (its "decided" status): nothing to send.
    if (this.peerGossip.hasDecided(peer, height)) return;
    const key = `${peer}/${height}`;
    const now = Date.now();
    if (now - (this.catchupSentAt.get(key) ?? 0) < CATCHUP_RESEND_MS) return;
    const bytes = this.commitMessage(height);
    if (bytes === undefined) return;
    this.catchupSentAt.set(key, now);
    if (this.catchupSentAt.size > 10_000) this.catchupSentAt.clear();
    this.o.p2p.send(peer, CHANNELS.blockSync, bytes);
  }

  /** The block-sync message carrying our stored block of `height` and its commit. */
  private commitMessage(height: number): Uint8Array | undefined {
    const stored = this.o.blocks.load(BigInt(height));
    const consensus = stored?.consensus;
    if (stored === undefined || consensus === undefined) return undefined;
    const payload = encodeWalEntry({
      kind: 'input',
      input: {
        kind: 'CommitReceived',
        height,
        round: consensus.commit.round,
        value: { id: stored.hash, bytes: consensus.block },
        commit: consensus.commit.votes,
      },
    });
    const bytes = new Uint8Array(payload.length + 1);
    bytes[0] = SYNC_COMMIT;
    bytes.set(payload, 1);
    return bytes;
  }

  // ---- evidence -------------------------------------------------------------------------------

  /** What is wrong with evidence of a duplicate vote, or null (both votes verified). */
  private evidenceProblem(ev: DuplicateVoteEvidence): string | null {
    const { first, second } = ev;
    if (
      first.validatorAddress !== second.validatorAddress ||
      first.type !== second.type ||
      first.height !== second.height ||
      first.round !== second.round
    )
      return 'the votes are not for one validator and (height, round, type)';
    const sameValue =
      first.valueId === null
        ? second.valueId === null
        : second.valueId !== null && sameBytes(first.valueId, second.valueId);
    if (sameValue) return 'the votes do not conflict';
    const validator = this.validatorSet(first.height)?.getByAddress(first.validatorAddress);
    if (validator === undefined) return 'unknown validator';
    for (const vote of [first, second]) {
      if (!ed25519Verify(voteSignBytes(this.o.chainId, vote), vote.signature, validator.publicKey))
        return 'bad signature';
    }
    return null;
  }

  private addEvidence(ev: DuplicateVoteEvidence, broadcast: boolean): void {
    // Own detection (Evidence effect) or a verified peer report: pooled, gossiped, proposed.
    const result = this.evidencePool.add(ev, this.state.height);
    if (result !== 'added') {
      this.o.log.debug({ key: evidenceKey(ev), result }, 'evidence not pooled');
      return;
    }
    this.o.log.warn(
      { validator: ev.first.validatorAddress, height: ev.first.height },
      'equivocation evidence',
    );
    if (broadcast) this.o.p2p.broadcast(CHANNELS.evidence, encodeEvidence(ev));
  }

  private onEvidenceBytes(peer: string, bytes: Uint8Array): void {
    const ev = decodeEvidence(bytes);
    if (ev === null || this.evidenceProblem(ev) !== null) {
      this.o.log.debug({ peer }, 'invalid evidence from peer');
      return;
    }
    this.addEvidence(ev, true); // gossiped on: a node that already has it stops the echo
  }
}

/** A block-sync commit message's entry, shape-checked (the core verifies the votes), or null. */
function decodeCommitInput(bytes: Uint8Array): CommitInput | null {
  try {
    const entry = decodeWalEntry(bytes);
    if (entry.kind !== 'input' || entry.input.kind !== 'CommitReceived') return null;
    const input = entry.input;
    const value = input.value as Partial<Value> | undefined;
    if (!Number.isSafeInteger(input.height) || input.height < 1 || !Array.isArray(input.commit)) return null;
    if (!(value?.bytes instanceof Uint8Array) || !(value.id instanceof Uint8Array)) return null;
    return input;
  } catch {
    return null;
  }
}

/** Consensus messages travel as WAL entries (one codec for disk and wire; decode → validate → use). */
function encodeMessage(message: ConsensusMessage): Uint8Array {
  return encodeWalEntry({ kind: 'input', input: message });
}

function decodeMessage(bytes: Uint8Array): ConsensusMessage | null {
  try {
    const entry = decodeWalEntry(bytes);
    if (entry.kind !== 'input') return null;
    const input = entry.input;
    // Shapes are checked by the core (checkProposalShape / checkVoteShape) before anything else.
    if (input.kind === 'ProposalReceived' && typeof input.proposal === 'object' && input.proposal !== null)
      return input;
    if (input.kind === 'VoteReceived' && typeof input.vote === 'object' && input.vote !== null) return input;
    return null;
  } catch {
    return null;
  }
}
