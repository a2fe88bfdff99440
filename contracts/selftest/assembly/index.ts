// SDK self-test: exposes the SDK's building blocks (JSON, base64, Uint128, sha256, addresses,
// Env/MessageInfo parsing, storage, submessages and reply) so test/contracts/sdk.test.ts can
// compare them with reference implementations through the real VM. Not an example to copy.
import {
  AppendStore,
  CosmosMsg,
  Event,
  Env,
  Fields,
  JsonParser,
  JsonValue,
  JsonWriter,
  MessageInfo,
  ReplyOn,
  Response,
  Result,
  SubMsg,
  Uint128,
  Variant,
  base64Decode,
  base64Encode,
  canonicalizeAddress,
  fromUtf8,
  hexEncode,
  humanizeAddress,
  getString,
  log,
  parseU64,
  queryBankBalance,
  QueryAnswer,
  querySmart,
  runExecute,
  runInstantiate,
  runQuery,
  runReply,
  runMigrate,
  setString,
  sha256,
  storageGet,
  storageRemove,
  storageSet,
  utf8,
  validateAddress,
  writeCoins,
} from '../../sdk/assembly';

export { allocate, deallocate, interface_version_8 } from '../../sdk/assembly';
export function requires_random(): void {}

function writeEnv(w: JsonWriter, env: Env): void {
  w.beginObject().key('height').u64(env.block.height).key('time').string(env.block.time.toString());
  w.key('chain_id').string(env.block.chainId).key('random');
  const random = env.block.random;
  if (random === null) w.null();
  else w.string(hexEncode(random));
  w.key('address').string(env.contract.address).key('code_hash').string(env.contract.codeHash);
  w.key('transaction');
  const tx = env.transaction;
  if (tx === null) w.null();
  else w.beginObject().key('index').u64(tx.index).key('hash').string(tx.hash).endObject();
  w.endObject();
}

function onInstantiate(env: Env, info: MessageInfo, msg: JsonValue): Result {
  return Result.ok(new Response());
}

function onExecute(env: Env, info: MessageInfo, msg: JsonValue): Result {
  const v = Variant.of(msg, 'ExecuteMsg', ['context', 'storage', 'call', 'fail', 'append', 'panic']);
  const error = v.error;
  if (error !== null) return Result.err(error);
  const f = new Fields(v.body, 'ExecuteMsg');
  if (v.name == 'context') {
    // data = {env, sender, funds}; an encrypted and a plaintext attribute; one event.
    const w = new JsonWriter();
    w.beginObject().key('env');
    writeEnv(w, env);
    w.key('sender').string(info.sender).key('funds');
    writeCoins(w, info.funds);
    w.endObject();
    const event = new Event('selftest').addAttribute('secret', 'a').addAttributePlaintext('public', 'b');
    return Result.ok(
      new Response()
        .addAttribute('enc', 'x')
        .addAttributePlaintext('plain', 'y')
        .addEvent(event)
        .setDataJson(w.toString()),
    );
  }
  if (v.name == 'storage') {
    // {key, value?: string|null, remove?: bool} -> data {before, after}
    const key = utf8(f.string('key'));
    const value = f.optString('value');
    const remove = f.optional('remove') !== null;
    if (f.failed) return Result.err(f.error);
    const before = storageGet(key);
    if (remove) storageRemove(key);
    else if (value !== null) storageSet(key, utf8(value));
    const after = storageGet(key);
    const w = new JsonWriter();
    w.beginObject()
      .key('before')
      .stringOrNull(before === null ? null : fromUtf8(before));
    w.key('after')
      .stringOrNull(after === null ? null : fromUtf8(after))
      .endObject();
    return Result.ok(new Response().setDataJson(w.toString()));
  }
  if (v.name == 'call') {
    // {contract, code_hash, msg (JSON text), reply_on, id} -> a submessage
    const contract = f.string('contract');
    const codeHash = f.string('code_hash');
    const inner = f.string('msg');
    const replyOn = f.string('reply_on');
    const id = f.u64('id');
    if (f.failed) return Result.err(f.error);
    let on = ReplyOn.Never;
    if (replyOn == 'always') on = ReplyOn.Always;
    else if (replyOn == 'success') on = ReplyOn.Success;
    else if (replyOn == 'error') on = ReplyOn.Error;
    const sub = new SubMsg(id, CosmosMsg.wasmExecute(contract, codeHash, inner, info.funds), on);
    return Result.ok(new Response().addSubMessage(sub));
  }
  if (v.name == 'append') {
    const store = new AppendStore('list');
    const index = store.push(utf8(f.string('item')));
    const w = new JsonWriter();
    w.beginObject().key('index').u64(index).key('length').u64(store.length).endObject();
    return Result.ok(new Response().setDataJson(w.toString()));
  }
  if (v.name == 'panic') {
    assert(false, 'selftest panic');
    return Result.ok(new Response());
  }
  // fail: {message}
  setString('written_before_failure', 'yes');
  return Result.err(f.string('message'));
}

function onMigrate(env: Env, msg: JsonValue): Result {
  // {note} -> stored, so the test can see that migrate ran with its message.
  const f = new Fields(msg, 'MigrateMsg');
  const note = f.string('note');
  if (f.failed) return Result.err(f.error);
  setString('migrated', note);
  return Result.ok(new Response().setDataJson('{"migrated":true}'));
}

