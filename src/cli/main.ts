// Entry point of the `shroud` command line.
import { Command } from 'commander';

import { registerAbciCommands } from './abci-commands.js';
import { registerContractCommands } from './contract-check.js';
import { registerKeysCommands } from './keys-commands.js';
import { registerNodeCommands } from './node-commands.js';
import { registerQueryCommands } from './query-commands.js';
import { registerTxCommands } from './tx-commands.js';

const program = new Command()
  .name('shroud')
  .description('Shroud: a permissionless blockchain for private smart contracts')
  .version('0.1.0');

registerNodeCommands(program);
registerContractCommands(program);
registerKeysCommands(program);
registerTxCommands(program);
registerQueryCommands(program);
registerAbciCommands(program);

await program.parseAsync(process.argv);
