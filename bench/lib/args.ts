// Command-line options of the benches: `--name value` and bare `--flag`, read from process.argv.
// A bench's options are few and documented in its header comment, so no parser library; that
// comment is also its `--help` (printed by importing this module, before the bench starts).
import { readFileSync } from 'node:fs';

/** The leading `//` comment of a bench script, without the slashes: what it does and its usage. */
export function headerComment(scriptPath: string): string {
  const lines: string[] = [];
  for (const line of readFileSync(scriptPath, 'utf8').split('\n')) {
    if (line.startsWith('#!') && lines.length === 0) continue; // a shebang line
    if (!line.startsWith('//')) break;
    lines.push(line.replace(/^\/\/ ?/, ''));
  }
  return lines.join('\n');
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const script = process.argv[1];
  process.stdout.write(
    script === undefined ? 'no bench script\n' : `${headerComment(script) || 'no usage comment'}\n`,
  );
  process.exit(0);
}

/** The text after `--name`, or `fallback` when the option is absent or has no value. */
export function argText(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

/**
 * The number after `--name`, or `fallback` when the option is absent.
 * @throws {RangeError} when the value is not a finite number (a typo should not bench NaN txs).
 */
export function argNumber(name: string, fallback: number): number {
  const text = argText(name, String(fallback));
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new RangeError(`--${name} must be a number, not "${text}"`);
  return value;
}

/** Whether the bare `--name` is on the command line. */
export function hasFlag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
