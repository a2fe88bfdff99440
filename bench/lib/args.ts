// Command-line options of the benches: `--name value` and bare `--flag`, read from process.argv.
// A bench's options are few and documented in its header comment, so no parser library.

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
