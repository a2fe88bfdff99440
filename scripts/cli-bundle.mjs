// Shared by scripts/build-cli.mjs (writes the bundle) and bin/shroud.js (decides whether to use
// it): where the bundle lives and whether it is still newer than every source file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const bundleDir = join(root, 'dist', 'cli-bundle');
export const stampFile = join(bundleDir, 'built-from.json');

/** The newest modification time (ms) of any file under `dir` (~6 ms for src/). */
export function newestSource(dir = join(root, 'src')) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

/** Whether the bundle's stamp exists and no source changed since it was built. */
export function bundleIsFresh(stamp = stampFile, sources = join(root, 'src')) {
  try {
    const { newestSourceMs } = JSON.parse(readFileSync(stamp, 'utf8'));
    return typeof newestSourceMs === 'number' && newestSource(sources) <= newestSourceMs;
  } catch {
    return false; // no bundle (or a broken stamp): run from the sources
  }
}
