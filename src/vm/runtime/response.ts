// Decoding what an entry point returns: the result envelope (CONTRACT_ABI §1.3: `{"Ok":…}`
// or `{"Err":"…"}`, also lowercase), the Response with deny-unknown-fields (§3.3), SubMsg and
// CosmosMsg (§3.4). The contract's JSON is untrusted: every field is checked at runtime and
// anything off is an INVALID_RESPONSE VmError, never a TypeError.

import { VmError } from '../errors.js';
import { decodeBase64, parseUint128 } from './json.js';
import type { Attribute, Coin, CosmosMsg, Event, ReplyOn, Response, SubMsg } from './types.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

function fail(what: string): never {
  throw new VmError('INVALID_RESPONSE', `the contract returned an invalid result: ${what}`);
}

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: Json, where: string): JsonObject {
  if (!isObject(value)) fail(`${where} must be an object`);
  return value;
}

function string(value: Json, where: string): string {
  if (typeof value !== 'string') fail(`${where} must be a string`);
  return value;
}

function array(value: Json, where: string): Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`${where} must be an array`);
  return value;
}

function onlyKeys(obj: JsonObject, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(`unknown field "${key}" in ${where} (allowed: ${allowed.join(', ')})`);
  }
}

/** An externally tagged enum value: exactly one key. */
function variant(value: Json, where: string): [string, Json] {
  const obj = object(value, where);
  const keys = Object.keys(obj);
  if (keys.length !== 1) fail(`${where} must have exactly one variant key, found ${keys.length}`);
  const key = keys[0] as string;
  return [key, obj[key]];
}

function u64(value: Json, where: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^(0|[1-9][0-9]{0,19})$/.test(value) && BigInt(value) < 1n << 64n)
    return BigInt(value);
  fail(`${where} must be a u64`);
}

function binary(value: Json, where: string): Uint8Array {
  const bytes = decodeBase64(string(value, where));
  if (bytes === undefined) fail(`${where} is not base64`);
  return bytes;
}

function coins(value: Json, where: string): Coin[] {
  return array(value, where).map((item, i) => {
    const coin = object(item, `${where}[${i}]`);
    const amount = parseUint128(coin.amount);
    if (amount === undefined) fail(`${where}[${i}].amount must be a Uint128 decimal string`);
    return { denom: string(coin.denom, `${where}[${i}].denom`), amount };
  });
}

function attributes(value: Json, where: string): Attribute[] {
  return array(value, where).map((item, i) => {
    const attr = object(item, `${where}[${i}]`);
    const encrypted = attr.encrypted;
    if (encrypted !== undefined && typeof encrypted !== 'boolean')
      fail(`${where}[${i}].encrypted must be a boolean`);
    return {
      key: string(attr.key, `${where}[${i}].key`),
      value: string(attr.value, `${where}[${i}].value`),
      encrypted: encrypted ?? true, // Secret extension, default true (CONTRACT_ABI §3.3)
    };
  });
}

function events(value: Json, where: string): Event[] {
  return array(value, where).map((item, i) => {
    const event = object(item, `${where}[${i}]`);
    return {
      type: string(event.type, `${where}[${i}].type`),
      attributes: attributes(event.attributes, `${where}[${i}].attributes`),
    };
  });
}

function optionalString(value: Json, where: string): string | null {
  return value === undefined || value === null ? null : string(value, where);
}

/** CosmosMsg (CONTRACT_ABI §3.4). Bank and wasm are typed; other modules stay opaque. */
export function parseCosmosMsg(value: Json, where = 'msg'): CosmosMsg {
  const [module, inner] = variant(value, where);
  if (module === 'bank') {
    const [action, body] = variant(inner, `${where}.bank`);
    const fields = object(body, `${where}.bank.${action}`);
    if (action === 'send') {
      return {
        kind: 'bank_send',
        toAddress: string(fields.to_address, `${where}.bank.send.to_address`),
        amount: coins(fields.amount, `${where}.bank.send.amount`),
      };
    }
    if (action === 'burn')
      return { kind: 'bank_burn', amount: coins(fields.amount, `${where}.bank.burn.amount`) };
    return { kind: 'other', type: `bank.${action}`, json: value };
  }
  if (module === 'wasm') {
    const [action, body] = variant(inner, `${where}.wasm`);
    const f = object(body, `${where}.wasm.${action}`);
    const at = (field: string): string => `${where}.wasm.${action}.${field}`;
    switch (action) {
      case 'execute':
        return {
          kind: 'wasm_execute',
          contractAddr: string(f.contract_addr, at('contract_addr')),
          codeHash: string(f.code_hash, at('code_hash')),
          msg: binary(f.msg, at('msg')),
          funds: coins(f.send, at('send')),
        };
      case 'instantiate':
        return {
          kind: 'wasm_instantiate',
          admin: optionalString(f.admin, at('admin')),
          codeId: u64(f.code_id, at('code_id')),
          codeHash: string(f.code_hash, at('code_hash')),
          msg: binary(f.msg, at('msg')),
          funds: coins(f.send, at('send')),
          label: string(f.label, at('label')),
        };
      case 'migrate':
        return {
          kind: 'wasm_migrate',
          contractAddr: string(f.contract_addr, at('contract_addr')),
          codeHash: string(f.code_hash, at('code_hash')),
          codeId: u64(f.code_id, at('code_id')),
          msg: binary(f.msg, at('msg')),
        };
      case 'update_admin':
        return {
          kind: 'wasm_update_admin',
          contractAddr: string(f.contract_addr, at('contract_addr')),
          admin: string(f.admin, at('admin')),
        };
      case 'clear_admin':
        return { kind: 'wasm_clear_admin', contractAddr: string(f.contract_addr, at('contract_addr')) };
      default:
        fail(`${where}.wasm has unknown variant "${action}"`);
    }
  }
  const known = ['staking', 'distribution', 'stargate', 'ibc', 'gov', 'custom', 'finalize_tx'];
  if (!known.includes(module)) fail(`${where} has unknown CosmosMsg variant "${module}"`);
  return { kind: 'other', type: module, json: value };
}

