// The deterministic consensus simulator (TigerBeetle's VOPR in spirit): N consensus cores in
// one process, a virtual clock, a network that delays, drops, duplicates and reorders messages
// and partitions nodes until a scheduled heal (GST), crashes and restarts (a restart rebuilds
// the core from its WAL and signed-state record), and at most one Byzantine validator that
// equivocates. Every random choice comes from one seeded PRNG, so a seed replays exactly.
//
// Invariants checked on every run:
//  - agreement: no two correct nodes decide different values at a height;
//  - validity: every decision carries > 2/3 of the height's voting power of valid precommits
//    for the decided value (signatures re-verified here, independently of the core);
//  - no double-sign: no correct node releases two different signed messages for one (h, r, step),
//    including across restarts; no evidence ever names a correct node;
//  - liveness after GST: once partitions heal, loss stops and crashed nodes are back, every
//    correct node decides K more heights within a bounded virtual time.
import { bytesToHex, ed25519Verify, sha256, utf8Encode } from '../../src/crypto/index.js';
import {
  createConsensusCore,
  isQuorum,
  MemoryWal,
  proposalSignBytes,
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
  type UnsafeTestFaults,
  type Value,
  type ValidatorUpdate,
} from '../../src/consensus/index.js';
import { makeValidators, type TestSigner } from '../../src/consensus/testing.js';
import { proposalTimeProblem } from '../../src/node/block.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';

export const CHAIN_ID = 'shroud-sim';
/** The simulator's default drift bound (virtual ms). */
export const SIM_MAX_CLOCK_DRIFT_MS = 1000;
const INVALID_PREFIX = 'INVALID';
const POST_GST_DELAY_MAX_MS = 50;
const COMMIT_DELAY_MS = 20;
const GOSSIP_INTERVAL_MS = 250;
const CATCHUP_INTERVAL_MS = 200;

export interface SimOptions {
  readonly seed: number;
  readonly nodes?: number;
  /** K: heights every correct node must decide after GST. */
  readonly heightsAfterGst?: number;
  /** Virtual time after GST within which the K heights must be decided. */
  readonly livenessBoundMs?: number;
  readonly verbose?: boolean;
  readonly log?: (line: string) => void;
  /** Applied to every correct node: proves the invariants catch a broken rule. */
  readonly unsafeTestFaults?: UnsafeTestFaults;
  /** Keep running after the first violation (to see which invariants a fault breaks). */
  readonly continueAfterViolation?: boolean;
  /** Period of gossip re-broadcast and relay (default 250 ms). */
  readonly gossipIntervalMs?: number;
  /** Disables commit catch-up (block sync), leaving the consensus rules alone to keep agreement. */
  readonly disableCatchup?: boolean;
  /** A proposal time further ahead of a validator's clock is refused (default 1000 ms, ADR 011). */
  readonly maxClockDriftMs?: number;
  /** Each node's clock offset from virtual time (overrides the scenario's draw). */
  readonly clockSkewMs?: readonly number[];
}

export interface SimStats {
  virtualTimeMs: number;
  events: number;
  messagesSent: number;
  decisions: number;
  maxRound: number;
  evidence: number;
  dropped: Record<string, number>;
  restarts: number;
  /** Proposals a correct node refused because of their header time (proposalTimeProblem). */
  timeRefused: number;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violations: readonly string[];
  readonly scenario: string;
  readonly stats: SimStats;
}

type SimMessage =
  | { readonly kind: 'proposal'; readonly proposal: SignedProposal }
  | { readonly kind: 'vote'; readonly vote: SignedVote }
  | {
      readonly kind: 'commit';
      readonly height: number;
      readonly round: number;
      readonly value: Value;
      readonly commit: readonly SignedVote[];
    }
  /** CometBFT's NewRoundStep in miniature: tells peers our height so they can help us catch up. */
  | { readonly kind: 'status'; readonly height: number };

type OwnMessage = Extract<SimMessage, { kind: 'proposal' | 'vote' }>;

interface Decided {
  readonly value: Value;
  readonly round: number;
  readonly commit: readonly SignedVote[];
}

