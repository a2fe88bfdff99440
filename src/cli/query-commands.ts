// `shroud query …` commands. Placeholder registered by main.ts; filled in by its owner.
import type { Command } from 'commander';

/** Adds the `query` commands to the program. */
export function registerQueryCommands(program: Command): void {
  void program;
}
