// How this codebase starts a worker thread from a module URL, compiled or not.

/**
 * The Worker constructor arguments for module `entry`: a compiled (.js) entry runs as is; a
 * TypeScript entry (running from source under tsx, as tests and benches do) is loaded through
 * tsx's loader registered inside the worker, because worker threads do not take `--import` in
 * their execArgv. The enclave's worker does the same (src/enclave/boundary/host-side.ts).
 */
export function workerSource(entry: URL): [string | URL, { eval?: boolean }] {
  if (!entry.pathname.endsWith('.ts')) return [entry, {}];
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); ` +
    `return import(${JSON.stringify(entry.href)}); });`;
  return [bootstrap, { eval: true }];
}

/** `name`.ts next to `base` when running from source, else `name`.js (compiled). */
export function siblingModule(base: string, name: string): URL {
  const here = new URL(base);
  return new URL(here.pathname.endsWith('.ts') ? `./${name}.ts` : `./${name}.js`, here);
}
