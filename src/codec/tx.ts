// Encoding, strict decoding and sign bytes of transactions (docs/adr/002-transaction-format.md).
//
// Layout (SIGN_MODE_DIRECT style, as Cosmos SDK): Tx carries body_bytes and auth_info_bytes
// as opaque bytes, and the signature covers SignDoc{body_bytes, auth_info_bytes, chain_id,
// account_number}. Verifiers hash the received bytes; they never re-encode to verify.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { AuthInfoSchema, SignDocSchema, TxBodySchema, TxSchema } from './gen/shroud/tx/v1/tx_pb.js';
import type { AuthInfo, Tx, TxBody } from './gen/shroud/tx/v1/tx_pb.js';
import { decodeCanonical, encodeStrict } from './canonical.js';
import { CodecError } from './errors.js';
import { checkMessageCount, validateAuthInfo, validateTx, validateTxBody } from './validate.js';

/** Default limit on a whole encoded tx: 1 MiB (CometBFT's default mempool max_tx_bytes). */
export const MAX_TX_BYTES_DEFAULT = 1024 * 1024;
/** CometBFT's MaxChainIDLen. */
export const MAX_CHAIN_ID_LENGTH = 50;

/** Limits for decoding; defaults suit a node, a chain may set its own from its params. */
export interface DecodeOptions {
  /** Largest accepted encoding in bytes (tx, or a body/auth info on its own). Default 1 MiB. */
  maxTxBytes?: number;
  /** Largest accepted memo in UTF-8 bytes. Default 256. */
  maxMemoBytes?: number;
  /** Most messages in one tx. Default 256. */
  maxMessages?: number;
}

/** What {@link decodeTx} returns: the outer Tx and its body and auth info, all decoded. */
export interface DecodedTx {
  tx: Tx;
  body: TxBody;
  authInfo: AuthInfo;
}

/** A value or the CodecError that prevented it; for hot paths such as checkTx. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: CodecError };

export type TxInit = MessageInitShape<typeof TxSchema>;
export type TxBodyInit = MessageInitShape<typeof TxBodySchema>;
export type AuthInfoInit = MessageInitShape<typeof AuthInfoSchema>;

function checkSize(bytes: Uint8Array, what: string, options: DecodeOptions | undefined): void {
  const limit = options?.maxTxBytes ?? MAX_TX_BYTES_DEFAULT;
  if (bytes.length > limit) {
    throw new CodecError('TOO_LARGE', `${what} has ${bytes.length} bytes, more than the limit of ${limit}`, {
      field: what,
    });
  }
}

/**
 * Decodes and validates a transaction received from anyone (RPC, mempool, block).
 * Accepts only canonical bytes at every level: the Tx, and the body and auth info bytes
 * inside it, so a tx has exactly one encoding and one hash. Byte fields of the result are
 * views into `bytes` (no copy): do not mutate `bytes` while the result is in use.
 *
 * @example
 * const { body, authInfo } = decodeTx(bytes); // throws CodecError on anything but a valid tx
 * @throws {CodecError} `TOO_LARGE`, `MALFORMED`, `UNKNOWN_FIELD`, `NON_CANONICAL`,
 *   `EMPTY_MESSAGES` or `INVALID_FIELD` (see errors.ts). Never another exception.
 */
export function decodeTx(bytes: Uint8Array, options?: DecodeOptions): DecodedTx {
  checkSize(bytes, 'tx', options);
  const tx = decodeCanonical(TxSchema, bytes, 'tx');
  checkMessageCount(tx.bodyBytes, options?.maxMessages);
  const body = decodeCanonical(TxBodySchema, tx.bodyBytes, 'body');
  const authInfo = decodeCanonical(AuthInfoSchema, tx.authInfoBytes, 'auth_info');
  validateTxBody(body, options);
  validateAuthInfo(authInfo);
  validateTx(tx);
  return { tx, body, authInfo };
}

/**
 * {@link decodeTx} returning a result instead of throwing a CodecError.
 * Still throws for anything that is not a CodecError (a bug).
 */
export function tryDecodeTx(bytes: Uint8Array, options?: DecodeOptions): DecodeResult<DecodedTx> {
  try {
    return { ok: true, value: decodeTx(bytes, options) };
  } catch (error) {
    if (error instanceof CodecError) return { ok: false, error };
    throw error;
  }
}

/**
 * Encodes a signed transaction and checks the result decodes ({@link decodeTx}), so a
 * client cannot broadcast what every node would reject.
 *
 * @throws {CodecError} as {@link decodeTx} for invalid content (e.g. no signature yet).
 */
export function encodeTx(tx: TxInit, options?: DecodeOptions): Uint8Array {
  const { bytes } = encodeStrict(TxSchema, tx, 'tx');
  decodeTx(bytes, options);
  return bytes;
}

/**
 * Encodes a transaction body; these bytes are what gets signed and broadcast.
 *
 * @throws {CodecError} `EMPTY_MESSAGES`, `TOO_LARGE` or `INVALID_FIELD` for invalid content or
 *   values the schema cannot hold (uint64 out of range, lone surrogates in strings).
 */
export function encodeTxBody(body: TxBodyInit, options?: DecodeOptions): Uint8Array {
  return encodeBody(body, options).bytes;
}

function encodeBody(
  body: TxBodyInit,
  options: DecodeOptions | undefined,
): { message: TxBody; bytes: Uint8Array } {
  const encoded = encodeStrict(TxBodySchema, body, 'body');
  validateTxBody(encoded.message, options);
  checkSize(encoded.bytes, 'body', options);
  return encoded;
}

