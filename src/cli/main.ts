// Entry point of the `shroud` command line. Each command family lives in its own module; only
// the one the user asked for is imported (importing them all costs ~0.6 s of CPU per call:
// the node stack, the enclave, the ABCI types). `--help`, an unknown command or no command
// loads them all so commander can list and suggest every command.
import { Command } from 'commander';

type Register = (program: Command) => void;

const loaders: Record<string, () => Promise<Register>> = {
  node: async () => (await import('./node-commands.js')).registerNodeCommands,
  contract: async () => (await import('./contract-check.js')).registerContractCommands,
  keys: async () => (await import('./keys-commands.js')).registerKeysCommands,
  tx: async () => (await import('./tx-commands.js')).registerTxCommands,
  query: async () => (await import('./query-commands.js')).registerQueryCommands,
  abci: async () => (await import('./abci-commands.js')).registerAbciCommands,
};

/** Which module defines each top-level command. */
const moduleOfCommand: Record<string, keyof typeof loaders> = {
  init: 'node',
  start: 'node',
  devnet: 'node',
  status: 'node',
  contract: 'contract',
  keys: 'keys',
  tx: 'tx',
  query: 'query',
  abci: 'abci',
  'cometbft-genesis': 'abci',
};

const program = new Command()
  .name('shroud')
  .description('Shroud: a permissionless blockchain for private smart contracts')
  .version('0.1.0');

const args = process.argv.slice(2);
const first = args.find((arg) => !arg.startsWith('-'));
const only = first === undefined || first === 'help' ? undefined : moduleOfCommand[first];
const versionOnly = first === undefined && (args.includes('-V') || args.includes('--version'));
const wanted = versionOnly ? [] : only === undefined ? Object.values(loaders) : [loaders[only]];
for (const load of wanted) if (load !== undefined) (await load())(program);

await program.parseAsync(process.argv);
