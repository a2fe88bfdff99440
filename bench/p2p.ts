// Throughput of the p2p layer between two nodes on loopback, each in its own process (as two
// real nodes would be): the child floods one channel as fast as its send queue accepts, the
// parent receives and counts payload bytes and messages over a fixed window. Every byte goes
// through the handshake-derived AES-256-GCM frames and the channel multiplexer.
// Results: bench/RESULTS.md, section "p2p".
//
//   npx tsx bench/p2p.ts                 200 B and 64 KiB messages, 3 s each
//   npx tsx bench/p2p.ts --seconds 5     longer windows
import './lib/args.js'; // --help prints the usage comment above
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { sha256, utf8Encode } from '../src/crypto/index.js';
import { P2pNode, type ChannelConfig } from '../src/p2p/index.js';

const CHANNEL = 0x30;
const CHANNELS: ChannelConfig[] = [
  {
    id: CHANNEL,
    name: 'bench',
    maxMessageBytes: 1 << 20,
    sendQueueMessages: 20_000,
    sendQueueBytes: 16 << 20,
    priority: 1,
  },
];
const keyOf = (label: string) => sha256(utf8Encode(`bench p2p ${label}`));

async function startNode(label: string, peer?: { id: string; port: number }): Promise<P2pNode> {
  return P2pNode.start({
    listenAddress: { host: '127.0.0.1', port: 0 },
    nodeKey: keyOf(label),
    networkId: 'bench',
    channels: CHANNELS,
    persistentPeers: peer ? [{ id: peer.id, host: '127.0.0.1', port: peer.port }] : [],
    limits: { pingIntervalMs: 60_000, pongTimeoutMs: 60_000 },
  });
}

/** Child: connect to the parent and send `size`-byte messages for `ms` milliseconds. */
async function sender(peerId: string, port: number, size: number, ms: number): Promise<void> {
  const node = await startNode('sender', { id: peerId, port });
  const message = new Uint8Array(size).fill(0xab);
  node.onPeerConnected(() => {
    const until = Date.now() + ms;
    const cpuStart = process.cpuUsage();
    let queued = 0;
    const pump = (): void => {
      while (node.send(peerId, CHANNEL, message)) queued++;
      if (Date.now() < until) {
        setImmediate(pump);
        return;
      }
      const cpu = process.cpuUsage(cpuStart);
      process.stdout.write(`${JSON.stringify({ queued, cpuMs: (cpu.user + cpu.system) / 1000, ms })}\n`);
      void node.stop().then(() => process.exit(0));
    };
    pump();
  });
}

interface Result {
  size: number;
  messages: number;
  seconds: number;
  /** Receiver CPU time over the window, and the sender's over its (same-length) send window. */
  receiverCpuSeconds: number;
  senderCpuMicrosPerMessage: number;
}

/** Parent: receive for `seconds` from the first message on. */
async function measure(size: number, seconds: number): Promise<Result> {
  const node = await startNode('receiver');
  let first = 0;
  let messages = 0;
  let counting = true;
  let done: (() => void) | undefined;
  let cpuStart = process.cpuUsage();
  node.on(CHANNEL, (_, bytes) => {
    if (!counting) return;
    if (bytes.length !== size) throw new Error(`got ${bytes.length} bytes, expected ${size}`);
    if (first === 0) {
      first = performance.now();
      cpuStart = process.cpuUsage();
      setTimeout(() => {
        counting = false;
        done?.();
      }, seconds * 1000);
    }
    messages++;
  });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--sender',
      node.id,
      String(node.listenPort),
      String(size),
      String(seconds * 1000),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve) => (done = resolve));
  const elapsed = (performance.now() - first) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  await exited;
  await node.stop();
  const report = JSON.parse(output.trim()) as { queued: number; cpuMs: number };
  return {
    size,
    messages,
    seconds: elapsed,
    receiverCpuSeconds: (cpu.user + cpu.system) / 1e6,
    senderCpuMicrosPerMessage: (report.cpuMs * 1000) / report.queued,
  };
}

const args = process.argv.slice(2);
if (args[0] === '--sender') {
  await sender(args[1]!, Number(args[2]), Number(args[3]), Number(args[4]));
} else {
  const secondsIndex = args.indexOf('--seconds');
  const seconds = secondsIndex >= 0 ? Number(args[secondsIndex + 1]) : 3;
  console.log(
    `# p2p loopback throughput, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}`,
  );
  console.log(
    '| message size | msgs/s | MB/s (payload) | receiver CPU µs/msg | sender CPU µs/msg | receiver CPU use |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const size of [200, 64 * 1024]) {
    const result = await measure(size, seconds);
    const perSecond = result.messages / result.seconds;
    const receiverMicros = (result.receiverCpuSeconds * 1e6) / result.messages;
    console.log(
      `| ${size} B | ${Math.round(perSecond).toLocaleString('en-US')} | ${((perSecond * size) / 1e6).toFixed(1)} ` +
        `| ${receiverMicros.toFixed(1)} | ${result.senderCpuMicrosPerMessage.toFixed(1)} ` +
        `| ${Math.round((100 * result.receiverCpuSeconds) / result.seconds)} % |`,
    );
  }
}