/**
 * Strictly decodes and validates body bytes (see {@link decodeTx}).
 *
 * @throws {CodecError} `TOO_LARGE`, `MALFORMED`, `UNKNOWN_FIELD`, `NON_CANONICAL`,
 *   `EMPTY_MESSAGES` or `INVALID_FIELD`.
 */
export function decodeTxBody(bytes: Uint8Array, options?: DecodeOptions): TxBody {
  checkSize(bytes, 'body', options);
  checkMessageCount(bytes, options?.maxMessages);
  const body = decodeCanonical(TxBodySchema, bytes, 'body');
  validateTxBody(body, options);
  return body;
}

/**
 * Encodes auth info (signer key and sequence, fee).
 *
 * @throws {CodecError} `INVALID_FIELD` for a missing signer/fee, bad key, zero gas, bad coin or a
 *   value the schema cannot hold.
 */
export function encodeAuthInfo(authInfo: AuthInfoInit): Uint8Array {
  return encodeAuth(authInfo).bytes;
}

function encodeAuth(authInfo: AuthInfoInit): { message: AuthInfo; bytes: Uint8Array } {
  const encoded = encodeStrict(AuthInfoSchema, authInfo, 'auth_info');
  validateAuthInfo(encoded.message);
  return encoded;
}

/**
 * Strictly decodes and validates auth info bytes (see {@link decodeTx}).
 *
 * @throws {CodecError} `TOO_LARGE`, `MALFORMED`, `UNKNOWN_FIELD`, `NON_CANONICAL` or `INVALID_FIELD`.
 */
export function decodeAuthInfo(bytes: Uint8Array, options?: DecodeOptions): AuthInfo {
  checkSize(bytes, 'auth_info', options);
  const authInfo = decodeCanonical(AuthInfoSchema, bytes, 'auth_info');
  validateAuthInfo(authInfo);
  return authInfo;
}

/** The inputs of the signed document. */
export interface SignBytesInput {
  bodyBytes: Uint8Array;
  authInfoBytes: Uint8Array;
  chainId: string;
  accountNumber: bigint;
}

/**
 * The bytes a signer signs: the canonical encoding of SignDoc. The signature is
 * secp256k1 over SHA-256 of these bytes (compact r || s, low-S).
 *
 * @example
 * const signature = secp256k1Sign(sha256(signBytes({ bodyBytes, authInfoBytes, chainId, accountNumber })), key);
 * @throws {CodecError} `INVALID_FIELD` for an empty chain id or one longer than 50 characters,
 *   or a negative account number.
 */
export function signBytes(input: SignBytesInput): Uint8Array {
  if (input.chainId.length === 0 || input.chainId.length > MAX_CHAIN_ID_LENGTH) {
    throw new CodecError('INVALID_FIELD', `chain_id must have 1 to ${MAX_CHAIN_ID_LENGTH} characters`, {
      field: 'sign_doc.chain_id',
    });
  }
  if (input.accountNumber < 0n || input.accountNumber > 0xffff_ffff_ffff_ffffn) {
    throw new CodecError('INVALID_FIELD', 'account_number must be a uint64', {
      field: 'sign_doc.account_number',
    });
  }
  const signDoc = {
    bodyBytes: input.bodyBytes,
    authInfoBytes: input.authInfoBytes,
    chainId: input.chainId,
    accountNumber: input.accountNumber,
  };
  return encodeStrict(SignDocSchema, signDoc, 'sign_doc').bytes;
}

/** Everything needed to build an unsigned transaction. */
export interface BuildTxInput {
  messages: TxBodyInit['messages'];
  memo?: string;
  timeoutHeight?: bigint;
  /** 33-byte compressed secp256k1 public key of the signer. */
  publicKey: Uint8Array;
  sequence: bigint;
  fee: { amount: { denom: string; amount: string }[]; gasLimit: bigint };
  chainId: string;
  accountNumber: bigint;
}

/** An encoded but unsigned transaction: sign `signBytes`, then call {@link encodeTx}. */
export interface UnsignedTx {
  body: TxBody;
  authInfo: AuthInfo;
  bodyBytes: Uint8Array;
  authInfoBytes: Uint8Array;
  signBytes: Uint8Array;
}

/**
 * Encodes body and auth info and the sign bytes over them.
 *
 * @example
 * const unsigned = buildTx({ messages: [{ sum: { case: 'send', value: send } }], publicKey, sequence: 0n,
 *   fee: { amount: [{ denom: 'ushr', amount: '5000' }], gasLimit: 200_000n }, chainId, accountNumber: 7n });
 * const signature = secp256k1Sign(sha256(unsigned.signBytes), privateKey);
 * const txBytes = encodeTx({ bodyBytes: unsigned.bodyBytes, authInfoBytes: unsigned.authInfoBytes, signatures: [signature] });
 * @throws {CodecError} as {@link encodeTxBody}, {@link encodeAuthInfo} and {@link signBytes}.
 */
export function buildTx(input: BuildTxInput, options?: DecodeOptions): UnsignedTx {
  const body = encodeBody(
    { messages: input.messages, memo: input.memo ?? '', timeoutHeight: input.timeoutHeight ?? 0n },
    options,
  );
  const authInfo = encodeAuth({
    signer: { publicKey: input.publicKey, sequence: input.sequence },
    fee: { amount: input.fee.amount, gasLimit: input.fee.gasLimit },
  });
  const bytesToSign = signBytes({
    bodyBytes: body.bytes,
    authInfoBytes: authInfo.bytes,
    chainId: input.chainId,
    accountNumber: input.accountNumber,
  });
  return {
    body: body.message,
    authInfo: authInfo.message,
    bodyBytes: body.bytes,
    authInfoBytes: authInfo.bytes,
    signBytes: bytesToSign,
  };
}
