// Output, errors and exit codes shared by the user commands (`keys`, `tx`, `query`).
//
// Exit codes (docs/tutorial.md "Scripting"):
//   0  done
//   1  the operation was tried and failed: the chain rejected the transaction, the contract
//      returned an error, out of gas, insufficient funds, wrong keyring passphrase, not found
//   2  the command line is wrong: unknown command or option, missing argument, bad address,
//      amount, JSON message or file, unknown key name
//   3  no node answers at --node (refused, timed out)
// With `--output json` a command prints exactly one JSON document on stdout, and an error as
// `{"error":{"code","message"}}` on stderr.
import type { Command } from 'commander';
import {
  ClientError,
  ContractError,
  InsufficientFundsError,
  OutOfGasError,
  RpcError,
  TxRejectedError,
} from '../client/index.js';
import { ShroudError } from '../errors.js';
import { EXIT, type ExitCode } from './exit.js';

export { EXIT, type ExitCode };
export type OutputFormat = 'json' | 'text';

/**
 * Codes of {@link CliError}:
 * - `USAGE`: the command line is wrong (exit 2). Fix the arguments; `--help` shows them.
 * - `KEY_NOT_FOUND`: no key of that name in the keyring (exit 2). `shroud keys list`.
 * - `KEY_EXISTS`: a key of that name exists (exit 1). Choose another name or delete it.
 * - `WRONG_PASSPHRASE`: the keyring passphrase does not open the key (exit 1).
 * - `PASSPHRASE_REQUIRED`: the file keyring needs a passphrase and none was given (exit 2).
 * - `KEYRING_CORRUPT`: a keyring file is unreadable or altered (exit 1). Restore it or re-add the key.
 * - `NO_ACCOUNT`: the account has never received funds (exit 1). Fund it first.
 * - `NOT_FOUND`: the chain has no such code, contract, transaction or block (exit 1).
 * - `CHAIN_MISMATCH`: --chain-id differs from the node's chain (exit 1).
 * - `CANCELLED`: the user declined the confirmation (exit 1).
 * - `UNREACHABLE`: no node answers at --node (exit 3).
 */
export type CliErrorCode =
  | 'USAGE'
  | 'KEY_NOT_FOUND'
  | 'KEY_EXISTS'
  | 'WRONG_PASSPHRASE'
  | 'PASSPHRASE_REQUIRED'
  | 'KEYRING_CORRUPT'
  | 'NO_ACCOUNT'
  | 'NOT_FOUND'
  | 'CHAIN_MISMATCH'
  | 'CANCELLED'
  | 'UNREACHABLE';

const EXIT_OF: Record<CliErrorCode, ExitCode> = {
  USAGE: EXIT.USAGE,
  KEY_NOT_FOUND: EXIT.USAGE,
  KEY_EXISTS: EXIT.FAILED,
  WRONG_PASSPHRASE: EXIT.FAILED,
  PASSPHRASE_REQUIRED: EXIT.USAGE,
  KEYRING_CORRUPT: EXIT.FAILED,
  NO_ACCOUNT: EXIT.FAILED,
  NOT_FOUND: EXIT.FAILED,
  CHAIN_MISMATCH: EXIT.FAILED,
  CANCELLED: EXIT.FAILED,
  UNREACHABLE: EXIT.UNREACHABLE,
};

/** An error of the command line layer; its code decides the exit code. */
export class CliError extends ShroudError<CliErrorCode> {
  get exitCode(): ExitCode {
    return EXIT_OF[this.code];
  }
}

/** Throws a USAGE error. @throws {CliError} always. */
export function usage(message: string): never {
  throw new CliError('USAGE', message);
}

/** Parses `--output`. @throws {CliError} USAGE for anything but json / text. */
export function outputFormat(text: string | undefined): OutputFormat {
  if (text === undefined || text === 'text') return 'text';
  if (text === 'json') return 'json';
  return usage(`--output must be json or text, not "${text.slice(0, 20)}"`);
}

/** JSON.stringify with bigint as decimal text and bytes as hex, indented. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    2,
  );
}

/** Prints a command's result: one JSON document, or the text lines. */
export function emit(format: OutputFormat, json: unknown, text: () => string[]): void {
  if (format === 'json') process.stdout.write(`${toJson(json)}\n`);
  else for (const line of text()) process.stdout.write(`${line}\n`);
}

/** A progress or warning line: stderr, so stdout stays one JSON document. */
export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

interface Described {
  code: string;
  message: string;
  exitCode: ExitCode;
}

const FUND_HINT =
  'get some from a funded account: on the devnet, the test accounts of devnet.json ' +
  '(shroud keys add NAME --recover, then shroud tx bank send NAME ADDRESS 1000000ushd)';

