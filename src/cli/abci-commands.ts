// `shroud abci …` commands. Placeholder registered by main.ts; filled in by its owner.
import type { Command } from 'commander';

/** Adds the `abci` commands to the program. */
export function registerAbciCommands(program: Command): void {
  void program;
}
