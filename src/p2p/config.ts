// Start options of a P2pNode, their defaults and their validation (STYLE.md §4: validate
// configuration at the boundary). Every queue, buffer and wait has a limit here (§6).
import { ED25519_SEED_BYTES } from '../crypto/index.js';
import { P2pError } from './errors.js';
import { isNodeId } from './node-id.js';

/** One logical stream multiplexed over every connection (consensus, mempool, ...). */
export interface ChannelConfig {
  /** 0..255, unique; the same id must mean the same channel on every node. */
  id: number;
  /** For logs only. */
  name: string;
  /** Largest message accepted on send and on receive (bytes, ≥ 1). */
  maxMessageBytes: number;
  /** Per-peer send queue bound, in messages. */
  sendQueueMessages: number;
  /** Per-peer send queue bound, in bytes (at least maxMessageBytes). */
  sendQueueBytes: number;
  /** Relative share of the link when several channels have data (1..1000). */
  priority: number;
}

/** A peer we keep connected to: its node id and address. */
export interface PeerAddress {
  /** Node id: 40 lowercase hex characters (see nodeIdFromPublicKey). */
  id: string;
  host: string;
  port: number;
}

/** Limits of one node; all have defaults (DEFAULT_LIMITS). */
export interface P2pLimits {
  /** Authenticated inbound peers at once (persistent peers are exempt). */
  maxInboundPeers: number;
  /** Inbound sockets still in their handshake at once (handshake-flood bound). */
  maxPendingHandshakes: number;
  /** Connect + handshake must finish within this (ms). */
  handshakeTimeoutMs: number;
  /** Largest plaintext per encrypted frame (bytes); messages above it are split into packets. */
  maxFramePayloadBytes: number;
  /** Bytes of received messages handed to async handlers and not settled yet; above it the
   * socket is paused, so the sender feels TCP backpressure instead of us buffering. */
  maxReceiveInFlightBytes: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  /** First reconnect delay (ms); doubles per failed attempt up to reconnectMaxMs. */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** Fraction of the delay removed at random: the delay is uniform in [d·(1−j), d]. */
  reconnectJitter: number;
}

export const DEFAULT_LIMITS: Readonly<P2pLimits> = Object.freeze({
  maxInboundPeers: 40,
  maxPendingHandshakes: 16,
  handshakeTimeoutMs: 10_000,
  maxFramePayloadBytes: 64 * 1024,
  maxReceiveInFlightBytes: 8 * 1024 * 1024,
  pingIntervalMs: 30_000,
  pongTimeoutMs: 15_000,
  reconnectBaseMs: 500,
  reconnectMaxMs: 60_000,
  reconnectJitter: 0.5,
});

/** Options of P2pNode.start. */
export interface P2pOptions {
  /** Where to listen; port 0 picks a free port (read it back from node.listenPort). */
  listenAddress: { host: string; port: number };
  /** The node's ed25519 private key (32-byte RFC 8032 seed). Its public key is the identity. */
  nodeKey: Uint8Array;
  /** Peers on another network id are refused (e.g. the chain id). 1..64 ASCII characters. */
  networkId: string;
  persistentPeers?: PeerAddress[];
  channels: ChannelConfig[];
  limits?: Partial<P2pLimits>;
}

/** Injected dependencies (STYLE.md: `(opts, deps)`); defaults are the real ones. */
export interface P2pDeps {
  /** Uniform in [0, 1): reconnect jitter only (never key material). Default Math.random. */
  random?: () => number;
}

export const MAX_CHANNELS = 256;
const MAX_PRIORITY = 1000;
/** Smallest frame payload we allow: the authentication message must fit. */
export const MIN_FRAME_PAYLOAD_BYTES = 1024;
/** Largest: one frame is one AEAD call and one buffer; 1 MiB keeps both bounded. */
export const MAX_FRAME_PAYLOAD_BYTES = 1024 * 1024;
/** 1 GiB: no queue or message may exceed it (protects against typos like 1e12). */
const MAX_BYTES_LIMIT = 1 << 30;

function fail(message: string): never {
  throw new P2pError('INVALID_CONFIG', message);
}

