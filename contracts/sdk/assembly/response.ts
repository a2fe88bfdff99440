// Response, messages and the result envelope (CONTRACT_ABI §1.3, §3.3, §3.4).
import { JsonWriter } from './json';
import { base64Encode } from './base64';
import { Coin, writeCoins } from './types';
import { utf8 } from './abi';

/** A CosmosMsg, kept as its serialised JSON (externally tagged, snake_case, §3.4). */
export class CosmosMsg {
  constructor(public json: string) {}

  /** `{"bank":{"send":{"to_address","amount":[Coin]}}}` */
  static bankSend(toAddress: string, amount: Array<Coin>): CosmosMsg {
    const w = new JsonWriter();
    w.beginObject().key('bank').beginObject().key('send').beginObject();
    w.key('to_address').string(toAddress).key('amount');
    writeCoins(w, amount);
    w.endObject().endObject().endObject();
    return new CosmosMsg(w.toString());
  }

  /**
   * `{"wasm":{"execute":{"contract_addr","code_hash","msg":"<b64>","send":[Coin]}}}`.
   * `codeHash` is the *target's* code hash; the funds field is named `send` (§3.4).
   */
  static wasmExecute(contractAddr: string, codeHash: string, msgJson: string, funds: Array<Coin>): CosmosMsg {
    const w = new JsonWriter();
    w.beginObject().key('wasm').beginObject().key('execute').beginObject();
    w.key('contract_addr').string(contractAddr).key('code_hash').string(codeHash);
    w.key('msg')
      .string(base64Encode(utf8(msgJson)))
      .key('send');
    writeCoins(w, funds);
    w.endObject().endObject().endObject();
    return new CosmosMsg(w.toString());
  }

  /** `{"wasm":{"instantiate":{"admin","code_id","code_hash","msg","send","label"}}}` */
  static wasmInstantiate(
    codeId: u64,
    codeHash: string,
    msgJson: string,
    funds: Array<Coin>,
    label: string,
    admin: string | null,
  ): CosmosMsg {
    const w = new JsonWriter();
    w.beginObject().key('wasm').beginObject().key('instantiate').beginObject();
    w.key('admin').stringOrNull(admin).key('code_id').u64(codeId).key('code_hash').string(codeHash);
    w.key('msg')
      .string(base64Encode(utf8(msgJson)))
      .key('send');
    writeCoins(w, funds);
    w.key('label').string(label);
    w.endObject().endObject().endObject();
    return new CosmosMsg(w.toString());
  }
}

/** When the sender wants a `reply` call for a submessage (§3.3). */
export enum ReplyOn {
  Never = 0,
  Always = 1,
  Success = 2,
  Error = 3,
}

function replyOnName(r: ReplyOn): string {
  if (r == ReplyOn.Always) return 'always';
  if (r == ReplyOn.Success) return 'success';
  if (r == ReplyOn.Error) return 'error';
  return 'never';
}

/** `{"id","msg","gas_limit","reply_on"}` */
export class SubMsg {
  /** Gas limit for the submessage; ignored unless `hasGasLimit`. */
  gasLimit: u64 = 0;
  hasGasLimit: bool = false;

  constructor(
    public id: u64,
    public msg: CosmosMsg,
    public replyOn: ReplyOn = ReplyOn.Never,
  ) {}

  withGasLimit(limit: u64): SubMsg {
    this.gasLimit = limit;
    this.hasGasLimit = true;
    return this;
  }

  write(w: JsonWriter): void {
    w.beginObject().key('id').u64(this.id).key('msg').raw(this.msg.json).key('gas_limit');
    if (this.hasGasLimit) w.u64(this.gasLimit);
    else w.null();
    w.key('reply_on').string(replyOnName(this.replyOn)).endObject();
  }
}

/** An attribute; `encrypted` is Secret's extension and defaults to true (§3.3). */
export class Attribute {
  constructor(
    public key: string,
    public value: string,
    public encrypted: bool = true,
  ) {}

  write(w: JsonWriter): void {
    w.beginObject().key('key').string(this.key).key('value').string(this.value);
    w.key('encrypted').bool(this.encrypted).endObject();
  }
}

/** A custom event (the chain prefixes its type with `wasm-`). */
export class Event {
  attributes: Array<Attribute> = [];

  constructor(public type: string) {}

  addAttribute(key: string, value: string): Event {
    this.attributes.push(new Attribute(key, value, true));
    return this;
  }

