// A private fungible token in the spirit of SNIP-20 (scrtlabs/snip20-reference-impl): the
// message names and answer shapes follow SNIP-20 where that is simple. Balances and history
// are only readable with the owner's viewing key.
//
// instantiate {name, symbol, decimals, initial_balances?:[{address, amount}], prng_seed?}
// execute     transfer {recipient, amount, memo?}
//             send {recipient, recipient_code_hash?, amount, msg?, memo?}
//             register_receive {code_hash}
//             set_viewing_key {key} / create_viewing_key {entropy}
// query       token_info {} / balance {address, key} / transfer_history {address, key, page?, page_size}
//
// Viewing keys: create_viewing_key derives `api_key_` + base64(sha256(prng_seed ‖ block.random
// ‖ height ‖ time ‖ sender ‖ entropy)). block.random is present because this contract exports
// `requires_random` (CONTRACT_ABI §1.1, §3.1); prng_seed (instantiate) adds entropy the block
// producer does not know. Only sha256(key) is stored, and queries compare hashes in constant time.
import {
  AppendStore,
  Coin,
  CosmosMsg,
  Env,
  Fields,
  JsonParser,
  JsonValue,
  JsonWriter,
  MessageInfo,
  Response,
  Result,
  Uint128,
  Variant,
  base64Encode,
  constantTimeEqual,
  getBytes,
  getString,
  getUint128,
  getUint128Raw,
  getU64,
  hexEncode,
  keyOf,
  runExecute,
  runInstantiate,
  runQuery,
  setBytes,
  setString,
  setUint128,
  setUint128Raw,
  setU64,
  sha256,
  storageGet,
  storageSet,
  utf8,
  fromUtf8,
  validateAddress,
  u64Bytes,
} from '../../sdk/assembly';

export { allocate, deallocate, interface_version_8 } from '../../sdk/assembly';

/** Asks the host for `env.block.random` (used to derive viewing keys). */
export function requires_random(): void {}

const CONFIG_KEY = 'config';
const SUPPLY_KEY = 'total_supply';
const SEED_KEY = 'prng_seed';
const TX_COUNT_KEY = 'tx_count';
const WRONG_KEY_MSG = 'Wrong viewing key for this address or viewing key not set';
const MAX_PAGE_SIZE: u64 = 100;

function balanceKey(address: string): Uint8Array {
  return keyOf('balances', address);
}
function viewingKeyKey(address: string): Uint8Array {
  return keyOf('viewing_keys', address);
}
function receiverKey(address: string): Uint8Array {
  return keyOf('receivers', address);
}
function history(address: string): AppendStore {
  return new AppendStore('txs/' + address);
}

function symbol(): string {
  const config = getString(CONFIG_KEY);
  if (config === null) return '';
  const parsed = new JsonParser(utf8(config)).parse();
  if (parsed === null) return '';
  const s = parsed.get('symbol');
  return s === null ? '' : s.text;
}

function statusAnswer(variant: string): string {
  const w = new JsonWriter();
  w.beginObject().key(variant).beginObject().key('status').string('success').endObject().endObject();
  return w.toString();
}

// --- instantiate -------------------------------------------------------------------------------

function isValidSymbol(s: string): bool {
  if (s.length < 3 || s.length > 20) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || c == 0x2d)) return false;
  }
  return true;
}

function onInstantiate(env: Env, info: MessageInfo, msg: JsonValue): Result {
  const f = new Fields(msg, 'InstantiateMsg');
  const name = f.string('name');
  const sym = f.string('symbol');
  const decimals = f.u32('decimals');
  const balancesValue = f.optional('initial_balances');
  const seed = f.optBinary('prng_seed');
  if (f.failed) return Result.err(f.error);
  const nameBytes = utf8(name).length;
  if (nameBytes < 3 || nameBytes > 30)
    return Result.genericErr('Name is not in the expected format (3-30 UTF-8 bytes)');
  if (!isValidSymbol(sym)) return Result.genericErr('Ticker symbol is not in expected format [A-Z-]{3,20}');
  if (decimals > 18) return Result.genericErr('Decimals must not exceed 18');

  let supply = Uint128.zero();
  if (balancesValue !== null) {
    if (!balancesValue.isArray)
      return Result.err('Error parsing into type InstantiateMsg: invalid type for `initial_balances`');
    for (let i = 0; i < balancesValue.items.length; i++) {
      const b = new Fields(balancesValue.items[i], 'InitialBalance');
      const address = b.string('address');
      const amount = b.uint128('amount');
      if (b.failed) return Result.err(b.error);
      const invalid = validateAddress(address);
      if (invalid !== null) return Result.err(invalid);
      const sum = supply.checkedAdd(amount);
      if (sum === null)
        return Result.genericErr('The sum of all initial balances exceeds the maximum possible total supply');
      supply = sum;
      const balance = getUint128Raw(balanceKey(address)).checkedAdd(amount);
      if (balance === null) return Result.genericErr('initial balance overflow');
      setUint128Raw(balanceKey(address), balance);
    }
  }
  const config = new JsonWriter();
  config
    .beginObject()
    .key('name')
    .string(name)
    .key('symbol')
    .string(sym)
    .key('decimals')
    .u64(decimals)
    .endObject();
  setString(CONFIG_KEY, config.toString());
  setUint128(SUPPLY_KEY, supply);
  setBytes(SEED_KEY, sha256(seed === null ? utf8(env.contract.address) : seed));
  return Result.ok(new Response());
}

