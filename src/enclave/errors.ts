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
  | 'NOT_INITIALIZED';

export class EnclaveError extends ShroudError<EnclaveErrorCode> {}
