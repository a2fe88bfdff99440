// Exit codes, and the `error: …` line + exit of the operator commands (`init`, `start`,
// `status`, `devnet`, `abci`, `cometbft-genesis`). The user commands (`keys`, `tx`, `query`)
// print through output.ts, which adds `--output json` and the SDK's error classes; the exit codes
// are the same for both (docs/tutorial.md "Scripting"). This module imports only errors.ts, so
// an operator command loads no client code for it.
import { ShroudError } from '../errors.js';

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, UNREACHABLE: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Prints `error: <message>` on stderr and exits with `code` (FAILED unless told). */
export function fail(message: string, code: ExitCode = EXIT.FAILED): never {
  console.error(`error: ${message}`);
  process.exit(code);
}

/**
 * One line for an operator: a Shroud error's message with its code, any other error's message.
 * `addressInUse` replaces Node's EADDRINUSE message with what to do about it (which option
 * names the port differs per command).
 */
export function describeFailure(error: unknown, addressInUse?: string): string {
  if (error instanceof ShroudError) return `${error.message} [${String(error.code)}]`;
  if (addressInUse !== undefined && error instanceof Error && 'code' in error && error.code === 'EADDRINUSE')
    return addressInUse;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Parses a decimal integer option in [min, max]; otherwise exits with a usage error naming it.
 * @throws never: a bad value ends the process (EXIT.USAGE).
 */
export function integerOption(text: string, name: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < min || Number(text) > max)
    fail(`${name} must be an integer ${min}-${max}`, EXIT.USAGE);
  return Number(text);
}
