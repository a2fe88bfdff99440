// Entry point of the `shroud` command line.
import { Command } from 'commander';

import { registerContractCommands } from './contract-check.js';

const program = new Command()
  .name('shroud')
  .description('Shroud: a permissionless blockchain for private smart contracts')
  .version('0.1.0');

program
  .command('devnet')
  .description('start a local network of validators on this machine (what `npm start` runs)')
  .action(() => {
    // The node does not exist yet (issues #5–#7): say so plainly and fail loudly.
    console.error(
      'shroud devnet: not yet available — the chain node is still being built (see the open issues).\n' +
        'What works today: `npm test` runs the cryptography, codec and VM suites.',
    );
    process.exitCode = 1;
  });

registerContractCommands(program);

await program.parseAsync(process.argv);
