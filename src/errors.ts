// The one base class for Shroud's typed errors. Every layer defines its own subclass with a
// union of codes (`CryptoErrorCode`, `VmErrorCode`, ...); callers branch on `code`, never on
// the message. Messages say what went wrong and what to do, and never carry secrets or
// plaintext: they can reach logs, RPC and other nodes.

export class ShroudError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `error` is a ShroudError carrying `code` (narrowing helper for tests and callers). */
export function hasErrorCode<Code extends string>(error: unknown, code: Code): error is ShroudError<Code> {
  return error instanceof ShroudError && error.code === code;
}