function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Validates and completes the limits. @throws {P2pError} INVALID_CONFIG */
export function resolveLimits(partial: Partial<P2pLimits> | undefined): P2pLimits {
  const limits: P2pLimits = { ...DEFAULT_LIMITS, ...partial };
  checkInteger('limits.maxInboundPeers', limits.maxInboundPeers, 0, 10_000);
  checkInteger('limits.maxPendingHandshakes', limits.maxPendingHandshakes, 1, 10_000);
  checkInteger('limits.handshakeTimeoutMs', limits.handshakeTimeoutMs, 1, 600_000);
  checkInteger(
    'limits.maxFramePayloadBytes',
    limits.maxFramePayloadBytes,
    MIN_FRAME_PAYLOAD_BYTES,
    MAX_FRAME_PAYLOAD_BYTES,
  );
  checkInteger('limits.maxReceiveInFlightBytes', limits.maxReceiveInFlightBytes, 1, MAX_BYTES_LIMIT);
  checkInteger('limits.pingIntervalMs', limits.pingIntervalMs, 1, 3_600_000);
  checkInteger('limits.pongTimeoutMs', limits.pongTimeoutMs, 1, 3_600_000);
  checkInteger('limits.reconnectBaseMs', limits.reconnectBaseMs, 1, 3_600_000);
  checkInteger('limits.reconnectMaxMs', limits.reconnectMaxMs, limits.reconnectBaseMs, 3_600_000);
  const jitter = limits.reconnectJitter;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    fail(`limits.reconnectJitter must be a number in [0, 1], got ${String(jitter)}`);
  }
  return limits;
}

/** Validates the channel list. @throws {P2pError} INVALID_CONFIG */
export function validateChannels(channels: readonly ChannelConfig[]): void {
  const untrusted: unknown = channels; // configuration comes from a file: check the shape
  if (!Array.isArray(untrusted) || untrusted.length === 0) fail('channels must be a non-empty array');
  const seen = new Set<number>();
  for (const channel of channels) {
    checkInteger('channel.id', channel.id, 0, MAX_CHANNELS - 1);
    if (seen.has(channel.id)) fail(`channel id ${channel.id} is configured twice`);
    seen.add(channel.id);
    const where = `channel ${channel.id}`;
    checkInteger(`${where} maxMessageBytes`, channel.maxMessageBytes, 1, MAX_BYTES_LIMIT);
    checkInteger(`${where} sendQueueMessages`, channel.sendQueueMessages, 1, 1_000_000);
    checkInteger(`${where} sendQueueBytes`, channel.sendQueueBytes, channel.maxMessageBytes, MAX_BYTES_LIMIT);
    checkInteger(`${where} priority`, channel.priority, 1, MAX_PRIORITY);
  }
}

/** Validates a peer address. @throws {P2pError} INVALID_CONFIG */
export function validatePeerAddress(peer: PeerAddress): void {
  if (!isNodeId(peer.id)) fail(`peer id must be 40 lowercase hex characters, got ${String(peer.id)}`);
  if (typeof peer.host !== 'string' || peer.host.length === 0) fail(`peer ${peer.id}: host is empty`);
  checkInteger(`peer ${peer.id} port`, peer.port, 1, 65_535);
}

/** Validates everything but the key's validity as a curve scalar. @throws {P2pError} INVALID_CONFIG */
export function validateOptions(options: P2pOptions): P2pLimits {
  if (!(options.nodeKey instanceof Uint8Array) || options.nodeKey.length !== ED25519_SEED_BYTES) {
    fail(`nodeKey must be a ${ED25519_SEED_BYTES}-byte ed25519 seed`);
  }
  if (typeof options.networkId !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(options.networkId)) {
    fail('networkId must be 1..64 printable ASCII characters without spaces');
  }
  if (typeof options.listenAddress?.host !== 'string') fail('listenAddress.host must be a string');
  checkInteger('listenAddress.port', options.listenAddress.port, 0, 65_535);
  validateChannels(options.channels);
  for (const peer of options.persistentPeers ?? []) validatePeerAddress(peer);
  return resolveLimits(options.limits);
}
