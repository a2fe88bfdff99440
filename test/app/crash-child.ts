// Child process of crash.test.ts: opens the node in HOME (durable store, enclave from the
// sealed seed), runs initChain if nothing is committed, then commits the deterministic blocks
// of crash-blocks.ts forever, printing "commit <height> <appHash hex>" only after commit()
// returned. The parent SIGKILLs it at random moments.
// Usage: node --import tsx test/app/crash-child.ts HOME
import { readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex } from '../../src/crypto/index.js';
import { crashBlockTxs } from './crash-blocks.js';
import { initChain, openNode, runBlock } from './helpers.js';

const home = process.argv[2];
if (home === undefined) {
  process.stderr.write('usage: crash-child.ts HOME\n');
  process.exit(2);
}
const genesisText = readFileSync(join(home, 'genesis.json'), 'utf8');
// Background hashing on: the reference node of crash.test.ts hashes on its main thread, so
// equal app hashes also show the two paths agree across kills and restarts.
const node = await openNode({ home, genesisText, durable: true, backgroundHashing: true });
writeSync(1, `ready ${node.store.info().height}\n`);
if (node.store.info().height === 0n) await initChain(node);
const io = node.genesis.network.ioPublicKey;
for (;;) {
  const height = node.store.info().height + 1n;
  const response = await runBlock(node, crashBlockTxs(height, io), { skipPrepare: true });
  writeSync(1, `commit ${height} ${bytesToHex(response.appHash)}\n`);
}
