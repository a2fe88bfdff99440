// Child process of crash.test.ts: opens the store in DIR and commits the deterministic blocks
// of ./blocks.ts forever, printing "commit <height> <appHash hex>" only AFTER commit() has
// returned (the parent kills it with SIGKILL at a random moment and checks that every
// reported block survived, and that nothing is half-applied).
// Usage: node --import tsx test/store/crash-child.ts DIR [--wait-for-go]
// With --wait-for-go it loads its modules, prints "loaded" and waits for a line on stdin
// before opening the store (the parent overlaps this slow start-up with its own checks).
import { writeSync } from 'node:fs';
import { Store } from '../../src/store/index.js';
import { applyToBatch, blockOps } from './blocks.js';

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: crash-child.ts DIR\n');
  process.exit(2);
}
if (process.argv[3] === '--wait-for-go') {
  writeSync(1, 'loaded\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
}
const store = Store.open(dir);
writeSync(1, `ready ${store.info().height}\n`);
for (let height = store.info().height + 1n; ; height++) {
  const batch = store.beginBlock(height);
  applyToBatch(batch, blockOps(height));
  const appHash = batch.commit();
  // writeSync: the line reaches the pipe before the next block starts.
  writeSync(1, `commit ${height} ${Buffer.from(appHash).toString('hex')}\n`);
}
