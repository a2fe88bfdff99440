// The p2p node: a listener, persistent peers with reconnect, at most one connection per peer
// id, and the channel API the reactors (consensus, mempool, block sync) use. See ADR 008.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { ed25519KeyPairFromSeed } from '../crypto/index.js';
import {
  validateOptions,
  validatePeerAddress,
  type ChannelConfig,
  type P2pDeps,
  type P2pLimits,
  type P2pOptions,
  type PeerAddress,
} from './config.js';
import { Connection, type ConnectionStats, type Direction, type LocalIdentity } from './connection.js';
import { P2pError } from './errors.js';
import { nodeIdFromPublicKey } from './node-id.js';

/** A connected peer. */
export interface PeerInfo {
  id: string;
  direction: Direction;
  /** host:port of the TCP peer (for an inbound peer, its ephemeral source port). */
  remoteAddress: string;
}

/** A connection that ended before it became (or instead of becoming) the peer's connection. */
export interface ConnectionFailure {
  direction: Direction;
  remoteAddress: string;
  /** Known after authentication, or the expected id of a dialled peer. */
  peerId: string | undefined;
  reason: P2pError;
}

/** Receives one complete message; a returned promise applies receive backpressure until it settles. */
export type MessageHandler = (peerId: string, bytes: Uint8Array) => void | Promise<void>;

interface PersistentPeer {
  address: PeerAddress;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  dialing: Connection | undefined;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): reconnectBaseMs · 2^attempt capped at
 * reconnectMaxMs, minus a random fraction up to reconnectJitter ("equal jitter" when 0.5),
 * so peers that lost the same node do not redial it in lockstep.
 * @example reconnectDelayMs(3, limits, () => 0) // 8 × reconnectBaseMs (no jitter drawn)
 */
export function reconnectDelayMs(attempt: number, limits: P2pLimits, random: () => number): number {
  const exponential = limits.reconnectBaseMs * 2 ** Math.min(attempt, 40);
  const capped = Math.min(limits.reconnectMaxMs, exponential);
  const draw = Math.min(Math.max(random(), 0), 1);
  return Math.round(capped * (1 - limits.reconnectJitter * draw));
}

/**
 * Authenticated, encrypted connections to other nodes, multiplexed into channels.
 * Create with {@link P2pNode.start}; stop with {@link P2pNode.stop}.
 */
export class P2pNode {
  /** This node's id (hex of the first 20 bytes of sha256 of its ed25519 public key). */
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly limits: P2pLimits;

  private readonly identity: LocalIdentity;
  private readonly channelList: readonly ChannelConfig[];
  private readonly channelMap: ReadonlyMap<number, ChannelConfig>;
  private readonly random: () => number;
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly active = new Map<string, Connection>();
  private readonly persistent = new Map<string, PersistentPeer>();
  private readonly handlers = new Map<number, MessageHandler>();
  private readonly connectedListeners: ((peer: PeerInfo) => void)[] = [];
  private readonly disconnectedListeners: ((peerId: string, reason: P2pError) => void)[] = [];
  private readonly failureListeners: ((failure: ConnectionFailure) => void)[] = [];
  /** Inbound connections still in their handshake (bounded by maxPendingHandshakes). */
  private readonly pendingHandshake = new Set<Connection>();
  private running = true;

  private constructor(options: P2pOptions, limits: P2pLimits, deps: P2pDeps, server: Server) {
    const keyPair = ed25519KeyPairFromSeed(options.nodeKey);
    this.publicKey = keyPair.publicKey;
    this.id = nodeIdFromPublicKey(keyPair.publicKey);
    this.identity = {
      seed: keyPair.seed,
      publicKey: keyPair.publicKey,
      id: this.id,
      networkId: options.networkId,
    };
    this.limits = limits;
    this.channelList = options.channels.map((channel) => ({ ...channel }));
    this.channelMap = new Map(this.channelList.map((channel) => [channel.id, channel]));
    this.random = deps.random ?? Math.random;
    this.server = server;
    server.on('connection', (socket) => this.accept(socket));
    for (const address of options.persistentPeers ?? []) {
      if (address.id === this.id) continue; // our own entry in a shared peer list
      this.persistent.set(address.id, {
        address: { ...address },
        attempt: 0,
        timer: undefined,
        dialing: undefined,
      });
    }
  }

