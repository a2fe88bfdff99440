// Typed views of the JSON a contract receives (CONTRACT_ABI §3.1, §3.2) and a field reader
// that turns JSON into typed values with serde-like error texts.
import { JsonValue, JsonWriter, parseU64 } from './json';
import { Uint128 } from './uint128';
import { base64Decode } from './base64';

/**
 * Reads typed fields out of a JSON object, remembering the first error (AssemblyScript has no
 * exceptions). Getters return a zero value after an error; check `failed` before using them.
 *
 *   const f = new Fields(msg, 'InstantiateMsg');
 *   const count = f.u64('count');
 *   if (f.failed) return Result.err(f.error);
 */
export class Fields {
  error: string = '';

  constructor(
    public value: JsonValue,
    public typeName: string,
  ) {
    if (!value.isObject) this.fail('invalid type: ' + value.typeName() + ', expected struct ' + typeName);
  }

  get failed(): bool {
    return this.error.length > 0;
  }

  /** Records an error in serde's words: `Error parsing into type T: <message>`. */
  fail(message: string): void {
    if (this.error.length == 0) this.error = 'Error parsing into type ' + this.typeName + ': ' + message;
  }

  /** The raw member, or null when absent or JSON null (serde treats both as "missing" for Option). */
  optional(name: string): JsonValue | null {
    const v = this.value.get(name);
    if (v === null || v.isNull) return null;
    return v;
  }

  /** The raw member; records `missing field` when absent. */
  required(name: string): JsonValue {
    const v = this.value.get(name);
    if (v === null) {
      this.fail('missing field `' + name + '`');
      return JsonValue.null();
    }
    return v;
  }

  private typeError(name: string, v: JsonValue, expected: string): void {
    this.fail('invalid type: ' + v.typeName() + ' for `' + name + '`, expected ' + expected);
  }

  private toString_(name: string, v: JsonValue): string {
    if (!v.isString) {
      this.typeError(name, v, 'a string');
      return '';
    }
    return v.text;
  }

  private toU64(name: string, v: JsonValue): u64 {
    if (!v.isNumber) {
      this.typeError(name, v, 'u64');
      return 0;
    }
    const r = parseU64(v.text);
    if (!r.ok) {
      this.fail('invalid value: ' + v.text + ' for `' + name + '`, expected u64');
      return 0;
    }
    return r.value;
  }

  private toUint128(name: string, v: JsonValue): Uint128 {
    if (!v.isString) {
      this.typeError(name, v, 'a string-encoded integer');
      return Uint128.zero();
    }
    const r = Uint128.parse(v.text);
    if (r === null) {
      this.fail('invalid Uint128 `' + v.text + '` for `' + name + '`');
      return Uint128.zero();
    }
    return r;
  }

  private toBinary(name: string, v: JsonValue): Uint8Array {
    if (!v.isString) {
      this.typeError(name, v, 'base64-encoded bytes');
      return new Uint8Array(0);
    }
    const r = base64Decode(v.text);
    if (r === null) {
      this.fail('invalid base64 for `' + name + '`');
      return new Uint8Array(0);
    }
    return r;
  }

  string(name: string): string {
    const v = this.required(name);
    return this.failed ? '' : this.toString_(name, v);
  }

  optString(name: string): string | null {
    const v = this.optional(name);
    return v === null ? null : this.toString_(name, v);
  }

  u64(name: string): u64 {
    const v = this.required(name);
    return this.failed ? 0 : this.toU64(name, v);
  }

  /** An optional u64; `fallback` when absent or null. */
  optU64(name: string, fallback: u64): u64 {
    const v = this.optional(name);
    return v === null ? fallback : this.toU64(name, v);
  }

  u32(name: string): u32 {
    const n = this.u64(name);
    if (n > <u64>U32.MAX_VALUE) {
      this.fail('invalid value: ' + n.toString() + ' for `' + name + '`, expected u32');
      return 0;
    }
    return <u32>n;
  }

  /** A Uint128 given as a decimal string (cosmwasm_std::Uint128). */
  uint128(name: string): Uint128 {
    const v = this.required(name);
    return this.failed ? Uint128.zero() : this.toUint128(name, v);
  }

  optUint128(name: string): Uint128 | null {
    const v = this.optional(name);
    return v === null ? null : this.toUint128(name, v);
  }

  bool(name: string): bool {
    const v = this.required(name);
    if (this.failed) return false;
    if (!v.isBool) {
      this.typeError(name, v, 'a boolean');
      return false;
    }
    return v.flag;
  }

