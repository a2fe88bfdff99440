// Tiny argument checks shared by every module: each throws a CryptoError naming the argument,
// so a malformed input never reaches a library (whose own exceptions are untyped).
import { CryptoError } from './errors.js';

/** Throws INVALID_ARGUMENT unless `value` is a Uint8Array. */
export function assertUint8Array(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new CryptoError('INVALID_ARGUMENT', `${name} must be a Uint8Array, got ${describe(value)}`);
  }
}

/** Throws unless `value` is a Uint8Array of exactly `length` bytes. */
export function assertBytes(name: string, value: unknown, length: number): asserts value is Uint8Array {
  assertUint8Array(name, value);
  if (value.length !== length) {
    throw new CryptoError('INVALID_LENGTH', `${name} must be ${length} bytes, got ${value.length}`);
  }
}

/** Throws unless `value` is a Uint8Array whose length is one of `lengths`. */
export function assertBytesOneOf(
  name: string,
  value: unknown,
  lengths: readonly number[],
): asserts value is Uint8Array {
  assertUint8Array(name, value);
  if (!lengths.includes(value.length)) {
    throw new CryptoError(
      'INVALID_LENGTH',
      `${name} must be ${lengths.join(' or ')} bytes, got ${value.length}`,
    );
  }
}

/** Throws INVALID_ARGUMENT unless `value` is a string. */
export function assertString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new CryptoError('INVALID_ARGUMENT', `${name} must be a string, got ${describe(value)}`);
  }
}

/** Throws INVALID_ARGUMENT unless `value` is an integer in [min, max]. */
export function assertInteger(
  name: string,
  value: unknown,
  min: number,
  max: number,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CryptoError(
      'INVALID_ARGUMENT',
      `${name} must be an integer in [${min}, ${max}], got ${describe(value)}`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