// --- execute -----------------------------------------------------------------------------------

/** Moves `amount` and records the transfer in both parties' histories. Null on success. */
function moveTokens(
  env: Env,
  sender: string,
  recipient: string,
  amount: Uint128,
  memo: string | null,
): string | null {
  const fromKey = balanceKey(sender);
  const balance = getUint128Raw(fromKey);
  const rest = balance.checkedSub(amount);
  if (rest === null) {
    return (
      'Generic error: insufficient funds: balance=' + balance.toString() + ', required=' + amount.toString()
    );
  }
  setUint128Raw(fromKey, rest);
  const toKey = balanceKey(recipient);
  const credited = getUint128Raw(toKey).checkedAdd(amount);
  if (credited === null) return 'Generic error: recipient balance overflow';
  setUint128Raw(toKey, credited);

  const id = getU64(TX_COUNT_KEY, 0) + 1;
  setU64(TX_COUNT_KEY, id);
  const w = new JsonWriter();
  w.beginObject().key('id').u64(id).key('from').string(sender).key('sender').string(sender);
  w.key('receiver').string(recipient).key('coins').beginObject().key('denom').string(symbol());
  w.key('amount').string(amount.toString()).endObject().key('memo').stringOrNull(memo);
  w.key('block_time')
    .u64(env.block.time / 1_000_000_000)
    .key('block_height')
    .u64(env.block.height)
    .endObject();
  const record = utf8(w.toString());
  history(sender).push(record);
  if (recipient != sender) history(recipient).push(record);
  return null;
}

function transfer(env: Env, info: MessageInfo, body: JsonValue): Result {
  const f = new Fields(body, 'ExecuteMsg::Transfer');
  const recipient = f.string('recipient');
  const amount = f.uint128('amount');
  const memo = f.optString('memo');
  if (f.failed) return Result.err(f.error);
  const invalid = validateAddress(recipient);
  if (invalid !== null) return Result.err(invalid);
  const error = moveTokens(env, info.sender, recipient, amount, memo);
  if (error !== null) return Result.err(error);
  return Result.ok(new Response().setDataJson(statusAnswer('transfer')));
}

function send(env: Env, info: MessageInfo, body: JsonValue): Result {
  const f = new Fields(body, 'ExecuteMsg::Send');
  const recipient = f.string('recipient');
  let codeHash = f.optString('recipient_code_hash');
  const amount = f.uint128('amount');
  const payload = f.optBinary('msg');
  const memo = f.optString('memo');
  if (f.failed) return Result.err(f.error);
  const invalid = validateAddress(recipient);
  if (invalid !== null) return Result.err(invalid);
  const error = moveTokens(env, info.sender, recipient, amount, memo);
  if (error !== null) return Result.err(error);
  const response = new Response().setDataJson(statusAnswer('send'));
  if (codeHash === null) {
    const registered = storageGet(receiverKey(recipient));
    if (registered !== null) codeHash = fromUtf8(registered);
  }
  if (codeHash !== null) {
    // Snip20ReceiveMsg, sent to the recipient contract with its code hash (CONTRACT_ABI §3.4).
    const w = new JsonWriter();
    w.beginObject().key('receive').beginObject();
    w.key('sender')
      .string(info.sender)
      .key('from')
      .string(info.sender)
      .key('amount')
      .string(amount.toString());
    if (memo !== null) w.key('memo').string(memo);
    w.key('msg');
    if (payload === null) w.null();
    else w.string(base64Encode(payload));
    w.endObject().endObject();
    response.addMessage(CosmosMsg.wasmExecute(recipient, codeHash, w.toString(), []));
  }
  return Result.ok(response);
}

function registerReceive(info: MessageInfo, body: JsonValue): Result {
  const f = new Fields(body, 'ExecuteMsg::RegisterReceive');
  const codeHash = f.string('code_hash');
  if (f.failed) return Result.err(f.error);
  storageSet(receiverKey(info.sender), utf8(codeHash));
  return Result.ok(new Response().setDataJson(statusAnswer('register_receive')));
}

function setViewingKey(info: MessageInfo, body: JsonValue): Result {
  const f = new Fields(body, 'ExecuteMsg::SetViewingKey');
  const key = f.string('key');
  if (f.failed) return Result.err(f.error);
  storageSet(viewingKeyKey(info.sender), sha256(utf8(key)));
  return Result.ok(new Response().setDataJson(statusAnswer('set_viewing_key')));
}

