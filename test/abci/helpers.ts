// Helpers of the CometBFT tests and bench: the pinned cometbft binary (installed on demand by
// scripts/install-cometbft.mjs), free loopback ports, a network of `shroud abci` + `cometbft`
// process pairs (started, SIGKILLed and restarted by pid), and CometBFT RPC reads.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { CometTestnet, CometTestnetNode } from '../../src/cli/abci-commands.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'shroud.js');

/** Path of the pinned cometbft, installing it first if needed (~60 s once). */
export function cometbftBinary(): string {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'install-cometbft.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60_000,
  });
  const path = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || path === '') throw new Error('scripts/install-cometbft.mjs failed (see stderr)');
  return path;
}

/** `count` distinct free loopback ports (all held open together, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            resolve(typeof address === 'object' && address !== null ? address.port : 0);
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

type Json = Record<string, unknown>;

/** One JSON-RPC call to a CometBFT node. */
export async function rpc(url: string, method: string, params: Json = {}): Promise<Json> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { result?: Json; error?: unknown };
  if (body.result === undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

export async function latestHeight(url: string): Promise<bigint> {
  const status = await rpc(url, 'status');
  return BigInt((status['sync_info'] as Json)['latest_block_height'] as string);
}

/** App hash after block `height` (block_results.app_hash, CometBFT v0.38), hex upper case. */
export async function appHashAfter(url: string, height: bigint): Promise<string> {
  const results = await rpc(url, 'block_results', { height: height.toString() });
  return Buffer.from(results['app_hash'] as string, 'base64')
    .toString('hex')
    .toUpperCase();
}

export interface CometBlock {
  height: bigint;
  timeNanos: bigint;
  proposerAddress: Uint8Array;
  txs: Uint8Array[];
}

/** RFC 3339 with up to 9 fractional digits → nanoseconds since the epoch. */
export function rfc3339ToNanos(text: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (match === null) throw new Error(`not an RFC 3339 UTC time: ${text}`);
  const seconds = BigInt(Date.parse(`${match[1]}Z`) / 1000);
  return seconds * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** A block's contents as the app sees them in FinalizeBlock. */
export async function blockAt(url: string, height: bigint): Promise<CometBlock> {
  const result = await rpc(url, 'block', { height: height.toString() });
  const block = result['block'] as { header: Json; data: { txs: string[] | null } };
  return {
    height,
    timeNanos: rfc3339ToNanos(block.header['time'] as string),
    proposerAddress: Uint8Array.from(Buffer.from(block.header['proposer_address'] as string, 'hex')),
    txs: (block.data.txs ?? []).map((tx) => Uint8Array.from(Buffer.from(tx, 'base64'))),
  };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The `shroud abci` + `cometbft` pair of every node of a testnet. */
export class CometNetwork {
  readonly abci: (ChildProcess | null)[];
  readonly comet: (ChildProcess | null)[];

  constructor(
    readonly testnet: CometTestnet,
    readonly cometbft: string,
    readonly logDir: string,
  ) {
    this.abci = testnet.nodes.map(() => null);
    this.comet = testnet.nodes.map(() => null);
  }

  node(i: number): CometTestnetNode {
    const node = this.testnet.nodes[i];
    if (node === undefined) throw new Error(`no node ${i}`);
    return node;
  }

  /** Starts `shroud abci` (waits for it to listen), then `cometbft start`. */
  async start(i: number): Promise<void> {
    const node = this.node(i);
    const abci = spawn(
      process.execPath,
      [BIN, 'abci', '--home', node.shroudHome, '--address', node.abciAddress],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.abci[i] = abci;
    await new Promise<void>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(
        () => reject(new Error(`${node.name}: shroud abci not listening after 60 s:\n${text}`)),
        60_000,
      );
      const onData = (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('ABCI server listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      abci.stdout?.on('data', onData);
      abci.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      abci.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${node.name}: shroud abci exited with ${code}:\n${text}`));
      });
    });
    const log = openSync(this.cometLog(i), 'a');
    try {
      this.comet[i] = spawn(this.cometbft, ['start', '--home', node.cometHome], {
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
  }

  cometLog(i: number): string {
    return join(this.logDir, `${this.node(i).name}.cometbft.log`);
  }

  cometLogText(i: number): string {
    return readFileSync(this.cometLog(i), 'utf8');
  }

  /** SIGKILLs node i's two processes (by pid) and waits for both to exit. */
  async kill(i: number): Promise<void> {
    const pair = [this.abci[i], this.comet[i]];
    for (const child of pair) if (child) child.kill('SIGKILL');
    await Promise.all(pair.map((child) => (child ? exited(child) : Promise.resolve())));
    this.abci[i] = null;
    this.comet[i] = null;
  }

  /** SIGTERM to every process (CometBFT first), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    for (const group of [this.comet, this.abci]) {
      const running = group.filter((c): c is ChildProcess => c !== null);
      for (const child of running) child.kill('SIGTERM');
      await Promise.all(
        running.map(async (child) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited(child);
          clearTimeout(timer);
        }),
      );
      group.fill(null);
    }
  }
}
