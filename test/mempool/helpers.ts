// Test apps for the mempool: txs are small text records the fake apps parse, so a test can say
// exactly which sender, sequence, gas and fee a tx carries.
import type { CheckMode, CheckResult, MempoolTx } from '../../src/mempool/index.js';

/**
 * The documented reap order, written here independently of the implementation's comparator
 * (so a bug in one does not hide in the other): fee/gas descending, then arrival ascending.
 */
export function expectedBefore(a: MempoolTx, b: MempoolTx): boolean {
  const left = a.priority.numerator * b.priority.denominator;
  const right = b.priority.numerator * a.priority.denominator;
  return left > right || (left === right && a.arrival < b.arrival);
}

export interface FakeTx {
  sender: string;
  sequence: number;
  gas: number;
  fee: number;
  /** Spent only when the tx executes in a block, not in checkTx (ante handler checks fees only). */
  amount?: number;
  /** Extra bytes, to make txs of a given size or distinct bytes for the same fields. */
  pad?: number;
  tag?: string;
}

export function tx(fields: FakeTx): Uint8Array {
  const { sender, sequence, gas, fee, amount = 0, pad = 0, tag = '' } = fields;
  return new TextEncoder().encode(`${sender}|${sequence}|${gas}|${fee}|${amount}|${tag}|${'.'.repeat(pad)}`);
}

export interface Parsed {
  sender: string;
  sequence: bigint;
  gasWanted: bigint;
  fee: bigint;
  amount: bigint;
}

export function parse(bytes: Uint8Array): Parsed | undefined {
  const parts = new TextDecoder().decode(bytes).split('|');
  if (parts.length !== 7) return undefined;
  const [sender, sequence, gas, fee, amount] = parts as [string, string, string, string, string];
  return {
    sender,
    sequence: BigInt(sequence),
    gasWanted: BigInt(gas),
    fee: BigInt(fee),
    amount: BigInt(amount),
  };
}

/** An app that accepts every well-formed tx as it is (no state): tests mempool-side rules. */
export function permissiveCheck(bytes: Uint8Array): CheckResult {
  const parsed = parse(bytes);
  if (parsed === undefined) return { ok: false, code: 2, log: 'malformed tx' };
  return {
    ok: true,
    sender: parsed.sender,
    sequence: parsed.sequence,
    gasWanted: parsed.gasWanted,
    fee: parsed.fee,
  };
}

/**
 * An app with accounts (sequence, balance). checkTx checks the sequence and that the balance
 * covers the fee, against a check state that each accepted tx advances; commit executes txs
 * (fee and amount) on the committed state and resets the check state to it (ABCI Commit).
 */
export class LedgerApp {
  readonly calls: { mode: CheckMode; bytes: Uint8Array }[] = [];
  private committedState = new Map<string, { sequence: bigint; balance: bigint }>();
  private checkState = new Map<string, { sequence: bigint; balance: bigint }>();

  constructor(private readonly initialBalance: bigint) {}

  private account(state: Map<string, { sequence: bigint; balance: bigint }>, sender: string) {
    let account = state.get(sender);
    if (account === undefined) {
      account = { sequence: 0n, balance: this.initialBalance };
      state.set(sender, account);
    }
    return account;
  }

  checkTx = (bytes: Uint8Array, mode: CheckMode): CheckResult => {
    this.calls.push({ mode, bytes });
    const parsed = parse(bytes);
    if (parsed === undefined) return { ok: false, code: 2, log: 'malformed tx' };
    const account = this.account(this.checkState, parsed.sender);
    if (parsed.sequence !== account.sequence) {
      return { ok: false, code: 32, log: `account sequence mismatch, expected ${account.sequence}` };
    }
    if (account.balance < parsed.fee) return { ok: false, code: 5, log: 'insufficient funds for fee' };
    account.sequence++;
    account.balance -= parsed.fee;
    return {
      ok: true,
      sender: parsed.sender,
      sequence: parsed.sequence,
      gasWanted: parsed.gasWanted,
      fee: parsed.fee,
    };
  };

