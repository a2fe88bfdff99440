// Typed errors of the p2p layer. A connection that ends always carries one of these as its
// reason (onPeerDisconnected), so operators and tests branch on `code`, never on the message.
// Messages never carry key material or message contents.
import { ShroudError } from '../errors.js';

/**
 * Codes of {@link P2pError}. "Peer fault" codes mean the remote side broke the protocol:
 * the connection is closed at once and (for persistent peers) redialled with backoff; a node
 * above may also lower that peer's score. The others are local or benign.
 *
 * Caller errors (thrown by the API, programming errors in the caller):
 * - `INVALID_CONFIG`: a start option is malformed (bad key length, duplicate channel id,
 *   limit out of range, bad peer id). Fix the configuration.
 * - `INVALID_ARGUMENT`: a call got a malformed argument (unknown channel, not bytes).
 * - `MESSAGE_TOO_LARGE`: `send`/`broadcast` of a message above the channel's
 *   `maxMessageBytes`; also a peer fault when a peer's reassembled message exceeds it.
 * - `NOT_RUNNING`: the node was stopped.
 * - `LISTEN_FAILED`: the listen address could not be bound (in use, no permission).
 *
 * Handshake (peer faults unless said otherwise):
 * - `HANDSHAKE_TIMEOUT`: connect + handshake did not finish within `handshakeTimeoutMs`
 *   (a silent or slow-loris client, or an unreachable host).
 * - `HANDSHAKE_FAILED`: wrong protocol magic, a low-order or reflected ephemeral key, or a
 *   malformed authentication message.
 * - `AUTH_FAILED`: the peer's signature over the handshake challenge does not verify.
 * - `PEER_ID_MISMATCH`: a dialled peer authenticated as a different node id (impostor or
 *   stale configuration). Policy: never accept; check the address book.
 * - `NETWORK_MISMATCH`: the peer belongs to another network id. Not malicious; do not retry fast.
 * - `SELF_CONNECTION`: we dialled ourselves (an own address in the peer list). Not a fault.
 *
 * Transport (peer faults unless said otherwise):
 * - `FRAME_TOO_LARGE`: a frame length above the negotiated maximum (or a tiny impossible one).
 * - `FRAME_AUTH_FAILED`: a frame's AEAD tag does not verify (tampering on the path).
 * - `FRAME_COUNTER`: a frame carries a counter other than the next expected one (replay,
 *   reordering or drop by someone on the path).
 * - `BAD_PACKET`: a frame's plaintext does not parse (unknown packet type, bad lengths).
 * - `UNKNOWN_CHANNEL`: a packet on a channel this node does not have.
 * - `PONG_TIMEOUT`: no pong within `pongTimeoutMs` of a ping (dead peer or dead path).
 *
 * Connection management (local decisions, not faults):
 * - `DUPLICATE_CONNECTION`: a second connection to an already connected peer lost the
 *   deterministic tie-break (ADR 008) and was closed.
 * - `TOO_MANY_PEERS`: inbound limit or pending-handshake limit reached.
 * - `CONNECTION_LOST`: the TCP connection ended or errored (peer closed, reset, refused).
 * - `LOCAL_CLOSE`: this node closed it (stop(), or disconnect()).
 */
export type P2pErrorCode =
  | 'INVALID_CONFIG'
  | 'INVALID_ARGUMENT'
  | 'MESSAGE_TOO_LARGE'
  | 'NOT_RUNNING'
  | 'LISTEN_FAILED'
  | 'HANDSHAKE_TIMEOUT'
  | 'HANDSHAKE_FAILED'
  | 'AUTH_FAILED'
  | 'PEER_ID_MISMATCH'
  | 'NETWORK_MISMATCH'
  | 'SELF_CONNECTION'
  | 'FRAME_TOO_LARGE'
  | 'FRAME_AUTH_FAILED'
  | 'FRAME_COUNTER'
  | 'BAD_PACKET'
  | 'UNKNOWN_CHANNEL'
  | 'PONG_TIMEOUT'
  | 'DUPLICATE_CONNECTION'
  | 'TOO_MANY_PEERS'
  | 'CONNECTION_LOST'
  | 'LOCAL_CLOSE';

/** The one error type of `src/p2p`: thrown by the API and given as a disconnect reason. */
export class P2pError extends ShroudError<P2pErrorCode> {}
