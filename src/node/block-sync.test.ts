import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BlockSyncWindow, type BlockSyncLimits, type CommitInput, type SyncedBlock } from './block-sync.js';

const LIMITS: BlockSyncLimits = {
  windowHeights: 8,
  chunkHeights: 2,
  perPeerInFlight: 4,
  requestTimeoutMs: 1000,
  bufferedBytesMax: 1000,
};

function block(peer: string, height: number, bytes = 100): SyncedBlock {
  const input: CommitInput = {
    kind: 'CommitReceived',
    height,
    round: 0,
    value: { id: new Uint8Array(32), bytes: new Uint8Array(1) },
    commit: [],
  };
  return { peer, input, bytes };
}

function heightsOf(requests: { from: number; count: number }[]): number[] {
  return requests.flatMap((r) => Array.from({ length: r.count }, (_, i) => r.from + i));
}

describe('BlockSyncWindow', () => {
  it('asks for the window ahead in chunks spread over the peers that have the blocks', () => {
    const sync = new BlockSyncWindow(LIMITS);
    sync.setPeerHeight('a', 101);
    sync.setPeerHeight('b', 101);
    const requests = sync.plan(10, 0);
    assert.deepEqual(heightsOf(requests), [10, 11, 12, 13, 14, 15, 16, 17], 'the whole window, once');
    assert.ok(
      requests.every((r) => r.count <= LIMITS.chunkHeights),
      'chunks of at most chunkHeights',
    );
    assert.equal(sync.inFlight('a'), 4, 'half to a');
    assert.equal(sync.inFlight('b'), 4, 'half to b');
    assert.deepEqual(sync.plan(10, 10), [], 'nothing asked twice before the timeout');
  });

  it('bounds heights in flight per peer and asks only peers that have the heights', () => {
    const sync = new BlockSyncWindow(LIMITS);
    sync.setPeerHeight('short', 12); // stores up to 11
    sync.setPeerHeight('long', 101);
    const requests = sync.plan(10, 0);
    for (const r of requests) {
      if (r.peer === 'short') assert.ok(r.from + r.count - 1 <= 11, `short asked ${r.from}+${r.count}`);
    }
    assert.ok(sync.inFlight('long') <= LIMITS.perPeerInFlight, 'per-peer bound');
    assert.equal(heightsOf(requests).length, 6, 'short: 10-11, long: 4 heights, the rest waits');
  });

  it('asks no one when no peer is ahead', () => {
    const sync = new BlockSyncWindow(LIMITS);
    sync.setPeerHeight('a', 10); // stores up to 9
    assert.deepEqual(sync.plan(10, 0), []);
    assert.equal(sync.bestPeerTop, 9);
  });

  it('re-asks after the timeout and after a peer leaves, from another peer', () => {
    const sync = new BlockSyncWindow({ ...LIMITS, windowHeights: 2 });
    sync.setPeerHeight('a', 101);
    const first = sync.plan(10, 0);
    assert.deepEqual(first, [{ peer: 'a', from: 10, count: 2 }]);
    assert.deepEqual(sync.plan(10, 999), [], 'still waiting');
    assert.deepEqual(sync.plan(10, 1000), [{ peer: 'a', from: 10, count: 2 }], 're-sent after the timeout');
    sync.setPeerHeight('b', 101);
    sync.removePeer('a');
    assert.deepEqual(sync.plan(10, 1001), [{ peer: 'b', from: 10, count: 2 }], 'moved to b at once');
  });

  it('holds blocks of the window only, once per height, within the byte budget; take() hands them out', () => {
    const sync = new BlockSyncWindow(LIMITS);
    sync.setPeerHeight('a', 101);
    sync.plan(10, 0);
    assert.equal(sync.accept(block('a', 9), 10), false, 'below the next height');
    assert.equal(sync.accept(block('a', 18), 10), false, 'past the window');
    assert.equal(sync.accept(block('a', 12), 10), true);
    assert.equal(sync.accept(block('b', 12), 10), false, 'a height already held');
    assert.equal(sync.accept(block('a', 13, 901), 10), false, 'over the byte budget');
    assert.equal(sync.take(12)?.peer, 'a');
    assert.equal(sync.take(12), undefined, 'taken once');
    for (let h = 10; h < 18; h++) assert.equal(sync.accept(block('a', h, 125), 10), true, `height ${h}`);
    assert.deepEqual(sync.plan(10, 0), [], 'a full buffer asks for nothing');
    assert.equal(sync.heldBlocks, 8);
    sync.plan(14, 0);
    assert.equal(sync.heldBlocks, 4, 'blocks below the next height are dropped');
  });

  it('forgets everything a dropped peer sent and asks another peer for it', () => {
    const sync = new BlockSyncWindow(LIMITS);
    sync.setPeerHeight('bad', 101);
    sync.setPeerHeight('good', 101);
    sync.plan(10, 0);
    for (let h = 10; h < 18; h++) sync.accept(block(h % 2 === 0 ? 'bad' : 'good', h), 10);
    sync.dropPeer('bad');
    assert.equal(sync.heldBlocks, 4, "only good's blocks stay");
    const again = sync.plan(10, 1);
    assert.ok(
      again.every((r) => r.peer === 'good'),
      'the dropped peer is asked nothing',
    );
    assert.deepEqual(heightsOf(again), [10, 12, 14, 16], "bad's heights asked again");
  });
});
