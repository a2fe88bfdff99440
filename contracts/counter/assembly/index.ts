// Counter: the smallest useful contract. instantiate {count}; execute {increment:{}} and
// {reset:{count}} (owner only); query {get_count:{}} -> {count}.
import {
  Env,
  MessageInfo,
  JsonValue,
  JsonWriter,
  Fields,
  Response,
  Result,
  Variant,
  getU64,
  setU64,
  getString,
  setString,
  runInstantiate,
  runExecute,
  runQuery,
} from '../../sdk/assembly';

export { allocate, deallocate, interface_version_8 } from '../../sdk/assembly';

const COUNT_KEY = 'count';
const OWNER_KEY = 'owner';

function onInstantiate(env: Env, info: MessageInfo, msg: JsonValue): Result {
  const f = new Fields(msg, 'InstantiateMsg');
  const count = f.u64('count');
  if (f.failed) return Result.err(f.error);
  setU64(COUNT_KEY, count);
  setString(OWNER_KEY, info.sender);
  return Result.ok(
    new Response().addAttributePlaintext('method', 'instantiate').addAttribute('owner', info.sender),
  );
}

function onExecute(env: Env, info: MessageInfo, msg: JsonValue): Result {
  const v = Variant.of(msg, 'ExecuteMsg', ['increment', 'reset']);
  const error = v.error;
  if (error !== null) return Result.err(error);
  if (v.name == 'increment') {
    const count = getU64(COUNT_KEY, 0);
    if (count == U64.MAX_VALUE) return Result.genericErr('count overflow');
    setU64(COUNT_KEY, count + 1);
    return Result.ok(new Response().addAttributePlaintext('method', 'increment'));
  }
  // reset
  const f = new Fields(v.body, 'ExecuteMsg::Reset');
  const count = f.u64('count');
  if (f.failed) return Result.err(f.error);
  const owner = getString(OWNER_KEY);
  if (owner === null || owner != info.sender) return Result.err('Unauthorized');
  setU64(COUNT_KEY, count);
  return Result.ok(new Response().addAttributePlaintext('method', 'reset'));
}

function onQuery(env: Env, msg: JsonValue): Result {
  const v = Variant.of(msg, 'QueryMsg', ['get_count']);
  const error = v.error;
  if (error !== null) return Result.err(error);
  const w = new JsonWriter();
  w.beginObject().key('count').u64(getU64(COUNT_KEY, 0)).endObject();
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
