// `shroud tx …`: sign with a keyring key, encrypt contract messages to the network, broadcast,
// wait for inclusion and print the result decrypted for the sender (src/client does the work).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  eventAttribute,
  gasFee,
  type ClientMessage,
  type CoinInput,
  type ShroudClient,
  type TxOutcome,
  type Wallet,
} from '../client/index.js';
import { hexToBytes } from '../crypto/index.js';
import {
  connect,
  nodeOptions,
  outcomeJson,
  outcomeText,
  parseCoin,
  parseCoins,
  parseJsonMessage,
  resolveAddress,
  type NodeOptions,
} from './chain.js';
import { openKeyring, passphraseOption } from './keys-commands.js';
import { action, CliError, emit, note, outputFormat, parseUint, usage, usageExits } from './output.js';
import { confirm, interactive, readPassphrase } from './prompt.js';
import { registerNodeWithEnclave } from './register.js';

export interface TxFlags extends NodeOptions {
  from?: string;
  gas?: string;
  fees?: string;
  memo?: string;
  yes?: boolean;
  passphraseFile?: string;
}

/**
 * Gas limits of `--gas auto`. The chain has no simulate path yet (docs/sdk.md "Not yet"), so
 * auto is a per-message estimate with margin, from the gas schedule of ADR 007 and what the
 * devnet measured (2026-11-27): store code pays 10/byte of tx size plus 1/byte of upload —
 * token.wasm (34.6 KB) used 392k; a token instantiate used 175k, a transfer 100k, a bank send
 * 22k. The fee is not refunded (ADR 007), so the margins are modest; out of gas says
 * "pass a higher --gas".
 */
function estimateGas(messages: ClientMessage[]): bigint {
  let gas = 0n;
  for (const message of messages) {
    if (message.type === 'storeCode') gas += 200_000n + 20n * BigInt(message.wasm.length);
    else if (message.type === 'instantiate' || message.type === 'migrate') gas += 1_500_000n;
    else if (message.type === 'execute') gas += 1_000_000n;
    else gas += 200_000n;
  }
  return gas;
}

function gasLimit(text: string | undefined, messages: ClientMessage[]): bigint {
  if (text === undefined || text === 'auto') return estimateGas(messages);
  const gas = parseUint(text, '--gas (auto or a whole number)', 10n ** 12n);
  if (gas === 0n) usage('--gas must be at least 1');
  return gas;
}

/** Adds the options every `tx` command takes. */
function txOptions(command: Command, withFrom = true): Command {
  const withNode = passphraseOption(nodeOptions(command));
  if (withFrom) withNode.requiredOption('--from <key>', 'key (in the keyring) that signs and pays');
  return withNode
    .option('--gas <gas>', 'gas limit: auto (an estimate per message) or a number', 'auto')
    .option('--fees <coins>', 'fee, like 20000ushd (default: gas × the chain minimum gas price)')
    .option('--memo <text>', 'public memo')
    .option('--chain-id <id>', 'expected chain id (default: the node’s)')
    .option('--yes', 'broadcast without asking (asked only on a terminal)');
}

/** Unlocks a key: the file keyring asks for its passphrase. @throws {CliError}. */
export async function unlockKey(name: string, options: TxFlags): Promise<Wallet> {
  const keyring = openKeyring(options);
  keyring.show(name); // unknown key: say so before asking for a passphrase
  const passphrase =
    keyring.backend === 'file' ? await readPassphrase(options.passphraseFile, false) : undefined;
  return keyring.unlock(name, passphrase);
}

async function feeFor(client: ShroudClient, gas: bigint, fees: string | undefined): Promise<CoinInput[]> {
  if (fees !== undefined) return parseCoins(fees, '--fees');
  const { minGasPrice } = await client.chainParams();
  return minGasPrice === null ? [] : [gasFee(gas, minGasPrice)];
}

/**
 * Signs, broadcasts and waits for one transaction; prints its decrypted result.
 * @throws {CliError} NO_ACCOUNT, CANCELLED; the client's typed errors (rejected, contract error…).
 */
