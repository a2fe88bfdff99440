// Sealed-bid auction. The seller instantiates it; bidders send their bid inside the encrypted
// message with a public deposit of at least the bid; after `ends_at` anyone may close it, which
// pays the winning bid to the seller and refunds every other coin to the bidders.
//
// instantiate {item, min_bid?, ends_at (block height), denom?}   (denom defaults to "ushd")
// execute     bid {amount} with a deposit in funds / close {}
// query       status {} -> {"status":{"state":"open"|"closed","item","ends_at","min_bid",
//                                     "bidder_count", "winner"?, "winning_bid"?}}
//
// Secrecy: before close nothing public depends on any bid amount or on who leads.
// - Public on chain: the sender and funds of every transaction (the deposit), whether it
//   failed, the response (messages, attributes, events, data), the gas used, query answers,
//   and which storage keys are written with which value lengths (storage keys and values are
//   encrypted, but the host sees the access pattern).
// - So a bid stores a fixed-size record under its bidder's key and does nothing else that
//   depends on the amount: no bank message, no attribute, no event, the same data for every
//   bid, no leader kept in storage (the winner is found only at close), and branch-free
//   comparisons on the success path, so even the gas used is identical for any amounts of the
//   same number of digits (test/contracts/auction.test.ts checks all of this byte for byte).
// - What a bid cannot hide: the deposit, an upper bound on the bid (bidders may over-deposit to
//   hide their bid), and the length of the encrypted message. Clients should send the amount
//   with leading zeros to a fixed width (Uint128 accepts them, like Rust's `u128::from_str`) so
//   the message length does not reveal the number of digits.
// - A rejected bid reveals only that it was rejected (below `min_bid`, which is public, or
//   above the bidder's own deposit): it changes nothing, so it says nothing about standing bids.
// - `status` before close gives the bidder count: it is public anyway, since every first bid is
//   a transaction from a new sender with a deposit attached.
//
// Replacing a bid: a bidder may bid again before the end. The new amount replaces the old one
// (higher or lower), deposits accumulate, and the new amount must not exceed the bidder's
// total deposit. Replacing rather than only raising means a rejection can never reveal the
// relation between a bidder's old and new bid.
//
// Winner: the highest bid; among equal highest bids the one placed first wins. Each bid,
// replacements included, is numbered in arrival order (`bid_seq`), so replacing a bid, even
// with the same amount, places it anew.
//
// Refunds at close, not `withdraw`: because a bid may be lowered, the leader cannot be kept up to
// date without scanning every bid, so close must read all bids anyway and the bidder list has to
// be bounded whichever way refunds go. Refunding in the same transaction then costs one bank
// send per bidder on top of that scan, and spares losers a second transaction and the contract
// a claimed/unclaimed state. The bound (MAX_BIDDERS) is there because close's cost grows with
// the bidders: without one, a flood of small bidders could push close past a block's gas limit
// and lock every deposit for good. Measured in the sandbox (wasm gas, 1000 = 1 SDK gas): a bid
// 383k; close 292k + 105k per bidder, 10.8M at 100 bidders, plus the bank module's own gas for
// each of the 101 sends. Known cost of the cap: someone can fill the 100 places to keep others
// out; min_bid makes that expensive, as each place locks a deposit of at least min_bid until
// close.
import {
  AppendStore,
  Coin,
  CosmosMsg,
  Env,
  Fields,
  JsonValue,
  JsonWriter,
  MessageInfo,
  Response,
  Result,
  Uint128,
  Variant,
  bytesU64,
  fromUtf8,
  getString,
  getU64,
  getUint128,
  keyOf,
  runExecute,
  runInstantiate,
  runQuery,
  setString,
  setU64,
  setUint128,
  storageGet,
  storageSet,
  u64Bytes,
  utf8,
} from '../../sdk/assembly';

export { allocate, deallocate, interface_version_8 } from '../../sdk/assembly';

const SELLER = 'seller';
const ITEM = 'item';
const DENOM = 'denom';
const MIN_BID = 'min_bid';
const ENDS_AT = 'ends_at';
const CLOSED = 'closed';
/** Arrival number of the next bid (tie-breaking). */
const BID_SEQ = 'bid_seq';
/** Set at close. */
const WINNER = 'winner';
const WINNING_BID = 'winning_bid';
/** Namespace of the bidder records, keyed by address. */
const BID_RECORDS = 'bids';
/** Namespace of the bidder list (addresses in order of their first bid). */
const BIDDER_LIST = 'bidders';

/** At most this many distinct bidders: close refunds all of them in one transaction. */
const MAX_BIDDERS: u64 = 100;

