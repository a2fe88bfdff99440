// Sealed-bid auction. The seller instantiates it; bidders attach funds; only the highest bid
// stays escrowed (a lower or outbid bid is refunded with a bank send); after `ends_at` anyone
// may close it, which pays the seller and reveals the winner.
//
// instantiate {item, min_bid?, ends_at (block height), denom?}   (denom defaults to "ushd")
// execute     bid {} with funds / close {}
// query       status {} -> {"status":{"state":"open"|"closed","item","ends_at","min_bid",
//                                     "winner"?, "winning_bid"?}}
//
// Secrecy: no attribute, event, data or query reveals a bid amount or bidder before close.
// Responses to every bid look the same (data `{"bid":{"status":"accepted"}}`). What stays
// observable is inherent to escrow in a public bank: the refund message's recipient and
// amount (the refunded bid was not the highest).
import {
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
  getString,
  getU64,
  getUint128,
  runExecute,
  runInstantiate,
  runQuery,
  setString,
  setU64,
  setUint128,
} from '../../sdk/assembly';

export { allocate, deallocate, interface_version_8 } from '../../sdk/assembly';

const SELLER = 'seller';
const ITEM = 'item';
const DENOM = 'denom';
const MIN_BID = 'min_bid';
const ENDS_AT = 'ends_at';
const CLOSED = 'closed';
const BIDDER = 'bidder';
const BID = 'bid';

function stored(key: string): string {
  const v = getString(key);
  return v === null ? '' : v;
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
  return Result.ok(new Response().addAttributePlaintext('item', item));
}

function refund(response: Response, to: string, denom: string, amount: Uint128): void {
  response.addMessage(CosmosMsg.bankSend(to, [new Coin(denom, amount)]));
}

function bid(env: Env, info: MessageInfo): Result {
  if (getU64(CLOSED, 0) != 0) return Result.genericErr('auction is closed');
  if (env.block.height >= getU64(ENDS_AT, 0)) return Result.genericErr('bidding has ended');
  if (info.sender == stored(SELLER)) return Result.genericErr('the seller may not bid');
  const denom = stored(DENOM);
  if (info.funds.length != 1 || info.funds[0].denom != denom) {
    return Result.genericErr('send exactly one coin of ' + denom + ' with a bid');
  }
  const amount = info.funds[0].amount;
  // The minimum is public, so refusing below it reveals nothing about other bids.
  if (amount.isZero() || amount.lt(getUint128(MIN_BID)))
    return Result.genericErr('bid is below the minimum bid');
  const response = new Response().setDataJson('{"bid":{"status":"accepted"}}');
  const highest = getUint128(BID);
  const leader = getString(BIDDER);
  if (leader !== null && !amount.gt(highest)) {
    // Not the highest (ties go to the earlier bid): give it straight back.
    refund(response, info.sender, denom, amount);
    return Result.ok(response);
  }
  if (leader !== null) refund(response, leader, denom, highest);
  setString(BIDDER, info.sender);
  setUint128(BID, amount);
  return Result.ok(response);
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
  const response = new Response().setDataJson('{"close":{"status":"success"}}');
  const winner = getString(BIDDER);
  if (winner !== null) {
    const amount = getUint128(BID);
    response.addMessage(CosmosMsg.bankSend(stored(SELLER), [new Coin(stored(DENOM), amount)]));
    response.addAttributePlaintext('winner', winner).addAttributePlaintext('winning_bid', amount.toString());
  }
  return Result.ok(response);
}

function onExecute(env: Env, info: MessageInfo, msg: JsonValue): Result {
  const v = Variant.of(msg, 'ExecuteMsg', ['bid', 'close']);
  const error = v.error;
  if (error !== null) return Result.err(error);
  if (v.name == 'bid') return bid(env, info);
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
  if (closed) {
    const winner = getString(BIDDER);
    w.key('winner').stringOrNull(winner);
    if (winner === null) w.key('winning_bid').null();
    else w.key('winning_bid').string(getUint128(BID).toString());
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