class SimNode {
  state: ConsensusState;
  readonly wal = new MemoryWal();
  /** The signed-state record on the simulated disk. */
  record: SignedStateRecord | null = null;
  up = true;
  incarnation = 0;
  /** The simulated block store: survives crashes. */
  readonly decided = new Map<number, Decided>();
  ownMessages: SimMessage[] = [];
  ownHeight = 0;
  readonly catchupSentAtMs = new Map<string, number>();
  /** Signatures of messages already fed to the core at `seenHeight` (host-side dedupe). */
  seen = new Set<string>();
  seenHeight = 0;

  constructor(
    readonly index: number,
    readonly signer: TestSigner,
    readonly core: ConsensusCore,
    readonly byzantine: boolean,
  ) {
    this.state = core.initialState(null);
  }

  get highestDecided(): number {
    let h = 0;
    for (const height of this.decided.keys()) h = Math.max(h, height);
    return h;
  }
}

interface Scenario {
  powers: number[];
  byzantine: number;
  gstMs: number;
  lossRate: number;
  duplicateRate: number;
  delayMaxMs: number;
  partition: { startMs: number; side: boolean[] } | null;
  crashes: { node: number; atMs: number; restartMs: number; walKeptFraction: number }[];
  validatorChange: { decidedAt: number; node: number; addPower: number } | null;
  /** Per node: its clock minus virtual time. One correct node may run past the drift bound. */
  clockSkewMs: number[];
}

function messageHeight(m: SimMessage): number {
  if (m.kind === 'proposal') return m.proposal.height;
  return m.kind === 'vote' ? m.vote.height : m.height;
}

const messageKeys = new WeakMap<SimMessage, string>();

