// Shared by scripts/build-cli.mjs (writes the bundle) and bin/shroud.js (decides whether to use
// it): where the bundle lives and whether it was built from exactly the sources on disk.
//
// Freshness is a digest of every source file's path and bytes, not modification times: the
// node and its enclave run from the bundle, and a bundled enclave measures the sources on disk
// (src/enclave/core/measurement.ts), so a bundle used with sources it was not built from would
// run old code under the new code's measurement. Times miss deleted or renamed files and copies
// that keep old times (`cp -a`, `rsync -a`, tar). Hashing src/ (~230 files, 2.4 MB) costs
// 5–15 ms per command, about what the time scan cost.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const bundleDir = join(root, 'dist', 'cli-bundle');
export const stampFile = join(bundleDir, 'built-from.json');

/** Every file under `dir`, as paths relative to it ('/'-separated), sorted. */
function filesUnder(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? filesUnder(path, base) : [relative(base, path).split('\\').join('/')];
    })
    .sort();
}

/** sha256 (hex) over every file under `dir`: its relative path, NUL, its length, NUL, its bytes. */
export function sourceDigest(dir = join(root, 'src')) {
  const hash = createHash('sha256');
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(join(dir, file));
    hash.update(`${file}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/** Whether the bundle's stamp exists and names the digest of the sources on disk now. */
export function bundleIsFresh(stamp = stampFile, sources = join(root, 'src')) {
  try {
    const { sourceDigest: built } = JSON.parse(readFileSync(stamp, 'utf8'));
    return typeof built === 'string' && built === sourceDigest(sources);
  } catch {
    return false; // no bundle (or a broken stamp): run from the sources
  }
}
