// Entry point of the `shroud` command line.
import { Command } from 'commander';

import { registerContractCommands } from './contract-check.js';
import { registerNodeCommands } from './node-commands.js';

const program = new Command()
  .name('shroud')
  .description('Shroud: a permissionless blockchain for private smart contracts')
  .version('0.1.0');

registerNodeCommands(program);
registerContractCommands(program);

await program.parseAsync(process.argv);
