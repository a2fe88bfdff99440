// One TCP connection to one peer: handshake, encrypted frames, channel multiplexing,
// keepalive and backpressure. The node (node.ts) decides which connections to keep.
//
// Memory bounds per connection (ADR 008): the unparsed read buffer holds less than one
// frame plus one socket chunk; partial messages at most each channel's maxMessageBytes;
// messages handed to async handlers at most maxReceiveInFlightBytes (+ one message), after
// which the socket is paused, so a fast sender is slowed by TCP flow control; the send side
// holds the bounded channel queues plus the socket's buffer (we stop at write() === false).
import type { Socket } from 'node:net';
import { generateX25519KeyPair } from '../crypto/index.js';
import type { ChannelConfig, P2pLimits } from './config.js';
import { MIN_FRAME_PAYLOAD_BYTES } from './config.js';
import { P2pError } from './errors.js';
import { FrameOpener, FrameSealer } from './frame.js';
import {
  AUTH_MAX_BYTES,
  HELLO_BYTES,
  decodeHello,
  deriveSessionKeys,
  encodeAuth,
  encodeHello,
  verifyAuth,
} from './handshake.js';
import { Reassembler, SendScheduler } from './mux.js';

export type Direction = 'inbound' | 'outbound';

/** This node's identity, as the connection needs it. */
export interface LocalIdentity {
  seed: Uint8Array;
  publicKey: Uint8Array;
  id: string;
  networkId: string;
}

/** Callbacks into the node. */
export interface ConnectionHooks {
  /** The peer proved its identity; the node may close the connection from here. */
  authenticated(connection: Connection): void;
  /** A complete message; a returned promise counts against maxReceiveInFlightBytes until settled. */
  message(connection: Connection, channelId: number, bytes: Uint8Array): void | PromiseLike<void>;
  /** Called exactly once, whatever ended the connection. */
  closed(connection: Connection, reason: P2pError): void;
}

export interface ConnectionSetup {
  socket: Socket;
  /** False for an outbound socket whose connect() is still in progress. */
  connected: boolean;
  direction: Direction;
  identity: LocalIdentity;
  /** host:port for logs (an outbound socket does not know it before connecting). */
  remoteAddress?: string;
  /** Outbound to a configured peer: anyone else is an impostor (PEER_ID_MISMATCH). */
  expectedPeerId?: string;
  channels: readonly ChannelConfig[];
  channelMap: ReadonlyMap<number, ChannelConfig>;
  limits: P2pLimits;
  hooks: ConnectionHooks;
}

type State = 'connecting' | 'hello' | 'auth' | 'open' | 'closed';

/** Counters of one connection (for tests, metrics and the memory-bound checks). */
export interface ConnectionStats {
  /** Bytes read from the socket but not parsed yet. */
  readBufferBytes: number;
  /** Bytes of partly received messages. */
  reassemblyBytes: number;
  /** Bytes of messages given to async handlers and not settled. */
  inFlightBytes: number;
  /** Largest inFlightBytes seen. */
  inFlightBytesMax: number;
  /** Times the socket was paused because handlers were behind. */
  pauses: number;
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
}

let nextSequence = 1;

export class Connection {
  readonly direction: Direction;
  readonly remoteAddress: string;
  /** Increases with creation: "newer" in the duplicate tie-break. */
  readonly sequence = nextSequence++;
  peerId: string | undefined;
  peerPublicKey: Uint8Array | undefined;

  private state: State;
  private readonly setup: ConnectionSetup;
  private readonly socket: Socket;
  private readonly ephemeral = generateX25519KeyPair();
  private buffer: Uint8Array = new Uint8Array(0);
  private sealer: FrameSealer | undefined;
  private opener: FrameOpener | undefined;
  private scheduler: SendScheduler | undefined;
  private reassembler: Reassembler | undefined;
  private challenge: Uint8Array | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private flushScheduled = false;
  private waitingDrain = false;
  private paused = false;
  private readonly counters: ConnectionStats = {
    readBufferBytes: 0,
    reassemblyBytes: 0,
    inFlightBytes: 0,
    inFlightBytesMax: 0,
    pauses: 0,
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };

