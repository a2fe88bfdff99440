// A built contract run through ContractVm over an in-memory store, applying each call's writes
// the way the chain does: the caller bench/vm.ts and bench/vm-metering.ts both measure with.
// Fixed env (height 100, a fixed time and block random), a querier that answers every query
// with an error, and a gas limit far above any call's use, so a run measures the VM alone.
import { readFileSync } from 'node:fs';
import { toBech32 } from '../../src/crypto/index.js';
import {
  validateContractCode,
  type CallOutcome,
  type ContractEnv,
  type ContractVm,
  type EntryPoint,
  type ValidatedCode,
} from '../../src/vm/index.js';

const encoder = new TextEncoder();

/** A bech32 address of 20 bytes all `n` (distinct, readable test accounts). */
export function filledAddress(n: number): string {
  return toBech32('shroud', new Uint8Array(20).fill(n));
}

/**
 * contracts/build/<name>.wasm (`npm run build:contracts`) through the chain's upload validation.
 * @throws VmError if the built module fails validation; Error if it was not built.
 */
export function builtContractCode(name: string): ValidatedCode {
  return validateContractCode(
    new Uint8Array(readFileSync(new URL(`../../contracts/build/${name}.wasm`, import.meta.url))),
  );
}

/** A caller of one contract instance: runs `entry` with `msg` (JSON) as `sender` (no funds). */
export type MemoryContractCall = (
  entry: EntryPoint,
  msg: unknown,
  sender?: string,
) => Extract<CallOutcome, { ok: true }>;

/**
 * One instance of `code` at address filledAddress(99), with its own empty store, run by `vm`.
 * @returns a caller that applies the writes of every successful call.
 * The caller throws Error if a call fails (a bench must not measure failures).
 */
export function memoryContract(
  vm: ContractVm,
  code: ValidatedCode,
  options: { chainId?: string } = {},
): MemoryContractCall {
  const store = new Map<string, Uint8Array>();
  const storage = { get: (key: Uint8Array) => store.get(Buffer.from(key).toString('latin1')) };
  const querier = { query: () => encoder.encode('{"Err":{"unknown":{}}}') };
  const env: ContractEnv = {
    block: {
      height: 100,
      time: 1_700_000_000_000_000_000n,
      chainId: options.chainId ?? 'shroud-bench',
      random: new Uint8Array(32).fill(9),
    },
    contract: { address: filledAddress(99), codeHash: code.codeHash },
    transaction: { index: 0, hash: 'AB'.repeat(32) },
  };
  return (entry, msg, sender) => {
    const outcome = vm.call({
      code,
      entry,
      env,
      ...(sender === undefined ? {} : { info: { sender, funds: [] } }),
      msg: encoder.encode(JSON.stringify(msg)),
      storage,
      querier,
      gasLimit: 10_000_000_000n,
    });
    if (!outcome.ok) throw new Error(`${entry} failed: ${outcome.error}`);
    for (const write of outcome.writes) {
      const key = Buffer.from(write.key).toString('latin1');
      if (write.value === null) store.delete(key);
      else store.set(key, write.value);
    }
    return outcome;
  };
}