  /**
   * Validates the options, listens, and starts dialling the persistent peers.
   * @example
   *   const node = await P2pNode.start({ listenAddress: { host: '127.0.0.1', port: 26656 },
   *     nodeKey, networkId: 'shroud-1', persistentPeers, channels: [consensusChannel] });
   *   node.on(0x20, (peerId, bytes) => { ... });
   * @throws {P2pError} INVALID_CONFIG for malformed options; LISTEN_FAILED if the address
   *   cannot be bound.
   */
  static async start(options: P2pOptions, deps: P2pDeps = {}): Promise<P2pNode> {
    const limits = validateOptions(options);
    const server = createServer({ noDelay: true, pauseOnConnect: false });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause) =>
        reject(
          new P2pError(
            'LISTEN_FAILED',
            `cannot listen on ${options.listenAddress.host}:${options.listenAddress.port}`,
            { cause },
          ),
        ),
      );
      server.listen(options.listenAddress.port, options.listenAddress.host, () => resolve());
    });
    const node = new P2pNode(options, limits, deps, server);
    for (const peer of node.persistent.values()) node.dial(peer);
    return node;
  }

  /** The TCP port actually bound (useful with port 0). */
  get listenPort(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Called when a peer's connection is established (again after each reconnect or replacement). */
  onPeerConnected(listener: (peer: PeerInfo) => void): void {
    this.connectedListeners.push(listener);
  }

  /** Called when a connected peer's connection ends, with the typed reason. */
  onPeerDisconnected(listener: (peerId: string, reason: P2pError) => void): void {
    this.disconnectedListeners.push(listener);
  }

  /** Called for connections that never became a peer's connection (refused, failed, duplicate). */
  onConnectionFailed(listener: (failure: ConnectionFailure) => void): void {
    this.failureListeners.push(listener);
  }

  /**
   * Sets the handler of a channel (replacing any previous one). Messages on a channel without
   * a handler are dropped. A handler that returns a promise holds the message's bytes against
   * maxReceiveInFlightBytes until it settles; a handler's exception is reported as a process
   * warning and does not close the connection.
   * @throws {P2pError} INVALID_ARGUMENT for an unconfigured channel.
   */
  on(channelId: number, handler: MessageHandler): void {
    this.channel(channelId);
    this.handlers.set(channelId, handler);
  }

  /**
   * Queues `bytes` for one peer. Returns false when the peer is not connected, the node is
   * stopped, or the channel's queue for that peer is full (by messages or bytes): the
   * caller decides whether to drop or retry, the queue never grows past its bound. `bytes`
   * is not copied: do not modify it after the call.
   * @throws {P2pError} INVALID_ARGUMENT (unknown channel, not bytes); MESSAGE_TOO_LARGE
   *   above the channel's maxMessageBytes.
   */
  send(peerId: string, channelId: number, bytes: Uint8Array): boolean {
    this.checkMessage(channelId, bytes);
    const connection = this.active.get(peerId);
    return connection !== undefined && connection.send(channelId, bytes);
  }

  /**
   * Queues `bytes` for every connected peer; returns how many accepted it.
   * @throws {P2pError} as {@link P2pNode.send}.
   */
  broadcast(channelId: number, bytes: Uint8Array): number {
    this.checkMessage(channelId, bytes);
    let accepted = 0;
    for (const connection of this.active.values()) if (connection.send(channelId, bytes)) accepted++;
    return accepted;
  }

  /**
   * Adds a peer to keep connected (as if listed in persistentPeers) and dials it now. Adding
   * a known id updates its address for the next dial.
   * @throws {P2pError} INVALID_CONFIG for a malformed address; NOT_RUNNING after stop().
   */
  addPersistentPeer(address: PeerAddress): void {
    validatePeerAddress(address);
    if (!this.running) throw new P2pError('NOT_RUNNING', 'the node is stopped');
    if (address.id === this.id) return;
    const known = this.persistent.get(address.id);
    if (known !== undefined) {
      known.address = { ...address };
      return;
    }
    const peer: PersistentPeer = {
      address: { ...address },
      attempt: 0,
      timer: undefined,
      dialing: undefined,
    };
    this.persistent.set(address.id, peer);
    this.dial(peer);
  }

  /** The connected peers. */
  peers(): PeerInfo[] {
    return [...this.active.values()].map((connection) => this.peerInfo(connection));
  }

  isConnected(peerId: string): boolean {
    return this.active.has(peerId);
  }

  /** Counters of a peer's connection, or undefined if not connected. */
  peerStats(
    peerId: string,
  ): (ConnectionStats & { queued: Record<number, { messages: number; bytes: number }> }) | undefined {
    const connection = this.active.get(peerId);
    if (connection === undefined) return undefined;
    const queued: Record<number, { messages: number; bytes: number }> = {};
    for (const channel of this.channelList) queued[channel.id] = connection.queued(channel.id);
    return { ...connection.stats(), queued };
  }

  /** Closes a peer's connection (LOCAL_CLOSE); a persistent peer is redialled with backoff. */
  disconnect(peerId: string): void {
    this.active.get(peerId)?.close(new P2pError('LOCAL_CLOSE', 'disconnected by this node'));
  }

  /** Stops listening, dialling and every connection (each peer gets onPeerDisconnected). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const peer of this.persistent.values()) clearTimeout(peer.timer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of [...this.connections]) {
      connection.close(new P2pError('LOCAL_CLOSE', 'node stopped'));
    }
    await closed;
  }

  private channel(channelId: number): ChannelConfig {
    const channel = this.channelMap.get(channelId);
    if (channel === undefined)
      throw new P2pError('INVALID_ARGUMENT', `channel ${String(channelId)} is not configured`);
    return channel;
  }

  private checkMessage(channelId: number, bytes: Uint8Array): void {
    const channel = this.channel(channelId);
    if (!(bytes instanceof Uint8Array))
      throw new P2pError('INVALID_ARGUMENT', 'message must be a Uint8Array');
    if (bytes.length > channel.maxMessageBytes) {
      throw new P2pError(
        'MESSAGE_TOO_LARGE',
        `message of ${bytes.length} bytes exceeds channel ${channelId}'s ${channel.maxMessageBytes}-byte limit`,
      );
    }
  }

  private peerInfo(connection: Connection): PeerInfo {
    return {
      id: connection.peerId!,
      direction: connection.direction,
      remoteAddress: connection.remoteAddress,
    };
  }

  private newConnection(
    socket: Socket,
    direction: Direction,
    connected: boolean,
    expectedPeerId?: string,
    remoteAddress?: string,
  ): Connection {
    const connection = new Connection({
      socket,
      remoteAddress,
      connected,
      direction,
      identity: this.identity,
      expectedPeerId,
      channels: this.channelList,
      channelMap: this.channelMap,
      limits: this.limits,
      hooks: {
        authenticated: (c) => this.onAuthenticated(c),
        message: (c, channelId, bytes) => this.onMessage(c, channelId, bytes),
        closed: (c, reason) => this.onClosed(c, reason, expectedPeerId),
      },
    });
    this.connections.add(connection);
    return connection;
  }

  private accept(socket: Socket): void {
    if (!this.running || this.pendingHandshake.size >= this.limits.maxPendingHandshakes) {
      const remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      socket.destroy();
      this.emitFailure({
        direction: 'inbound',
        remoteAddress,
        peerId: undefined,
        reason: new P2pError(
          'TOO_MANY_PEERS',
          `${this.limits.maxPendingHandshakes} handshakes already in progress`,
        ),
      });
      return;
    }
    const connection = this.newConnection(socket, 'inbound', true);
    if (!connection.isClosed) this.pendingHandshake.add(connection);
  }

  private dial(peer: PersistentPeer): void {
    if (!this.running || peer.dialing !== undefined || this.active.has(peer.address.id)) return;
    const { host, port, id } = peer.address;
    const socket = connect({ host, port, noDelay: true });
    peer.dialing = this.newConnection(socket, 'outbound', false, id, `${host}:${port}`);
  }

  private scheduleReconnect(peerId: string): void {
    const peer = this.persistent.get(peerId);
    if (!this.running || peer === undefined) return;
    if (peer.timer !== undefined || peer.dialing !== undefined || this.active.has(peerId)) return;
    const delay = reconnectDelayMs(peer.attempt, this.limits, this.random);
    peer.attempt++;
    peer.timer = setTimeout(() => {
      peer.timer = undefined;
      this.dial(peer);
    }, delay);
  }

  private leavePending(connection: Connection): void {
    this.pendingHandshake.delete(connection);
  }

  private inboundPeerCount(): number {
    let count = 0;
    for (const connection of this.active.values()) if (connection.direction === 'inbound') count++;
    return count;
  }

  private onAuthenticated(connection: Connection): void {
    this.leavePending(connection);
    const peerId = connection.peerId!;
    if (!this.running) {
      connection.close(new P2pError('LOCAL_CLOSE', 'node stopped'));
      return;
    }
    const existing = this.active.get(peerId);
    if (
      existing === undefined &&
      connection.direction === 'inbound' &&
      !this.persistent.has(peerId) &&
      this.inboundPeerCount() >= this.limits.maxInboundPeers
    ) {
      connection.close(
        new P2pError('TOO_MANY_PEERS', `already ${this.limits.maxInboundPeers} inbound peers`),
      );
      return;
    }
    if (existing !== undefined) {
      if (!this.keepsNewConnection(existing, connection)) {
        connection.close(new P2pError('DUPLICATE_CONNECTION', `already connected to ${peerId}`));
        return;
      }
      existing.close(new P2pError('DUPLICATE_CONNECTION', `replaced by a newer connection to ${peerId}`));
    }
    this.active.set(peerId, connection);
    const persistent = this.persistent.get(peerId);
    if (persistent !== undefined) {
      persistent.attempt = 0;
      clearTimeout(persistent.timer);
      persistent.timer = undefined;
    }
    const info = this.peerInfo(connection);
    for (const listener of this.connectedListeners) this.notify('onPeerConnected', () => listener(info));
  }

  /**
   * The simultaneous-dial tie-break (ADR 008): both ends apply the same rule, so they keep the
   * same connection: the one dialled by the lower node id; if both were dialled by the same
   * side (a redial after a restart), the newer one (the older is probably dead).
   */
  private keepsNewConnection(existing: Connection, candidate: Connection): boolean {
    const existingDialer = existing.dialerId!;
    const candidateDialer = candidate.dialerId!;
    if (existingDialer === candidateDialer) return true;
    return candidateDialer < existingDialer;
  }

  private onMessage(connection: Connection, channelId: number, bytes: Uint8Array): void | Promise<void> {
    const handler = this.handlers.get(channelId);
    if (handler === undefined || this.active.get(connection.peerId!) !== connection) return;
    try {
      const result = handler(connection.peerId!, bytes);
      if (result instanceof Promise)
        return result.catch((error: unknown) => this.handlerFailed(channelId, error));
    } catch (error) {
      this.handlerFailed(channelId, error);
    }
  }

  private handlerFailed(channelId: number, error: unknown): void {
    process.emitWarning(`p2p: handler of channel ${channelId} threw: ${String(error)}`, 'P2pHandlerWarning');
  }

  /** Runs a listener; its exception must not break the connection or the socket's events. */
  private notify(event: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      process.emitWarning(`p2p: ${event} listener threw: ${String(error)}`, 'P2pHandlerWarning');
    }
  }

  private onClosed(connection: Connection, reason: P2pError, expectedPeerId: string | undefined): void {
    this.connections.delete(connection);
    this.leavePending(connection);
    const peerId = connection.peerId ?? expectedPeerId;
    const persistent = peerId === undefined ? undefined : this.persistent.get(peerId);
    if (persistent?.dialing === connection) persistent.dialing = undefined;
    if (connection.peerId !== undefined && this.active.get(connection.peerId) === connection) {
      this.active.delete(connection.peerId);
      for (const listener of this.disconnectedListeners) {
        this.notify('onPeerDisconnected', () => listener(connection.peerId!, reason));
      }
    } else {
      this.emitFailure({
        direction: connection.direction,
        remoteAddress: connection.remoteAddress,
        peerId,
        reason,
      });
    }
    if (peerId !== undefined) this.scheduleReconnect(peerId);
  }

  private emitFailure(failure: ConnectionFailure): void {
    for (const listener of this.failureListeners) this.notify('onConnectionFailed', () => listener(failure));
  }
}