function onReply(env: Env, msg: JsonValue): Result {
  // Stores the Reply JSON as received, so the test can check its shape (CONTRACT_ABI §3.5).
  setString('last_reply', msg.toJson());
  return Result.ok(new Response().setDataJson('{"replied":true}'));
}

function onQuery(env: Env, msg: JsonValue): Result {
  const v = Variant.of(msg, 'QueryMsg', [
    'parse',
    'u64',
    'u128',
    'sha256',
    'base64',
    'address',
    'env',
    'last_reply',
    'balance',
    'smart',
    'storage',
    'list',
    'migrated',
  ]);
  const error = v.error;
  if (error !== null) return Result.err(error);
  const f = new Fields(v.body, 'QueryMsg');
  const w = new JsonWriter();
  if (v.name == 'parse') {
    // {text} -> {ok:true, json:<re-serialised>} | {ok:false, error}
    const text = f.string('text');
    if (f.failed) return Result.err(f.error);
    const parser = new JsonParser(utf8(text));
    const parsed = parser.parse();
    w.beginObject()
      .key('ok')
      .bool(parsed !== null);
    if (parsed !== null) w.key('json').string(parsed.toJson());
    else w.key('error').string(parser.error);
    w.endObject();
  } else if (v.name == 'u64') {
    const r = parseU64(f.string('text'));
    w.beginObject().key('ok').bool(r.ok).key('value').string(r.value.toString()).endObject();
  } else if (v.name == 'u128') {
    // {a, b} as text -> {a, b, sum, diff, cmp} (null when invalid / overflowing)
    const a = Uint128.parse(f.string('a'));
    const b = Uint128.parse(f.string('b'));
    if (f.failed) return Result.err(f.error);
    w.beginObject();
    w.key('a').stringOrNull(a === null ? null : a.toString());
    w.key('b').stringOrNull(b === null ? null : b.toString());
    if (a !== null && b !== null) {
      const sum = a.checkedAdd(b);
      const diff = a.checkedSub(b);
      w.key('sum').stringOrNull(sum === null ? null : sum.toString());
      w.key('diff').stringOrNull(diff === null ? null : diff.toString());
      w.key('cmp').i64(a.compare(b));
      const back = Uint128.fromBytes(a.toBytes());
      w.key('bytes_round_trip').bool(back !== null && back.eq(a));
    }
    w.endObject();
  } else if (v.name == 'sha256') {
    const data = f.binary('data');
    if (f.failed) return Result.err(f.error);
    w.beginObject()
      .key('hex')
      .string(hexEncode(sha256(data)))
      .endObject();
  } else if (v.name == 'base64') {
    // {text} -> {ok, hex, again}: decode, then encode the bytes again
    const decoded = base64Decode(f.string('text'));
    w.beginObject()
      .key('ok')
      .bool(decoded !== null);
    if (decoded !== null) w.key('hex').string(hexEncode(decoded)).key('again').string(base64Encode(decoded));
    w.endObject();
  } else if (v.name == 'address') {
    const human = f.string('address');
    if (f.failed) return Result.err(f.error);
    const invalid = validateAddress(human);
    const canonical = canonicalizeAddress(human);
    w.beginObject()
      .key('valid_error')
      .stringOrNull(invalid)
      .key('canonical_error')
      .stringOrNull(canonical.error);
    if (canonical.error === null) {
      const back = humanizeAddress(canonical.bytes);
      w.key('canonical')
        .string(hexEncode(canonical.bytes))
        .key('human')
        .stringOrNull(back.error === null ? back.address : back.error);
    }
    w.endObject();
  } else if (v.name == 'env') {
    log('selftest env query');
    writeEnv(w, env);
  } else if (v.name == 'migrated') {
    w.beginObject().key('note').stringOrNull(getString('migrated')).endObject();
  } else if (v.name == 'last_reply') {
    const reply = getString('last_reply');
    w.beginObject().key('reply').stringOrNull(reply).endObject();
  } else if (v.name == 'balance') {
    const err = new QueryAnswer();
    const amount = queryBankBalance(f.string('address'), f.string('denom'), err);
    if (amount === null) return Result.err(err.error === null ? 'unknown' : err.error!);
    w.beginObject().key('amount').string(amount.toString()).endObject();
  } else if (v.name == 'smart') {
    const answer = querySmart(f.string('contract'), f.string('code_hash'), f.string('msg'));
    const failure = answer.error;
    if (failure !== null) return Result.err(failure);
    w.beginObject().key('answer').string(fromUtf8(answer.data)).endObject();
  } else if (v.name == 'storage') {
    // A write inside a query must trap (read-only storage, CONTRACT_ABI §5).
    storageSet(utf8('q'), utf8('v'));
    w.null();
  } else {
    const store = new AppendStore('list');
    w.beginObject().key('length').u64(store.length).key('items').beginArray();
    for (let i: u64 = 0; i < store.length; i++) {
      const item = store.get(i);
      w.stringOrNull(item === null ? null : fromUtf8(item));
    }
    w.endArray().endObject();
  }
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

export function reply(env: u32, msg: u32): u32 {
  return runReply(env, msg, onReply);
}

export function migrate(env: u32, msg: u32): u32 {
  return runMigrate(env, msg, onMigrate);
}
