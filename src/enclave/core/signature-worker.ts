// The enclave's signature pool thread (signature-pool.ts), started by the enclave worker: takes
// PENDING jobs in order by compare-and-swap, verifies them (verifyJob, the enclave thread's own
// rule) and publishes each verdict in the job's state word. Sleeps on the control word when
// there is nothing to do. Sends nothing anywhere: verdicts go only to the enclave thread.
import { writeFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { CONTROL, JOB, JOB_STRIDE, poolViews, splitWord, verifyJob } from './signature-pool.js';

const buffer = (workerData as { buffer?: unknown } | null)?.buffer;
if (!(buffer instanceof SharedArrayBuffer)) throw new Error('the signature pool needs its shared buffer');
const { control, states, jobs } = poolViews(buffer);

// Names this thread for per-thread CPU figures (Linux, proc(5) /proc/thread-self/comm; Node
// names every thread `node`). Best effort: nothing depends on it.
try {
  writeFileSync('/proc/thread-self/comm', 'shroud-sigpool');
} catch {
  // not Linux, or /proc is not mounted
}

Atomics.store(control, CONTROL.ready, 1);
let generation = -1;
let next = 0;
while (Atomics.load(control, CONTROL.stop) === 0) {
  const word = Atomics.load(control, CONTROL.word);
  const published = splitWord(word);
  if (published.generation !== generation) {
    generation = published.generation;
    next = 0;
  }
  if (next >= published.count) {
    Atomics.wait(control, CONTROL.word, word);
    continue;
  }
  const index = next++;
  if (Atomics.compareExchange(states, index, JOB.pending, JOB.byPool) !== JOB.pending) continue;
  const at = index * JOB_STRIDE;
  // Copies (slice) so the verifier sees ordinary, unshared bytes.
  const valid = verifyJob(
    jobs.slice(at, at + 32),
    jobs.slice(at + 32, at + 96),
    jobs.slice(at + 97, at + 97 + (jobs[at + 96] as number)),
  );
  Atomics.store(states, index, valid ? JOB.valid : JOB.invalid);
  Atomics.notify(states, index);
}
