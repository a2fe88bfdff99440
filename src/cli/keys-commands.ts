// `shroud keys …` commands. Placeholder registered by main.ts; filled in by its owner.
import type { Command } from 'commander';

/** Adds the `keys` commands to the program. */
export function registerKeysCommands(program: Command): void {
  void program;
}
