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

/**
 * Strict standard base64 (padding optional, no whitespace or URL alphabet).
 * @returns the bytes, or undefined when `text` is not base64.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text) || text.length % 4 === 1) return undefined;
  const padIndex = text.indexOf('=');
  if (padIndex !== -1 && padIndex < text.length - 2) return undefined;
  if (padIndex !== -1 && text.length % 4 !== 0) return undefined;
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

/**
 * Env JSON (CONTRACT_ABI §3.1): time as a nanosecond *string*, height a number, `random`
 * only when the contract asked for it, `transaction` null when absent.
 */
export function encodeEnv(env: ContractEnv, withRandom: boolean): string {
  const random =
    withRandom && env.block.random !== undefined && env.block.random !== null
      ? `,"random":${JSON.stringify(encodeBase64(env.block.random))}`
      : '';
  const block =
    `{"height":${BigInt(env.block.height).toString()},"time":"${env.block.time.toString()}",` +
    `"chain_id":${JSON.stringify(env.block.chainId)}${random}}`;
  const contract = JSON.stringify({ address: env.contract.address, code_hash: env.contract.codeHash });
  const tx = env.transaction ?? null;
  const transaction = tx === null ? 'null' : JSON.stringify({ index: tx.index, hash: tx.hash });
  return `{"block":${block},"contract":${contract},"transaction":${transaction}}`;
}

/** MessageInfo JSON (CONTRACT_ABI §3.2): amounts as strings. */
export function encodeInfo(info: MessageInfo): string {
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
