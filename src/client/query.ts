// Encrypted smart queries (DESIGN.md §3 "Queries"): the same envelope as a transaction with a
// fresh nonce, kind `query` and sender '' in the associated data; the answer comes back under
// label `query/result` (or `query/error`) with IVs keyed by sha256(envelope) in place of a tx hash.
import { envelopeAssociatedData } from '../codec/index.js';
import { decryptTxOutput, sha256, utf8Decode, utf8Encode, encryptTxInput } from '../crypto/index.js';
import { ClientError } from './errors.js';
import { contractPlaintext } from './tx.js';
import type { Wallet } from './wallet.js';

/** An encrypted query and what is needed to open its answer. Keep it in memory only. */
export interface EncryptedQuery {
  contract: string;
  envelope: Uint8Array;
  txKey: Uint8Array;
  /** sha256(envelope): stands in for the tx hash in the answer's IV. */
  queryHash: Uint8Array;
  /** The `abci_query` data of path `/compute/query` (src/app): u16be len(contract) ‖ contract ‖ envelope. */
  requestData: Uint8Array;
}

/**
 * Encrypts a smart query to the network.
 * @throws {ClientError} INVALID_ARGUMENT for a bad code hash, message or network key.
 */
export function encryptQuery(
  wallet: Wallet,
  networkPublicKey: Uint8Array,
  contract: string,
  codeHash: string,
  msg: unknown,
): EncryptedQuery {
  if (!(networkPublicKey instanceof Uint8Array) || networkPublicKey.length !== 32) {
    throw new ClientError('INVALID_ARGUMENT', 'networkPublicKey must be 32 bytes (abci_query /network/keys)');
  }
  const { envelope, txKey } = encryptTxInput({
    networkPublicKey,
    userKeyPair: wallet.txEncryptionKeyPair(),
    plaintext: contractPlaintext(codeHash, msg),
    associatedData: envelopeAssociatedData({ kind: 'query', sender: '', target: contract, funds: [] }),
  });
  const address = utf8Encode(contract);
  if (address.length > 0xffff) throw new ClientError('INVALID_ARGUMENT', 'contract address too long');
  const requestData = new Uint8Array(2 + address.length + envelope.length);
  requestData[0] = address.length >> 8;
  requestData[1] = address.length & 0xff;
  requestData.set(address, 2);
  requestData.set(envelope, 2 + address.length);
  return { contract, envelope, txKey, queryHash: sha256(envelope), requestData };
}

/**
 * Opens a query answer (label `query/result`) or a query's contract error (`query/error`).
 * @returns the decrypted UTF-8 text (usually JSON).
 * @throws {ClientError} RESULT_DECRYPT_FAILED if it does not open with this query's key.
 */
export function decryptQueryResult(
  query: EncryptedQuery,
  sealed: Uint8Array,
  label: 'query/result' | 'query/error' = 'query/result',
): string {
  try {
    return utf8Decode(decryptTxOutput(query.txKey, query.queryHash, label, sealed));
  } catch (error) {
    throw new ClientError(
      'RESULT_DECRYPT_FAILED',
      'the query answer does not open with this query key: altered, or the answer to another query',
      { cause: error },
    );
  }
}
