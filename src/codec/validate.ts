// Structural (stateless) validation of decoded transactions: the rules that need no chain
// state and that every node must apply identically before anything else looks at a tx.
// Address spelling, balances, sequences and signatures are checked by the app.
import type { Coin } from './gen/shroud/base/v1/coin_pb.js';
import type { AuthInfo, Msg, Tx, TxBody } from './gen/shroud/tx/v1/tx_pb.js';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { CodecError } from './errors.js';

/** Signatures are compact secp256k1 r || s (DESIGN.md §3). */
export const SIGNATURE_LENGTH = 64;
/** Compressed secp256k1 public key: 0x02/0x03 || x. */
export const PUBLIC_KEY_LENGTH = 33;
/** ed25519 consensus public key. */
export const CONSENSUS_PUBLIC_KEY_LENGTH = 32;
/** Default limit on the memo, in UTF-8 bytes (Cosmos SDK's default MaxMemoCharacters is 256). */
export const MAX_MEMO_BYTES_DEFAULT = 256;
/**
 * Default limit on messages per tx. It bounds the decode and validation work a tx can ask
 * for before any gas is charged: 80,000 minimal messages fit in 1 MiB and take ~150 ms to
 * decode, so the count is checked on the raw body bytes before they are decoded.
 */
export const MAX_MESSAGES_DEFAULT = 256;
/** Longest amount: 2^256 - 1 has 78 decimal digits. */
export const MAX_AMOUNT_DIGITS = 78;

/** Canonical decimal: "0" or no leading zero, digits only, at most 78 of them. */
const AMOUNT_PATTERN = /^(?:0|[1-9][0-9]{0,77})$/;
/** The Cosmos SDK denom rule: a letter then 2-127 of [a-zA-Z0-9/:._-]. */
const DENOM_PATTERN = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;

const utf8 = new TextEncoder();

function invalid(field: string, rule: string): CodecError {
  return new CodecError('INVALID_FIELD', `${field} ${rule}`, { field });
}

/**
 * @throws {CodecError} `INVALID_FIELD` unless there is exactly one 64-byte signature.
 */
export function validateTx(tx: Tx): void {
  if (tx.signatures.length !== 1) {
    throw invalid('tx.signatures', `must hold exactly 1 signature, found ${tx.signatures.length}`);
  }
  const signature = tx.signatures[0];
  if (signature === undefined || signature.length !== SIGNATURE_LENGTH) {
    throw invalid('tx.signatures[0]', `must be ${SIGNATURE_LENGTH} bytes (compact r || s)`);
  }
}

/** Limits on a tx body; the defaults are MAX_MEMO_BYTES_DEFAULT and MAX_MESSAGES_DEFAULT. */
export interface BodyLimits {
  maxMemoBytes?: number;
  maxMessages?: number;
}

/**
 * @throws {CodecError} `EMPTY_MESSAGES` without messages, `TOO_LARGE` for too many messages
 *   or a long memo, `INVALID_FIELD` for an unset message or a bad field inside one.
 */
export function validateTxBody(body: TxBody, limits: BodyLimits = {}): void {
  if (body.messages.length === 0) {
    throw new CodecError('EMPTY_MESSAGES', 'body.messages must hold at least one message', {
      field: 'body.messages',
    });
  }
  const maxMessages = limits.maxMessages ?? MAX_MESSAGES_DEFAULT;
  if (body.messages.length > maxMessages) throw tooManyMessages(body.messages.length, maxMessages);
  const maxMemoBytes = limits.maxMemoBytes ?? MAX_MEMO_BYTES_DEFAULT;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short memos need no encoding.
  const memoBytes = body.memo.length * 3 <= maxMemoBytes ? 0 : utf8.encode(body.memo).length;
  if (memoBytes > maxMemoBytes) {
    throw new CodecError(
      'TOO_LARGE',
      `body.memo has ${memoBytes} bytes, more than the limit of ${maxMemoBytes}`,
      {
        field: 'body.memo',
      },
    );
  }
  body.messages.forEach((msg, index) => validateMsg(msg, `body.messages[${index}]`));
}

function tooManyMessages(count: number, limit: number): CodecError {
  return new CodecError(
    'TOO_LARGE',
    `body.messages has ${count} or more messages, more than the limit of ${limit}`,
    {
      field: 'body.messages',
    },
  );
}

/**
 * Counts the top-level `messages` records (field 1) of raw TxBody bytes without decoding
 * them, and throws as soon as there are more than `limit`. Bytes that do not parse are left
 * for the strict decoder to report (MALFORMED).
 *
 * @throws {CodecError} `TOO_LARGE` for more than `limit` messages.
 */
export function checkMessageCount(bodyBytes: Uint8Array, limit: number = MAX_MESSAGES_DEFAULT): void {
  const reader = new BinaryReader(bodyBytes);
  let count = 0;
  try {
    while (reader.pos < reader.len) {
      const [fieldNumber, wireType] = reader.tag();
      reader.skip(wireType, fieldNumber);
      if (fieldNumber === 1) count++;
      if (count > limit) break;
    }
  } catch {
    return; // not parseable: decodeCanonical reports MALFORMED with the details
  }
  if (count > limit) throw tooManyMessages(count, limit);
}

/**
 * @throws {CodecError} `INVALID_FIELD` without signer or fee, for a public key that is not
 *   33 bytes starting 0x02/0x03, a zero gas limit or a bad fee coin.
 */
