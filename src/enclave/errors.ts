// Errors raised inside the enclave. Messages cross the boundary (as codes + text), so they
// name what failed and never include key material or plaintext.

import { ShroudError } from '../errors.js';

export type EnclaveErrorCode =
  | 'SEALED_BLOB_MALFORMED'
  | 'UNSEAL_FAILED'
  | 'SEALING_KEY_MISSING'
  | 'SEALING_KEY_INSECURE'
  | 'SEALING_KEY_MALFORMED'
  | 'QUOTE_MALFORMED'
  | 'QUOTE_UNTRUSTED_AUTHORITY'
  | 'QUOTE_BAD_SIGNATURE'
  | 'QUOTE_EXPIRED'
  | 'QUOTE_FROM_FUTURE'
  | 'QUOTE_WRONG_MEASUREMENT'
  | 'SEED_EXCHANGE_FAILED'
  | 'STATE_VALUE_MALFORMED'
  | 'STATE_VALUE_TAMPERED'
  | 'NOT_INITIALIZED'
  // Execution ECALLs (issue #4). Each names one refusal, so tests and the host can tell them apart.
  | 'ALREADY_INITIALIZED'
  | 'BAD_REQUEST'
  | 'REGISTRATION_KEY_MISSING'
  | 'SEED_EXCHANGE_KEY_MISMATCH'
  | 'SIGNATURE_INVALID'
  | 'SIGN_DOC_MALFORMED'
  | 'MESSAGE_MISMATCH'
  | 'SENDER_MISMATCH'
  | 'CALLBACK_SIGNATURE_INVALID'
  | 'ENVELOPE_DECRYPT_FAILED'
  | 'PLAINTEXT_MALFORMED'
  | 'CODE_HASH_MISMATCH'
  | 'CODE_NOT_FOUND'
  | 'CODE_TAMPERED'
  | 'CODE_INVALID'
  | 'BLOCK_RANDOM_MISSING'
  | 'OCALL_FAILED';

export class EnclaveError extends ShroudError<EnclaveErrorCode> {}
