// Shared helpers of the contract scenario tests.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ContractError } from '../../src/vm/testing/index.js';

/** A contract built by scripts/build-contracts.mjs (`npm test` builds them first). */
export function contractWasm(name: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(new URL(`../../contracts/build/${name}.wasm`, import.meta.url)));
}

/**
 * Asserts that `call` fails with a ContractError whose message matches `expected` (exact text
 * for a string). The call is wrapped so a synchronous throw counts as a rejection too.
 */
export async function rejectsWithContractError(
  call: () => Promise<unknown>,
  expected: string | RegExp,
  message?: string,
): Promise<void> {
  await assert.rejects(
    async () => call(),
    (e: unknown) => {
      assert.ok(e instanceof ContractError, `expected a ContractError, got ${String(e)}`);
      if (typeof expected === 'string') assert.equal(e.message, expected, message);
      else assert.match(e.message, expected, message);
      return true;
    },
    message,
  );
}

/** Decodes a Response's `data` as JSON. */
export function dataJson(data: Uint8Array | null): unknown {
  assert.ok(data !== null, 'response has data');
  return JSON.parse(new TextDecoder().decode(data)) as unknown;
}