export function validateAuthInfo(authInfo: AuthInfo): void {
  const { signer, fee } = authInfo;
  if (signer === undefined) throw invalid('auth_info.signer', 'must be set');
  const key = signer.publicKey;
  if (key.length !== PUBLIC_KEY_LENGTH || (key[0] !== 0x02 && key[0] !== 0x03)) {
    throw invalid(
      'auth_info.signer.public_key',
      `must be a ${PUBLIC_KEY_LENGTH}-byte compressed secp256k1 key`,
    );
  }
  if (fee === undefined) throw invalid('auth_info.fee', 'must be set');
  if (fee.gasLimit === 0n) throw invalid('auth_info.fee.gas_limit', 'must be greater than 0');
  validateCoins(fee.amount, 'auth_info.fee.amount');
}

function validateMsg(msg: Msg, path: string): void {
  const sum = msg.sum;
  switch (sum.case) {
    case undefined:
      throw invalid(path, 'has no message set (unset oneof)');
    case 'send':
      requireText(sum.value.fromAddress, `${path}.send.from_address`);
      requireText(sum.value.toAddress, `${path}.send.to_address`);
      validateCoins(sum.value.amount, `${path}.send.amount`);
      return;
    case 'storeCode':
      requireText(sum.value.sender, `${path}.store_code.sender`);
      requireBytes(sum.value.wasmByteCode, `${path}.store_code.wasm_byte_code`);
      return;
    case 'instantiateContract':
      requireText(sum.value.sender, `${path}.instantiate_contract.sender`);
      requirePositive(sum.value.codeId, `${path}.instantiate_contract.code_id`);
      requireText(sum.value.label, `${path}.instantiate_contract.label`);
      requireBytes(sum.value.initMsg, `${path}.instantiate_contract.init_msg`);
      validateCoins(sum.value.initFunds, `${path}.instantiate_contract.init_funds`);
      return;
    case 'executeContract':
      requireText(sum.value.sender, `${path}.execute_contract.sender`);
      requireText(sum.value.contract, `${path}.execute_contract.contract`);
      requireBytes(sum.value.msg, `${path}.execute_contract.msg`);
      validateCoins(sum.value.sentFunds, `${path}.execute_contract.sent_funds`);
      return;
    case 'migrateContract':
      requireText(sum.value.sender, `${path}.migrate_contract.sender`);
      requireText(sum.value.contract, `${path}.migrate_contract.contract`);
      requirePositive(sum.value.codeId, `${path}.migrate_contract.code_id`);
      return;
    case 'registerNode':
      requireText(sum.value.sender, `${path}.register_node.sender`);
      requireBytes(sum.value.quote, `${path}.register_node.quote`);
      return;
    case 'createValidator': {
      const value = sum.value;
      requireText(value.operatorAddress, `${path}.create_validator.operator_address`);
      if (value.consensusPublicKey.length !== CONSENSUS_PUBLIC_KEY_LENGTH) {
        throw invalid(
          `${path}.create_validator.consensus_public_key`,
          `must be a ${CONSENSUS_PUBLIC_KEY_LENGTH}-byte ed25519 key`,
        );
      }
      requireCoin(value.selfBond, `${path}.create_validator.self_bond`);
      return;
    }
    case 'delegate':
    case 'undelegate': {
      const name = sum.case;
      requireText(sum.value.delegatorAddress, `${path}.${name}.delegator_address`);
      requireText(sum.value.validatorAddress, `${path}.${name}.validator_address`);
      requireCoin(sum.value.amount, `${path}.${name}.amount`);
      return;
    }
  }
}

function requireText(value: string, field: string): void {
  if (value.length === 0) throw invalid(field, 'must not be empty');
}

function requireBytes(value: Uint8Array, field: string): void {
  if (value.length === 0) throw invalid(field, 'must not be empty');
}

function requirePositive(value: bigint, field: string): void {
  if (value === 0n) throw invalid(field, 'must be greater than 0');
}

function requireCoin(coin: Coin | undefined, field: string): void {
  if (coin === undefined) throw invalid(field, 'must be set');
  validateCoin(coin, field);
}

function validateCoins(coins: readonly Coin[], field: string): void {
  coins.forEach((coin, index) => validateCoin(coin, `${field}[${index}]`));
}

/**
 * Checks the spelling of one coin. Whether zero amounts, duplicate denoms or unsorted lists
 * are acceptable is a rule of the module that spends them (app layer), not of the format.
 *
 * @throws {CodecError} `INVALID_FIELD` for a bad denom or a non-canonical decimal amount.
 */
export function validateCoin(coin: Coin, field = 'coin'): void {
  if (!DENOM_PATTERN.test(coin.denom)) {
    throw invalid(`${field}.denom`, 'must be a letter followed by 2-127 of [a-zA-Z0-9/:._-]');
  }
  if (!isCanonicalAmount(coin.amount)) {
    throw invalid(
      `${field}.amount`,
      `must be a decimal integer without sign or leading zeros, at most ${MAX_AMOUNT_DIGITS} digits`,
    );
  }
}

/** True for "0", "1", "42"...; false for "", "01", "+1", "-1", "1.0", " 1", 79 digits. */
export function isCanonicalAmount(amount: string): boolean {
  return AMOUNT_PATTERN.test(amount);
}