async function broadcast(
  options: TxFlags,
  signer: string,
  build: (client: ShroudClient, wallet: Wallet) => Promise<ClientMessage[]> | ClientMessage[],
  extras: (outcome: TxOutcome) => Record<string, string> = () => ({}),
): Promise<void> {
  const format = outputFormat(options.output);
  const wallet = await unlockKey(signer, options);
  const client = await connect(options, wallet);
  const messages = await build(client, wallet);
  const account = await client.getAccount(wallet.address);
  if (account === null) {
    throw new CliError(
      'NO_ACCOUNT',
      `account ${wallet.address} (key "${signer}") has no funds yet, so it cannot pay fees: get some from a funded account (on the devnet: a test account of devnet.json, \`shroud tx bank send account0 ${wallet.address} 1000000ushd\`)`,
    );
  }
  const gas = gasLimit(options.gas, messages);
  const fee = await feeFor(client, gas, options.fees);
  if (options.yes !== true && interactive()) {
    const feeText = fee.map((c) => `${c.amount}${c.denom}`).join(',') || 'none';
    note(`${messages.map((m) => m.type).join(', ')} from ${signer} (${wallet.address}) on ${client.chainId}`);
    note(`gas limit ${gas}, fee ${feeText}`);
    if (!(await confirm('sign and broadcast?'))) throw new CliError('CANCELLED', 'not broadcast');
  }
  const outcome = await client.signAndBroadcast(messages, {
    gasLimit: gas,
    fee,
    ...(options.memo === undefined ? {} : { memo: options.memo }),
  });
  const extra = extras(outcome);
  emit(format, outcomeJson(outcome, extra), () => outcomeText(outcome, Object.entries(extra)));
}

function readWasm(file: string): Uint8Array {
  try {
    const bytes = readFileSync(resolve(file));
    if (bytes.length === 0) usage(`${file} is empty`);
    return new Uint8Array(bytes);
  } catch (error) {
    if (error instanceof CliError) throw error;
    return usage(
      `cannot read ${file}: build contracts with \`npm run build:contracts\` (contracts/build/*.wasm)`,
    );
  }
}

