import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasErrorCode } from '../../errors.js';
import { createConsensusCore } from '../core/apply.js';
import type { Input } from '../core/types.js';
import { makeValidators, makeValue, signVote } from '../testing.js';
import { FileWal, WAL_FRAME_HEADER_BYTES, type RotationStep } from './file-wal.js';
import { encodeWalEntry } from './codec.js';
import { replayWal, type WalEntry } from './wal.js';
import { runLogged } from '../../../test/helpers/consensus-wal.js';

const CHAIN = 'wal-chain';
const { signers, set } = makeValidators([1, 2, 3, 4]);
const value = makeValue('a block');

function sampleEntries(): WalEntry[] {
  return [
    { kind: 'input', input: { kind: 'StartHeight', height: 1, validatorSet: set } },
    {
      kind: 'input',
      input: { kind: 'VoteReceived', vote: signVote(signers[1]!, CHAIN, 'prevote', 1, 0, value.id) },
    },
    {
      kind: 'input',
      input: { kind: 'VoteReceived', vote: signVote(signers[2]!, CHAIN, 'precommit', 1, 0, null) },
    },
    { kind: 'input', input: { kind: 'TimeoutElapsed', step: 'propose', height: 1, round: 0 } },
    { kind: 'input', input: { kind: 'ValueReady', height: 1, round: 0, value } },
  ];
}

describe('FileWal', () => {
  let dir = '';
  let path = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-wal-'));
    path = join(dir, 'cs.wal');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an entry appended as the bytes a peer sent (legacy text or blob layout) replays as that entry', () => {
    const big = makeValue('x'.repeat(5000));
    const entry: WalEntry = { kind: 'input', input: { kind: 'ValueReady', height: 1, round: 0, value: big } };
    const legacyText = JSON.stringify(entry, (_key, v: unknown) =>
      v instanceof Uint8Array ? { $b: Buffer.from(v).toString('hex') } : v,
    );
    const wal = FileWal.open(path);
    wal.append(entry, { sync: false, encoded: encodeWalEntry(entry) });
    wal.append(entry, { sync: false, encoded: new TextEncoder().encode(legacyText) });
    wal.close();
    const entries = FileWal.open(path).replay();
    assert.equal(entries.length, 2);
    for (const [i, replayed] of entries.entries()) assert.deepEqual(replayed, entry, `entry ${i}`);
    // The blob-layout frame keeps the 5,000-byte value raw (the text one holds it twice over, hex).
    const blobFrame = statSync(path).size - legacyText.length - 2 * WAL_FRAME_HEADER_BYTES;
    assert.ok(blobFrame > 5000 && blobFrame < 5600, `${blobFrame} bytes for the blob-layout entry`);
  });

  it('round-trips entries (bytes, nil ids, bigints, validator sets) across reopen', () => {
    const wal = FileWal.open(path);
    for (const entry of sampleEntries()) wal.append(entry);
    wal.close();
    const reopened = FileWal.open(path);
    const entries = reopened.replay();
    assert.equal(entries.length, 5);
    assert.deepEqual(entries.slice(1), sampleEntries().slice(1));
    const start = entries[0]!;
    assert.ok(start.kind === 'input' && start.input.kind === 'StartHeight');
    assert.deepEqual(start.input.validatorSet.hash(), set.hash());
    assert.equal(start.input.validatorSet.proposerAddress, set.proposerAddress);
    assert.deepEqual(start.input.validatorSet.validators, set.validators);
    reopened.append(sampleEntries()[3]!);
    assert.equal(reopened.replay().length, 6, 'appends after reopen');
    reopened.close();
  });

  it('drops a torn tail at every cut point and keeps appending after it', () => {
    const wal = FileWal.open(path);
    for (const entry of sampleEntries()) wal.append(entry);
    wal.close();
    const full = readFileSync(path);
    const lastFrameStart = full.length - lastFrameLength(full);
    for (const cut of [
      lastFrameStart + 1,
      lastFrameStart + 4,
      lastFrameStart + WAL_FRAME_HEADER_BYTES,
      full.length - 1,
    ]) {
      writeFileSync(path, full.subarray(0, cut));
      const reopened = FileWal.open(path);
      assert.equal(reopened.replay().length, 4, `cut at ${cut}: the torn entry is dropped`);
      assert.equal(
        statSync(path).size,
        lastFrameStart,
        `cut at ${cut}: file truncated to the last whole frame`,
      );
      reopened.append(sampleEntries()[4]!);
      assert.equal(reopened.replay().length, 5, `cut at ${cut}: appends after truncation`);
      reopened.close();
    }
  });

  it('treats a last frame with a bad CRC as torn, but a bad frame in the middle as corruption', () => {
    const wal = FileWal.open(path);
    for (const entry of sampleEntries()) wal.append(entry);
    wal.close();
    const full = readFileSync(path);
    const lastFrameStart = full.length - lastFrameLength(full);
    const tornCrc = Buffer.from(full);
    tornCrc[full.length - 2] = tornCrc[full.length - 2]! ^ 0xff;
    writeFileSync(path, tornCrc);
    const reopened = FileWal.open(path);
    assert.equal(reopened.replay().length, 4);
    assert.equal(statSync(path).size, lastFrameStart);
    reopened.close();

    const corrupted = Buffer.from(full);
    corrupted[WAL_FRAME_HEADER_BYTES + 3] = corrupted[WAL_FRAME_HEADER_BYTES + 3]! ^ 0x01; // first payload
    writeFileSync(path, corrupted);
    assert.throws(
      () => FileWal.open(path),
      (e) => hasErrorCode(e, 'WAL_CORRUPTED'),
    );
    assert.equal(statSync(path).size, full.length, 'a corrupted WAL is never truncated');

    writeFileSync(path, full.subarray(0, 4));
    const headerOnly = FileWal.open(path);
    assert.equal(headerOnly.replay().length, 0, 'a partial header is a torn tail');
    headerOnly.close();

    const pastEnd = Buffer.from(full.subarray(0, lastFrameStart + WAL_FRAME_HEADER_BYTES + 2));
    pastEnd.writeUInt32BE(0x7fffffff, lastFrameStart); // a garbage length in the torn header
    writeFileSync(path, pastEnd);
    const torn = FileWal.open(path);
    assert.equal(torn.replay().length, 4, 'a length running past the end is a torn tail');
    torn.close();
  });

  it('rejects a frame whose CRC matches but whose payload is not an entry', () => {
    const payload = Buffer.from('{"kind":"nonsense"}');
    const frame = Buffer.alloc(8 + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    frame.writeUInt32BE(crc(payload), 4);
    payload.copy(frame, 8);
    writeFileSync(path, frame);
    assert.throws(
      () => FileWal.open(path),
      (e) => hasErrorCode(e, 'WAL_CORRUPTED'),
    );
  });

  it('replays to the same state a live core reached', () => {
    const me = signers[0]!;
    const core = createConsensusCore({ chainId: CHAIN, signer: me });
    const wal = FileWal.open(path);
    const inputs: Input[] = [
      { kind: 'StartHeight', height: 1, validatorSet: set },
      { kind: 'TimeoutElapsed', step: 'propose', height: 1, round: 0 },
      ...signers
        .slice(1)
        .map((s): Input => ({ kind: 'VoteReceived', vote: signVote(s, CHAIN, 'prevote', 1, 0, null) })),
    ];
    const { state, record } = runLogged(core, wal, inputs);
    assert.equal(state.step, 'precommit');
    wal.close();
    const restarted = replayWal(core, record, FileWal.open(path).replay());
    assert.equal(restarted.state.step, 'precommit');
    assert.equal(restarted.state.round, state.round);
    assert.ok(
      !restarted.effects.some((e) => e.kind === 'Dropped'),
      'replay re-uses our signatures, refuses nothing',
    );
    assert.ok(!restarted.effects.some((e) => e.kind === 'PersistSignedState'), 'and signs nothing new');
    const votes = restarted.effects.filter((e) => e.kind === 'BroadcastVote');
    assert.equal(votes.length, 2, 'our prevote and precommit are re-broadcast');
  });
});