  /** Bytes given as base64 (cosmwasm_std::Binary). */
  binary(name: string): Uint8Array {
    const v = this.required(name);
    return this.failed ? new Uint8Array(0) : this.toBinary(name, v);
  }

  optBinary(name: string): Uint8Array | null {
    const v = this.optional(name);
    return v === null ? null : this.toBinary(name, v);
  }

  /** A nested object, as its own Fields reader sharing this one's error. */
  object(name: string, typeName: string): Fields {
    const v = this.required(name);
    const inner = new Fields(this.failed ? new JsonValue() : v, typeName);
    if (this.failed) inner.error = this.error;
    else if (inner.failed) this.error = inner.error;
    return inner;
  }

  array(name: string): Array<JsonValue> {
    const v = this.required(name);
    if (this.failed) return [];
    if (!v.isArray) {
      this.typeError(name, v, 'a sequence');
      return [];
    }
    return v.items;
  }

  /** Adopts an error found by a nested reader. */
  absorb(other: Fields): void {
    if (other.failed && !this.failed) this.error = other.error;
  }
}

/** A native coin: `{"denom":"ushd","amount":"1000"}` (amount is a decimal string). */
export class Coin {
  constructor(
    public denom: string,
    public amount: Uint128,
  ) {}

  write(w: JsonWriter): void {
    w.beginObject().key('denom').string(this.denom).key('amount').string(this.amount.toString()).endObject();
  }

  /** Parses a coin, recording errors in `into`. */
  static read(v: JsonValue, into: Fields): Coin {
    const f = new Fields(v, 'Coin');
    const coin = new Coin(f.string('denom'), f.uint128('amount'));
    into.absorb(f);
    return coin;
  }
}

/** Writes a JSON array of coins. */
export function writeCoins(w: JsonWriter, coins: Array<Coin>): void {
  w.beginArray();
  for (let i = 0; i < coins.length; i++) coins[i].write(w);
  w.endArray();
}

export class BlockInfo {
  height: u64 = 0;
  /** Nanoseconds since the Unix epoch (a decimal string in the JSON, CONTRACT_ABI §3.1). */
  time: u64 = 0;
  chainId: string = '';
  /** 32 bytes when the contract exports `requires_random`; null otherwise. */
  random: Uint8Array | null = null;
}

export class ContractInfo {
  address: string = '';
  codeHash: string = '';
}

export class TransactionInfo {
  index: u32 = 0;
  hash: string = '';
}

/** The environment of a call (CONTRACT_ABI §3.1). */
export class Env {
  block: BlockInfo = new BlockInfo();
  contract: ContractInfo = new ContractInfo();
  transaction: TransactionInfo | null = null;

  /** Reads an Env; errors go to `f` (constructed over the Env JSON). */
  static read(f: Fields): Env {
    const env = new Env();
    const block = f.object('block', 'BlockInfo');
    if (f.failed) return env;
    env.block.height = block.u64('height');
    const time = block.string('time');
    if (!block.failed) {
      const t = parseU64(time);
      if (!t.ok) block.fail('invalid Timestamp `' + time + '`');
      env.block.time = t.value;
    }
    env.block.chainId = block.string('chain_id');
    env.block.random = block.optBinary('random');
    f.absorb(block);
    const contract = f.object('contract', 'ContractInfo');
    if (f.failed) return env;
    env.contract.address = contract.string('address');
    const codeHash = contract.optString('code_hash');
    env.contract.codeHash = codeHash === null ? '' : codeHash;
    f.absorb(contract);
    const tx = f.optional('transaction');
    if (tx !== null) {
      const t = new Fields(tx, 'TransactionInfo');
      const info = new TransactionInfo();
      info.index = t.u32('index');
      const hash = t.optString('hash');
      info.hash = hash === null ? '' : hash;
      f.absorb(t);
      env.transaction = info;
    }
    return env;
  }
}

/** Sender and attached funds of instantiate/execute (CONTRACT_ABI §3.2). */
export class MessageInfo {
  sender: string = '';
  funds: Array<Coin> = [];

  static read(f: Fields): MessageInfo {
    const info = new MessageInfo();
    info.sender = f.string('sender');
    const funds = f.array('funds');
    for (let i = 0; i < funds.length && !f.failed; i++) info.funds.push(Coin.read(funds[i], f));
    return info;
  }

  /** Total attached amount of `denom` (zero if none). */
  amountOf(denom: string): Uint128 {
    let total = Uint128.zero();
    for (let i = 0; i < this.funds.length; i++) {
      if (this.funds[i].denom == denom) {
        const sum = total.checkedAdd(this.funds[i].amount);
        if (sum !== null) total = sum;
      }
    }
    return total;
  }
}
