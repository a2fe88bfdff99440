// Entry-point glue: turns the host's Region pointers into typed values, calls the contract's
// handler and returns the result envelope as a Region (CONTRACT_ABI §1.1-§1.3).
//
//   export function execute(env: u32, info: u32, msg: u32): u32 {
//     return runExecute(env, info, msg, handleExecute);
//   }
//
// Handlers are plain (non-capturing) function references: the module gets a small function
// table and each entry point makes one call_indirect, which the chain meters like any call.
import { readRegion, regionWith, utf8 } from './abi';
import { JsonParser, JsonValue } from './json';
import { Env, Fields, MessageInfo } from './types';
import { Result, errEnvelope } from './response';

export type InstantiateHandler = (env: Env, info: MessageInfo, msg: JsonValue) => Result;
export type ExecuteHandler = (env: Env, info: MessageInfo, msg: JsonValue) => Result;
export type QueryHandler = (env: Env, msg: JsonValue) => Result;
/** Used for reply (the Reply JSON of §3.5) and migrate. */
export type EnvMsgHandler = (env: Env, msg: JsonValue) => Result;

/** Parsing outcome of one argument: a value or an error already in envelope form. */
class Parsed {
  value: JsonValue = new JsonValue();
  error: string | null = null;
}

function parseArgument(region: u32, typeName: string): Parsed {
  const out = new Parsed();
  const parser = new JsonParser(readRegion(region));
  const value = parser.parse();
  if (value === null) out.error = 'Error parsing into type ' + typeName + ': ' + parser.error;
  else out.value = value;
  return out;
}

function finish(envelope: string): u32 {
  return regionWith(utf8(envelope));
}

/** Reads env (and info, when `infoRegion` is not 0); null error means success. */
class Context {
  env: Env = new Env();
  info: MessageInfo = new MessageInfo();
  msg: JsonValue = new JsonValue();
  error: string | null = null;
}

function readContext(envRegion: u32, infoRegion: u32, msgRegion: u32, msgType: string): Context {
  const ctx = new Context();
  const env = parseArgument(envRegion, 'Env');
  if (env.error !== null) {
    ctx.error = env.error;
    return ctx;
  }
  const envFields = new Fields(env.value, 'Env');
  ctx.env = Env.read(envFields);
  if (envFields.failed) {
    ctx.error = envFields.error;
    return ctx;
  }
  if (infoRegion != 0) {
    const info = parseArgument(infoRegion, 'MessageInfo');
    if (info.error !== null) {
      ctx.error = info.error;
      return ctx;
    }
    const infoFields = new Fields(info.value, 'MessageInfo');
    ctx.info = MessageInfo.read(infoFields);
    if (infoFields.failed) {
      ctx.error = infoFields.error;
      return ctx;
    }
  }
  const msg = parseArgument(msgRegion, msgType);
  ctx.error = msg.error;
  ctx.msg = msg.value;
  return ctx;
}

/** Glue for `instantiate(env, info, msg)`. */
export function runInstantiate(
  envRegion: u32,
  infoRegion: u32,
  msgRegion: u32,
  handler: InstantiateHandler,
): u32 {
  const ctx = readContext(envRegion, infoRegion, msgRegion, 'InstantiateMsg');
  const error = ctx.error;
  if (error !== null) return finish(errEnvelope(error));
  return finish(handler(ctx.env, ctx.info, ctx.msg).toResponseEnvelope());
}

/** Glue for `execute(env, info, msg)`. */
export function runExecute(envRegion: u32, infoRegion: u32, msgRegion: u32, handler: ExecuteHandler): u32 {
  const ctx = readContext(envRegion, infoRegion, msgRegion, 'ExecuteMsg');
  const error = ctx.error;
  if (error !== null) return finish(errEnvelope(error));
  return finish(handler(ctx.env, ctx.info, ctx.msg).toResponseEnvelope());
}

/** Glue for `query(env, msg)`: the answer goes out as `{"Ok":"<base64>"}`. */
export function runQuery(envRegion: u32, msgRegion: u32, handler: QueryHandler): u32 {
  const ctx = readContext(envRegion, 0, msgRegion, 'QueryMsg');
  const error = ctx.error;
  if (error !== null) return finish(errEnvelope(error));
  return finish(handler(ctx.env, ctx.msg).toQueryEnvelope());
}

/** Glue for `reply(env, msg)`; `msg` is the Reply of §3.5. */
export function runReply(envRegion: u32, msgRegion: u32, handler: EnvMsgHandler): u32 {
  const ctx = readContext(envRegion, 0, msgRegion, 'Reply');
  const error = ctx.error;
  if (error !== null) return finish(errEnvelope(error));
  return finish(handler(ctx.env, ctx.msg).toResponseEnvelope());
}

/** Glue for `migrate(env, msg)` (no MessageInfo). */
export function runMigrate(envRegion: u32, msgRegion: u32, handler: EnvMsgHandler): u32 {
  const ctx = readContext(envRegion, 0, msgRegion, 'MigrateMsg');
  const error = ctx.error;
  if (error !== null) return finish(errEnvelope(error));
  return finish(handler(ctx.env, ctx.msg).toResponseEnvelope());
}

/**
 * Reads an externally tagged enum message (`{"variant":{...}}`): the variant name, or an
 * error naming the expected variants like serde does.
 */
export class Variant {
  name: string = '';
  body: JsonValue = new JsonValue();
  error: string | null = null;

  static of(msg: JsonValue, typeName: string, expected: Array<string>): Variant {
    const v = new Variant();
    const name = msg.variant();
    if (name === null) {
      v.error =
        'Error parsing into type ' +
        typeName +
        ': invalid type: ' +
        msg.typeName() +
        ', expected an enum variant (an object with exactly one key)';
      return v;
    }
    v.name = name;
    const body = msg.variantBody();
    if (body !== null) v.body = body;
    if (!expected.includes(name)) {
      v.error =
        'Error parsing into type ' +
        typeName +
        ': unknown variant `' +
        name +
        '`, expected one of `' +
        expected.join('`, `') +
        '`';
    }
    return v;
  }
}