/** A message's identity for dedupe: its signature (cached per message object: hex is not free). */
function messageKey(m: SimMessage): string {
  let key = messageKeys.get(m);
  if (key === undefined) {
    if (m.kind === 'proposal') key = bytesToHex(m.proposal.signature);
    else if (m.kind === 'vote') key = bytesToHex(m.vote.signature);
    else key = m.kind === 'commit' ? `commit/${m.round}/${bytesToHex(m.value.id)}` : 'status';
    messageKeys.set(m, key);
  }
  return key;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The header time (virtual ms) a correct proposer put in a value, or undefined. */
function timeOfValue(value: Value | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /\/t(\d+)$/.exec(new TextDecoder().decode(value.bytes));
  return match === null ? undefined : Number(match[1]);
}

function makeValue(text: string): Value {
  const bytes = utf8Encode(text);
  return { id: sha256(bytes), bytes };
}

/** The Byzantine node's alternative value at (h, r); every third one is a value the app rejects. */
function byzantineAltValue(height: number, round: number): Value {
  const prefix = (height + round) % 3 === 0 ? INVALID_PREFIX : 'alt';
  return makeValue(`${prefix}/h${height}/r${round}`);
}

function describeScenario(s: Scenario): string {
  const parts = [
    `powers=[${s.powers.join(',')}]`,
    `byzantine=${s.byzantine}`,
    `gst=${s.gstMs}ms`,
    `loss=${s.lossRate.toFixed(2)}`,
    `dup=${s.duplicateRate.toFixed(2)}`,
    `delay<=${s.delayMaxMs}ms`,
    `partition=${s.partition ? `${s.partition.startMs}ms:${s.partition.side.map((x) => (x ? 'A' : 'B')).join('')}` : 'none'}`,
    `crashes=${s.crashes.map((c) => `n${c.node}@${c.atMs}-${c.restartMs}${c.walKeptFraction < 1 ? `(wal ${Math.round(c.walKeptFraction * 100)}%)` : ''}`).join(',') || 'none'}`,
    `clocks=[${s.clockSkewMs.join(',')}]`,
    `valsetChange=${s.validatorChange ? `h${s.validatorChange.decidedAt}:n${s.validatorChange.node}+${s.validatorChange.addPower}` : 'none'}`,
  ];
  return parts.join(' ');
}

function makeScenario(prng: Prng, n: number): Scenario {
  const equal = prng.chance(0.5);
  const powers = Array.from({ length: n }, () => (equal ? 1 : prng.int(1, 4)));
  const byzantine = prng.chance(0.5) ? prng.int(0, n - 1) : -1;
  if (byzantine >= 0) {
    // Byzantine power must stay below 1/3 of the total: 3·b < b + others ⇔ b <= (others - 1) / 2.
    const others = powers.reduce((a, b) => a + b, 0) - (powers[byzantine] as number);
    powers[byzantine] = Math.max(1, Math.min(powers[byzantine] as number, Math.floor((others - 1) / 2)));
  }
  const gstMs = prng.int(300, 3000);
  const lossRate = prng.chance(0.6) ? prng.float() * 0.3 : 0;
  const duplicateRate = prng.chance(0.5) ? prng.float() * 0.2 : 0;
  const delayMaxMs = prng.int(10, 400);
  const partition = prng.chance(0.5)
    ? { startMs: prng.int(0, Math.floor(gstMs / 2)), side: Array.from({ length: n }, () => prng.chance(0.5)) }
    : null;
  const correct = [...Array(n).keys()].filter((i) => i !== byzantine);
  const crashCount = prng.chance(0.5) ? (n >= 7 ? prng.int(1, 2) : 1) : 0;
  const crashes: Scenario['crashes'] = [];
  for (let i = 0; i < crashCount; i++) {
    const node = prng.pick(correct.filter((c) => !crashes.some((x) => x.node === c)));
    const atMs = prng.int(0, gstMs - 1);
    crashes.push({ node, atMs, restartMs: prng.int(atMs + 1, gstMs), walKeptFraction: 1 });
  }
  const validatorChange = prng.chance(0.3)
    ? { decidedAt: prng.int(1, 3), node: prng.pick(correct), addPower: prng.int(1, 3) }
    : null;
  // Drawn from a second stream so scenarios without this fault keep their earlier shape: some
  // crashes also lose part of the WAL (a lost disk, not a torn write: the file WAL fsyncs each
  // entry), while the signed-state record survives. The double-sign guard must then refuse.
  const lossPrng = new Prng(prng.peekState() ^ 0x5eed);
  for (const crash of crashes) if (lossPrng.chance(0.3)) crash.walKeptFraction = lossPrng.float();
  // A third stream (scenarios keep their earlier shape): clocks a little apart, and in 30% of the
  // runs one correct node whose clock is past the drift bound, so its proposals are refused.
  const clockPrng = new Prng(prng.peekState() ^ 0xc10c);
  const clockSkewMs = Array.from({ length: n }, () => clockPrng.int(-100, 100));
  if (clockPrng.chance(0.3))
    clockSkewMs[clockPrng.pick(correct)] = SIM_MAX_CLOCK_DRIFT_MS + clockPrng.int(500, 3000);
  return {
    powers,
    byzantine,
    gstMs,
    lossRate,
    duplicateRate,
    delayMaxMs,
    partition,
    crashes,
    validatorChange,
    clockSkewMs,
  };
}

/** Runs one seed to completion (liveness target reached, or the bound passed, or a violation). */
export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

class Simulation {
  private readonly prng: Prng;
  private readonly sched = new Scheduler();
  private readonly scenario: Scenario;
  private readonly nodes: SimNode[];
  private readonly validatorsByHeight: ValidatorSet[] = [];
  private readonly nextValidatorsByHeight: ValidatorSet[] = [];
  private readonly publicKeys: Uint8Array[];
  private readonly violations: string[] = [];
  private readonly decisions = new Map<number, { id: string; node: number }>();
  private readonly signedByCorrect = new Map<string, string>();
  private readonly verifyCache = new WeakMap<
    Uint8Array,
    { message: Uint8Array; publicKey: Uint8Array; valid: boolean }[]
  >();
  /** The Byzantine node's conflicting twin of each of its messages (signed once). */
  private readonly byzantineTwins = new Map<string, SimMessage>();
  private readonly stats: SimStats = {
    virtualTimeMs: 0,
    events: 0,
    messagesSent: 0,
    decisions: 0,
    maxRound: 0,
    evidence: 0,
    dropped: {},
    restarts: 0,
    timeRefused: 0,
  };
  private readonly heightsAfterGst: number;
  private readonly livenessBoundMs: number;
  private targetHeight = Number.POSITIVE_INFINITY;
  private done = false;

  constructor(private readonly options: SimOptions) {
    this.prng = new Prng(options.seed);
    const n = options.nodes ?? 4;
    const scenario = makeScenario(this.prng, n);
    this.scenario =
      options.clockSkewMs === undefined ? scenario : { ...scenario, clockSkewMs: [...options.clockSkewMs] };
    this.heightsAfterGst = options.heightsAfterGst ?? 2;
    this.livenessBoundMs = options.livenessBoundMs ?? 60_000;
    const { signers, set } = makeValidators(this.scenario.powers);
    this.publicKeys = signers.map((s) => s.publicKey);
    this.validatorsByHeight[1] = set;
    this.nextValidatorsByHeight[1] = set.withIncrementedPriority(1);
    const verifySignature = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean =>
      this.verify(message, signature, publicKey);
    this.nodes = signers.map((signer, i) => {
      const byzantine = i === this.scenario.byzantine;
      const core = createConsensusCore({
        chainId: CHAIN_ID,
        signer,
        verifySignature,
        timeouts: {
          proposeMs: 300,
          proposeDeltaMs: 100,
          prevoteMs: 200,
          prevoteDeltaMs: 100,
          precommitMs: 200,
          precommitDeltaMs: 100,
        },
        // The Byzantine node ignores its lock as well as equivocating (it may do anything).
        unsafeTestFaults: byzantine ? { ignoreLock: true } : (options.unsafeTestFaults ?? {}),
      });
      return new SimNode(i, signer, core, byzantine);
    });
  }

  // ---- harness ------------------------------------------------------------------------------

  run(): SimResult {
    const s = this.scenario;
    this.log(`seed ${this.options.seed}: ${describeScenario(s)}`);
    for (const node of this.nodes) {
      this.sched.at(0, () =>
        this.input(node, { kind: 'StartHeight', height: 1, validatorSet: this.validatorSet(1) }),
      );
      this.sched.at(this.prng.int(0, GOSSIP_INTERVAL_MS), () => this.gossip(node));
    }
    for (const crash of s.crashes) {
      const node = this.nodes[crash.node]!;
      this.sched.at(crash.atMs, () => this.crash(node, crash.walKeptFraction));
      this.sched.at(crash.restartMs, () => this.restart(node));
    }
    this.sched.at(s.gstMs, () => this.onGst());
    const endMs = s.gstMs + this.livenessBoundMs;
    const keepGoing = (): boolean =>
      this.violations.length === 0 || this.options.continueAfterViolation === true;
    while (!this.done && keepGoing() && this.sched.step(endMs)) {
      // events run inside step()
    }
    // A validator that lost WAL entries may be unable to re-send a vote it signed (its guard
    // refuses to sign that step again): safety must hold, liveness is not promised.
    const walLost = s.crashes.some((c) => c.walKeptFraction < 1);
    if (!this.done && this.violations.length === 0 && !walLost) {
      const heights = this.correctNodes().map((n) => n.highestDecided);
      this.violate(
        `liveness: correct nodes decided [${heights.join(',')}], wanted >= ${this.targetHeight} by ${endMs}ms`,
      );
    }
    this.stats.virtualTimeMs = this.sched.nowMs;
    this.stats.events = this.sched.executed;
    return {
      seed: this.options.seed,
      ok: this.violations.length === 0,
      violations: this.violations,
      scenario: describeScenario(s),
      stats: this.stats,
    };
  }

  private log(line: string): void {
    if (this.options.verbose === true) (this.options.log ?? console.log)(`[${this.sched.nowMs}ms] ${line}`);
  }

  private violate(message: string): void {
    this.violations.push(`${message} (at ${this.sched.nowMs}ms)`);
    this.log(`VIOLATION ${message}`);
  }

  private correctNodes(): SimNode[] {
    return this.nodes.filter((n) => !n.byzantine);
  }

  private verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
    // Memoized across nodes by signature object (messages are shared between simulated nodes),
    // with a byte comparison of message and key so the cache is sound: ~150 µs saved per hit.
    const known = this.verifyCache.get(signature) ?? [];
    for (const entry of known) {
      if (sameBytes(entry.message, message) && sameBytes(entry.publicKey, publicKey)) return entry.valid;
    }
    const valid = ed25519Verify(message, signature, publicKey);
    known.push({ message, publicKey, valid });
    this.verifyCache.set(signature, known);
    return valid;
  }

  /** CometBFT's schedule: changes decided at height h apply at h + 2. */
  private validatorSet(height: number): ValidatorSet {
    for (let h = this.validatorsByHeight.length; h <= height; h++) {
      const previousNext = this.nextValidatorsByHeight[h - 1]!;
      this.validatorsByHeight[h] = previousNext;
      this.nextValidatorsByHeight[h] = ValidatorSet.advance(previousNext, this.updatesDecidedAt(h - 1));
    }
    return this.validatorsByHeight[height]!;
  }

  private updatesDecidedAt(height: number): ValidatorUpdate[] {
    const change = this.scenario.validatorChange;
    if (change === null || change.decidedAt !== height) return [];
    const power = BigInt((this.scenario.powers[change.node] as number) + change.addPower);
    return [{ publicKey: this.publicKeys[change.node]!, votingPower: power }];
  }

  private onGst(): void {
    const highest = Math.max(0, ...this.correctNodes().map((n) => n.highestDecided));
    this.targetHeight = highest + this.heightsAfterGst;
    this.log(`GST: partitions healed, loss stopped; target height ${this.targetHeight}`);
    this.checkLiveness();
  }

  private checkLiveness(): void {
    if (this.correctNodes().every((n) => n.highestDecided >= this.targetHeight)) this.done = true;
  }

  // ---- nodes --------------------------------------------------------------------------------

  private input(node: SimNode, input: Input): void {
    if (!node.up) return;
    node.wal.append({ kind: 'input', input }); // write-ahead: logged before it is applied
    const before = node.state;
    const result = node.core.apply(node.state, input);
    node.state = result.state;
    if (
      this.options.verbose === true &&
      (before.round !== result.state.round || before.step !== result.state.step)
    ) {
      const st = result.state;
      this.log(
        `n${node.index} h${st.height} r${st.round} ${st.step} (on ${input.kind}${input.kind === 'TimeoutElapsed' ? ` ${input.step}` : ''}) locked=${st.lockedRound} valid=${st.validRound}`,
      );
    }
    if (result.state.round > this.stats.maxRound) this.stats.maxRound = result.state.round;
    this.execute(node, result.effects);
  }

  private guarded(node: SimNode, delayMs: number, action: () => void): void {
    const incarnation = node.incarnation;
    this.sched.after(delayMs, () => {
      if (node.up && node.incarnation === incarnation) action();
    });
  }

  private execute(node: SimNode, effects: readonly Effect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case 'PersistSignedState':
          // Durable before the broadcast that follows it in the same effect list.
          node.record = e.record;
          node.wal.append({ kind: 'signed', message: e.message });
          this.noteSigned(
            node,
            e.message.kind === 'proposal'
              ? { kind: 'proposal', proposal: e.message.proposal }
              : { kind: 'vote', vote: e.message.vote },
          );
          break;
        case 'BroadcastProposal':
          this.broadcastOwn(node, { kind: 'proposal', proposal: e.proposal });
          break;
        case 'BroadcastVote':
          this.broadcastOwn(node, { kind: 'vote', vote: e.vote });
          break;
        case 'ScheduleTimeout':
          this.guarded(node, e.durationMs, () =>
            this.input(node, { kind: 'TimeoutElapsed', step: e.step, height: e.height, round: e.round }),
          );
          break;
        case 'GetValue': {
          // The header time: our clock, but after the previous block's (as the driver does).
          const previous = timeOfValue(node.decided.get(e.height - 1)?.value);
          const time = Math.max(this.clockOf(node), (previous ?? -1) + 1);
          const value = makeValue(`h${e.height}/r${e.round}/n${node.index}/${this.prng.nextU32()}/t${time}`);
          this.guarded(node, this.prng.int(1, 20), () =>
            this.input(node, { kind: 'ValueReady', height: e.height, round: e.round, value }),
          );
          break;
        }
        case 'ValidateValue': {
          const valid =
            !new TextDecoder().decode(e.value.bytes).startsWith(INVALID_PREFIX) &&
            this.timely(node, e.height, e.value);
          this.guarded(node, this.prng.int(1, 10), () =>
            this.input(node, { kind: 'ValueValidated', height: e.height, valueId: e.value.id, valid }),
          );
          break;
        }
        case 'Decide':
          this.onDecide(node, e);
          break;
        case 'Evidence': {
          this.stats.evidence++;
          const ev = e.evidence;
          const culprit = ev.kind === 'DuplicateVote' ? ev.first.validatorAddress : ev.first.proposerAddress;
          const accused = this.nodes.find((n) => n.signer.address === culprit);
          if (accused !== undefined && !accused.byzantine)
            this.violate(`evidence against correct node n${accused.index}`);
          break;
        }
        case 'Dropped':
          this.stats.dropped[e.reason] = (this.stats.dropped[e.reason] ?? 0) + 1;
          break;
      }
    }
  }

  /** Invariant: a correct node never signs two different messages for one (h, r, step). */
  private noteSigned(node: SimNode, message: OwnMessage): void {
    if (node.byzantine) return;
    const [key, bytes] =
      message.kind === 'proposal'
        ? [
            `${node.index}/${message.proposal.height}/${message.proposal.round}/1`,
            proposalSignBytes(CHAIN_ID, message.proposal),
          ]
        : [
            `${node.index}/${message.vote.height}/${message.vote.round}/${message.vote.type}`,
            voteSignBytes(CHAIN_ID, message.vote),
          ];
    const hex = bytesToHex(bytes);
    const previous = this.signedByCorrect.get(key);
    if (previous === undefined) this.signedByCorrect.set(key, hex);
    else if (previous !== hex) this.violate(`double-sign by correct node n${node.index} at ${key}`);
  }

  /** This node's clock (virtual time + its skew). */
  private clockOf(node: SimNode): number {
    return this.sched.nowMs + (this.scenario.clockSkewMs[node.index] ?? 0);
  }

  /**
   * The driver's timeliness rule with the simulated clock (proposalTimeProblem): a proposal's
   * time must follow the previous block's and be at most the drift bound ahead of our clock. A
   * committed value (block sync) is exempt. The Byzantine node's alternative values carry no
   * time and are exempt too, so they keep testing what they tested before (a valid alternative).
   */
  private timely(node: SimNode, height: number, value: Value): boolean {
    const pending = node.state.pendingCommit;
    if (pending !== null && sameBytes(pending.value.id, value.id)) return true;
    const time = timeOfValue(value);
    if (time === undefined) return true;
    const previous = height > 1 ? timeOfValue(node.decided.get(height - 1)?.value) : undefined;
    const problem = proposalTimeProblem(
      BigInt(time) * 1_000_000n,
      previous === undefined ? null : BigInt(previous) * 1_000_000n,
      BigInt(this.clockOf(node)) * 1_000_000n,
      this.options.maxClockDriftMs ?? SIM_MAX_CLOCK_DRIFT_MS,
    );
    if (problem !== null && !node.byzantine) {
      this.stats.timeRefused++;
      this.log(`n${node.index} refuses a proposal at h${height}: ${problem}`);
    }
    return problem === null;
  }

  private onDecide(node: SimNode, e: Extract<Effect, { kind: 'Decide' }>): void {
    const id = bytesToHex(e.value.id);
    this.log(`n${node.index} decides h${e.height} r${e.round} ${id.slice(0, 12)}`);
    this.checkCommit(node, e.height, e.round, e.value, e.commit);
    if (!node.byzantine) {
      const earlier = this.decisions.get(e.height);
      if (earlier === undefined) this.decisions.set(e.height, { id, node: node.index });
      else if (earlier.id !== id) {
        this.violate(
          `agreement: n${earlier.node} decided ${earlier.id.slice(0, 12)} but n${node.index} decided ${id.slice(0, 12)} at h${e.height}`,
        );
      }
    }
    if (!node.decided.has(e.height)) {
      this.stats.decisions++;
      node.decided.set(e.height, { value: e.value, round: e.round, commit: e.commit });
    }
    this.guarded(node, COMMIT_DELAY_MS, () =>
      this.input(node, {
        kind: 'StartHeight',
        height: e.height + 1,
        validatorSet: this.validatorSet(e.height + 1),
      }),
    );
    if (!node.byzantine) this.checkLiveness();
  }

  /** Invariant (validity): > 2/3 of the height's power of valid precommits for the value. */
  private checkCommit(
    node: SimNode,
    height: number,
    round: number,
    value: Value,
    commit: readonly SignedVote[],
  ): void {
    const set = this.validatorSet(height);
    const seen = new Set<string>();
    let power = 0n;
    for (const vote of commit) {
      const validator = set.getByAddress(vote.validatorAddress);
      const ok =
        validator !== undefined &&
        !seen.has(vote.validatorAddress) &&
        vote.type === 'precommit' &&
        vote.height === height &&
        vote.round === round &&
        vote.valueId !== null &&
        bytesToHex(vote.valueId) === bytesToHex(value.id) &&
        this.verify(voteSignBytes(CHAIN_ID, vote), vote.signature, validator.publicKey);
      if (!ok) {
        this.violate(`validity: n${node.index}'s commit for h${height} holds an invalid precommit`);
        return;
      }
      seen.add(vote.validatorAddress);
      power += validator.votingPower;
    }
    if (!isQuorum(power, set.totalVotingPower)) {
      this.violate(
        `validity: n${node.index}'s commit for h${height} has ${power}/${set.totalVotingPower} power`,
      );
    }
    if (new TextDecoder().decode(value.bytes).startsWith(INVALID_PREFIX)) {
      this.violate(`validity: n${node.index} decided an invalid value at h${height}`);
    }
    const time = timeOfValue(value);
    const previous = timeOfValue(node.decided.get(height - 1)?.value);
    if (time !== undefined && previous !== undefined && time <= previous) {
      this.violate(`validity: n${node.index} decided h${height} with a time not after h${height - 1}'s`);
    }
  }

  private crash(node: SimNode, walKeptFraction: number): void {
    if (!node.up) return;
    node.up = false;
    if (walKeptFraction < 1) node.wal.truncate(Math.floor(node.wal.length * walKeptFraction));
    node.incarnation++;
    node.ownMessages = [];
    this.log(`n${node.index} crashes at h${node.state.height} r${node.state.round} ${node.state.step}`);
  }

  private restart(node: SimNode): void {
    if (node.up) return;
    node.up = true;
    node.incarnation++;
    this.stats.restarts++;
    const replayed = replayWal(node.core, node.record, node.wal.replay());
    node.state = replayed.state;
    this.log(
      `n${node.index} restarts from its WAL at h${node.state.height} r${node.state.round} ${node.state.step}`,
    );
    this.execute(node, replayed.effects);
    // The block store is ahead of a WAL that lost entries: resume after the last committed height
    // (CometBFT's handshake replays stored blocks the same way).
    const committed = node.highestDecided;
    if (node.up && node.state.height <= committed) {
      this.input(node, {
        kind: 'StartHeight',
        height: committed + 1,
        validatorSet: this.validatorSet(committed + 1),
      });
    }
  }

  // ---- network ------------------------------------------------------------------------------

  private broadcastOwn(node: SimNode, message: OwnMessage): void {
    this.noteSigned(node, message);
    const height = messageHeight(message);
    if (height !== node.ownHeight) {
      node.ownHeight = height;
      node.ownMessages = [];
    }
    const key = messageKey(message);
    if (!node.ownMessages.some((m) => messageKey(m) === key)) node.ownMessages.push(message);
    this.broadcast(node, message);
  }

  private broadcast(node: SimNode, message: SimMessage): void {
    for (const peer of this.nodes) {
      if (peer === node) continue;
      this.send(node.index, peer.index, node.byzantine ? this.byzantineVariant(node, message) : message);
    }
  }

  /** The Byzantine node sends each peer either its real message or a conflicting one. */
  private byzantineVariant(node: SimNode, message: SimMessage): SimMessage {
    if (message.kind === 'status' || message.kind === 'commit') return message;
    if (this.prng.chance(0.5)) return message;
    const key = messageKey(message);
    let twin = this.byzantineTwins.get(key);
    if (twin === undefined) {
      twin = this.makeTwin(node, message);
      this.byzantineTwins.set(key, twin);
    }
    return twin;
  }

  private makeTwin(node: SimNode, message: OwnMessage): SimMessage {
    const sign = (bytes: Uint8Array): Uint8Array => node.signer.sign(bytes);
    if (message.kind === 'proposal') {
      const p = message.proposal;
      const value = byzantineAltValue(p.height, p.round);
      const unsigned = { height: p.height, round: p.round, polRound: -1, value };
      return {
        kind: 'proposal',
        proposal: {
          ...unsigned,
          proposerAddress: p.proposerAddress,
          signature: sign(proposalSignBytes(CHAIN_ID, unsigned)),
        },
      };
    }
    const v = message.vote;
    // The twin backs the twin proposal's value of the same (h, r): the Byzantine node pushes one
    // alternative consistently, which is what can split correct nodes whose lock rule is broken.
    const valueId = byzantineAltValue(v.height, v.round).id;
    const unsigned = { type: v.type, height: v.height, round: v.round, valueId };
    const forged = this.prng.chance(0.1);
    const signature = forged ? this.prng.bytes(64) : sign(voteSignBytes(CHAIN_ID, unsigned));
    return { kind: 'vote', vote: { ...unsigned, validatorAddress: v.validatorAddress, signature } };
  }

  private send(from: number, to: number, message: SimMessage): void {
    const s = this.scenario;
    const now = this.sched.nowMs;
    const beforeGst = now < s.gstMs;
    if (
      beforeGst &&
      s.partition !== null &&
      now >= s.partition.startMs &&
      s.partition.side[from] !== s.partition.side[to]
    ) {
      return;
    }
    if (beforeGst && this.prng.chance(s.lossRate)) return;
    this.stats.messagesSent++;
    const delay = this.prng.int(1, beforeGst ? s.delayMaxMs : POST_GST_DELAY_MAX_MS);
    this.sched.after(delay, () => this.deliver(from, to, message));
    if (this.prng.chance(beforeGst ? s.duplicateRate : 0)) {
      this.sched.after(delay + this.prng.int(0, 100), () => this.deliver(from, to, message));
    }
  }

  private deliver(from: number, to: number, message: SimMessage): void {
    const node = this.nodes[to]!;
    if (!node.up) return;
    const height = messageHeight(message);
    if (height < node.state.height) return this.sendCatchup(node, from, height);
    if (height > node.state.height || message.kind === 'status') return; // no future-height buffering
    if (node.seenHeight !== height) {
      node.seenHeight = height;
      node.seen = new Set();
    }
    const key = messageKey(message);
    if (node.seen.has(key)) return; // gossip repeats messages; the core would ignore it anyway
    node.seen.add(key);
    if (message.kind === 'commit') {
      const { height: h, round, value, commit } = message;
      return this.input(node, { kind: 'CommitReceived', height: h, round, value, commit });
    }
    this.input(
      node,
      message.kind === 'proposal'
        ? { kind: 'ProposalReceived', proposal: message.proposal }
        : { kind: 'VoteReceived', vote: message.vote },
    );
  }

  /** A peer is behind: send it the decided proposal and its commit (block sync in miniature). */
  private sendCatchup(node: SimNode, peer: number, height: number): void {
    const decided = node.decided.get(height);
    if (decided === undefined || this.options.disableCatchup === true) return;
    const key = `${peer}/${height}`;
    const last = node.catchupSentAtMs.get(key) ?? -Infinity;
    if (this.sched.nowMs - last < CATCHUP_INTERVAL_MS) return;
    node.catchupSentAtMs.set(key, this.sched.nowMs);
    const { value, round, commit } = decided;
    this.send(node.index, peer, { kind: 'commit', height, round, value, commit });
  }

  /**
   * Periodic gossip (the paper's communication assumption: what one correct node received, every
   * correct node receives after GST + Δ): our status, our own messages of this height, and the
   * messages we hold for the rounds that matter to peers — the current round, and our lock and
   * valid rounds (the POL a re-proposal needs).
   */
  private gossip(node: SimNode): void {
    if (node.up && node.state.height > 0) {
      const st = node.state;
      this.broadcast(node, { kind: 'status', height: st.height });
      const relay: SimMessage[] = node.ownMessages.filter((m) => messageHeight(m) === st.height);
      const own = new Set(relay.map(messageKey));
      for (const round of new Set([st.round, st.lockedRound, st.validRound])) {
        if (round < 0) continue;
        for (const proposal of st.proposals.get(round) ?? []) relay.push({ kind: 'proposal', proposal });
        const votes = st.votes.get(round);
        for (const vote of [...(votes?.prevote.all() ?? []), ...(votes?.precommit.all() ?? [])]) {
          relay.push({ kind: 'vote', vote });
        }
      }
      for (const message of relay) {
        this.relay(node, message, own.has(messageKey(message)));
      }
    }
    if (!this.done)
      this.sched.after(this.options.gossipIntervalMs ?? GOSSIP_INTERVAL_MS, () => this.gossip(node));
  }

  /** Own messages go through broadcast (a Byzantine node re-equivocates); others' are relayed as is. */
  private relay(node: SimNode, message: SimMessage, own: boolean): void {
    if (own) return this.broadcast(node, message);
    for (const peer of this.nodes) if (peer !== node) this.send(node.index, peer.index, message);
  }
}