/** A few heights of entries: StartHeight(h) then votes of validators 1-2 at h. */
function heightEntries(height: number): WalEntry[] {
  return [
    { kind: 'input', input: { kind: 'StartHeight', height, validatorSet: set } },
    {
      kind: 'input',
      input: { kind: 'VoteReceived', vote: signVote(signers[1]!, CHAIN, 'prevote', height, 0, value.id) },
    },
    {
      kind: 'input',
      input: { kind: 'VoteReceived', vote: signVote(signers[2]!, CHAIN, 'prevote', height, 0, null) },
    },
  ];
}

function startHeights(entries: readonly WalEntry[]): number[] {
  return entries.flatMap((e) =>
    e.kind === 'input' && e.input.kind === 'StartHeight' ? [e.input.height] : [],
  );
}

describe('FileWal rotation', () => {
  let dir = '';
  let path = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-walrot-'));
    path = join(dir, 'wal');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts a segment at each StartHeight and keeps only the current and previous one', () => {
    const wal = FileWal.open(path, { segmentBytesMin: 0 });
    const sizes: number[] = [];
    for (let h = 1; h <= 20; h++) {
      for (const entry of heightEntries(h))
        wal.append(entry, { sync: entry.kind === 'input' && entry.input.kind === 'StartHeight' });
      sizes.push(wal.sizeBytes);
      assert.ok(wal.segments.length <= 2, `height ${h}: ${wal.segments.join(',')}`);
    }
    assert.deepEqual(wal.segments, ['wal.00000000000000000019', 'wal.00000000000000000020']);
    assert.equal(existsSync(path), false, 'the first segment was deleted two rotations later');
    assert.ok(sizes[19]! <= sizes[2]! + 64, `disk use stays bounded: ${sizes.join(' ')}`);
    assert.deepEqual(startHeights(wal.replay()), [19, 20], 'replay reads two heights only');
    wal.close();
    const reopened = FileWal.open(path, { segmentBytesMin: 0 });
    assert.equal(reopened.replay().length, 6, 'unsynced appends are there after a reopen');
    reopened.append(heightEntries(20)[1]!);
    assert.equal(
      statSync(join(dir, 'wal.00000000000000000020')).size > 0 && reopened.replay().length,
      7,
      'appends go to the last segment after a reopen',
    );
    reopened.close();
  });

  it('reads a single-file WAL of an earlier version and rotates away from it', () => {
    const legacy = FileWal.open(path);
    for (const entry of heightEntries(7)) legacy.append(entry);
    legacy.close();
    const wal = FileWal.open(path, { segmentBytesMin: 0 });
    assert.deepEqual(startHeights(wal.replay()), [7]);
    wal.append(heightEntries(8)[0]!);
    assert.deepEqual(wal.segments, ['wal', 'wal.00000000000000000008']);
    wal.append(heightEntries(9)[0]!);
    assert.deepEqual(wal.segments, ['wal.00000000000000000008', 'wal.00000000000000000009']);
    wal.close();
  });

  it('a crash at every step of a rotation leaves a WAL whose replay resumes at a logged height', () => {
    const steps: RotationStep[] = ['synced-old', 'created', 'written', 'deleted-one', 'done'];
    for (const crashAt of steps) {
      rmSync(dir, { recursive: true, force: true });
      dir = mkdtempSync(join(tmpdir(), 'shroud-walrot-'));
      path = join(dir, 'wal');
      let armed = false;
      const wal = FileWal.open(path, {
        segmentBytesMin: 0,
        onRotationStep: (step) => {
          if (armed && step === crashAt) throw new Error('crash');
        },
      });
      for (let h = 1; h <= 3; h++) for (const entry of heightEntries(h)) wal.append(entry);
      armed = true;
      assert.throws(() => wal.append(heightEntries(4)[0]!), /crash/, `${crashAt}: the hook fired`);
      wal.close();
      const reopened = FileWal.open(path, { segmentBytesMin: 0 });
      const heights = startHeights(reopened.replay());
      const last = heights.at(-1);
      const logged = crashAt === 'synced-old' || crashAt === 'created' ? 3 : 4;
      assert.equal(last, logged, `${crashAt}: last StartHeight ${heights.join(',')}`);
      assert.ok(reopened.segments.length <= 3, `${crashAt}: ${reopened.segments.join(',')}`);
      // The host resumes: StartHeight(4) again when it was lost, then the next heights.
      if (logged === 3) reopened.append(heightEntries(4)[0]!);
      reopened.append(heightEntries(5)[0]!);
      assert.deepEqual(startHeights(reopened.replay()), [4, 5], `${crashAt}: rotation continues`);
      assert.equal(reopened.segments.length, 2, `${crashAt}: old segments are deleted`);
      reopened.close();
    }
  });

  it('rotates only once a segment reaches segmentBytesMin', () => {
    const wal = FileWal.open(path, { segmentBytesMin: 2000 }); // about one height of entries
    let rotations = 0;
    for (let h = 1; h <= 30; h++) {
      for (const entry of heightEntries(h)) wal.append(entry);
      if (wal.segments.at(-1)!.endsWith(`.${String(h).padStart(20, '0')}`)) rotations++;
      assert.ok(wal.segments.length <= 2, `height ${h}: ${wal.segments.join(',')}`);
      assert.ok(
        wal.sizeBytes < 2 * (2000 + 2000),
        `height ${h}: ${wal.sizeBytes} bytes on disk stay bounded`,
      );
    }
    assert.ok(rotations >= 5 && rotations <= 15, `rotated ${rotations} times in 30 heights`);
    wal.close();
  });

  it('refuses a closed segment with a damaged tail', () => {
    const wal = FileWal.open(path, { segmentBytesMin: 0 });
    for (let h = 1; h <= 2; h++) for (const entry of heightEntries(h)) wal.append(entry);
    wal.close();
    const first = readFileSync(path);
    writeFileSync(path, first.subarray(0, first.length - 3));
    assert.throws(
      () => FileWal.open(path),
      (e) => hasErrorCode(e, 'WAL_CORRUPTED'),
    );
    assert.equal(readdirSync(dir).length, 2, 'nothing deleted');
  });
});

function lastFrameLength(file: Buffer): number {
  let offset = 0;
  let last = 0;
  while (offset < file.length) {
    last = WAL_FRAME_HEADER_BYTES + file.readUInt32BE(offset);
    offset += last;
  }
  return last;
}

function crc(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
