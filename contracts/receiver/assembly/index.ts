// Receiver: a tiny contract that accepts SNIP-20 `receive` callbacks (used by the token tests).
// execute {receive:{sender, from, amount, memo?, msg?}} records the call;
// query {last_receive:{}} -> {count, sender, from, amount, msg} (msg decoded from base64 as text).
import {
  Env,
  Fields,
  JsonValue,
  JsonWriter,
  MessageInfo,
  Response,
  Result,
  Variant,
  fromUtf8,
  getString,
  getU64,
  runExecute,
  runInstantiate,
  runQuery,
  setString,
  setU64,
} from '../../sdk/assembly';

export { allocate, deallocate, interface_version_8 } from '../../sdk/assembly';

function onInstantiate(env: Env, info: MessageInfo, msg: JsonValue): Result {
  setU64('count', 0);
  return Result.ok(new Response());
}

function onExecute(env: Env, info: MessageInfo, msg: JsonValue): Result {
  const v = Variant.of(msg, 'ExecuteMsg', ['receive']);
  const error = v.error;
  if (error !== null) return Result.err(error);
  const f = new Fields(v.body, 'Snip20ReceiveMsg');
  const sender = f.string('sender');
  const from = f.string('from');
  const amount = f.uint128('amount');
  const payload = f.optBinary('msg');
  if (f.failed) return Result.err(f.error);
  if (payload !== null && fromUtf8(payload) == 'fail') return Result.genericErr('receiver refused');
  setU64('count', getU64('count', 0) + 1);
  setString('sender', sender);
  setString('from', from);
  setString('amount', amount.toString());
  setString('token', info.sender);
  setString('msg', payload === null ? '' : fromUtf8(payload));
  return Result.ok(new Response().addAttribute('received', amount.toString()));
}

function stored(key: string): string {
  const v = getString(key);
  return v === null ? '' : v;
}

function onQuery(env: Env, msg: JsonValue): Result {
  const v = Variant.of(msg, 'QueryMsg', ['last_receive']);
  const error = v.error;
  if (error !== null) return Result.err(error);
  const w = new JsonWriter();
  w.beginObject().key('count').u64(getU64('count', 0));
  w.key('sender').string(stored('sender')).key('from').string(stored('from'));
  w.key('amount').string(stored('amount')).key('token').string(stored('token'));
  w.key('msg').string(stored('msg')).endObject();
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