function createViewingKey(env: Env, info: MessageInfo, body: JsonValue): Result {
  const f = new Fields(body, 'ExecuteMsg::CreateViewingKey');
  const entropy = f.string('entropy');
  if (f.failed) return Result.err(f.error);
  const seed = getBytes(SEED_KEY);
  const random = env.block.random;
  const parts = new Array<Uint8Array>();
  parts.push(seed === null ? new Uint8Array(0) : seed);
  parts.push(random === null ? new Uint8Array(0) : random);
  parts.push(u64Bytes(env.block.height));
  parts.push(u64Bytes(env.block.time));
  parts.push(utf8(info.sender));
  parts.push(utf8(entropy));
  let total = 0;
  for (let i = 0; i < parts.length; i++) total += parts[i].length;
  const material = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    material.set(parts[i], offset);
    offset += parts[i].length;
  }
  const key = 'api_key_' + base64Encode(sha256(material));
  storageSet(viewingKeyKey(info.sender), sha256(utf8(key)));
  const w = new JsonWriter();
  w.beginObject().key('create_viewing_key').beginObject().key('key').string(key).endObject().endObject();
  return Result.ok(new Response().setDataJson(w.toString()));
}

function onExecute(env: Env, info: MessageInfo, msg: JsonValue): Result {
  const v = Variant.of(msg, 'ExecuteMsg', [
    'transfer',
    'send',
    'register_receive',
    'set_viewing_key',
    'create_viewing_key',
  ]);
  const error = v.error;
  if (error !== null) return Result.err(error);
  if (v.name == 'transfer') return transfer(env, info, v.body);
  if (v.name == 'send') return send(env, info, v.body);
  if (v.name == 'register_receive') return registerReceive(info, v.body);
  if (v.name == 'set_viewing_key') return setViewingKey(info, v.body);
  return createViewingKey(env, info, v.body);
}

// --- query -------------------------------------------------------------------------------------

/** True when `key` is the viewing key of `address`; constant time in the key contents. */
function checkViewingKey(address: string, key: string): bool {
  const stored = storageGet(viewingKeyKey(address));
  const given = sha256(utf8(key));
  // Compare against a dummy when no key is set so both paths do the same work.
  if (stored === null) {
    constantTimeEqual(given, new Uint8Array(32));
    return false;
  }
  return constantTimeEqual(given, stored);
}

function viewingKeyError(): Result {
  const w = new JsonWriter();
  w.beginObject()
    .key('viewing_key_error')
    .beginObject()
    .key('msg')
    .string(WRONG_KEY_MSG)
    .endObject()
    .endObject();
  return Result.json(w.toString());
}

function tokenInfo(): Result {
  const config = getString(CONFIG_KEY);
  if (config === null) return Result.genericErr('token not initialised');
  const w = new JsonWriter();
  w.beginObject().key('token_info').beginObject();
  const parsed = new JsonParser(utf8(config)).parse();
  if (parsed !== null) {
    for (let i = 0; i < parsed.keys.length; i++) w.key(parsed.keys[i]).value(parsed.items[i]);
  }
  w.key('total_supply').string(getUint128(SUPPLY_KEY).toString()).endObject().endObject();
  return Result.json(w.toString());
}

function balance(body: JsonValue): Result {
  const f = new Fields(body, 'QueryMsg::Balance');
  const address = f.string('address');
  const key = f.string('key');
  if (f.failed) return Result.err(f.error);
  if (!checkViewingKey(address, key)) return viewingKeyError();
  const w = new JsonWriter();
  w.beginObject()
    .key('balance')
    .beginObject()
    .key('amount')
    .string(getUint128Raw(balanceKey(address)).toString());
  w.endObject().endObject();
  return Result.json(w.toString());
}

function transferHistory(body: JsonValue): Result {
  const f = new Fields(body, 'QueryMsg::TransferHistory');
  const address = f.string('address');
  const key = f.string('key');
  const page = f.optU64('page', 0);
  const pageSize = f.u64('page_size');
  if (f.failed) return Result.err(f.error);
  if (!checkViewingKey(address, key)) return viewingKeyError();
  if (pageSize == 0 || pageSize > MAX_PAGE_SIZE)
    return Result.genericErr('page_size must be between 1 and 100');
  const store = history(address);
  const total = store.length;
  const w = new JsonWriter();
  w.beginObject().key('transfer_history').beginObject().key('txs').beginArray();
  // Newest first, like the reference implementation.
  // Checked before multiplying so a huge `page` cannot overflow.
  if (page < (total + pageSize - 1) / pageSize) {
    let index = total - 1 - page * pageSize;
    for (let n: u64 = 0; n < pageSize; n++) {
      const record = store.get(index);
      if (record !== null) w.raw(fromUtf8(record));
      if (index == 0) break;
      index--;
    }
  }
  w.endArray().key('total').u64(total).endObject().endObject();
  return Result.json(w.toString());
}

function onQuery(env: Env, msg: JsonValue): Result {
  const v = Variant.of(msg, 'QueryMsg', ['token_info', 'balance', 'transfer_history']);
  const error = v.error;
  if (error !== null) return Result.err(error);
  if (v.name == 'token_info') return tokenInfo();
  if (v.name == 'balance') return balance(v.body);
  return transferHistory(v.body);
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
