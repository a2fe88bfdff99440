// Shared fixtures of the p2p tests: deterministic keys, a channel set, node start-up with
// short timeouts, a polling wait, and a TCP proxy that can tamper with the stream.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { ed25519KeyPairFromSeed, generateX25519KeyPair, sha256, utf8Encode } from '../../src/crypto/index.js';
import { FRAME_HEADER_BYTES, FrameOpener, FrameSealer } from '../../src/p2p/frame.js';
import {
  AUTH_MAX_BYTES,
  HELLO_BYTES,
  decodeHello,
  deriveSessionKeys,
  encodeAuth,
  encodeHello,
  verifyAuth,
} from '../../src/p2p/handshake.js';
import {
  P2pNode,
  nodeIdFromPublicKey,
  type ChannelConfig,
  type P2pDeps,
  type P2pOptions,
} from '../../src/p2p/index.js';

export const NETWORK = 'shroud-test-1';
export const CONSENSUS = 0x20;
export const MEMPOOL = 0x30;
export const BLOCKSYNC = 0x40;

export const CHANNELS: ChannelConfig[] = [
  {
    id: CONSENSUS,
    name: 'consensus',
    maxMessageBytes: 64 * 1024,
    sendQueueMessages: 1000,
    sendQueueBytes: 4 << 20,
    priority: 10,
  },
  {
    id: MEMPOOL,
    name: 'mempool',
    maxMessageBytes: 16 * 1024,
    sendQueueMessages: 1000,
    sendQueueBytes: 4 << 20,
    priority: 5,
  },
  {
    id: BLOCKSYNC,
    name: 'blocksync',
    maxMessageBytes: 1 << 20,
    sendQueueMessages: 100,
    sendQueueBytes: 8 << 20,
    priority: 1,
  },
];

/** A deterministic node key from a label. */
export function nodeKey(label: string): Uint8Array {
  return sha256(utf8Encode(`p2p test key ${label}`));
}

export function nodeIdOf(label: string): string {
  return nodeIdFromPublicKey(ed25519KeyPairFromSeed(nodeKey(label)).publicKey);
}

export type TestOptions = Partial<Omit<P2pOptions, 'nodeKey'>> & { key: string };

/** Starts a node on 127.0.0.1 with short timeouts; `stopAll` stops every node started. */
export async function startNode(
  options: TestOptions,
  deps: P2pDeps = {},
  started?: P2pNode[],
): Promise<P2pNode> {
  const node = await P2pNode.start(
    {
      listenAddress: options.listenAddress ?? { host: '127.0.0.1', port: 0 },
      nodeKey: nodeKey(options.key),
      networkId: options.networkId ?? NETWORK,
      persistentPeers: options.persistentPeers ?? [],
      channels: options.channels ?? CHANNELS,
      limits: {
        handshakeTimeoutMs: 2000,
        reconnectBaseMs: 50,
        reconnectMaxMs: 1000,
        pingIntervalMs: 1000,
        pongTimeoutMs: 2000,
        ...options.limits,
      },
    },
    deps,
  );
  started?.push(node);
  return node;
}

/** Polls `predicate` every 10 ms; rejects with `what` after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Bytes with a recognisable pattern. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

export type ProxyMode = 'forward' | 'blackhole';

/**
 * A loopback TCP proxy to `targetPort`. `tamperNext(direction, fn)` rewrites the next chunk
 * going one way (toTarget: dialler → listener); `mode = 'blackhole'` silently drops all data
 * while keeping the sockets open (a dead path).
 */
export class TamperingProxy {
  mode: ProxyMode = 'forward';
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private pending: { toTarget?: (chunk: Buffer) => Buffer[]; toClient?: (chunk: Buffer) => Buffer[] } = {};

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(targetPort: number): Promise<TamperingProxy> {
    const server = createServer();
    const proxy = new TamperingProxy(server);
    server.on('connection', (client) => {
      const target = connect({ host: '127.0.0.1', port: targetPort });
      proxy.sockets.add(client).add(target);
      const pipe = (from: Socket, to: Socket, direction: 'toTarget' | 'toClient'): void => {
        from.on('data', (chunk: Buffer) => {
          if (proxy.mode === 'blackhole') return;
          const tamper = proxy.pending[direction];
          if (tamper !== undefined) {
            proxy.pending[direction] = undefined;
            for (const piece of tamper(chunk)) to.write(piece);
            return;
          }
          to.write(chunk);
        });
        from.on('close', () => to.destroy());
        from.on('error', () => to.destroy());
      };
      pipe(client, target, 'toTarget');
      pipe(target, client, 'toClient');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  tamperNext(direction: 'toTarget' | 'toClient', tamper: (chunk: Buffer) => Buffer[]): void {
    this.pending[direction] = tamper;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A hand-driven client speaking the wire protocol, for hostile-peer tests. */
export class RawClient {
  readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  closedAt = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Reads exactly n bytes (rejects if the connection closes first). */
  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.closed) throw new Error('closed');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  async waitClosed(timeoutMs: number): Promise<void> {
    await waitFor('server closed the raw connection', () => this.closed, timeoutMs);
  }

  /** Completes the handshake as node `label`; returns the sealer for further frames. */
  async handshake(label: string, networkId = NETWORK): Promise<{ sealer: FrameSealer; peerId: string }> {
    const ephemeral = generateX25519KeyPair();
    this.socket.write(encodeHello(ephemeral.publicKey));
    const peerEphemeral = decodeHello(await this.read(HELLO_BYTES));
    const keys = deriveSessionKeys(ephemeral.privateKey, ephemeral.publicKey, peerEphemeral);
    const sealer = new FrameSealer(keys.sendKey);
    const key = ed25519KeyPairFromSeed(nodeKey(label));
    this.socket.write(sealer.seal(encodeAuth(key.seed, key.publicKey, keys.challenge, networkId, 65536)));
    const opener = new FrameOpener(keys.receiveKey, AUTH_MAX_BYTES);
    const header = await this.read(FRAME_HEADER_BYTES);
    const body = await this.read(new DataView(header.buffer, header.byteOffset, 4).getUint32(0));
    const result = opener.open(Buffer.concat([header, body]));
    if (result.kind !== 'frame') throw new Error('bad auth frame from node');
    return { sealer, peerId: verifyAuth(result.payload, keys.challenge).id };
  }
}

/** One MSG packet (mux.ts wire format). */
export function msgPacket(channelId: number, data: Uint8Array, last = true): Uint8Array {
  const out = new Uint8Array(7 + data.length);
  out[0] = 0x03;
  out[1] = channelId;
  out[2] = last ? 1 : 0;
  new DataView(out.buffer).setUint32(3, data.length);
  out.set(data, 7);
  return out;
}
