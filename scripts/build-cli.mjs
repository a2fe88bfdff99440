#!/usr/bin/env node
// Bundles the command line (src/cli/main.ts and what it imports) into dist/cli-bundle/ with esbuild,
// so commands start without transpiling ~200 TypeScript modules on every call: measured 0.27 s
// of CPU per `shroud keys list` bundled vs 0.62 s through tsx (session 3, load ~8). Runs from
// `npm ci` (the `prepare` script) and `npm run build:cli`. bin/shroud.js uses the bundle only
// while it was built from exactly the sources on disk (a digest: scripts/cli-bundle.mjs).
//
// The node's worker threads are entry points too (WORKERS below), written flat beside main.js
// under the names their spawners look for: src/util/worker-source.ts `siblingModule()` and
// src/enclave/client.ts resolve `./NAME.js` next to their own module, and in the bundle every
// module is a file of this one folder. So a bundled node's workers run bundled code, without
// tsx's loader thread in each of them (issues #5/#6: cold start).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { bundleDir, root, sourceDigest } from './cli-bundle.mjs';

// --outdir DIR: build elsewhere (tests), leaving dist/ alone.
const outdirFlag = process.argv.indexOf('--outdir');
const outdir = outdirFlag > 0 ? resolve(process.argv[outdirFlag + 1]) : bundleDir;

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // An install without dev dependencies: the CLI runs through tsx, which is slower to start.
  console.warn('build-cli: esbuild is not installed; `shroud` will run from the sources');
  process.exit(0);
}

/** Bundle entry name → source: each worker file under the name its spawner resolves. */
const WORKERS = {
  worker: 'src/enclave/worker.ts', // src/enclave/client.ts (the enclave thread)
  'signature-worker': 'src/enclave/core/signature-worker.ts', // src/enclave/core/signature-pool.ts
  'hasher-worker': 'src/store/hasher-worker.ts', // src/store/hasher.ts
  'verifier-worker': 'src/app/verifier-worker.ts', // src/app/verifier.ts
};

const digest = sourceDigest(); // before building: a file saved meanwhile makes it stale
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const started = Date.now();
await esbuild.build({
  entryPoints: {
    main: join(root, 'src', 'cli', 'main.ts'),
    ...Object.fromEntries(Object.entries(WORKERS).map(([name, source]) => [name, join(root, source)])),
  },
  outdir,
  bundle: true,
  splitting: true, // main.ts imports each command family lazily: keep them separate chunks
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external', // node_modules stay where they are (native addons, lmdb, sodium)
  sourcemap: 'linked',
  logLevel: 'warning',
  // src/enclave/core/measurement.ts measures the sources this bundle was built from (the
  // bundle is used only while they are unchanged), found from the bundle folder by this
  // relative path: a bundled node and a tsx node present the same measurement.
  define: {
    SHROUD_BUNDLE_SOURCES: JSON.stringify(`${relative(outdir, join(root, 'src')).split(sep).join('/')}/`),
  },
});
// The digest of the sources this bundle was built from; bin/shroud.js compares against it.
writeFileSync(join(outdir, 'built-from.json'), JSON.stringify({ sourceDigest: digest }));
if (process.argv.includes('--verbose'))
  console.log(`build-cli: dist/cli-bundle in ${Date.now() - started} ms`);
