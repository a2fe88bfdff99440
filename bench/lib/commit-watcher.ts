// Commit times as a client sees them: a subscription to CometBFT's NewBlock event over the
// node's WebSocket (`/websocket`, JSON-RPC `subscribe`), served by both CometBFT v0.38 and
// Shroud's own RPC. The benches time submit → commit with it.
import WebSocket from 'ws';
import { bytesToHex, sha256 } from '../../src/crypto/index.js';

/** A block as seen: its height, when it arrived (performance.now() ms) and its tx count. */
export interface SeenBlock {
  height: number;
  atMs: number;
  txs: number;
}

interface NewBlockMessage {
  result?: {
    data?: { value?: { block?: { header: { height: string }; data: { txs: string[] | null } } } };
  };
}

/** Watches NewBlock on one node: when each tx hash was seen committed, and every block. */
export class CommitWatcher {
  /** Lowercase hex sha256 of each tx → performance.now() ms of the block that carried it. */
  readonly committedAt = new Map<string, number>();
  readonly blocks: SeenBlock[] = [];
  /** Txs in every block seen so far. */
  totalTxs = 0;
  private constructor(private readonly socket: WebSocket) {}

  /**
   * Connects to `rpcUrl`'s WebSocket and subscribes to NewBlock.
   * @throws the socket's error when the connection fails.
   */
  static async open(rpcUrl: string): Promise<CommitWatcher> {
    const socket = new WebSocket(`${rpcUrl.replace('http', 'ws')}/websocket`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const watcher = new CommitWatcher(socket);
    socket.on('message', (raw: Buffer) => watcher.onMessage(raw));
    socket.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'subscribe',
        params: { query: "tm.event='NewBlock'" },
      }),
    );
    return watcher;
  }

  /** Whether every hash of `hashes` (lowercase hex) was seen committed. */
  sawAll(hashes: Iterable<string>): boolean {
    for (const hash of hashes) if (!this.committedAt.has(hash)) return false;
    return true;
  }

  private onMessage(raw: Buffer): void {
    const atMs = performance.now();
    const block = (JSON.parse(raw.toString('utf8')) as NewBlockMessage).result?.data?.value?.block;
    if (block === undefined) return;
    const txs = block.data.txs ?? [];
    for (const tx of txs) this.committedAt.set(bytesToHex(sha256(Buffer.from(tx, 'base64'))), atMs);
    this.blocks.push({ height: Number(block.header.height), atMs, txs: txs.length });
    this.totalTxs += txs.length;
  }

  close(): void {
    this.socket.close();
  }
}