  constructor(setup: ConnectionSetup) {
    this.setup = setup;
    this.socket = setup.socket;
    this.direction = setup.direction;
    this.remoteAddress =
      setup.remoteAddress ?? `${setup.socket.remoteAddress ?? '?'}:${setup.socket.remotePort ?? '?'}`;
    this.state = setup.connected ? 'hello' : 'connecting';
    this.handshakeTimer = setTimeout(() => {
      this.close(
        new P2pError(
          'HANDSHAKE_TIMEOUT',
          `handshake not finished within ${setup.limits.handshakeTimeoutMs} ms`,
        ),
      );
    }, setup.limits.handshakeTimeoutMs);
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (cause) => this.close(new P2pError('CONNECTION_LOST', 'socket error', { cause })));
    socket.on('close', () =>
      this.close(new P2pError('CONNECTION_LOST', 'connection closed by peer or network')),
    );
    socket.on('drain', () => {
      this.waitingDrain = false;
      this.flush();
    });
    if (setup.connected) this.sendHello();
    else socket.once('connect', () => this.sendHello());
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** The node id of whoever dialled this connection (for the duplicate tie-break). */
  get dialerId(): string | undefined {
    return this.direction === 'outbound' ? this.setup.identity.id : this.peerId;
  }

  stats(): ConnectionStats {
    this.counters.readBufferBytes = this.buffer.length;
    this.counters.reassemblyBytes = this.reassembler?.bufferedBytes() ?? 0;
    return { ...this.counters };
  }

  /** Messages and bytes queued for a channel. */
  queued(channelId: number): { messages: number; bytes: number } {
    return this.scheduler?.queued(channelId) ?? { messages: 0, bytes: 0 };
  }

  /** Queues a message (size and channel checked by the node); false if full or not open. */
  send(channelId: number, bytes: Uint8Array): boolean {
    if (this.state !== 'open' || this.scheduler === undefined) return false;
    if (!this.scheduler.enqueue(channelId, bytes)) return false;
    this.scheduleFlush();
    return true;
  }

  /** Ends the connection (idempotent); the hooks' closed() gets `reason`. */
  close(reason: P2pError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.socket.destroy();
    this.buffer = new Uint8Array(0);
    this.setup.hooks.closed(this, reason);
  }

  private sendHello(): void {
    if (this.state === 'closed') return;
    this.state = 'hello';
    this.socket.write(encodeHello(this.ephemeral.publicKey));
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.counters.bytesReceived += chunk.length;
    if (this.buffer.length === 0) this.buffer = chunk;
    else {
      const joined = new Uint8Array(this.buffer.length + chunk.length);
      joined.set(this.buffer, 0);
      joined.set(chunk, this.buffer.length);
      this.buffer = joined;
    }
    this.processBuffer();
  }

  /** Parses as many complete units as the buffer holds, unless paused or closed. */
  private processBuffer(): void {
    while (!this.paused) {
      if (this.state === 'hello') {
        if (this.buffer.length < HELLO_BYTES) return;
        const hello = this.buffer.subarray(0, HELLO_BYTES);
        this.buffer = this.buffer.subarray(HELLO_BYTES);
        if (!this.guard(() => this.onHello(hello))) return;
        continue;
      }
      if (this.state !== 'auth' && this.state !== 'open') return;
      const result = this.opener!.open(this.buffer);
      if (result.kind === 'incomplete') return;
      if (result.kind === 'error') {
        this.close(result.error);
        return;
      }
      this.buffer = this.buffer.subarray(result.consumedBytes);
      this.counters.framesReceived++;
      const payload = result.payload;
      if (!this.guard(() => (this.state === 'auth' ? this.onAuth(payload) : this.onPayload(payload)))) return;
    }
  }

  /** Runs a step; a P2pError it throws closes the connection. Returns false once closed. */
  private guard(step: () => void): boolean {
    try {
      step();
    } catch (error) {
      this.close(
        error instanceof P2pError
          ? error
          : new P2pError('HANDSHAKE_FAILED', 'handshake step failed', { cause: error }),
      );
    }
    return this.state !== 'closed';
  }

  private onHello(hello: Uint8Array): void {
    const peerEphemeral = decodeHello(hello);
    const keys = deriveSessionKeys(this.ephemeral.privateKey, this.ephemeral.publicKey, peerEphemeral);
    this.ephemeral.privateKey.fill(0);
    this.sealer = new FrameSealer(keys.sendKey);
    this.opener = new FrameOpener(keys.receiveKey, AUTH_MAX_BYTES);
    this.challenge = keys.challenge;
    const { identity, limits } = this.setup;
    const auth = encodeAuth(
      identity.seed,
      identity.publicKey,
      keys.challenge,
      identity.networkId,
      limits.maxFramePayloadBytes,
    );
    this.state = 'auth';
    this.writeFrame(auth);
  }

