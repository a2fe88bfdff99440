// The store's hashing worker (docs/adr/005, "Background hashing"): runs an IncrementalHasher
// on its own thread over the same LMDB environment, reading committed bucket entries from the
// `index` sub-database. Messages and their layout: hasher.ts.
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { open } from 'lmdb';
import { bucketIndexRange } from './hash.js';
import { IncrementalHasher, type AppliedWrite } from './incremental.js';
import { unpackWrites, type HasherRequest, type HasherWorkerData } from './hasher.js';

// Names this thread for per-thread CPU figures (Linux, proc(5) /proc/thread-self/comm; Node
// names every thread `node`). Best effort: nothing depends on it.
try {
  writeFileSync('/proc/thread-self/comm', 'shroud-hasher');
} catch {
  // not Linux, or /proc is not mounted
}

const data = workerData as HasherWorkerData;
const port = data.port;
const signal = new Int32Array(data.signal);
const root = open<Uint8Array, Uint8Array>(data.path, {
  noSubdir: false,
  maxDbs: 8,
  overlappingSync: false,
  keyEncoding: 'binary',
  encoding: 'binary',
  cache: false,
});
const index = root.openDB<Uint8Array, Uint8Array>({
  name: 'index',
  keyEncoding: 'binary',
  encoding: 'binary',
  cache: false,
});

function readBucket(bucket: number, into: Map<string, Uint8Array>): void {
  for (const { key, value } of index.getRange(bucketIndexRange(bucket))) {
    into.set((key as Buffer).toString('latin1', 2), Buffer.from(value));
  }
}

let hasher: IncrementalHasher | null = null;
let failure: string | null = null;

function handle(request: HasherRequest): void {
  switch (request.op) {
    case 'begin':
      // A fresh read snapshot: the previous block was committed by the main thread.
      root.resetReadTxn();
      if (request.tree !== undefined) {
        hasher = new IncrementalHasher(
          Buffer.from(request.tree.buffer, request.tree.byteOffset, request.tree.byteLength),
          readBucket,
        );
        failure = null;
      }
      hasher?.begin(request.height);
      return;
    case 'apply': {
      const writes: AppliedWrite[] = unpackWrites(request.packed);
      hasher?.apply(writes);
      return;
    }
    case 'finish': {
      if (hasher === null || failure !== null) {
        port.postMessage({ id: request.id, error: failure ?? 'no tree' });
      } else {
        const result = hasher.finish();
        port.postMessage({ id: request.id, ...result });
      }
      Atomics.store(signal, 0, request.id);
      Atomics.notify(signal, 0);
      return;
    }
    case 'commit':
      hasher?.commit();
      return;
    case 'discard':
      hasher?.discard();
      return;
    case 'close':
      void root.close().then(() => process.exit(0));
      return;
  }
}

parentPort?.on('message', (request: HasherRequest) => {
  try {
    handle(request);
  } catch (error) {
    // Reported at the next finish; the main thread then hashes the block itself.
    failure = error instanceof Error ? error.message : 'hasher failed';
    if (request.op === 'finish') {
      Atomics.store(signal, 0, request.id);
      Atomics.notify(signal, 0);
    }
  }
});
parentPort?.postMessage('ready');