/** Turns any error into (code, message that says what to do, exit code). */
export function describeError(error: unknown, node?: string): Described {
  if (error instanceof CliError)
    return { code: error.code, message: error.message, exitCode: error.exitCode };
  if (error instanceof RpcError && (error.code === 'RPC_NETWORK' || error.code === 'RPC_TIMEOUT')) {
    const where = node === undefined ? 'the node' : `a node at ${node}`;
    return {
      code: 'UNREACHABLE',
      message: `cannot reach ${where} (${error.code === 'RPC_TIMEOUT' ? 'timed out' : 'no answer'}): is it running? Start one with \`npm start\`, or pass --node URL`,
      exitCode: EXIT.UNREACHABLE,
    };
  }
  if (error instanceof ContractError) {
    // The contract's own error, decrypted with the sender's key: shown to the sender only.
    return {
      code: error.code,
      message: `the contract returned an error: ${error.contractMessage}${hashSuffix(error)}`,
      exitCode: EXIT.FAILED,
    };
  }
  if (error instanceof InsufficientFundsError) {
    return {
      code: error.code,
      message: `insufficient funds for the amount and fee (${error.log.slice(0, 200)}): ${FUND_HINT}`,
      exitCode: EXIT.FAILED,
    };
  }
  if (error instanceof OutOfGasError) {
    return {
      code: error.code,
      message: `${error.message}: pass a higher --gas${hashSuffix(error)}`,
      exitCode: EXIT.FAILED,
    };
  }
  if (error instanceof TxRejectedError) {
    return { code: error.code, message: `${error.message}${hashSuffix(error)}`, exitCode: EXIT.FAILED };
  }
  if (error instanceof ClientError) {
    return {
      code: error.code,
      message: error.message,
      exitCode: error.code === 'INVALID_ARGUMENT' ? EXIT.USAGE : EXIT.FAILED,
    };
  }
  if (error instanceof ShroudError)
    return { code: String(error.code), message: error.message, exitCode: EXIT.FAILED };
  return {
    code: 'FAILED',
    message: error instanceof Error ? error.message : String(error),
    exitCode: EXIT.FAILED,
  };
}

function hashSuffix(error: TxRejectedError): string {
  return error.txHash === undefined ? '' : ` (tx ${error.txHash})`;
}

/** Prints an error (text or JSON on stderr) and exits with its code. */
export function exitWithError(error: unknown, format: OutputFormat, node?: string): never {
  const { code, message, exitCode } = describeError(error, node);
  if (format === 'json') process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`error: ${message}\n`);
  process.exit(exitCode);
}

/** The --output value of argv, read before commander parsed it (for commander's own errors). */
function argvFormat(): OutputFormat {
  const argv = process.argv;
  const at = argv.indexOf('--output');
  const value = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--output='))?.slice(9);
  return value === 'json' ? 'json' : 'text';
}

/**
 * Makes commander's own errors (unknown option, missing argument) exit 2 and follow --output;
 * help and version exit 0. Set on a parent before its subcommands are added: commander copies
 * these settings to subcommands created afterwards.
 */
export function usageExits(command: Command): Command {
  return command
    .exitOverride((error) => {
      if (error.exitCode === 0) process.exit(EXIT.OK);
      process.exit(EXIT.USAGE);
    })
    .configureOutput({
      outputError: (text, write) => {
        if (argvFormat() === 'json') {
          const message = text.replace(/^error: /, '').trim();
          process.stderr.write(`${JSON.stringify({ error: { code: 'USAGE', message } })}\n`);
        } else {
          write(text);
        }
      },
    });
}

/**
 * Wraps a command action: errors go through {@link exitWithError} with the command's --output
 * and --node. The action's last argument is the Command (commander's convention).
 */
export function action<Args extends unknown[]>(
  run: (...args: Args) => Promise<void>,
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    const command = args[args.length - 1] as Command;
    const options = command.opts<{ output?: string; node?: string }>();
    let format: OutputFormat = 'text';
    try {
      format = outputFormat(options.output);
      await run(...args);
    } catch (error) {
      exitWithError(error, format, options.node);
    }
  };
}

/** Parses a non-negative integer argument. @throws {CliError} USAGE. */
export function parseUint(text: string, name: string, max: bigint = 2n ** 64n - 1n): bigint {
  if (!/^(0|[1-9][0-9]{0,19})$/.test(text) || BigInt(text) > max)
    usage(`${name} must be a whole number 0-${max}, not "${text.slice(0, 30)}"`);
  return BigInt(text);
}
