// Shared runners for the runtime tests.

import assert from 'node:assert/strict';

import { ContractVm, VmError } from '../../src/vm/index.js';
import type {
  CallOutcome,
  ContractEnv,
  EntryPoint,
  MessageInfo,
  Querier,
  ValidatedCode,
  VmErrorCode,
} from '../../src/vm/index.js';

export const ENV: ContractEnv = {
  block: {
    height: 12345,
    time: 1_700_000_000_123_456_789n,
    chainId: 'shroud-1',
    random: new Uint8Array(32).fill(7),
  },
  contract: { address: 'shroud1contract', codeHash: 'ab'.repeat(32) },
  transaction: { index: 3, hash: 'CAFE' },
};
export const INFO: MessageInfo = { sender: 'shroud1sender', funds: [{ denom: 'ushd', amount: 1000n }] };

export const NO_QUERIER: Querier = {
  query: () => {
    throw new Error('no querier in this test');
  },
};

export interface RunOptions {
  vm?: ContractVm;
  entry?: EntryPoint;
  msg?: string | Uint8Array;
  storage?: Map<string, Uint8Array>;
  gasLimit?: bigint;
  querier?: Querier;
  queryDepth?: number;
  env?: ContractEnv;
  info?: MessageInfo;
}

/** Storage keyed by latin1 strings (1-byte test keys are their character). */
export function storageOf(map: Map<string, Uint8Array>) {
  return { get: (key: Uint8Array) => map.get(Buffer.from(key).toString('latin1')) };
}

export const rawVm = new ContractVm({ instrument: false });
export const meteredVm = new ContractVm();

export function run(code: ValidatedCode, options: RunOptions = {}): CallOutcome {
  const entry = options.entry ?? 'execute';
  const msg = options.msg ?? '{}';
  return (options.vm ?? rawVm).call({
    code,
    entry,
    env: options.env ?? ENV,
    ...(entry === 'instantiate' || entry === 'execute' ? { info: options.info ?? INFO } : {}),
    msg: typeof msg === 'string' ? new TextEncoder().encode(msg) : msg,
    storage: storageOf(options.storage ?? new Map<string, Uint8Array>()),
    querier: options.querier ?? NO_QUERIER,
    gasLimit: options.gasLimit ?? 10_000_000_000n,
    ...(options.queryDepth === undefined ? {} : { queryDepth: options.queryDepth }),
  });
}

/** The successful outcome's writes as a map from latin1 key to value. */
export function writesOf(outcome: CallOutcome): Map<string, Uint8Array | null> {
  assert.equal(outcome.ok, true, `call failed: ${outcome.ok ? '' : outcome.error}`);
  if (!outcome.ok) return new Map();
  return new Map(outcome.writes.map((w) => [Buffer.from(w.key).toString('latin1'), w.value]));
}

/** Runs and expects a VmError with `code`; returns it. */
export function expectVmError(code: VmErrorCode, thunk: () => unknown, note = ''): VmError {
  try {
    thunk();
  } catch (error) {
    assert.ok(error instanceof VmError, `${note}: expected VmError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, `${note}: ${error.message}`);
    assert.equal(typeof error.gasUsed, 'bigint', `${note}: gasUsed attached`);
    return error;
  }
  assert.fail(`${note}: expected VmError ${code}, but the call succeeded`);
}

export const text = (bytes: Uint8Array | null | undefined): string =>
  new TextDecoder().decode(bytes ?? new Uint8Array());

/**
 * A call's outcome, or its VmError, as comparable text (gas, writes, error code and message):
 * what differential tests compare between two VMs.
 */
export function describeOutcome(call: () => CallOutcome): string {
  try {
    return JSON.stringify(call(), (_key, value: unknown) => {
      if (typeof value === 'bigint') return `${value}n`;
      if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
      return value;
    });
  } catch (error) {
    if (!(error instanceof VmError)) throw error;
    return JSON.stringify({ vmError: error.code, message: error.message, gasUsed: `${error.gasUsed}n` });
  }
}