/** Adds the `tx` commands to the program. */
export function registerTxCommands(program: Command): void {
  const tx = program
    .command('tx')
    .description('sign and broadcast transactions (contract messages are encrypted)');
  usageExits(tx);

  const bank = tx.command('bank').description('send coins');
  txOptions(
    bank
      .command('send <from> <to> <amount>')
      .description('send coins from a key to an address or key name, e.g. send alice bob 1000ushd'),
    false,
  ).action(
    action(async (from: string, to: string, amount: string, options: TxFlags) => {
      const recipient = resolveAddress(to, 'TO', options);
      const coins = parseCoins(amount, 'AMOUNT');
      await broadcast(options, from, () => [{ type: 'send', to: recipient, amount: coins }]);
    }),
  );

  const compute = tx.command('compute').description('store, instantiate, execute and migrate contracts');
  txOptions(
    compute.command('store <file>').description('upload contract wasm; prints its code id and hash'),
  ).action(
    action(async (file: string, options: TxFlags) => {
      const wasm = readWasm(file);
      await broadcast(
        options,
        options.from!,
        () => [{ type: 'storeCode', wasm }],
        (outcome) => ({
          code_id: eventAttribute(outcome, 'store_code', 'code_id'),
          code_hash: eventAttribute(outcome, 'store_code', 'code_hash'),
        }),
      );
    }),
  );

  txOptions(
    compute
      .command('instantiate <code-id> <json>')
      .description('create a contract from a stored code; the init message is encrypted')
      .requiredOption('--label <label>', 'unique, public label of the contract')
      .option('--admin <address>', 'address (or key) allowed to migrate the contract')
      .option('--amount <coins>', 'coins sent to the new contract'),
  ).action(
    action(
      async (
        codeIdText: string,
        json: string,
        options: TxFlags & { label: string; admin?: string; amount?: string },
      ) => {
        const codeId = parseUint(codeIdText, 'CODE_ID');
        const msg = parseJsonMessage(json, 'the init message');
        const admin =
          options.admin === undefined ? undefined : resolveAddress(options.admin, '--admin', options);
        const funds = options.amount === undefined ? undefined : parseCoins(options.amount, '--amount');
        await broadcast(
          options,
          options.from!,
          async (client) => {
            const code = await client.getCode(codeId);
            if (code === null)
              throw new CliError('NOT_FOUND', `there is no code ${codeId} on this chain: store it first`);
            return [
              {
                type: 'instantiate',
                codeId,
                codeHash: code.codeHash,
                label: options.label,
                msg,
                ...(funds === undefined ? {} : { funds }),
                ...(admin === undefined ? {} : { admin }),
              },
            ];
          },
          (outcome) => ({ contract_address: eventAttribute(outcome, 'instantiate', 'contract_address') }),
        );
      },
    ),
  );

  txOptions(
    compute
      .command('execute <contract> <json>')
      .description('call a contract; the message, its result and its errors are encrypted')
      .option('--amount <coins>', 'coins sent to the contract'),
  ).action(
    action(async (contractText: string, json: string, options: TxFlags & { amount?: string }) => {
      const contract = resolveAddress(contractText, 'CONTRACT', options);
      const msg = parseJsonMessage(json, 'the message');
      const funds = options.amount === undefined ? undefined : parseCoins(options.amount, '--amount');
      await broadcast(options, options.from!, async (client) => [
        {
          type: 'execute',
          contract,
          codeHash: await contractCodeHash(client, contract),
          msg,
          ...(funds === undefined ? {} : { funds }),
        },
      ]);
    }),
  );

  txOptions(
    compute
      .command('migrate <contract> <code-id> <json>')
      .description('move a contract to another code (admin only); the message is encrypted'),
  ).action(
    action(async (contractText: string, codeIdText: string, json: string, options: TxFlags) => {
      const contract = resolveAddress(contractText, 'CONTRACT', options);
      const codeId = parseUint(codeIdText, 'CODE_ID');
      const msg = parseJsonMessage(json, 'the migrate message');
      await broadcast(options, options.from!, async (client) => {
        const code = await client.getCode(codeId);
        if (code === null) throw new CliError('NOT_FOUND', `there is no code ${codeId} on this chain`);
        return [{ type: 'migrate', contract, codeId, codeHash: code.codeHash, msg }];
      });
    }),
  );

  const staking = tx.command('staking').description('validators and delegations (public)');
  txOptions(
    staking
      .command('create-validator')
      .description("make the --from account a validator operator with a node's consensus key")
      .requiredOption('--amount <coin>', 'self bond, at least 1000000 of the bond denom')
      .requiredOption('--moniker <name>', 'public name of the validator')
      .option('--pubkey <hex>', 'consensus ed25519 public key (32 bytes hex)')
      .option('--node-home <dir>', 'read the consensus key from this node home (validator_key.json)'),
  ).action(
    action(
      async (options: TxFlags & { amount: string; moniker: string; pubkey?: string; nodeHome?: string }) => {
        const selfBond = parseCoin(options.amount, '--amount');
        const consensusPublicKey = await consensusKey(options.pubkey, options.nodeHome);
        await broadcast(options, options.from!, () => [
          { type: 'createValidator', consensusPublicKey, selfBond, moniker: options.moniker },
        ]);
      },
    ),
  );
  for (const kind of ['delegate', 'undelegate'] as const) {
    txOptions(
      staking
        .command(`${kind} <validator> <amount>`)
        .description(
          kind === 'delegate'
            ? 'bond coins to a validator (its operator address)'
            : 'start unbonding coins from a validator (they return after the unbonding period)',
        ),
    ).action(
      action(async (validatorText: string, amount: string, options: TxFlags) => {
        const validator = resolveAddress(validatorText, 'VALIDATOR', options);
        const coin = parseCoin(amount, 'AMOUNT');
        await broadcast(options, options.from!, () => [{ type: kind, validator, amount: coin }]);
      }),
    );
  }

  txOptions(
    tx
      .command('register')
      .description("register a node's enclave (attestation quote) so the chain hands it the network seed")
      .requiredOption('--node-home <dir>', 'home of the joining node, made by addNode (holds its quote)'),
  ).action(
    action(async (options: TxFlags & { nodeHome: string }) => {
      const format = outputFormat(options.output);
      const wallet = await unlockKey(options.from!, options);
      const client = await connect(options, wallet);
      const result = await registerNodeWithEnclave(client, {
        nodeHome: resolve(options.nodeHome),
        gasLimit: gasLimit(options.gas, [{ type: 'registerNode', quote: new Uint8Array(0) }]),
        fees: (gas: bigint) => feeFor(client, gas, options.fees),
      });
      const extra = {
        registration_public_key: result.registrationPublicKey,
        sealed_seed: result.sealedSeedPath,
      };
      emit(format, outcomeJson(result.outcome, extra), () =>
        outcomeText(result.outcome, Object.entries(extra)),
      );
    }),
  );
}

async function contractCodeHash(client: ShroudClient, contract: string): Promise<string> {
  const info = await client.getContract(contract);
  if (info === null) throw new CliError('NOT_FOUND', `there is no contract at ${contract} on this chain`);
  return info.codeHash;
}

async function consensusKey(pubkey: string | undefined, nodeHome: string | undefined): Promise<Uint8Array> {
  if ((pubkey === undefined) === (nodeHome === undefined))
    usage('pass either --pubkey HEX or --node-home DIR');
  if (pubkey !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(pubkey))
      usage('--pubkey must be a 32-byte ed25519 key in hex (64 characters)');
    return hexToBytes(pubkey.toLowerCase());
  }
  const { loadValidatorKey } = await import('../node/index.js');
  return loadValidatorKey(resolve(nodeHome!)).publicKey;
}
