// Reading secrets and confirmations: a hidden prompt on a terminal, stdin or a file for
// scripts. Prompts go to stderr so stdout stays the command's result.
import { readFileSync } from 'node:fs';
import { CliError } from './output.js';

const MAX_STDIN_BYTES = 64 * 1024;

/** Reads all of stdin (when it is a pipe or file). @throws {CliError} USAGE if it is too large. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buffer.length;
    if (total > MAX_STDIN_BYTES) throw new CliError('USAGE', 'stdin is larger than 64 KiB');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** True when stdin is a terminal (so a prompt can be answered). */
export function interactive(): boolean {
  return process.stdin.isTTY === true;
}

/**
 * Asks on the terminal without echoing (raw mode). Ctrl-C cancels.
 * @throws {CliError} CANCELLED on Ctrl-C; USAGE when stdin is not a terminal.
 */
export function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  if (input.isTTY !== true) throw new CliError('USAGE', 'no terminal to ask on');
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = () => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          resolve(text);
          return;
        }
        if (char === '\u0003') {
          finish();
          reject(new CliError('CANCELLED', 'cancelled'));
          return;
        }
        if (char === '\u007f' || char === '\b') text = text.slice(0, -1);
        else text += char;
      }
    };
    input.on('data', onData);
  });
}

/** Asks a yes/no question on the terminal; true only for y / yes. */
export async function confirm(question: string): Promise<boolean> {
  const answer = await promptVisible(`${question} [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}

async function promptVisible(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const reader = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await reader.question(question);
  } finally {
    reader.close();
  }
}

/**
 * The keyring passphrase: --passphrase-file, else $SHROUD_KEYRING_PASSPHRASE, else a prompt on
 * a terminal (twice for a new keyring).
 * @throws {CliError} PASSPHRASE_REQUIRED without any of them; USAGE for an unreadable file or
 *   two different answers.
 */
export async function readPassphrase(passphraseFile: string | undefined, isNew: boolean): Promise<string> {
  if (passphraseFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(passphraseFile, 'utf8');
    } catch {
      throw new CliError('USAGE', `cannot read --passphrase-file ${passphraseFile}`);
    }
    return text.replace(/\r?\n$/, '');
  }
  const env = process.env['SHROUD_KEYRING_PASSPHRASE'];
  if (env !== undefined && env !== '') return env;
  if (!interactive()) {
    throw new CliError(
      'PASSPHRASE_REQUIRED',
      'the file keyring needs its passphrase: run in a terminal, pass --passphrase-file FILE or set SHROUD_KEYRING_PASSPHRASE (throwaway keys: --keyring-backend test)',
    );
  }
  const first = await promptHidden(isNew ? 'New keyring passphrase: ' : 'Keyring passphrase: ');
  if (!isNew) return first;
  const again = await promptHidden('Repeat the passphrase: ');
  if (again !== first) throw new CliError('USAGE', 'the two passphrases differ');
  return first;
}
