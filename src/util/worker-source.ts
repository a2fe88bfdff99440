// How this codebase starts a worker thread from a module URL, compiled or not: one copy for the
// enclave's worker (src/enclave/boundary/host-side.ts), the store's hashing worker and the
// app's signature worker.

/**
 * The Worker constructor arguments for module `entry`. A compiled (.js) entry runs as is. A
 * TypeScript entry (running from source under tsx: tests, benches, `bin/shroud.js` without a fresh
 * bundle; the bundle's entries are .js, scripts/build-cli.mjs) is
 * loaded through tsx's loader, registered inside the worker: worker threads do not take
 * `--import` in their execArgv.
 */
export function workerSource(entry: URL): [string | URL, { eval?: boolean }] {
  if (!entry.pathname.endsWith('.ts')) return [entry, {}];
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); ` +
    `return import(${JSON.stringify(entry.href)}); });`;
  return [bootstrap, { eval: true }];
}

/** `name`.ts next to `base` (a module's `import.meta.url`) when running from source, else `name`.js. */
export function siblingModule(base: string, name: string): URL {
  const here = new URL(base);
  return new URL(here.pathname.endsWith('.ts') ? `./${name}.ts` : `./${name}.js`, here);
}
