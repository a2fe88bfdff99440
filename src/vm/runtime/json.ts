// Wire encodings shared by the runtime and the sandbox: base64 `Binary`, coins with
// decimal-string amounts, Env and MessageInfo JSON (CONTRACT_ABI §3.1, §3.2).

import type { Coin, ContractEnv, MessageInfo } from './types.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const UINT = /^(0|[1-9][0-9]*)$/;
const U128_MAX = (1n << 128n) - 1n;

/** Standard base64 with padding (serde `Binary`). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Sextet of each base64 character code (standard alphabet), -1 elsewhere. */
const BASE64_SEXTETS = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/**
 * Below this length base64 is decoded in JS: `Buffer.from(text, 'base64')` takes its bytes
 * from Node's shared 8 KiB pool, and refilling the pool (an off-heap allocation that can start
 * a GC) was ~6 % of a token transfer's VM time for its 44-character `data` (CPU profile of
 * src/enclave/core/executor.ts runVm).
 */
const SMALL_BASE64 = 1024;

/** Decodes text already checked by decodeBase64: bits past the last whole byte are ignored, as Buffer does. */
function decodeSmallBase64(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--; // '='
  const out = new Uint8Array((end * 3) >>> 2);
  let bits = 0;
  let pending = 0;
  let next = 0;
  for (let i = 0; i < end; i++) {
    pending = ((pending << 6) | (BASE64_SEXTETS[text.charCodeAt(i)] as number)) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[next++] = (pending >>> bits) & 0xff;
    }
  }
  return out;
}

/**
 * Strict standard base64 (padding optional, no whitespace or URL alphabet).
 * @returns the bytes, or undefined when `text` is not base64.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text) || text.length % 4 === 1) return undefined;
  const padIndex = text.indexOf('=');
  if (padIndex !== -1 && padIndex < text.length - 2) return undefined;
  if (padIndex !== -1 && text.length % 4 !== 0) return undefined;
  if (text.length < SMALL_BASE64) return decodeSmallBase64(text);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Parses a Uint128 decimal string; undefined when malformed or out of range. */
export function parseUint128(text: unknown): bigint | undefined {
  if (typeof text !== 'string' || !UINT.test(text) || text.length > 39) return undefined;
  const value = BigInt(text);
  return value <= U128_MAX ? value : undefined;
}

export function coinsToJson(coins: readonly Coin[]): { denom: string; amount: string }[] {
  return coins.map((c) => ({ denom: c.denom, amount: c.amount.toString() }));
}

/** A block height as JSON digits: String() for safe integers (same text), BigInt otherwise (exact, or throws). */
function heightText(height: number | bigint): string {
  return typeof height === 'number' && Number.isSafeInteger(height)
    ? String(height)
    : BigInt(height).toString();
}

/** The last contract part of an Env encoded: consecutive calls mostly run the same contract. */
let lastContract = { address: '', codeHash: '', json: '{"address":"","code_hash":""}' };

/** `{"address":…,"code_hash":…}` of the Env (remembered for the next call of the same contract). */
function contractJson(address: string, codeHash: string): string {
  if (lastContract.address !== address || lastContract.codeHash !== codeHash) {
    const json = `{"address":${JSON.stringify(address)},"code_hash":${JSON.stringify(codeHash)}}`;
    lastContract = { address, codeHash, json };
  }
  return lastContract.json;
}

/**
 * Env JSON (CONTRACT_ABI §3.1): time as a nanosecond *string*, height a number, `random`
 * only when the contract asked for it, `transaction` null when absent.
 */
export function encodeEnv(env: ContractEnv, withRandom: boolean): string {
  const random =
    withRandom && env.block.random !== undefined && env.block.random !== null
      ? `,"random":${JSON.stringify(encodeBase64(env.block.random))}`
      : '';
  // Templates instead of JSON.stringify of objects (same bytes: the keys are fixed, strings go
  // through JSON.stringify, numbers are integers): the env is built for every call.
  const block =
    `{"height":${heightText(env.block.height)},"time":"${env.block.time.toString()}",` +
    `"chain_id":${JSON.stringify(env.block.chainId)}${random}}`;
  const { address, codeHash } = env.contract;
  const contract =
    typeof address === 'string' && typeof codeHash === 'string'
      ? contractJson(address, codeHash)
      : JSON.stringify({ address, code_hash: codeHash }); // what the types forbid, encoded as before
  const tx = env.transaction ?? null;
  const transaction =
    tx === null
      ? 'null'
      : typeof tx.index === 'number' && typeof tx.hash === 'string'
        ? `{"index":${JSON.stringify(tx.index)},"hash":${JSON.stringify(tx.hash)}}`
        : JSON.stringify({ index: tx.index, hash: tx.hash });
  return `{"block":${block},"contract":${contract},"transaction":${transaction}}`;
}

/** MessageInfo JSON (CONTRACT_ABI §3.2): amounts as strings. */
export function encodeInfo(info: MessageInfo): string {
  // Without funds (most calls) a template gives the same bytes as JSON.stringify of the object.
  if (typeof info.sender === 'string' && Array.isArray(info.funds) && info.funds.length === 0)
    return `{"sender":${JSON.stringify(info.sender)},"funds":[]}`;
  return JSON.stringify({ sender: info.sender, funds: coinsToJson(info.funds) });
}

/**
 * v0.10 Env (cosmwasm 0.10 as Secret runs it): time in whole seconds, sender and funds in
 * `message`, code hash in `contract_code_hash`.
 */
export function encodeEnvV010(env: ContractEnv, info: MessageInfo | undefined): string {
  const seconds = env.block.time / 1_000_000_000n;
  return JSON.stringify({
    block: { height: Number(env.block.height), time: Number(seconds), chain_id: env.block.chainId },
    message: { sender: info?.sender ?? '', sent_funds: coinsToJson(info?.funds ?? []) },
    contract: { address: env.contract.address },
    contract_key: null,
    contract_code_hash: env.contract.codeHash,
  });
}
