// Helpers for tests that run real node processes: free port bases for the devnet's port
// layout (node i: RPC base+10i, p2p base+10i+1), waiting on a child's output, on its exit, on a
// condition polled over RPC (never a sleep as synchronization), and process liveness.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const BIN = new URL('../../bin/shroud.js', import.meta.url).pathname;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port base whose RPC and p2p ports for `nodes` nodes are all free now. Bases are drawn from
 * 20000–59999 at random so concurrent test files rarely collide, and every port is checked.
 */
export async function freePortBase(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + 10 * Math.floor(Math.random() * 4000);
    let free = true;
    for (let i = 0; i < nodes && free; i += 1) {
      free = (await canListen(base + 10 * i)) && (await canListen(base + 10 * i + 1));
    }
    if (free) return base;
  }
  throw new Error('no free port base found in 50 attempts');
}

/** Resolves with the child's stdout+stderr so far once stdout matches; rejects on exit or timeout. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onError);
      child.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${text}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (pattern.test(text)) {
        done();
        resolve(text);
      }
    };
    const onError = (chunk: Buffer) => (text += chunk.toString('utf8'));
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`process exited early with ${code}; output:\n${text}`));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onError);
    child.once('exit', onExit);
  });
}

/** The child's exit code (null if killed by a signal); rejects after timeoutMs. */
export function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pid ${child.pid} did not exit in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `probe` every `intervalMs` until it returns a non-undefined value; rejects after timeoutMs. */
export async function pollFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface StatusBody {
  result: {
    node_info: { network: string; moniker: string };
    sync_info: { latest_block_height: string; latest_block_hash: string; catching_up: boolean };
  };
}

/** GET <url><path> (a CometBFT URI route) as parsed JSON; throws if the node does not answer in 5 s. */
export async function rpcGet<T>(url: string, path: string): Promise<T> {
  const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5000) });
  return (await response.json()) as T;
}

/** GET <rpcUrl>/status, or undefined if the node does not answer. */
export async function status(rpcUrl: string): Promise<StatusBody['result'] | undefined> {
  try {
    const response = await fetch(`${rpcUrl}/status`, { signal: AbortSignal.timeout(3000) });
    return ((await response.json()) as StatusBody).result;
  } catch {
    return undefined;
  }
}

/** The node's latest height, or undefined if it does not answer. */
export async function heightOf(rpcUrl: string): Promise<number | undefined> {
  const result = await status(rpcUrl);
  return result === undefined ? undefined : Number(result.sync_info.latest_block_height);
}

/** devnet.json as `shroud devnet` writes it. */
export interface DevnetFile {
  chain_id: string;
  mode: string;
  nodes: {
    name: string;
    home: string;
    pid: number;
    rpc_url: string;
    p2p_port: number;
    node_id: string;
    validator: boolean;
  }[];
  accounts: { name: string; address: string; mnemonic: string }[];
}
