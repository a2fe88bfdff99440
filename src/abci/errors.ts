// Typed errors of the ABCI layer (DESIGN.md §2). Each ends the connection it happened on: an
// ABCI socket has no way to resynchronize after a bad frame or a call out of order, and going
// on could leave the app in a state CometBFT does not know about.
import { ShroudError } from '../errors.js';

/**
 * Codes of {@link AbciError}:
 * - `FRAME_MALFORMED`: a length prefix that is not a valid unsigned varint (over 10 bytes or
 *   over 64 bits). The peer is not speaking ABCI 2.0 socket framing: check `proxy_app` / `abci`
 *   in CometBFT's config.toml (must be `socket`, not `grpc`).
 * - `FRAME_TOO_LARGE`: a frame longer than the server's limit. Raise `maxFrameBytes` only if the
 *   chain's max block bytes really needs it.
 * - `DECODE_FAILED`: the frame is not a protobuf `tendermint.abci.Request`.
 * - `UNKNOWN_REQUEST`: a Request with no known kind (a newer ABCI version, or garbage).
 *   CometBFT v0.38 is the supported engine.
 * - `OUT_OF_ORDER`: a consensus call in the wrong order (a block before InitChain, Commit
 *   without FinalizeBlock, a height other than last + 1, a second consensus connection).
 *   The connection closes and the server stops; restart CometBFT and `shroud abci` and the
 *   ABCI handshake (Info → replay) resynchronizes them.
 * - `INVALID_REQUEST`: a well-formed request with a bad field (negative time, genesis app
 *   state that is not this home's genesis...).
 * - `APP_FAILED`: the app threw while serving a consensus call (enclave crash, store error):
 *   a node fault, the server stops so CometBFT replays the block after a restart.
 * - `ADDRESS_INVALID`: `--address` is neither `tcp://HOST:PORT` nor `unix://PATH`.
 * - `SERVER_CLOSED`: the server was stopped.
 */
export type AbciErrorCode =
  | 'FRAME_MALFORMED'
  | 'FRAME_TOO_LARGE'
  | 'DECODE_FAILED'
  | 'UNKNOWN_REQUEST'
  | 'OUT_OF_ORDER'
  | 'INVALID_REQUEST'
  | 'APP_FAILED'
  | 'ADDRESS_INVALID'
  | 'SERVER_CLOSED';

export class AbciError extends ShroudError<AbciErrorCode> {}
