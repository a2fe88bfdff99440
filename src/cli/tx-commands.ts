// `shroud tx …` commands. Placeholder registered by main.ts; filled in by its owner.
import type { Command } from 'commander';

/** Adds the `tx` commands to the program. */
export function registerTxCommands(program: Command): void {
  void program;
}
