#!/usr/bin/env node
// The `shroud` command. Short commands run from the esbuild bundle in dist/cli-bundle (built by
// `npm ci` / `npm run build:cli`) while it is newer than every source file; everything else,
// and any command that starts workers (node, devnet, abci, tx register: their worker files are
// resolved next to the TypeScript sources), runs the sources through tsx, so a fresh clone
// needs no build step and an edited source is never shadowed by an old bundle.
import { pathToFileURL } from 'node:url';
import { bundleIsFresh, bundleDir } from '../scripts/cli-bundle.mjs';

const [command, subcommand] = process.argv.slice(2);
const bundled =
  ['keys', 'tx', 'query', 'contract', '--version', '-V'].includes(command ?? '') &&
  !(command === 'tx' && subcommand === 'register') &&
  bundleIsFresh();

if (bundled) {
  await import(pathToFileURL(`${bundleDir}/main.js`).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
