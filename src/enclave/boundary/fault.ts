// What crosses the boundary when an ECALL fails: a code and a message chosen by the enclave's
// fault describer, never the raw exception (a stack or message could carry plaintext).

import { BoundaryError } from './channel.js';

export interface BoundaryFault {
  code: string;
  message: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeBoundaryError(fault: BoundaryFault): Uint8Array {
  return encoder.encode(JSON.stringify({ code: fault.code, message: fault.message }));
}

/** @throws BoundaryError PROTOCOL_VIOLATION when the bytes are not a fault record. */
export function decodeBoundaryError(bytes: Uint8Array): BoundaryFault {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new BoundaryError('PROTOCOL_VIOLATION', 'malformed error frame from the enclave');
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as Record<string, unknown>).code !== 'string' ||
    typeof (parsed as Record<string, unknown>).message !== 'string'
  ) {
    throw new BoundaryError('PROTOCOL_VIOLATION', 'malformed error frame from the enclave');
  }
  const record = parsed as { code: string; message: string };
  return { code: record.code, message: record.message };
}