  private onAuth(payload: Uint8Array): void {
    const peer = verifyAuth(payload, this.challenge!);
    const { identity, expectedPeerId, limits } = this.setup;
    if (peer.networkId !== identity.networkId) {
      throw new P2pError(
        'NETWORK_MISMATCH',
        `peer is on network "${peer.networkId}", we are on "${identity.networkId}"`,
      );
    }
    if (peer.id === identity.id)
      throw new P2pError(
        'SELF_CONNECTION',
        'connected to ourselves: remove our own address from the peer list',
      );
    if (expectedPeerId !== undefined && peer.id !== expectedPeerId) {
      throw new P2pError(
        'PEER_ID_MISMATCH',
        `dialled ${expectedPeerId} but the peer proved to be ${peer.id}: refusing an impostor`,
      );
    }
    if (peer.maxFramePayloadBytes < MIN_FRAME_PAYLOAD_BYTES) {
      throw new P2pError(
        'HANDSHAKE_FAILED',
        `peer accepts only ${peer.maxFramePayloadBytes}-byte frames (< ${MIN_FRAME_PAYLOAD_BYTES})`,
      );
    }
    this.peerId = peer.id;
    this.peerPublicKey = peer.publicKey;
    this.challenge = undefined;
    this.opener!.maxPayloadBytes = limits.maxFramePayloadBytes;
    this.scheduler = new SendScheduler(
      this.setup.channels,
      Math.min(limits.maxFramePayloadBytes, peer.maxFramePayloadBytes),
    );
    this.reassembler = new Reassembler(this.setup.channelMap);
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.state = 'open';
    this.pingTimer = setInterval(() => this.ping(), limits.pingIntervalMs);
    this.setup.hooks.authenticated(this);
  }

  private onPayload(payload: Uint8Array): void {
    const error = this.reassembler!.receive(payload, {
      ping: () => {
        this.scheduler!.requestPong();
        this.scheduleFlush();
      },
      pong: () => {
        clearTimeout(this.pongTimer);
        this.pongTimer = undefined;
      },
      message: (channelId, bytes) => this.deliver(channelId, bytes),
    });
    if (error !== null) throw error;
  }

  private deliver(channelId: number, bytes: Uint8Array): void {
    if (this.state !== 'open') return;
    const pending = this.setup.hooks.message(this, channelId, bytes);
    if (pending === undefined || typeof pending.then !== 'function') return;
    const counters = this.counters;
    counters.inFlightBytes += bytes.length;
    counters.inFlightBytesMax = Math.max(counters.inFlightBytesMax, counters.inFlightBytes);
    if (counters.inFlightBytes > this.setup.limits.maxReceiveInFlightBytes && !this.paused) {
      this.paused = true;
      counters.pauses++;
      this.socket.pause();
    }
    const settle = (): void => {
      counters.inFlightBytes -= bytes.length;
      if (this.paused && counters.inFlightBytes <= this.setup.limits.maxReceiveInFlightBytes) {
        this.paused = false;
        if (this.state === 'closed') return;
        this.socket.resume();
        this.processBuffer();
      }
    };
    void pending.then(settle, settle);
  }

  private ping(): void {
    if (this.pongTimer !== undefined) return; // still waiting: the pong timer decides
    this.scheduler!.requestPing();
    this.scheduleFlush();
    this.armPongTimer();
  }

  private armPongTimer(): void {
    this.pongTimer = setTimeout(() => {
      // While we are paused (our handlers are behind) the pong may be sitting unread in the
      // socket: that is our slowness, not the peer's, so wait another period.
      if (this.paused) {
        this.armPongTimer();
        return;
      }
      this.close(new P2pError('PONG_TIMEOUT', `no pong within ${this.setup.limits.pongTimeoutMs} ms`));
    }, this.setup.limits.pongTimeoutMs);
  }

  /** Batches every send of this event-loop turn into as few frames as possible. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.state === 'open' && !this.waitingDrain) {
      const payload = this.scheduler!.buildPayload();
      if (payload === null) return;
      this.writeFrame(payload);
    }
  }

  private writeFrame(payload: Uint8Array): void {
    const frame = this.sealer!.seal(payload);
    this.counters.framesSent++;
    this.counters.bytesSent += frame.length;
    if (!this.socket.write(frame)) this.waitingDrain = true;
  }
}
