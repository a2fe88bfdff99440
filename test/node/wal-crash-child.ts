// Child process of wal-crash.test.ts: one validator's consensus host reduced to what crash
// safety depends on — the core, the rotating FileWal, the signed-state file and a block log —
// driven as fast as the disk allows, so that a SIGKILL (from the parent at a random moment, or
// from the WAL's rotation hook at a chosen step) lands anywhere, rotations included.
//
// We are validator 0 of four equal validators; the other three are simulated: they answer each
// of our votes with a vote of the same type, round and (with probability 0.8, drawn from the
// run's seed so a restart sees the same peers) the same value, else nil, and the round's
// proposer, when it is not us, proposes a value derived from (height, round). Peers' messages
// are appended without a sync, as the node does. Our own proposal values are random per
// process, so a restart that signed anew instead of answering from the WAL would double-sign.
//
// Files in DIR: wal* (segments), signed_state.json, blocks.log (one "height id" line per decided
// height, fsync'ed: the block store), sent.log (one line per message released: "h/r/step
// signBytesHex": the network). Prints "RESUME height round step lastBlock recordHeight
// recordRound" once recovered.
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, randomBytes, sha256, utf8Encode } from '../../src/crypto/index.js';
import {
  createConsensusCore,
  FileWal,
  proposalSignBytes,
  replayWal,
  voteSignBytes,
  type Effect,
  type Input,
} from '../../src/consensus/index.js';
import { makeValidators, signProposal, signVote } from '../../src/consensus/testing.js';
import { loadSignedState, saveSignedState } from '../../src/node/consensus-driver.js';

const CHAIN = 'wal-crash';
const [dir = '', seed = '0'] = process.argv.slice(2);
const crashStep = process.env['CRASH_AT_STEP'];
const crashAfter = Number(process.env['CRASH_AFTER_ROTATIONS'] ?? '1');

const { signers, set } = makeValidators([1, 1, 1, 1]);
const me = signers[0]!;
const core = createConsensusCore({ chainId: CHAIN, signer: me });
let rotationsStarted = 0;
/**
 * Hook kills wait until RESUME is printed: the parent needs that line to check the resumption,
 * and a rotation can already happen while resuming (the StartHeight after a logged block).
 */
let resumed = false;
const wal = FileWal.open(join(dir, 'wal'), {
  segmentBytesMin: 0, // rotate at every height: the most rotations for the kills to land in
  onRotationStep: (step) => {
    if (!resumed) return;
    if (step === 'synced-old') rotationsStarted++;
    if (step === crashStep && rotationsStarted >= crashAfter) process.kill(process.pid, 'SIGKILL');
  },
});
const signedStatePath = join(dir, 'signed_state.json');
const blocksPath = join(dir, 'blocks.log');
const sentPath = join(dir, 'sent.log');

/** Deterministic per (seed, parts): a peer's choice must not change across our restarts. */
function draw(...parts: (string | number)[]): number {
  return sha256(utf8Encode([seed, ...parts].join('/')))[0]! / 256;
}

function lastBlock(): number {
  if (!existsSync(blocksPath)) return 0;
  const lines = readFileSync(blocksPath, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  return lines.length === 0 ? 0 : Number(lines.at(-1)!.split(' ')[0]);
}

function appendDurably(path: string, line: string): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

let last = lastBlock();
let state = core.initialState(null);
const queue: { input: Input; fromPeer: boolean }[] = [];
const timeouts: Input[] = [];

function handle(effects: readonly Effect[]): void {
  for (const e of effects) {
    switch (e.kind) {
      case 'PersistSignedState':
        saveSignedState(signedStatePath, e.record);
        wal.append({ kind: 'signed', message: e.message });
        break;
      case 'BroadcastProposal': {
        const p = e.proposal;
        appendFileSync(sentPath, `${p.height}/${p.round}/1 ${bytesToHex(proposalSignBytes(CHAIN, p))}\n`);
        break;
      }
      case 'BroadcastVote': {
        const v = e.vote;
        const step = v.type === 'prevote' ? 2 : 3;
        appendFileSync(sentPath, `${v.height}/${v.round}/${step} ${bytesToHex(voteSignBytes(CHAIN, v))}\n`);
        for (let i = 1; i < 4; i++) {
          const agree = draw(v.height, v.round, v.type, i) < 0.8;
          const vote = signVote(signers[i]!, CHAIN, v.type, v.height, v.round, agree ? v.valueId : null);
          queue.push({ input: { kind: 'VoteReceived', vote }, fromPeer: true });
        }
        break;
      }
      case 'ScheduleTimeout':
        timeouts.push({ kind: 'TimeoutElapsed', step: e.step, height: e.height, round: e.round });
        if (e.step === 'propose') {
          const proposer = set.proposerForRound(e.round);
          const signer = signers.find((s) => s.address === proposer.address)!;
          if (signer !== me && draw('up', e.height, e.round) < 0.8) {
            const bytes = utf8Encode(`peer block ${e.height}/${e.round}`);
            const proposal = signProposal(signer, CHAIN, e.height, e.round, -1, { id: sha256(bytes), bytes });
            queue.push({ input: { kind: 'ProposalReceived', proposal }, fromPeer: true });
          }
        }
        break;
      case 'GetValue': {
        const bytes = randomBytes(32); // a different block each process: replay must not re-ask
        queue.push({
          input: {
            kind: 'ValueReady',
            height: e.height,
            round: e.round,
            value: { id: sha256(bytes), bytes },
          },
          fromPeer: false,
        });
        break;
      }
      case 'ValidateValue':
        queue.push({
          input: { kind: 'ValueValidated', height: e.height, valueId: e.value.id, valid: true },
          fromPeer: false,
        });
        break;
      case 'Decide':
        if (e.height > last) {
          appendDurably(blocksPath, `${e.height} ${bytesToHex(e.value.id)}\n`);
          last = e.height;
        }
        queue.push({ input: startHeightInput(e.height + 1), fromPeer: false });
        break;
      default:
        break;
    }
  }
}

function startHeightInput(height: number): Input {
  return { kind: 'StartHeight', height, validatorSet: set };
}

function input(next: Input, fromPeer: boolean): void {
  if (next.kind === 'StartHeight' && next.height <= state.height) return;
  wal.append({ kind: 'input', input: next }, { sync: !fromPeer });
  const result = core.apply(state, next);
  state = result.state;
  handle(result.effects);
}

const record = loadSignedState(signedStatePath);
const replayed = replayWal(core, record, wal.replay());
state = replayed.state;
handle(replayed.effects);
// As the driver: the block log may be ahead of the WAL (decided, StartHeight not logged yet).
if (state.height < last + 1) queue.unshift({ input: startHeightInput(last + 1), fromPeer: false });
while (queue.length > 0 && queue[0]!.input.kind === 'StartHeight') {
  const first = queue.shift()!;
  input(first.input, first.fromPeer);
}
writeSync(
  1,
  `RESUME ${state.height} ${state.round} ${state.step} ${last} ${record?.height ?? 0} ${record?.round ?? -1}\n`,
);
resumed = true;

const target = last + Number(process.env['CHILD_HEIGHTS'] ?? '400');
while (last < target) {
  const next = queue.shift();
  if (next !== undefined) input(next.input, next.fromPeer);
  else if (timeouts.length > 0) input(timeouts.shift()!, false);
  else throw new Error(`stuck at ${state.height}/${state.round} ${state.step}`);
}
wal.close();
writeSync(1, 'DONE\n');