const REPLY_ON: readonly ReplyOn[] = ['always', 'error', 'success', 'never'];

function parseSubMsg(value: Json, where: string): SubMsg {
  const sub = object(value, where);
  const id = sub.id ?? 0;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0)
    fail(`${where}.id must be a u64 below 2^53`);
  const replyOn = sub.reply_on ?? 'never';
  if (typeof replyOn !== 'string' || !REPLY_ON.includes(replyOn as ReplyOn)) {
    fail(`${where}.reply_on must be one of ${REPLY_ON.join(', ')}`);
  }
  const gasLimit =
    sub.gas_limit === undefined || sub.gas_limit === null ? null : u64(sub.gas_limit, `${where}.gas_limit`);
  return { id, msg: parseCosmosMsg(sub.msg, `${where}.msg`), gasLimit, replyOn: replyOn as ReplyOn };
}

/**
 * Response (CONTRACT_ABI §3.3) with deny-unknown-fields: only messages, attributes, events, data.
 * @throws {VmError} INVALID_RESPONSE on any unknown field or wrongly typed value.
 */
export function parseResponse(value: Json): Response {
  const obj = object(value, 'Response');
  onlyKeys(obj, ['messages', 'attributes', 'events', 'data'], 'Response');
  return {
    messages: array(obj.messages, 'messages').map((m, i) => parseSubMsg(m, `messages[${i}]`)),
    attributes: attributes(obj.attributes, 'attributes'),
    events: events(obj.events, 'events'),
    data: obj.data === undefined || obj.data === null ? null : binary(obj.data, 'data'),
  };
}

/**
 * v0.10 InitResponse/HandleResponse: `{messages: CosmosMsg[], log: Attribute[], data}`.
 * Messages become SubMsgs with id 0 and reply_on "never" (v0.10 has no submessages).
 */
export function parseResponseV010(value: Json): Response {
  const obj = object(value, 'Response');
  onlyKeys(obj, ['messages', 'log', 'data'], 'Response');
  return {
    messages: array(obj.messages, 'messages').map((m, i) => ({
      id: 0,
      msg: parseCosmosMsgV010(m, `messages[${i}]`),
      gasLimit: null,
      replyOn: 'never' as const,
    })),
    attributes: attributes(obj.log, 'log'),
    events: [],
    data: obj.data === undefined || obj.data === null ? null : binary(obj.data, 'data'),
  };
}

function parseCosmosMsgV010(value: Json, where: string): CosmosMsg {
  const [module, inner] = variant(value, where);
  if (module === 'bank') {
    const [action, body] = variant(inner, `${where}.bank`);
    const f = object(body, `${where}.bank.${action}`);
    if (action === 'send') {
      return {
        kind: 'bank_send',
        toAddress: string(f.to_address, `${where}.to_address`),
        amount: coins(f.amount, `${where}.amount`),
      };
    }
  }
  if (module === 'wasm') {
    const [action, body] = variant(inner, `${where}.wasm`);
    const f = object(body, `${where}.wasm.${action}`);
    if (action === 'execute') {
      return {
        kind: 'wasm_execute',
        contractAddr: string(f.contract_addr, `${where}.contract_addr`),
        codeHash: string(f.callback_code_hash, `${where}.callback_code_hash`),
        msg: binary(f.msg, `${where}.msg`),
        funds: coins(f.send, `${where}.send`),
      };
    }
    if (action === 'instantiate') {
      return {
        kind: 'wasm_instantiate',
        admin: null,
        codeId: u64(f.code_id, `${where}.code_id`),
        codeHash: string(f.callback_code_hash, `${where}.callback_code_hash`),
        msg: binary(f.msg, `${where}.msg`),
        funds: coins(f.send, `${where}.send`),
        label: string(f.label, `${where}.label`),
      };
    }
  }
  return { kind: 'other', type: module, json: value };
}

export type Envelope = { ok: true; value: Json } | { ok: false; error: string };

/**
 * The result envelope (CONTRACT_ABI §1.3): `{"Ok":v}`/`{"ok":v}` or `{"Err":s}`/`{"error":s}`.
 * @throws {VmError} INVALID_RESPONSE when the bytes are not UTF-8 JSON of that shape.
 */
// ignoreBOM: a leading U+FEFF stays in the text, so JSON.parse rejects it as serde_json does.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parseEnvelope(bytes: Uint8Array): Envelope {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    fail('the result is not valid UTF-8');
  }
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    fail('the result is not JSON');
  }
  const [key, value] = variant(json, 'the result envelope');
  if (key === 'Ok' || key === 'ok') return { ok: true, value };
  if (key === 'Err' || key === 'error') {
    // Secret emits a string; an upstream-style StdError object is kept readable rather than rejected.
    return { ok: false, error: typeof value === 'string' ? value : JSON.stringify(value) };
  }
  fail(`the result envelope has key "${key}", expected Ok or Err`);
}

/** The query answer inside `{"Ok":"<b64>"}`. */
export function parseQueryResult(value: Json): Uint8Array {
  return binary(value, 'the query result');
}
