#!/usr/bin/env node
// Bundles the command line (src/cli/main.ts and what it imports) into dist/cli-bundle/ with esbuild,
// so short commands (keys, tx, query) start without transpiling ~200 TypeScript modules on
// every call: measured 0.27 s of CPU per `shroud keys list` bundled vs 0.62 s through tsx
// (session 3, load ~8). Runs from `npm ci` (the `prepare` script) and `npm run build:cli`.
// bin/shroud.js uses the bundle only while it is newer than every source file, and never for
// commands that start workers (their files are resolved next to the sources).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleDir, newestSource, root } from './cli-bundle.mjs';

// --outdir DIR: build elsewhere (tests), leaving dist/ alone.
const outdirFlag = process.argv.indexOf('--outdir');
const outdir = outdirFlag > 0 ? process.argv[outdirFlag + 1] : bundleDir;

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // An install without dev dependencies: the CLI runs through tsx, which is slower to start.
  console.warn('build-cli: esbuild is not installed; `shroud` will run from the sources');
  process.exit(0);
}

const newestSourceMs = newestSource(); // before building: a file saved meanwhile makes it stale
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const started = Date.now();
await esbuild.build({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outdir,
  bundle: true,
  splitting: true, // main.ts imports each command family lazily: keep them separate chunks
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external', // node_modules stay where they are (native addons, lmdb, sodium)
  sourcemap: 'linked',
  logLevel: 'warning',
});
// The newest source this bundle was built from; bin/shroud.js compares against it.
writeFileSync(join(outdir, 'built-from.json'), JSON.stringify({ newestSourceMs }));
if (process.argv.includes('--verbose'))
  console.log(`build-cli: dist/cli-bundle in ${Date.now() - started} ms`);
