// Helpers of the RPC tests: a solo node in a temp home with its RPC on a free loopback port,
// funding the app test helpers' users (test/app/helpers.ts) so they can sign real txs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initHome, startSoloNode, type SoloNode } from '../../src/node/index.js';
import { startRpcServer, type RpcServerOptions } from '../../src/rpc/index.js';
import type { User } from '../app/helpers.js';

export interface TestNode {
  node: SoloNode;
  url: string;
  home: string;
  close(): Promise<void>;
}

/** A started node; `users` are funded at genesis with account numbers 0.. in order. */
export async function startTestNode(
  chainId: string,
  users: User[],
  rpc: Partial<RpcServerOptions> = {},
  blockTimeMs = 150,
  testAccounts = 0,
): Promise<TestNode> {
  const home = mkdtempSync(join(tmpdir(), 'shroud-rpc-'));
  await initHome(home, {
    chainId,
    accounts: testAccounts,
    extraAccounts: users.map((u) => ({ address: u.address, amount: 10_000_000_000n })),
  });
  const node = await startSoloNode(home, {
    blockTimeMs,
    serve: (n) => startRpcServer(n, { port: 0, ...rpc }),
  });
  await node.waitForHeight(1n, 20_000);
  // The RPC serves a height once the app has committed it too (src/rpc/methods.ts servedHeight),
  // a moment after the block store has it: a test asking for block 1 at once must find it.
  for (const deadline = Date.now() + 20_000; node.app.store.info().height < 1n;) {
    if (Date.now() > deadline) throw new Error('the app did not commit height 1 within 20 s of its block');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    node,
    url: node.rpcUrl,
    home,
    close: async () => {
      await node.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** POSTs a raw body and returns the HTTP status and parsed JSON. */
export async function post(
  url: string,
  body: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}
