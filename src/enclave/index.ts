// The enclave layer's public face (DESIGN.md §2, §4): the host-side client of the enclave
// worker, the types that cross its boundary, and the pieces other layers need to check or
// build what the enclave consumes (quotes, the measurement). Secrets never leave the worker.
export { Enclave, type EnclaveStartOptions } from './client.js';
export { EnclaveError, type EnclaveErrorCode } from './errors.js';
export { EnclaveCallError, type Crossing } from './boundary/host-side.js';
export { BoundaryError, type BoundaryErrorCode } from './boundary/channel.js';
export { enclaveMeasurement, measuredFiles } from './core/measurement.js';
export {
  signQuote,
  encodeQuote,
  decodeQuote,
  QUOTE_BYTES,
  type Quote,
  type QuoteBody,
} from './secrets/attestation.js';
export type {
  AcceptSeedRequest,
  BlockInfo,
  BlockRandomRequest,
  CallFailure,
  CallbackAuth,
  ContractEntry,
  EnclaveServices,
  GenesisPolicy,
  NetworkKeys,
  OutputAttribute,
  OutputEvent,
  OutputMessage,
  PublicCoin,
  QueryRequest,
  QueryResult,
  RegisterNodeRequest,
  RegisterNodeResult,
  RegistrationKey,
  ReplyEnvelope,
  ReplyOn,
  RunEntry,
  RunContractRequest,
  RunContractResult,
  SealedNetworkKeys,
  StateWrite,
  UserAuth,
} from './protocol.js';
