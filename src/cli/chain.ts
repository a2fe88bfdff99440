// What `tx` and `query` share: the node to talk to, arguments that name addresses, coins and
// JSON messages, and how a decrypted transaction result is shown.
import type { Command } from 'commander';
import { ShroudClient, type Coin, type TxOutcome, type Wallet } from '../client/index.js';
import { utf8Decode } from '../crypto/index.js';
import { isAddress } from './keyring.js';
import { openKeyring, type KeyringOptions } from './keys-commands.js';
import { CliError, usage } from './output.js';

export const DEFAULT_NODE = 'http://127.0.0.1:26657';

export interface NodeOptions extends KeyringOptions {
  node?: string;
  chainId?: string;
}

/** Adds --node and --output (and the keyring options, for key names in arguments). */
export function nodeOptions(command: Command): Command {
  return command
    .option('--node <url>', `RPC URL of a node (default $SHROUD_NODE or ${DEFAULT_NODE})`)
    .option('--output <format>', 'json or text', 'text')
    .option('--home <dir>', 'CLI home holding the keyring (default $SHROUD_HOME or ~/.shroud)')
    .option('--keyring-backend <backend>', 'file (encrypted, default) or test (plaintext)');
}

/** The node URL: --node, else $SHROUD_NODE, else the local default. @throws {CliError} USAGE. */
export function nodeUrl(options: NodeOptions): string {
  const url = options.node ?? process.env['SHROUD_NODE'] ?? DEFAULT_NODE;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return usage(`--node must be a URL like ${DEFAULT_NODE}, not "${url.slice(0, 60)}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    usage(`--node must be an http(s) URL like ${DEFAULT_NODE}`);
  options.node = url; // error messages name the node that was tried
  return url;
}

/**
 * Connects to the node: reads its chain id (checked against --chain-id) and its minimum gas
 * price, so fees can default to gas × price.
 * @throws {CliError} CHAIN_MISMATCH; RpcError when the node cannot be reached.
 */
export async function connect(options: NodeOptions, wallet?: Wallet): Promise<ShroudClient> {
  const url = nodeUrl(options);
  const client = await ShroudClient.connect(url, wallet, { pollIntervalMs: 200, waitTimeoutMs: 60_000 });
  if (options.chainId !== undefined && options.chainId !== client.chainId) {
    throw new CliError(
      'CHAIN_MISMATCH',
      `the node at ${url} runs chain "${client.chainId}", not "${options.chainId}": check --node and --chain-id`,
    );
  }
  return client;
}

/**
 * A `shroud1…` address, or the address of a key of the keyring.
 * @throws {CliError} USAGE for neither (an unknown key name is a usage error here).
 */
export function resolveAddress(text: string, what: string, options: KeyringOptions): string {
  if (isAddress(text)) return text;
  if (text.startsWith('shroud1'))
    usage(`${what} "${text.slice(0, 80)}" is not a valid bech32 shroud1… address (check for a typo)`);
  try {
    return openKeyring(options).show(text).address;
  } catch (error) {
    if (error instanceof CliError && (error.code === 'KEY_NOT_FOUND' || error.code === 'USAGE')) {
      usage(`${what} "${text.slice(0, 80)}" is neither a shroud1… address nor a key in the keyring`);
    }
    throw error;
  }
}

const COIN = /^([0-9]{1,30})([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$/;

/** "1000ushd" or "1000ushd,5uatom" → coins. @throws {CliError} USAGE. */
export function parseCoins(text: string, what: string): Coin[] {
  const coins = text.split(',').map((part) => {
    const match = COIN.exec(part.trim());
    if (match === null)
      usage(
        `${what} must be an amount with its denom, like 1000000ushd (or 10ushd,5uatom), not "${text.slice(0, 60)}"`,
      );
    return { denom: match[2]!, amount: BigInt(match[1]!).toString() };
  });
  if (new Set(coins.map((c) => c.denom)).size !== coins.length) usage(`${what} names a denom twice`);
  return coins;
}

/** One coin. @throws {CliError} USAGE. */
export function parseCoin(text: string, what: string): Coin {
  const coins = parseCoins(text, what);
  if (coins.length !== 1) usage(`${what} must be one amount, like 1000000ushd`);
  return coins[0]!;
}

/** A JSON object argument (a contract message). @throws {CliError} USAGE. */
export function parseJsonMessage(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 120) : 'parse error';
    return usage(
      `${what} is not valid JSON (${reason}); quote it for the shell, like '{"transfer":{"recipient":"shroud1…","amount":"10"}}'`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    usage(`${what} must be a JSON object, like '{"get_count":{}}'`);
  return parsed as Record<string, unknown>;
}

/** Contract output bytes as JSON when they are JSON, else UTF-8 text, else base64. */
export function showData(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8Decode(bytes);
  } catch {
    return { base64: Buffer.from(bytes).toString('base64') };
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A decrypted result as the one JSON document `tx` commands print. */
export function outcomeJson(outcome: TxOutcome, extra: Record<string, unknown> = {}) {
  return {
    tx_hash: outcome.txHash,
    height: outcome.height.toString(),
    code: 0,
    ...extra,
    gas_wanted: outcome.gasWanted.toString(),
    gas_used: outcome.gasUsed.toString(),
    data: outcome.data.map((d) => (d === null ? null : showData(d))),
    events: outcome.events.map((event) => ({
      type: event.type,
      attributes: event.attributes.map((a) => ({ key: a.key, value: a.value, encrypted: a.encrypted })),
    })),
  };
}

/** Text lines of a decrypted result; attributes that travelled encrypted are marked. */
export function outcomeText(outcome: TxOutcome, extra: [string, string][] = []): string[] {
  const lines = [
    `tx ${outcome.txHash} included at height ${outcome.height} (gas used ${outcome.gasUsed} of ${outcome.gasWanted})`,
  ];
  for (const [key, value] of extra) lines.push(`${key.padEnd(17)} ${value}`);
  outcome.data.forEach((d, i) => {
    if (d !== null) lines.push(`data[${i}] (decrypted) ${JSON.stringify(showData(d))}`);
  });
  for (const event of outcome.events) {
    const attributes = event.attributes.map((a) => `${a.key}=${a.value}${a.encrypted ? ' (decrypted)' : ''}`);
    lines.push(`event ${event.type}: ${attributes.join(', ')}`);
  }
  return lines;
}
