// Queries to the chain through query_chain (CONTRACT_ABI §3.6).
import { query_chain, regionOf, readRegion, utf8 } from './abi';
import { JsonParser, JsonValue, JsonWriter } from './json';
import { base64Decode, base64Encode } from './base64';
import { Fields } from './types';
import { Uint128 } from './uint128';

/** A query's answer bytes, or an error text. */
export class QueryAnswer {
  data: Uint8Array = new Uint8Array(0);
  error: string | null = null;
}

/**
 * Sends a QueryRequest (JSON text) and unwraps `{"Ok":{"Ok":"<b64>"}}`. A system error or a
 * contract/module error becomes `error`.
 */
export function queryChain(requestJson: string): QueryAnswer {
  const out = new QueryAnswer();
  const parser = new JsonParser(readRegion(query_chain(regionOf(utf8(requestJson)))));
  const system = parser.parse();
  if (system === null) {
    out.error = 'Generic error: Querier system error: invalid response: ' + parser.error;
    return out;
  }
  const systemOk = okOf(system);
  if (systemOk === null) {
    out.error = 'Generic error: Querier system error: ' + system.toJson();
    return out;
  }
  const contractOk = okOf(systemOk);
  if (contractOk === null) {
    const err = errOf(systemOk);
    out.error = 'Generic error: Querier contract error: ' + (err === null ? systemOk.toJson() : err);
    return out;
  }
  const bytes = contractOk.isString ? base64Decode(contractOk.text) : null;
  if (bytes === null) out.error = 'Generic error: Querier contract error: answer is not base64';
  else out.data = bytes;
  return out;
}

/** `Ok`/`ok` member (the enclave accepts both spellings, §1.3). */
function okOf(v: JsonValue): JsonValue | null {
  const upper = v.get('Ok');
  return upper !== null ? upper : v.get('ok');
}

function errOf(v: JsonValue): string | null {
  let e = v.get('Err');
  if (e === null) e = v.get('error');
  if (e === null) return null;
  return e.isString ? e.text : e.toJson();
}

/** The bank balance of `address` in `denom`; null with `error` set on failure. */
export function queryBankBalance(address: string, denom: string, error: QueryAnswer): Uint128 | null {
  const w = new JsonWriter();
  w.beginObject().key('bank').beginObject().key('balance').beginObject();
  w.key('address').string(address).key('denom').string(denom).endObject().endObject().endObject();
  const answer = queryChain(w.toString());
  if (answer.error !== null) {
    error.error = answer.error;
    return null;
  }
  const parsed = new JsonParser(answer.data).parse();
  if (parsed === null) {
    error.error = 'Generic error: invalid bank answer';
    return null;
  }
  const f = new Fields(parsed, 'BalanceResponse');
  const coin = f.object('amount', 'Coin');
  const amount = coin.uint128('amount');
  if (coin.failed) {
    error.error = coin.error;
    return null;
  }
  return amount;
}

/** A smart query to another contract (`callback_code_hash` is the target's code hash). */
export function querySmart(contractAddr: string, codeHash: string, msgJson: string): QueryAnswer {
  const w = new JsonWriter();
  w.beginObject().key('wasm').beginObject().key('smart').beginObject();
  w.key('contract_addr').string(contractAddr).key('callback_code_hash').string(codeHash);
  w.key('msg')
    .string(base64Encode(utf8(msgJson)))
    .endObject()
    .endObject()
    .endObject();
  return queryChain(w.toString());
}
