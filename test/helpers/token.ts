// The `token` contract (contracts/token, SNIP-20-like) as the tests and benches use it through
// the SDK: its instantiate message, deploy (store + instantiate), a transfer, and a balance read
// with a viewing key. One place for the message shapes, so a change of the contract's
// interface is made once.
import { readFileSync } from 'node:fs';
import type { ShroudClient } from '../../src/client/index.js';

/** contracts/build/token.wasm (`npm run build:contracts`, run by `pretest`). */
export function tokenWasm(): Uint8Array {
  return new Uint8Array(readFileSync(new URL('../../contracts/build/token.wasm', import.meta.url)));
}

/** An initial balance: a bech32 address and a decimal amount. */
export interface TokenHolding {
  address: string;
  amount: string;
}

/** What the token's instantiate message may change; the rest are the tests' usual values. */
export interface TokenInitOptions {
  /** 'Shroud Token' unless told. */
  name?: string;
  /** 'SHT' unless told. */
  symbol?: string;
  /** 6 unless told. */
  decimals?: number;
  /** Text of the contract's PRNG seed (sent base64); 'seed' unless told. */
  seed?: string;
}

/** The token's instantiate message (contracts/token `InitMsg`). */
export function tokenInitMsg(holders: readonly TokenHolding[], options: TokenInitOptions = {}) {
  return {
    name: options.name ?? 'Shroud Token',
    symbol: options.symbol ?? 'SHT',
    decimals: options.decimals ?? 6,
    initial_balances: holders.map(({ address, amount }) => ({ address, amount })),
    prng_seed: Buffer.from(options.seed ?? 'seed').toString('base64'),
  };
}

export interface DeployTokenOptions extends TokenInitOptions {
  label: string;
  holders: readonly TokenHolding[];
  /** Gas of the store-code tx; 5,000,000 unless told. */
  storeGasLimit?: bigint;
  /** Gas of the instantiate tx; the client's estimate unless told. */
  instantiateGasLimit?: bigint;
  /**
   * Wait up to this long for the stored code to be queryable before instantiating. A node may
   * answer `tx` just before its app commit makes the code readable (seen under bench load);
   * off unless told, so a test sees that race rather than this helper hiding it.
   */
  awaitCodeMs?: number;
}

export interface DeployedToken {
  codeId: bigint;
  /** Lowercase hex, from the store_code event. */
  codeHash: string;
  contractAddress: string;
}

/**
 * Stores contracts/build/token.wasm and instantiates it with `client`'s wallet.
 * @throws whatever the SDK throws for a refused or failed tx; Error if the code never became
 * queryable within `awaitCodeMs`.
 */
export async function deployToken(client: ShroudClient, options: DeployTokenOptions): Promise<DeployedToken> {
  const stored = await client.storeCode(tokenWasm(), {
    gasLimit: options.storeGasLimit ?? 5_000_000n,
  });
  if (options.awaitCodeMs !== undefined) await awaitCode(client, stored.codeId, options.awaitCodeMs);
  const { contractAddress } = await client.instantiate(
    { codeId: stored.codeId, label: options.label, msg: tokenInitMsg(options.holders, options) },
    options.instantiateGasLimit === undefined ? {} : { gasLimit: options.instantiateGasLimit },
  );
  return { codeId: stored.codeId, codeHash: stored.codeHash, contractAddress };
}

async function awaitCode(client: ShroudClient, codeId: bigint, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await client.getCode(codeId)) === null) {
    if (performance.now() > deadline) throw new Error(`code ${codeId} not queryable after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The token's `transfer` message. */
export function transferMsg(recipient: string, amount: string | bigint) {
  return { transfer: { recipient, amount: String(amount) } };
}

/**
 * Sends `amount` of `contract` from the client's wallet to `recipient`.
 * @returns the SDK's execute result (decrypted data and events). @throws as ShroudClient.execute.
 */
export function transferToken(
  client: ShroudClient,
  contract: string,
  recipient: string,
  amount: string | bigint,
): ReturnType<ShroudClient['execute']> {
  return client.execute({ contract, msg: transferMsg(recipient, amount) });
}

/** Sets the client's viewing key on `contract`. @throws as ShroudClient.execute. */
export function setViewingKey(
  client: ShroudClient,
  contract: string,
  key: string,
): ReturnType<ShroudClient['execute']> {
  return client.execute({ contract, msg: { set_viewing_key: { key } } });
}

/**
 * `address`'s balance read with its viewing key (an encrypted query); undefined if the answer
 * has no amount (a wrong key answers an error object instead).
 * @throws as ShroudClient.query.
 */
export async function tokenBalance(
  client: ShroudClient,
  contract: string,
  address: string,
  key: string,
): Promise<string | undefined> {
  const answer = (await client.query(contract, { balance: { address, key } })) as {
    balance?: { amount?: string };
  };
  return answer.balance?.amount;
}