  /** Executes a block; returns how many txs succeeded. Resets the check state. */
  commit(block: readonly Uint8Array[]): number {
    let succeeded = 0;
    for (const bytes of block) {
      const parsed = parse(bytes);
      if (parsed === undefined) continue;
      const account = this.account(this.committedState, parsed.sender);
      if (parsed.sequence !== account.sequence || account.balance < parsed.fee + parsed.amount) continue;
      account.sequence++;
      account.balance -= parsed.fee + parsed.amount;
      succeeded++;
    }
    this.checkState = new Map([...this.committedState].map(([key, value]) => [key, { ...value }]));
    return succeeded;
  }

  /**
   * Replays `txs` as checkTx would against a fresh copy of the committed state; returns the
   * index of the first one that would fail, or -1.
   */
  firstInvalid(txs: readonly Uint8Array[]): number {
    const state = new Map([...this.committedState].map(([key, value]) => [key, { ...value }]));
    for (const [index, bytes] of txs.entries()) {
      const parsed = parse(bytes);
      if (parsed === undefined) return index;
      const account = this.account(state, parsed.sender);
      if (parsed.sequence !== account.sequence || account.balance < parsed.fee) return index;
      account.sequence++;
      account.balance -= parsed.fee;
    }
    return -1;
  }

  /**
   * What a correct update must leave: `pending` (arrival order) without the committed txs, each
   * replayed against the committed state; a tx that fails is dropped with its sender's later txs.
   */
  survivors(pending: readonly Uint8Array[], committed: ReadonlySet<Uint8Array>): Uint8Array[] {
    const state = new Map([...this.committedState].map(([key, value]) => [key, { ...value }]));
    const broken = new Set<string>();
    const out: Uint8Array[] = [];
    for (const bytes of pending) {
      if (committed.has(bytes)) continue;
      const parsed = parse(bytes);
      if (parsed === undefined || broken.has(parsed.sender)) continue;
      const account = this.account(state, parsed.sender);
      if (parsed.sequence !== account.sequence || account.balance < parsed.fee) {
        broken.add(parsed.sender);
        continue;
      }
      account.sequence++;
      account.balance -= parsed.fee;
      out.push(bytes);
    }
    return out;
  }

  /** The next sequence the check state expects from `sender`. */
  expectedSequence(sender: string): bigint {
    return this.checkState.get(sender)?.sequence ?? 0n;
  }
}

/**
 * Checks that a reap result follows the rule: each sender's txs consecutive from `firstSequence`
 * (the pool's chain head) and, among the txs available at each step (chain heads), the one taken
 * reaps before every one taken later. Returns a description of the first violation.
 */
export function reapOrderViolation(
  out: readonly MempoolTx[],
  firstSequence: (sender: string) => bigint | undefined,
): string | undefined {
  const nextOf = new Map<string, bigint>();
  const availableAt: number[] = []; // index in `out` at which tx i became a chain head
  for (let i = 0; i < out.length; i++) {
    const item = out[i] as MempoolTx;
    const expected = nextOf.get(item.sender) ?? firstSequence(item.sender);
    if (expected !== item.sequence) {
      return `tx ${i} of ${item.sender} has sequence ${item.sequence}, expected ${String(expected)}`;
    }
    nextOf.set(item.sender, item.sequence + 1n);
    const previousIndex = out.findLastIndex((other, k) => k < i && other.sender === item.sender);
    availableAt.push(previousIndex + 1);
  }
  for (let j = 0; j < out.length; j++) {
    for (let i = availableAt[j] as number; i < j; i++) {
      if (!expectedBefore(out[i] as MempoolTx, out[j] as MempoolTx)) {
        return `tx ${i} (${describe(out[i])}) was reaped before the better available tx ${j} (${describe(out[j])})`;
      }
    }
  }
  return undefined;
}

function describe(item: MempoolTx | undefined): string {
  if (item === undefined) return '?';
  return `${item.sender}#${item.sequence} priority ${item.priority.numerator}/${item.priority.denominator}, arrival ${item.arrival}`;
}
