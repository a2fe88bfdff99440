// The RPC never serves a block the app has not committed yet (the block store saves a block
// before the app's commit; a client told "included at H" must be able to query H's state).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SoloNode } from '../node/index.js';
import { METHODS, servedHeight } from './methods.js';

/** A node whose block store is one block ahead of its app (between save and commit). */
function nodeBetweenSaveAndCommit(stored: bigint, committed: bigint): SoloNode {
  const node = {
    blocks: {
      height: () => stored,
      findTx: () => ({ height: stored, index: 0 }),
      // A block record exists at every height: only the served height may hide it.
      load: () => ({}),
    },
    app: { store: { info: () => ({ height: committed, appHash: new Uint8Array(32) }) } },
  };
  // Only the members the methods under test touch; the cast is the point of a fake.
  return node as unknown as SoloNode;
}

describe('served height', () => {
  it('is the lower of the block store height and the app committed height', () => {
    assert.equal(servedHeight(nodeBetweenSaveAndCommit(5n, 4n)), 4n);
    assert.equal(servedHeight(nodeBetweenSaveAndCommit(4n, 4n)), 4n);
    assert.equal(servedHeight(nodeBetweenSaveAndCommit(3n, 4n)), 3n);
  });

  it('a tx in a block the app has not committed is not found yet', () => {
    const tx = METHODS['tx'];
    assert.ok(tx !== undefined);
    assert.throws(() => tx(nodeBetweenSaveAndCommit(5n, 4n), { hash: '00'.repeat(32) }), /not found/);
  });

  it('a block above the committed height is refused', () => {
    const block = METHODS['block'];
    assert.ok(block !== undefined);
    assert.throws(
      () => block(nodeBetweenSaveAndCommit(5n, 4n), { height: '5' }),
      /less than or equal to the current blockchain height 4/,
    );
  });
});