/** amount (16 bytes BE) ‖ deposit (16 bytes BE) ‖ seq (8 bytes BE): always 40 bytes. */
const RECORD_BYTES = 40;

class BidRecord {
  constructor(
    public amount: Uint128,
    public deposit: Uint128,
    public seq: u64,
  ) {}

  encode(): Uint8Array {
    const out = new Uint8Array(RECORD_BYTES);
    out.set(this.amount.toBytes(), 0);
    out.set(this.deposit.toBytes(), 16);
    out.set(u64Bytes(this.seq), 32);
    return out;
  }

  /** Null when absent. A record of another length cannot be written by this contract. */
  static load(bidder: string): BidRecord | null {
    const bytes = storageGet(keyOf(BID_RECORDS, bidder));
    if (bytes === null || bytes.length != RECORD_BYTES) return null;
    return new BidRecord(
      Uint128.fromBytes(bytes.subarray(0, 16))!,
      Uint128.fromBytes(bytes.subarray(16, 32))!,
      bytesU64(bytes.subarray(32, 40), 0),
    );
  }

  save(bidder: string): void {
    storageSet(keyOf(BID_RECORDS, bidder), this.encode());
  }
}

function bidderList(): AppendStore {
  return new AppendStore(BIDDER_LIST);
}

function stored(key: string): string {
  const v = getString(key);
  return v === null ? '' : v;
}

/**
 * 1 when a < b, else 0, without branching: the success path of a bid must run the same
 * instructions (and so use the same gas) whatever the amounts.
 */
function lessThan(a: Uint128, b: Uint128): u32 {
  const hiLess = <u32>(a.hi < b.hi);
  const hiEqual = <u32>(a.hi == b.hi);
  const loLess = <u32>(a.lo < b.lo);
  return hiLess | (hiEqual & loLess);
}

/** 1 when a is zero, else 0, without branching. */
function isZero(a: Uint128): u32 {
  return <u32>((a.hi | a.lo) == 0);
}

function onInstantiate(env: Env, info: MessageInfo, msg: JsonValue): Result {
  const f = new Fields(msg, 'InstantiateMsg');
  const item = f.string('item');
  const minBid = f.optUint128('min_bid');
  const endsAt = f.u64('ends_at');
  const denom = f.optString('denom');
  if (f.failed) return Result.err(f.error);
  if (endsAt <= env.block.height) return Result.genericErr('ends_at must be after the current block height');
  setString(SELLER, info.sender);
  setString(ITEM, item);
  setString(DENOM, denom === null ? 'ushd' : denom);
  setUint128(MIN_BID, minBid === null ? Uint128.zero() : minBid);
  setU64(ENDS_AT, endsAt);
  setU64(CLOSED, 0);
  setU64(BID_SEQ, 0);
  return Result.ok(new Response().addAttributePlaintext('item', item));
}

/** The deposit attached to a bid: nothing, or one coin of the auction's denom. */
function attachedDeposit(info: MessageInfo, denom: string): Uint128 | null {
  if (info.funds.length == 0) return Uint128.zero();
  if (info.funds.length != 1 || info.funds[0].denom != denom) return null;
  return info.funds[0].amount;
}

function bid(env: Env, info: MessageInfo, body: JsonValue): Result {
  const f = new Fields(body, 'ExecuteMsg::Bid');
  const amount = f.uint128('amount');
  if (f.failed) return Result.err(f.error);
  if (getU64(CLOSED, 0) != 0) return Result.genericErr('auction is closed');
  if (env.block.height >= getU64(ENDS_AT, 0)) return Result.genericErr('bidding has ended');
  const bidder = info.sender;
  if (bidder == stored(SELLER)) return Result.genericErr('the seller may not bid');
  const denom = stored(DENOM);
  const attached = attachedDeposit(info, denom);
  if (attached === null) return Result.genericErr('attach no coin or one coin of ' + denom + ' as deposit');
  // The minimum is public, so refusing below it reveals nothing about other bids.
  if ((isZero(amount) | lessThan(amount, getUint128(MIN_BID))) != 0) {
    return Result.genericErr('bid is below the minimum bid');
  }
  // Whether the sender has bid before is public (the sender of every transaction is).
  let record = BidRecord.load(bidder);
  const isNew = record === null;
  if (isNew) {
    if (bidderList().length >= MAX_BIDDERS) {
      return Result.genericErr(
        'the auction is full: at most ' +
          MAX_BIDDERS.toString() +
          ' bidders, because close refunds every bidder in one transaction that must fit in a block',
      );
    }
    record = new BidRecord(Uint128.zero(), Uint128.zero(), 0);
  }
  const deposit = record!.deposit.checkedAdd(attached);
  if (deposit === null) return Result.genericErr('deposit overflows Uint128');
  if (lessThan(deposit, amount) != 0) {
    return Result.genericErr('bid exceeds your deposit: attach at least the bid amount in ' + denom);
  }
  if (isNew) bidderList().push(utf8(bidder));
  const seq = getU64(BID_SEQ, 0);
  setU64(BID_SEQ, seq + 1);
  new BidRecord(amount, deposit, seq).save(bidder);
  return Result.ok(new Response().setDataJson('{"bid":{"status":"accepted"}}'));
}

