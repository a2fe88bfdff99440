// Per-transaction execution context: the block batch seen through an SDK gas meter.
// Store reads and writes are charged as the Cosmos SDK's KVGasConfig does (ADR 007):
// read = flat + per byte of value, write = flat + per byte of key and value, delete = flat.
import type { BlockBatch } from '../store/index.js';
import type { GasCosts } from './genesis.js';
import { TxCode } from './abci.js';

/** A transaction's failure: becomes its result code; the tx's state changes are reverted. */
export class TxFailure extends Error {
  constructor(
    readonly code: number,
    readonly log: string,
    /** Encrypted output for the user (a contract's sealed Err), returned as the result data. */
    readonly data: Uint8Array = new Uint8Array(0),
    /** The failure came from a contract-to-contract call (its outputs are not under the user's key). */
    readonly nested = false,
  ) {
    super(log);
  }
}

/** Counts SDK gas; exceeding the limit throws TxFailure OUT_OF_GAS. */
export class GasMeter {
  used = 0n;
  constructor(readonly limit: bigint) {}

  consume(amount: bigint, what: string): void {
    this.used += amount;
    if (this.used > this.limit) {
      throw new TxFailure(
        TxCode.OUT_OF_GAS,
        `out of gas in ${what}: gas wanted ${this.limit}, used at least ${this.used}`,
      );
    }
  }

  get remaining(): bigint {
    return this.used >= this.limit ? 0n : this.limit - this.used;
  }
}

/** Reads only: committed state (checkTx, queries) or a block batch. */
export interface StateReader {
  get(key: Uint8Array): Uint8Array | undefined;
}

/** The batch of the executing block with gas charged per access (no meter = free, e.g. begin/end block). */
export class TxContext implements StateReader {
  constructor(
    readonly batch: BlockBatch,
    readonly meter: GasMeter | null,
    private readonly gas: GasCosts,
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    const value = this.batch.get(key);
    if (this.meter !== null) {
      this.meter.consume(
        this.gas.readCostFlat + this.gas.readCostPerByte * BigInt(value?.length ?? 0),
        'store read',
      );
    }
    return value;
  }

  set(key: Uint8Array, value: Uint8Array): void {
    if (this.meter !== null) {
      this.meter.consume(
        this.gas.writeCostFlat + this.gas.writeCostPerByte * BigInt(key.length + value.length),
        'store write',
      );
    }
    this.batch.set(key, value);
  }

  delete(key: Uint8Array): void {
    if (this.meter !== null) this.meter.consume(this.gas.deleteCost, 'store delete');
    this.batch.delete(key);
  }
}