  addAttributePlaintext(key: string, value: string): Event {
    this.attributes.push(new Attribute(key, value, false));
    return this;
  }

  write(w: JsonWriter): void {
    w.beginObject().key('type').string(this.type).key('attributes').beginArray();
    for (let i = 0; i < this.attributes.length; i++) this.attributes[i].write(w);
    w.endArray().endObject();
  }
}

/** What instantiate/execute/reply/migrate return inside `Ok` (§3.3). */
export class Response {
  messages: Array<SubMsg> = [];
  attributes: Array<Attribute> = [];
  events: Array<Event> = [];
  data: Uint8Array | null = null;

  /** Adds a message without reply (`reply_on: never`, id 0). */
  addMessage(msg: CosmosMsg): Response {
    this.messages.push(new SubMsg(0, msg, ReplyOn.Never));
    return this;
  }

  addSubMessage(sub: SubMsg): Response {
    this.messages.push(sub);
    return this;
  }

  /** An encrypted attribute (the default on Secret). */
  addAttribute(key: string, value: string): Response {
    this.attributes.push(new Attribute(key, value, true));
    return this;
  }

  /** A plaintext attribute, visible to everyone (`add_attribute_plaintext`). */
  addAttributePlaintext(key: string, value: string): Response {
    this.attributes.push(new Attribute(key, value, false));
    return this;
  }

  addEvent(event: Event): Response {
    this.events.push(event);
    return this;
  }

  setData(data: Uint8Array): Response {
    this.data = data;
    return this;
  }

  /** Sets `data` to the UTF-8 bytes of a JSON answer. */
  setDataJson(json: string): Response {
    this.data = utf8(json);
    return this;
  }

  write(w: JsonWriter): void {
    w.beginObject().key('messages').beginArray();
    for (let i = 0; i < this.messages.length; i++) this.messages[i].write(w);
    w.endArray().key('attributes').beginArray();
    for (let i = 0; i < this.attributes.length; i++) this.attributes[i].write(w);
    w.endArray().key('events').beginArray();
    for (let i = 0; i < this.events.length; i++) this.events[i].write(w);
    w.endArray().key('data');
    const data = this.data;
    if (data === null) w.null();
    else w.string(base64Encode(data));
    w.endObject();
  }
}

/**
 * What a handler returns: a Response (instantiate/execute/reply/migrate), query answer bytes,
 * or an error string. Serialised as `{"Ok":...}` / `{"Err":"..."}` with capital O/E (§1.3).
 */
export class Result {
  error: string | null = null;
  response: Response | null = null;
  answer: Uint8Array | null = null;

  static ok(response: Response): Result {
    const r = new Result();
    r.response = response;
    return r;
  }

  /** An error with exactly this text. */
  static err(message: string): Result {
    const r = new Result();
    r.error = message;
    return r;
  }

  /** `StdError::generic_err` as cosmwasm-std displays it: `Generic error: <message>`. */
  static genericErr(message: string): Result {
    return Result.err('Generic error: ' + message);
  }

  /** A query answer given as JSON text (sent base64-encoded, §1.3). */
  static json(json: string): Result {
    return Result.bytes(utf8(json));
  }

  /** A query answer given as raw bytes. */
  static bytes(answer: Uint8Array): Result {
    const r = new Result();
    r.answer = answer;
    return r;
  }

  get isErr(): bool {
    return this.error !== null;
  }

  /** The envelope for instantiate/execute/reply/migrate. */
  toResponseEnvelope(): string {
    const error = this.error;
    if (error !== null) return errEnvelope(error);
    const response = this.response;
    if (response === null) return errEnvelope('Generic error: handler returned no response');
    const w = new JsonWriter();
    w.beginObject().key('Ok');
    response.write(w);
    w.endObject();
    return w.toString();
  }

  /** The envelope for query: `{"Ok":"<base64 answer>"}`. */
  toQueryEnvelope(): string {
    const error = this.error;
    if (error !== null) return errEnvelope(error);
    const answer = this.answer;
    if (answer === null) return errEnvelope('Generic error: query handler returned no answer');
    const w = new JsonWriter();
    w.beginObject().key('Ok').string(base64Encode(answer)).endObject();
    return w.toString();
  }
}

/** `{"Err":"<message>"}` */
export function errEnvelope(message: string): string {
  const w = new JsonWriter();
  w.beginObject().key('Err').string(message).endObject();
  return w.toString();
}
