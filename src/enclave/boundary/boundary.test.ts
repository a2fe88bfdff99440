import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { DEFAULT_SYNC_SLICE_MS, EnclaveWorker, EnclaveCallError, type Crossing } from './host-side.js';
import { BoundaryError, FrameState } from './channel.js';
import { ECALL, OCALL } from './boundary.fixture-tags.js';

const entry = new URL('./boundary.fixture.ts', import.meta.url);

function ocall(tag: number, payload: Uint8Array): Uint8Array {
  if (tag === OCALL.valueOf) return Uint8Array.of((payload[0] ?? 0) + 1);
  throw new Error('host refuses this OCALL');
}

describe('enclave boundary channel', () => {
  it('answers ECALLs and serves nested OCALLs synchronously', async () => {
    const enclave = await EnclaveWorker.start({ entry, ocall, channelCapacityBytes: 1 << 20 });
    try {
      assert.deepEqual(await enclave.ecall(ECALL.echo, Uint8Array.of(1, 2, 3)), Uint8Array.of(1, 2, 3));
      // 1 + 2 + ... + 200 = 20100 = 0x4E84
      assert.deepEqual(
        await enclave.ecall(ECALL.sumViaOcalls, Uint8Array.of(200)),
        Uint8Array.of(0x84, 0x4e),
      );
    } finally {
      await enclave.stop();
    }
  });

  it('serializes concurrent ECALLs and keeps their answers apart', async () => {
    const enclave = await EnclaveWorker.start({ entry, ocall, channelCapacityBytes: 1 << 20 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => enclave.ecall(ECALL.echo, Uint8Array.of(i))),
      );
      answers.forEach((answer, i) => assert.deepEqual(answer, Uint8Array.of(i), `answer ${i}`));
    } finally {
      await enclave.stop();
    }
  });

  it('lets the event loop run while an ECALL is in flight, serving its OCALLs from the loop', async () => {
    // The enclave keeps asking for the gate (an OCALL every ~1 ms) until it reads 1; only a
    // timer opens it. A host that blocks its thread until the ECALL ends (serving OCALLs inline)
    // never runs the timer, and the enclave gives up with [0] after ~5 s.
    let gate = 0;
    let gateAsks = 0;
    const enclave = await EnclaveWorker.start({
      entry,
      ocall: (tag, payload) => {
        if (tag !== OCALL.gate) return ocall(tag, payload);
        gateAsks++;
        return Uint8Array.of(gate);
      },
      channelCapacityBytes: 1 << 20,
    });
    try {
      const answer = enclave.ecall(ECALL.untilGateOpens, new Uint8Array(0));
      setTimeout(() => (gate = 1), 20);
      assert.deepEqual(await answer, Uint8Array.of(1), 'the timer ran during the ECALL');
      assert.ok(gateAsks >= 2, `the enclave asked before and after the gate opened (${gateAsks})`);
    } finally {
      await enclave.stop();
    }
  });

  it('queues an ECALL made from inside an OCALL handler behind the running one', async () => {
    const order: string[] = [];
    let inner: Promise<Uint8Array> | undefined;
    const started: { enclave?: EnclaveWorker } = {}; // the handler needs the worker it serves
    const enclave = await EnclaveWorker.start({
      entry,
      ocall: (tag, payload) => {
        if (tag === OCALL.valueOf && inner === undefined && started.enclave !== undefined) {
          inner = started.enclave.ecall(ECALL.echo, Uint8Array.of(42));
          void inner.then(() => order.push('inner'));
        }
        return ocall(tag, payload);
      },
      channelCapacityBytes: 1 << 20,
    });
    started.enclave = enclave;
    try {
      const outer = await enclave.ecall(ECALL.sumViaOcalls, Uint8Array.of(3));
      order.push('outer');
      assert.deepEqual(outer, Uint8Array.of(6, 0), 'the outer ECALL is not disturbed (1 + 2 + 3)');
      assert.ok(inner !== undefined, 'the handler made its ECALL');
      assert.deepEqual(await inner, Uint8Array.of(42), 'the queued ECALL ran afterwards');
      assert.deepEqual(order, ['outer', 'inner']);
    } finally {
      await enclave.stop();
    }
  });

  it('reports a failed OCALL as a typed ECALL error and keeps serving', async () => {
    const enclave = await EnclaveWorker.start({ entry, ocall, channelCapacityBytes: 1 << 20 });
    try {
      await assert.rejects(enclave.ecall(ECALL.fail, new Uint8Array(0)), (error: unknown) => {
        assert.ok(error instanceof EnclaveCallError);
        assert.equal(error.enclaveCode, 'FIXTURE_FAULT');
        assert.match(error.message, /host refuses this OCALL/);
        return true;
      });
      await assert.rejects(enclave.ecall(99, new Uint8Array(0)), /unknown ECALL tag 99/);
      assert.deepEqual(await enclave.ecall(ECALL.echo, Uint8Array.of(7)), Uint8Array.of(7));
    } finally {
      await enclave.stop();
    }
  });

  it('refuses frames larger than the channel, in either direction', async () => {
    const enclave = await EnclaveWorker.start({ entry, ocall, channelCapacityBytes: 1 << 20 });
    try {
      await assert.rejects(enclave.ecall(ECALL.echo, new Uint8Array((1 << 20) + 1)), (error: unknown) => {
        return error instanceof BoundaryError && error.code === 'FRAME_TOO_LARGE';
      });
      await assert.rejects(enclave.ecall(ECALL.hugeAnswer, new Uint8Array(0)), (error: unknown) => {
        return error instanceof EnclaveCallError && /exceeds the channel capacity/.test(error.message);
      });
    } finally {
      await enclave.stop();
    }
  });

  it('turns a worker that dies mid-ECALL into ENCLAVE_CRASHED instead of hanging', async () => {
    const enclave = await EnclaveWorker.start({
      entry,
      ocall,
      channelCapacityBytes: 1 << 20,
    });
    await assert.rejects(enclave.ecall(ECALL.crash, new Uint8Array(0)), (error: unknown) => {
      return error instanceof BoundaryError && error.code === 'ENCLAVE_CRASHED';
    });
    await assert.rejects(enclave.ecall(ECALL.echo, new Uint8Array(0)), /exited/);
  });

  it('enforces resourceLimits: an enclave that hoards memory is stopped, the host survives', async () => {
    const enclave = await EnclaveWorker.start({
      entry,
      ocall,
      channelCapacityBytes: 1 << 20,
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
    });
    await assert.rejects(enclave.ecall(ECALL.exhaustMemory, new Uint8Array(0)), (error: unknown) => {
      return error instanceof BoundaryError && error.code === 'ENCLAVE_CRASHED';
    });
  });

  it('shows every crossing to the tap, in order', async () => {
    const crossings: Crossing[] = [];
    const enclave = await EnclaveWorker.start({
      entry,
      ocall,
      channelCapacityBytes: 1 << 20,
      tap: (crossing) => crossings.push(crossing),
    });
    try {
      await enclave.ecall(ECALL.sumViaOcalls, Uint8Array.of(2));
    } finally {
      await enclave.stop();
    }
    assert.deepEqual(
      crossings.map((c) => [c.direction, c.state]),
      [
        ['host-to-enclave', FrameState.EcallRequest],
        ['enclave-to-host', FrameState.OcallRequest],
        ['host-to-enclave', FrameState.OcallResponse],
        ['enclave-to-host', FrameState.OcallRequest],
        ['host-to-enclave', FrameState.OcallResponse],
        ['enclave-to-host', FrameState.EcallResponse],
      ],
    );
  });
});

