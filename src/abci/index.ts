// The ABCI layer's public face (issue #8): Shroud's app behind an ABCI 2.0 socket server for
// CometBFT v0.38, and the CometBFT files a Shroud validator needs.
export { AbciError, type AbciErrorCode } from './errors.js';
export { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, MAX_VARINT_BYTES, encodeFrame } from './framing.js';
export { nanosToTimestamp, timestampToNanos } from './convert.js';
export {
  AbciServer,
  MAX_QUEUED_REQUESTS,
  decodeRequest,
  parseListenAddress,
  requestKind,
  type AbciServerOptions,
  type ListenAddress,
} from './server.js';
export { openApp, type OpenAppOptions, type OpenedApp } from './host.js';
export {
  cometAddress,
  cometConfigToml,
  cometGenesisJson,
  cometPublicKeyJson,
  nodeKeyJson,
  privValidatorKeyJson,
  privValidatorStateJson,
  type CometConfigOptions,
  type CometGenesisOptions,
  type CometValidator,
} from './cometbft-files.js';
