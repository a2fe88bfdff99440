// A one-validator consensus node whose blocks carry at most `maxBlockTxs` txs, with its funded
// test accounts and `count` signed bank sends ready to submit (block-cap and full-block tests).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HOME_FILES,
  initNetwork,
  loadTestAccounts,
  startConsensusNode,
  type ChainNode,
} from '../../src/node/index.js';
import { bankSends } from '../helpers/bank.js';

export interface CappedNode {
  node: ChainNode;
  txs: ReturnType<typeof bankSends>;
  /** Stops the node and removes its home. */
  close: () => Promise<void>;
}

/** Starts the node (height 1 committed) and signs `count` sends from its first test account. */
export async function startCappedNode(options: {
  chainId: string;
  /** Nothing binds it (no RPC is served, p2p listens on port 0); distinct per test file. */
  portBase: number;
  timeoutCommitMs: number;
  maxBlockTxs: number;
  count: number;
}): Promise<CappedNode> {
  const root = mkdtempSync(join(tmpdir(), `shroud-${options.chainId}-`));
  await initNetwork(root, {
    validators: 1,
    chainId: options.chainId,
    accounts: 2,
    portBase: options.portBase,
    timeouts: { timeoutCommitMs: options.timeoutCommitMs },
  });
  const home = join(root, 'node0');
  const configPath = join(home, HOME_FILES.config);
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { consensus: Record<string, unknown> };
  config.consensus['maxBlockTxs'] = options.maxBlockTxs;
  writeFileSync(configPath, JSON.stringify(config));
  const node = await startConsensusNode(home, { p2pPort: 0 });
  const close = async () => {
    await node.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await node.waitForHeight(1n, 30_000);
    const [sender, receiver] = loadTestAccounts(home);
    assert.ok(sender !== undefined && receiver !== undefined, 'test accounts');
    const txs = bankSends({
      mnemonic: sender.mnemonic,
      chainId: options.chainId,
      accountNumber: 0n, // the first genesis account
      to: receiver.address,
      count: options.count,
    });
    return { node, txs, close };
  } catch (error) {
    await close();
    throw error;
  }
}
