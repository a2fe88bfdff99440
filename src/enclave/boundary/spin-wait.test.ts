import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveSpin } from './spin-wait.js';
import { FrameState, SharedChannel } from './channel.js';

describe('AdaptiveSpin', () => {
  it('spins the full budget while waits end within it, and stops after repeated misses', () => {
    const spin = new AdaptiveSpin({ maxMicros: 100 });
    assert.equal(spin.budgetMicros(), 100, 'starts optimistic');
    for (let i = 0; i < 20; i++) spin.record(5_000); // long waits: spinning would be wasted
    assert.equal(spin.budgetMicros(), 0, 'falls back to the base spin');
    for (let i = 0; i < 20; i++) spin.record(10); // short again
    assert.equal(spin.budgetMicros(), 100, 'recovers');
  });

  it('never spins beyond the base loads when switched off', () => {
    const spin = new AdaptiveSpin({ maxMicros: 0 });
    for (let i = 0; i < 5; i++) spin.record(0);
    assert.equal(spin.budgetMicros(), 0);
  });
});

describe('SharedChannel sleepers', () => {
  it('a waiter that is asleep is woken; one that is not is not needed to be', () => {
    const buffer = SharedChannel.allocate(64);
    const host = new SharedChannel(buffer);
    const enclave = new SharedChannel(buffer);
    // Nobody sleeps: send stores the frame, poll sees it without any notify.
    host.send(FrameState.EcallRequest, 7, Uint8Array.of(1, 2));
    const frame = enclave.poll(FrameState.Idle);
    assert.ok(frame !== null, 'the frame is visible at once');
    assert.equal(frame.tag, 7);
    assert.deepEqual(frame.payload, Uint8Array.of(1, 2));
    assert.equal(enclave.poll(FrameState.EcallRequest), null, 'no change while the state is unchanged');
    // A bounded wait on an unchanged state times out (and leaves no sleeper behind).
    assert.throws(() => enclave.waitWhile(FrameState.EcallRequest, 5), /within 5 ms/);
    assert.equal(new Int32Array(buffer, 0, 4)[3], 0, 'sleepers back to zero');
  });
});
