// The codec layer's public face (DESIGN.md §2): protobuf wire formats of transactions and
// messages, canonical strict decoding, sign bytes and tx hashes. Other layers import only
// from here.
export { CodecError } from './errors.js';
export type { CodecErrorCode } from './errors.js';
export {
  MAX_TX_BYTES_DEFAULT,
  MAX_CHAIN_ID_LENGTH,
  buildTx,
  decodeAuthInfo,
  decodeTx,
  decodeTxBody,
  encodeAuthInfo,
  encodeTx,
  encodeTxBody,
  signBytes,
  tryDecodeTx,
} from './tx.js';
export type {
  AuthInfoInit,
  BuildTxInput,
  DecodeOptions,
  DecodeResult,
  DecodedTx,
  SignBytesInput,
  TxBodyInit,
  TxInit,
  UnsignedTx,
} from './tx.js';
export { txHash, txHashHex } from './hash.js';
export {
  envelopeAssociatedData,
  instantiateTarget,
  type EnvelopeBinding,
  type EnvelopeKind,
} from './binding.js';
export {
  CONSENSUS_PUBLIC_KEY_LENGTH,
  MAX_AMOUNT_DIGITS,
  MAX_MEMO_BYTES_DEFAULT,
  MAX_MESSAGES_DEFAULT,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  isCanonicalAmount,
  validateCoin,
} from './validate.js';
export { decodeCanonical, encodeStrict } from './canonical.js';

// Generated message types and schemas (`create(MsgSendSchema, {...})`).
export { create } from '@bufbuild/protobuf';
export * from './gen/shroud/base/v1/coin_pb.js';
export * from './gen/shroud/bank/v1/tx_pb.js';
export * from './gen/shroud/compute/v1/tx_pb.js';
export * from './gen/shroud/registration/v1/tx_pb.js';
export * from './gen/shroud/staking/v1/tx_pb.js';
export * from './gen/shroud/tx/v1/tx_pb.js';
