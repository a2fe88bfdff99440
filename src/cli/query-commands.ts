// `shroud query …`: read the chain. Smart queries are encrypted to the network and the answer
// decrypted here; `query tx` decrypts a transaction's results when --from owns it.
import type { Command } from 'commander';
import { ClientError, ContractError, TxRejectedError, Wallet, type TxOutcome } from '../client/index.js';
import { randomBytes, sha256, bytesToHex } from '../crypto/index.js';
import {
  connect,
  nodeOptions,
  outcomeJson,
  outcomeText,
  parseJsonMessage,
  resolveAddress,
  type NodeOptions,
} from './chain.js';
import { passphraseOption } from './keys-commands.js';
import { action, CliError, emit, outputFormat, parseUint, usage, usageExits } from './output.js';
import { unlockKey, type TxFlags } from './tx-commands.js';

/** Adds the `query` commands to the program. */
export function registerQueryCommands(program: Command): void {
  const query = program.command('query').description('read the chain (smart queries are encrypted)');
  usageExits(query);

  const bank = query.command('bank').description('balances');
  nodeOptions(
    bank
      .command('balance <address>')
      .description('the balance of an address (or key name)')
      .option('--denom <denom>', 'denomination (default: the chain fee denom)'),
  ).action(
    action(async (addressText: string, options: NodeOptions & { denom?: string }) => {
      const format = outputFormat(options.output);
      const address = resolveAddress(addressText, 'ADDRESS', options);
      const client = await connect(options);
      const denom = options.denom ?? (await client.chainParams()).feeDenom;
      const amount = await client.getBalance(address, denom);
      emit(format, { address, denom, amount: amount.toString() }, () => [`${amount}${denom}`]);
    }),
  );

  nodeOptions(
    query.command('account <address>').description('account number, sequence and public key'),
  ).action(
    action(async (addressText: string, options: NodeOptions) => {
      const format = outputFormat(options.output);
      const address = resolveAddress(addressText, 'ADDRESS', options);
      const account = await (await connect(options)).getAccount(address);
      if (account === null)
        throw new CliError('NOT_FOUND', `account ${address} does not exist yet: it has never received funds`);
      const json = {
        address: account.address,
        account_number: account.accountNumber.toString(),
        sequence: account.sequence.toString(),
        public_key: account.publicKey === null ? null : bytesToHex(account.publicKey),
      };
      emit(format, json, () => Object.entries(json).map(([k, v]) => `${k.padEnd(15)} ${v ?? '(none yet)'}`));
    }),
  );

  const compute = query.command('compute').description('codes, contracts and encrypted smart queries');
  nodeOptions(compute.command('code <code-id>').description('a stored code: hash and uploader')).action(
    action(async (codeIdText: string, options: NodeOptions) => {
      const format = outputFormat(options.output);
      const codeId = parseUint(codeIdText, 'CODE_ID');
      const code = await (await connect(options)).getCode(codeId);
      if (code === null) throw new CliError('NOT_FOUND', `there is no code ${codeId} on this chain`);
      const json = { code_id: code.codeId.toString(), code_hash: code.codeHash, creator: code.creator };
      emit(format, json, () => Object.entries(json).map(([k, v]) => `${k.padEnd(10)} ${v}`));
    }),
  );

  nodeOptions(
    compute.command('contract <address>').description('public contract info: code, label, admin'),
  ).action(
    action(async (addressText: string, options: NodeOptions) => {
      const format = outputFormat(options.output);
      const address = resolveAddress(addressText, 'CONTRACT', options);
      const info = await (await connect(options)).getContract(address);
      if (info === null) throw new CliError('NOT_FOUND', `there is no contract at ${address} on this chain`);
      const json = {
        address: info.address,
        code_id: info.codeId.toString(),
        code_hash: info.codeHash,
        label: info.label,
        admin: info.admin,
      };
      emit(format, json, () => Object.entries(json).map(([k, v]) => `${k.padEnd(10)} ${v || '(none)'}`));
    }),
  );

  nodeOptions(
    compute
      .command('smart <contract> <json>')
      .description('an encrypted query; the answer is decrypted (no key needed: a one-off key encrypts it)'),
  ).action(
    action(async (contractText: string, json: string, options: NodeOptions) => {
      const format = outputFormat(options.output);
      const contract = resolveAddress(contractText, 'CONTRACT', options);
      const msg = parseJsonMessage(json, 'the query');
      // Queries carry no sender (their associated data has sender ''), so a throwaway key is
      // as good as the user's: it only serves to encrypt the query and open the answer.
      const client = await connect(options, Wallet.fromPrivateKey(randomBytes(32)));
      const info = await client.getContract(contract);
      if (info === null) throw new CliError('NOT_FOUND', `there is no contract at ${contract} on this chain`);
      const answer = await client.query(contract, msg, { codeHash: info.codeHash });
      emit(format, answer, () => [JSON.stringify(answer, null, 2)]);
    }),
  );

  passphraseOption(
    nodeOptions(
      query
        .command('tx <hash>')
        .description('an included transaction; with --from, its encrypted results decrypted')
        .option('--from <key>', 'the key that sent it (to decrypt its results)'),
    ),
  ).action(
    action(async (hash: string, options: TxFlags) => {
      const format = outputFormat(options.output);
      if (!/^(0x)?[0-9a-fA-F]{64}$/.test(hash)) usage('HASH must be 64 hex characters (the tx hash)');
      const hashHex = hash.replace(/^0x/, '').toUpperCase();
      const wallet = options.from === undefined ? undefined : await unlockKey(options.from, options);
      const client = await connect(options, wallet);
      const found = await client.rpc.tx(hashHex);
      if (found === null)
        throw new CliError('NOT_FOUND', `the node does not know tx ${hashHex} (not included, or pruned)`);
      let outcome: TxOutcome | null = null;
      let failure: TxRejectedError | null = null;
      let note = '';
      if (wallet !== undefined) {
        try {
          outcome = await client.getTx(hashHex);
        } catch (error) {
          if (error instanceof TxRejectedError) failure = error;
          // Wallet.txKeyOfEnvelope: the envelopes carry another wallet's transaction key.
          else if (error instanceof ClientError && error.code === 'INVALID_ARGUMENT')
            note = `not decrypted: its contract messages were not encrypted by key "${options.from}"`;
          else throw error;
        }
      } else {
        note = 'encrypted parts not decrypted: pass --from KEY if you sent it';
      }
      const code = found.txResult.code;
      const base = {
        tx_hash: found.hash,
        height: found.height.toString(),
        code,
        codespace: found.txResult.codespace,
        log: found.txResult.log,
        gas_wanted: found.txResult.gasWanted.toString(),
        gas_used: found.txResult.gasUsed.toString(),
      };
      if (outcome !== null) {
        emit(format, { ...outcomeJson(outcome), decrypted: true }, () => outcomeText(outcome));
        return;
      }
      const contractError = failure instanceof ContractError ? failure.contractMessage : undefined;
      const events = found.txResult.events.map((e) => ({
        type: e.type,
        attributes: e.attributes.map((a) => ({ key: a.key, value: a.value })),
      }));
      emit(
        format,
        {
          ...base,
          ...(contractError === undefined ? {} : { contract_error: contractError }),
          decrypted: failure !== null,
          ...(note === '' ? {} : { note }),
          events,
        },
        () => [
          `tx ${found.hash} at height ${found.height}: ${code === 0 ? 'ok' : `failed (codespace ${base.codespace}, code ${code})`}`,
          `gas used ${base.gas_used} of ${base.gas_wanted}`,
          ...(code === 0 ? [] : [`log ${base.log.slice(0, 300)}`]),
          ...(contractError === undefined ? [] : [`contract error (decrypted) ${contractError}`]),
          ...events.map(
            (e) => `event ${e.type}: ${e.attributes.map((a) => `${a.key}=${a.value}`).join(', ')}`,
          ),
          ...(note === '' ? [] : [note]),
        ],
      );
    }),
  );

  nodeOptions(query.command('block [height]').description('a block (the latest without a height)')).action(
    action(async (heightText: string | undefined, options: NodeOptions) => {
      const format = outputFormat(options.output);
      const height = heightText === undefined ? undefined : parseUint(heightText, 'HEIGHT');
      if (height === 0n) usage('HEIGHT starts at 1');
      const client = await connect(options);
      const top = (await client.rpc.status()).latestBlockHeight;
      if (height !== undefined && height > top)
        throw new CliError('NOT_FOUND', `block ${height} does not exist yet: the chain is at height ${top}`);
      const block = await client.rpc.block(height);
      const txHashes = block.txs.map((tx) => bytesToHex(sha256(tx)).toUpperCase());
      if (format === 'json') {
        emit(format, block.raw, () => []);
        return;
      }
      emit(format, null, () => [
        `height      ${block.height}`,
        `hash        ${block.hash}`,
        `time        ${block.time}`,
        `chain id    ${block.chainId}`,
        `proposer    ${block.proposerAddress}`,
        `txs         ${txHashes.length}`,
        ...txHashes.map((h) => `  ${h}`),
      ]);
    }),
  );
}