/** Keeps the thread busy for `ms` (a slow OCALL handler: it holds the host's thread). */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Counts how often a timer of `everyMs` runs until `stop` is called. */
function ticker(everyMs: number): { ticks: () => number; stop: () => void } {
  let count = 0;
  const timer = setInterval(() => count++, everyMs);
  return { ticks: () => count, stop: () => clearInterval(timer) };
}

describe('host serving OCALLs in synchronous slices (ADR 006, session 3)', () => {
  it('gives the same answers with slices off, short and long', async () => {
    for (const syncSliceMs of [0, DEFAULT_SYNC_SLICE_MS, 50]) {
      const enclave = await EnclaveWorker.start({ entry, ocall, channelCapacityBytes: 1 << 20, syncSliceMs });
      try {
        assert.deepEqual(
          await enclave.ecall(ECALL.sumViaOcalls, Uint8Array.of(200)),
          Uint8Array.of(0x84, 0x4e),
          `sum through 200 OCALLs, slice ${syncSliceMs} ms`,
        );
        assert.deepEqual(
          await enclave.ecall(ECALL.echo, Uint8Array.of(9)),
          Uint8Array.of(9),
          `echo after it, slice ${syncSliceMs} ms`,
        );
      } finally {
        await enclave.stop();
      }
    }
  });

  it('runs the event loop between slices while a slow OCALL handler holds the thread', async () => {
    // 40 OCALLs of 3 ms each: every one outlasts a slice, so the host yields a loop turn after
    // each. A host that served the whole ECALL synchronously would let the timer run 0 times.
    const enclave = await EnclaveWorker.start({
      entry,
      ocall: (tag, payload) => {
        busyFor(3);
        return ocall(tag, payload);
      },
      channelCapacityBytes: 1 << 20,
    });
    try {
      const timer = ticker(1);
      const answer = await enclave.ecall(ECALL.sumViaOcalls, Uint8Array.of(40));
      timer.stop();
      assert.deepEqual(answer, Uint8Array.of(820 & 0xff, 820 >> 8), '1 + 2 + ... + 40');
      assert.ok(timer.ticks() >= 10, `the 1 ms timer ran during the ~120 ms ECALL (${timer.ticks()} times)`);
    } finally {
      await enclave.stop();
    }
  });

  it('yields to the event loop during a long chain of short ECALLs awaited one after another', async () => {
    // Each ECALL ends within the spin or its first slice, and the next is made from the promise
    // continuation (a microtask): without a slice that spans ECALLs, the chain would hold the
    // loop until its end. The slice counts from the loop's last turn, not from each ECALL.
    const enclave = await EnclaveWorker.start({
      entry,
      ocall: (tag, payload) => {
        busyFor(0.5);
        return ocall(tag, payload);
      },
      channelCapacityBytes: 1 << 20,
    });
    try {
      const timer = ticker(1);
      for (let i = 0; i < 200; i++) await enclave.ecall(ECALL.sumViaOcalls, Uint8Array.of(1));
      timer.stop();
      assert.ok(
        timer.ticks() >= 20,
        `the 1 ms timer ran during 200 ECALLs of ≥ 0.5 ms (${timer.ticks()} times)`,
      );
    } finally {
      await enclave.stop();
    }
  });

  it('stops blocking the thread after a slice in which the enclave sent nothing', async () => {
    // A 300 ms ECALL without OCALLs and 50 ms slices: the host blocks for the first slice only,
    // then waits asynchronously, idle in the event loop. The event loop utilization (the share
    // of wall time not spent idle waiting for events) is then ~50/300; a host that yielded
    // between blocking slices instead would be busy ~all the time. Unlike counting a timer's
    // turns, this holds on a loaded machine: time waiting for a CPU after an event is idle time.
    const enclave = await EnclaveWorker.start({
      entry,
      ocall,
      channelCapacityBytes: 1 << 20,
      syncSliceMs: 50,
    });
    try {
      const start = performance.eventLoopUtilization();
      const answer = await enclave.ecall(ECALL.computeFor, Uint8Array.of(30));
      const { utilization, active, idle } = performance.eventLoopUtilization(start);
      assert.deepEqual(answer, Uint8Array.of(1));
      assert.ok(
        utilization < 0.6,
        `the loop was idle during the 300 ms ECALL (busy ${active.toFixed(0)} ms, idle ${idle.toFixed(0)} ms)`,
      );
    } finally {
      await enclave.stop();
    }
  });

  it('finishes the ECALL in flight when stopped during it, then refuses new ones', async () => {
    let served = 0;
    let fifthServed: () => void = () => undefined;
    const fifth = new Promise<void>((resolve) => (fifthServed = resolve));
    const enclave = await EnclaveWorker.start({
      entry,
      ocall: (tag, payload) => {
        busyFor(1);
        if (++served === 5) fifthServed();
        return ocall(tag, payload);
      },
      channelCapacityBytes: 1 << 20,
    });
    const answer = enclave.ecall(ECALL.sumViaOcalls, Uint8Array.of(50));
    await fifth; // runs on a loop turn between slices, with the ECALL still in flight
    assert.ok(served < 50, `stop comes while the ECALL runs (${served} OCALLs served)`);
    const stopped = enclave.stop();
    assert.deepEqual(await answer, Uint8Array.of(1275 & 0xff, 1275 >> 8), 'the ECALL in flight completes');
    await stopped;
    assert.equal(served, 50, 'every OCALL of it was served');
    await assert.rejects(enclave.ecall(ECALL.echo, Uint8Array.of(1)), (error: unknown) => {
      return error instanceof BoundaryError && error.code === 'ENCLAVE_STOPPED';
    });
  });

  it('turns a worker that dies while the host serves its OCALLs into ENCLAVE_CRASHED', async () => {
    for (const syncSliceMs of [0, DEFAULT_SYNC_SLICE_MS]) {
      const enclave = await EnclaveWorker.start({ entry, ocall, channelCapacityBytes: 1 << 20, syncSliceMs });
      await assert.rejects(
        enclave.ecall(ECALL.crashAfterOcalls, Uint8Array.of(20)),
        (error: unknown) => error instanceof BoundaryError && error.code === 'ENCLAVE_CRASHED',
        `slice ${syncSliceMs} ms`,
      );
    }
  });
});
