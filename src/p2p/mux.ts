// Channel multiplexing inside frames (pure: no sockets, no timers). A frame's plaintext is a
// sequence of packets:
//   PING = 0x01 | PONG = 0x02 | MSG = 0x03, channel (u8), flags (u8, bit 0 = last packet of
//   the message), data length (u32 BE), data.
// A message longer than one packet is split, so a large block-sync message cannot hold the
// link for long: between two of its packets another channel gets its turn. Which channel
// sends next is start-time fair queueing weighted by priority (each channel's virtual time
// advances by bytes / priority; the smallest goes next; a channel that was idle starts at
// the current virtual time, so idling earns no credit).
import type { ChannelConfig } from './config.js';
import { P2pError } from './errors.js';

export const PACKET_PING = 0x01;
export const PACKET_PONG = 0x02;
export const PACKET_MSG = 0x03;
export const MSG_HEADER_BYTES = 7;
const FLAG_LAST = 0x01;

interface SendChannel {
  config: ChannelConfig;
  messages: Uint8Array[];
  /** Index of the message being sent in `messages` (a head index avoids O(n) shifts). */
  head: number;
  /** Bytes of the head message already packetized. */
  offset: number;
  queuedBytes: number;
  virtualTime: number;
}

/** Bounded per-channel send queues and the packet scheduler of one connection. */
export class SendScheduler {
  private readonly channels = new Map<number, SendChannel>();
  private readonly scratch: Uint8Array;
  private virtualTime = 0;
  private pingPending = false;
  private pongPending = false;

  /** @param maxPayloadBytes the frame payload size packets are packed into. */
  constructor(channels: readonly ChannelConfig[], maxPayloadBytes: number) {
    for (const config of channels) {
      this.channels.set(config.id, {
        config,
        messages: [],
        head: 0,
        offset: 0,
        queuedBytes: 0,
        virtualTime: 0,
      });
    }
    this.scratch = new Uint8Array(maxPayloadBytes);
  }

  /**
   * Queues a message unless the channel's queue is full (by messages or bytes). The caller
   * has checked the channel exists and the size limit; `bytes` must not change afterwards.
   */
  enqueue(channelId: number, bytes: Uint8Array): boolean {
    const channel = this.channels.get(channelId)!;
    const count = channel.messages.length - channel.head;
    if (count >= channel.config.sendQueueMessages) return false;
    if (channel.queuedBytes + bytes.length > channel.config.sendQueueBytes) return false;
    if (count === 0) channel.virtualTime = Math.max(channel.virtualTime, this.virtualTime);
    channel.messages.push(bytes);
    channel.queuedBytes += bytes.length;
    return true;
  }

  requestPing(): void {
    this.pingPending = true;
  }

  /** At most one pong is pending however many pings arrive: a ping flood costs no memory. */
  requestPong(): void {
    this.pongPending = true;
  }

  /** Messages and bytes queued on a channel (for stats and tests). */
  queued(channelId: number): { messages: number; bytes: number } {
    const channel = this.channels.get(channelId);
    if (channel === undefined) return { messages: 0, bytes: 0 };
    return { messages: channel.messages.length - channel.head, bytes: channel.queuedBytes };
  }

  hasPending(): boolean {
    if (this.pingPending || this.pongPending) return true;
    for (const channel of this.channels.values()) if (channel.messages.length > channel.head) return true;
    return false;
  }

  private next(): SendChannel | undefined {
    let best: SendChannel | undefined;
    for (const channel of this.channels.values()) {
      if (channel.messages.length === channel.head) continue;
      if (best === undefined || channel.virtualTime < best.virtualTime) best = channel;
    }
    return best;
  }