/** The index of the winning bidder in `records` (-1 without bids): highest, then earliest. */
function winnerIndex(records: Array<BidRecord>): i32 {
  let best: i32 = -1;
  for (let i = 0; i < records.length; i++) {
    if (best < 0) {
      best = i;
      continue;
    }
    const r = records[i];
    const b = records[best];
    const order = r.amount.compare(b.amount);
    if (order > 0 || (order == 0 && r.seq < b.seq)) best = i;
  }
  return best;
}

function refund(response: Response, to: string, denom: string, amount: Uint128): void {
  if (!amount.isZero()) response.addMessage(CosmosMsg.bankSend(to, [new Coin(denom, amount)]));
}

function close(env: Env): Result {
  if (getU64(CLOSED, 0) != 0) return Result.genericErr('auction is already closed');
  const endsAt = getU64(ENDS_AT, 0);
  if (env.block.height < endsAt) {
    return Result.genericErr(
      'auction ends at height ' + endsAt.toString() + ', now ' + env.block.height.toString(),
    );
  }
  setU64(CLOSED, 1);
  const list = bidderList();
  const count = list.length; // ≤ MAX_BIDDERS
  const bidders = new Array<string>();
  const records = new Array<BidRecord>();
  for (let i: u64 = 0; i < count; i++) {
    const address = fromUtf8(list.get(i)!);
    bidders.push(address);
    records.push(BidRecord.load(address)!);
  }
  const response = new Response().setDataJson('{"close":{"status":"success"}}');
  const denom = stored(DENOM);
  const best = winnerIndex(records);
  if (best >= 0) {
    const winner = bidders[best];
    const amount = records[best].amount;
    setString(WINNER, winner);
    setUint128(WINNING_BID, amount);
    response.addMessage(CosmosMsg.bankSend(stored(SELLER), [new Coin(denom, amount)]));
    response.addAttributePlaintext('winner', winner).addAttributePlaintext('winning_bid', amount.toString());
  }
  // Every deposit goes back, minus the winning bid for the winner (amount ≤ deposit by `bid`).
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    refund(response, bidders[i], denom, i == best ? r.deposit.checkedSub(r.amount)! : r.deposit);
  }
  return Result.ok(response);
}

function onExecute(env: Env, info: MessageInfo, msg: JsonValue): Result {
  const v = Variant.of(msg, 'ExecuteMsg', ['bid', 'close']);
  const error = v.error;
  if (error !== null) return Result.err(error);
  if (v.name == 'bid') return bid(env, info, v.body);
  if (info.funds.length != 0) return Result.genericErr('close does not accept funds');
  return close(env);
}

function onQuery(env: Env, msg: JsonValue): Result {
  const v = Variant.of(msg, 'QueryMsg', ['status']);
  const error = v.error;
  if (error !== null) return Result.err(error);
  const closed = getU64(CLOSED, 0) != 0;
  const w = new JsonWriter();
  w.beginObject().key('status').beginObject();
  w.key('state')
    .string(closed ? 'closed' : 'open')
    .key('item')
    .string(stored(ITEM));
  w.key('ends_at').u64(getU64(ENDS_AT, 0)).key('min_bid').string(getUint128(MIN_BID).toString());
  w.key('bidder_count').u64(bidderList().length);
  if (closed) {
    const winner = getString(WINNER);
    w.key('winner').stringOrNull(winner);
    if (winner === null) w.key('winning_bid').null();
    else w.key('winning_bid').string(getUint128(WINNING_BID).toString());
  }
  w.endObject().endObject();
  return Result.json(w.toString());
}

export function instantiate(env: u32, info: u32, msg: u32): u32 {
  return runInstantiate(env, info, msg, onInstantiate);
}

export function execute(env: u32, info: u32, msg: u32): u32 {
  return runExecute(env, info, msg, onExecute);
}

export function query(env: u32, msg: u32): u32 {
  return runQuery(env, msg, onQuery);
}
