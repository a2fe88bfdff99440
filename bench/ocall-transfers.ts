// OCALLs during batches of token transfers with many distinct senders (issues #4/#5, ADR 006
// "As built, session 3"): --n users in a ring (user i pays user i+1), one block = every user's
// transfer in runContractBatch ECALLs of --batch calls (resending what a batch did not run), as
// finalizeBlock does. Per block: readState / readStateBatch OCALLs per transfer (counted with the
// boundary tap), wall time, CPU per transfer of the host thread and of the enclave thread
// (/proc, 10 ms ticks), and the host's event-loop delay during the block. One enclave per host
// slice setting (--slices, Enclave.start syncSliceMs), blocks alternating between them.
// Usage: npx tsx bench/ocall-transfers.ts [--n 500] [--blocks 4] [--batch 64] [--slices 0,2]
import { rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Enclave, type RunContractRequest } from '../src/enclave/index.js';
import { FrameState } from '../src/enclave/boundary/channel.js';
import { OCALL } from '../src/enclave/protocol.js';
import {
  deployToken,
  makeUser,
  MemoryHost,
  openPolicy,
  tempHome,
  transferRing,
} from '../test/enclave/helpers.js';
import { threadTicks } from './lib/proc-cpu.js';
import { argNumber, argText } from './lib/args.js';
import { loadAverages, machine } from './lib/stats.js';

const N = argNumber('n', 500);
const BLOCKS = argNumber('blocks', 4);
const BATCH = argNumber('batch', 64);
const SLICES = argText('slices', '0,2').split(',').map(Number);

const users = Array.from({ length: N }, (_, i) => makeUser(1000 + i));

async function setup(syncSliceMs: number) {
  const host = new MemoryHost();
  host.log.push = () => 0;
  const counts = new Map<number, number>();
  const home = tempHome();
  const enclave = await Enclave.start({
    home,
    genesisPolicy: openPolicy,
    services: host,
    syncSliceMs,
    tap: (crossing) => {
      if (crossing.state === FrameState.OcallRequest)
        counts.set(crossing.tag, (counts.get(crossing.tag) ?? 0) + 1);
    },
  });
  const keys = await enclave.bootstrap();
  await enclave.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
  const target = await deployToken(enclave, host, keys.ioPublicKey, users, {
    address: 'ocall-token',
    label: 'ocall',
    name: 'Ocall Token',
    symbol: 'OCL',
    amount: '1000000',
  });
  const token = target.token;
  let callIndex = 1;
  const block = (): RunContractRequest[] => {
    const requests = transferRing(users, keys.ioPublicKey, target, callIndex, () => '1');
    callIndex += requests.length;
    return requests;
  };
  return { enclave, host, counts, home, token, block };
}

const setups = new Map<number, Awaited<ReturnType<typeof setup>>>();
for (const slice of SLICES) setups.set(slice, await setup(slice));
const loadBefore = loadAverages();
const rows: string[] = [];
for (let b = 0; b < BLOCKS; b++) {
  for (const slice of SLICES) {
    const s = setups.get(slice)!;
    const requests = s.block(); // signed before timing
    s.counts.clear();
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const ticks0 = threadTicks();
    delay.enable();
    const t0 = performance.now();
    for (let at = 0; at < requests.length;) {
      const results = await s.enclave.runContractBatch(requests.slice(at, at + BATCH));
      for (const result of results) {
        if (!result.ok) throw new Error('a transfer failed');
        s.host.apply(s.token, result);
      }
      at += results.length;
    }
    const ms = performance.now() - t0;
    delay.disable();
    const ticks1 = threadTicks();
    const used = [...ticks1].map(([tid, t]) => [tid, t - (ticks0.get(tid) ?? 0)] as const);
    const main = used.find(([tid]) => tid === String(process.pid))?.[1] ?? 0;
    const enclaveThread = Math.max(...used.filter(([tid]) => tid !== String(process.pid)).map(([, t]) => t));
    const per = (n: number) => ((n * 10_000) / N).toFixed(0); // ticks → µs per transfer
    rows.push(
      `| ${b + 1} | ${slice} | ${((s.counts.get(OCALL.readState) ?? 0) / N).toFixed(2)} | ${s.counts.get(OCALL.readStateBatch) ?? 0} | ` +
        `${ms.toFixed(0)} | ${((N / ms) * 1000).toFixed(0)} | ${per(main)} | ${per(enclaveThread)} | ` +
        `${(delay.percentile(99) / 1e6).toFixed(1)} / ${(delay.max / 1e6).toFixed(1)} |`,
    );
  }
}
for (const s of setups.values()) {
  await s.enclave.stop();
  rmSync(s.home, { recursive: true, force: true });
}
console.log(
  `machine: ${machine()}, load ${loadBefore} → ${loadAverages()}, ${N} senders, batches of ${BATCH}`,
);
console.log(
  '| block | slice ms | readState OCALLs per tx | readStateBatch OCALLs | ms | tx/s | host thread µs CPU/tx | enclave thread µs CPU/tx | loop delay p99 / max ms |',
);
console.log('|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const row of rows) console.log(row);