  /**
   * Packs control packets, then message packets in fair order, into one frame payload.
   * Returns null when nothing is pending. The result is a view of a reused buffer, valid
   * until the next call (the caller seals it at once).
   */
  buildPayload(): Uint8Array | null {
    const out = this.scratch;
    let length = 0;
    if (this.pongPending) {
      out[length++] = PACKET_PONG;
      this.pongPending = false;
    }
    if (this.pingPending) {
      out[length++] = PACKET_PING;
      this.pingPending = false;
    }
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    while (out.length - length > MSG_HEADER_BYTES) {
      const channel = this.next();
      if (channel === undefined) break;
      const message = channel.messages[channel.head]!;
      const room = out.length - length - MSG_HEADER_BYTES;
      const chunk = Math.min(room, message.length - channel.offset);
      const last = channel.offset + chunk === message.length;
      out[length] = PACKET_MSG;
      out[length + 1] = channel.config.id;
      out[length + 2] = last ? FLAG_LAST : 0;
      view.setUint32(length + 3, chunk);
      out.set(message.subarray(channel.offset, channel.offset + chunk), length + MSG_HEADER_BYTES);
      length += MSG_HEADER_BYTES + chunk;
      channel.virtualTime += (MSG_HEADER_BYTES + chunk) / channel.config.priority;
      this.virtualTime = channel.virtualTime;
      if (last) {
        channel.messages[channel.head] = EMPTY; // release the reference now
        channel.head++;
        channel.offset = 0;
        channel.queuedBytes -= message.length;
        if (channel.head === channel.messages.length) {
          channel.messages.length = 0;
          channel.head = 0;
        } else if (channel.head > 1024 && channel.head * 2 > channel.messages.length) {
          channel.messages = channel.messages.slice(channel.head);
          channel.head = 0;
        }
      } else {
        channel.offset += chunk;
      }
    }
    return length === 0 ? null : out.subarray(0, length);
  }
}

const EMPTY = new Uint8Array(0);

/** What a received frame payload contained, delivered through these callbacks. */
export interface ReceiveSink {
  ping(): void;
  pong(): void;
  message(channelId: number, bytes: Uint8Array): void;
}

interface Partial {
  chunks: Uint8Array[];
  bytes: number;
}

/** Parses frame payloads and reassembles split messages, within each channel's size limit. */
export class Reassembler {
  private readonly partials = new Map<number, Partial>();

  constructor(private readonly channels: ReadonlyMap<number, ChannelConfig>) {}

  /** Bytes held in partly received messages (bounded by the channels' maxMessageBytes). */
  bufferedBytes(): number {
    let total = 0;
    for (const partial of this.partials.values()) total += partial.bytes;
    return total;
  }

  /**
   * Parses one frame payload. Returns null, or the peer fault that must close the connection
   * (BAD_PACKET, UNKNOWN_CHANNEL, MESSAGE_TOO_LARGE); packets before the fault were delivered.
   */
  receive(payload: Uint8Array, sink: ReceiveSink): P2pError | null {
    if (payload.length === 0) return new P2pError('BAD_PACKET', 'peer sent an empty frame');
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    let at = 0;
    while (at < payload.length) {
      const type = payload[at]!;
      if (type === PACKET_PING) {
        sink.ping();
        at++;
        continue;
      }
      if (type === PACKET_PONG) {
        sink.pong();
        at++;
        continue;
      }
      if (type !== PACKET_MSG || payload.length - at < MSG_HEADER_BYTES) {
        return new P2pError('BAD_PACKET', `peer sent a malformed packet (type ${type})`);
      }
      const channelId = payload[at + 1]!;
      const flags = payload[at + 2]!;
      const length = view.getUint32(at + 3);
      at += MSG_HEADER_BYTES;
      if ((flags & ~FLAG_LAST) !== 0 || length > payload.length - at || (length === 0 && flags === 0)) {
        return new P2pError('BAD_PACKET', 'peer sent a message packet with bad flags or length');
      }
      const error = this.addChunk(channelId, payload.subarray(at, at + length), flags === FLAG_LAST, sink);
      if (error !== null) return error;
      at += length;
    }
    return null;
  }

  private addChunk(channelId: number, chunk: Uint8Array, last: boolean, sink: ReceiveSink): P2pError | null {
    const config = this.channels.get(channelId);
    if (config === undefined)
      return new P2pError('UNKNOWN_CHANNEL', `peer sent on unknown channel ${channelId}`);
    const partial = this.partials.get(channelId);
    const total = (partial?.bytes ?? 0) + chunk.length;
    if (total > config.maxMessageBytes) {
      return new P2pError(
        'MESSAGE_TOO_LARGE',
        `peer message on channel ${channelId} exceeds its ${config.maxMessageBytes}-byte limit`,
      );
    }
    if (!last) {
      // Copy: the chunk is a view of the frame, whose other bytes must not be retained.
      if (partial === undefined)
        this.partials.set(channelId, { chunks: [chunk.slice()], bytes: chunk.length });
      else {
        partial.chunks.push(chunk.slice());
        partial.bytes = total;
      }
      return null;
    }
    if (partial === undefined) {
      // Copy so a handler that keeps the message does not pin the whole frame payload.
      sink.message(channelId, chunk.slice());
      return null;
    }
    this.partials.delete(channelId);
    const message = new Uint8Array(total);
    let offset = 0;
    for (const piece of [...partial.chunks, chunk]) {
      message.set(piece, offset);
      offset += piece.length;
    }
    sink.message(channelId, message);
    return null;
  }
}
