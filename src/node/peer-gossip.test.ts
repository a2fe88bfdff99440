// The relay's record of what each peer has (ADR 011 §8): a message is skipped only for the peer
// and height it was recorded for, the record of lower heights and of a disconnected peer is
// dropped, and a "decided" status holds only for its height until the next plain status.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PeerGossip } from './peer-gossip.js';

describe('PeerGossip', () => {
  it('a message is known only for the peer and height recorded', () => {
    const g = new PeerGossip();
    g.markHas('a', 5, 'sig1');
    assert.equal(g.peerHas('a', 5, 'sig1'), true);
    for (const [peer, height, key] of [
      ['b', 5, 'sig1'],
      ['a', 6, 'sig1'],
      ['a', 4, 'sig1'],
      ['a', 5, 'sig2'],
    ] as const)
      assert.equal(g.peerHas(peer, height, key), false, `${peer} ${height} ${key}`);
  });

  it('forgetBelow drops lower heights and keeps the current and next', () => {
    const g = new PeerGossip();
    for (const h of [4, 5, 6]) g.markHas('a', h, `k${h}`);
    g.forgetBelow(5);
    assert.equal(g.peerHas('a', 4, 'k4'), false);
    assert.equal(g.peerHas('a', 5, 'k5'), true);
    assert.equal(g.peerHas('a', 6, 'k6'), true);
  });

  it('a disconnected peer is relayed everything again and loses its decided status', () => {
    const g = new PeerGossip();
    g.markHas('a', 5, 'k');
    g.markHas('b', 5, 'k');
    g.setStatus('a', 5, true);
    g.removePeer('a');
    assert.equal(g.peerHas('a', 5, 'k'), false);
    assert.equal(g.hasDecided('a', 5), false);
    assert.equal(g.peerHas('b', 5, 'k'), true, 'other peers keep their record');
  });

  it('a decided status covers its height only, until a plain status replaces it', () => {
    const g = new PeerGossip();
    assert.equal(g.hasDecided('a', 5), false, 'nothing announced');
    g.setStatus('a', 5, true);
    assert.equal(g.hasDecided('a', 5), true);
    assert.equal(g.hasDecided('a', 4), false, 'an older height is not decided by it');
    assert.equal(g.hasDecided('b', 5), false, 'another peer');
    g.setStatus('a', 6, false);
    assert.equal(g.hasDecided('a', 5), false, 'moved on: a plain status');
    g.setStatus('a', 6, true);
    g.setStatus('a', 6, false);
    assert.equal(g.hasDecided('a', 6), false, 'a plain status of the same height clears it');
  });

  it('the record per peer and height is bounded; past it messages are simply relayed', () => {
    const g = new PeerGossip();
    for (let i = 0; i < 10_050; i++) g.markHas('a', 5, `k${i}`);
    assert.equal(g.peerHas('a', 5, 'k0'), true);
    assert.equal(g.peerHas('a', 5, 'k9999'), true);
    assert.equal(g.peerHas('a', 5, 'k10000'), false, 'over the bound: not recorded');
  });
});
