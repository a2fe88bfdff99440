#!/usr/bin/env node
// The `shroud` command. Runs from the esbuild bundle in dist/cli-bundle (built by `npm ci` /
// `npm run build:cli`) while it was built from exactly the sources on disk (a digest of src/:
// scripts/cli-bundle.mjs), else the sources through tsx,
// so a fresh clone needs no build step and an edited source is never shadowed by an old bundle.
// The bundle holds the node's worker threads too (scripts/build-cli.mjs), so `start`, `devnet`
// and `abci` start no tsx loader in any thread: a fresh node compiles less (issues #5/#6).
//
// SHROUD_FROM_SOURCES=1 runs the sources even when the bundle is fresh (A/B measurements);
// SHROUD_SHOW_RUNNER=1 prints which one runs on stderr (off by default: callers read stderr).
import { pathToFileURL } from 'node:url';
import { bundleIsFresh, bundleDir } from '../scripts/cli-bundle.mjs';

const bundled = process.env.SHROUD_FROM_SOURCES !== '1' && bundleIsFresh();
if (process.env.SHROUD_SHOW_RUNNER === '1') {
  process.stderr.write(
    `shroud: running ${bundled ? `the bundle in ${bundleDir}` : 'the sources through tsx'}\n`,
  );
}

if (bundled) {
  await import(pathToFileURL(`${bundleDir}/main.js`).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
