#!/usr/bin/env node
// Installs the pinned CometBFT (issue #8) into the repo-local, git-ignored .cache/cometbft:
//   go install github.com/cometbft/cometbft/cmd/cometbft@v0.38.19
// with GOPATH, GOBIN, GOMODCACHE and GOCACHE all under .cache/cometbft, so the install uses and
// keeps nothing it did not build itself. Idempotent: an existing binary that reports the pinned
// version is reused. Progress goes to stderr; the binary's path is the only line on stdout.
// Usage: node scripts/install-cometbft.mjs [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const COMETBFT_VERSION = '0.38.19';
const MODULE = `github.com/cometbft/cometbft/cmd/cometbft@v${COMETBFT_VERSION}`;

const root = new URL('..', import.meta.url).pathname;
const cache = join(root, '.cache', 'cometbft');
const bin = join(cache, 'bin', 'cometbft');
const say = (text) => process.stderr.write(`install-cometbft: ${text}\n`);

function installedVersion() {
  if (!existsSync(bin)) return null;
  const result = spawnSync(bin, ['version'], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0 ? result.stdout.trim() : null;
}

const force = process.argv.includes('--force');
const found = installedVersion();
if (!force && found === COMETBFT_VERSION) {
  say(`CometBFT ${found} already at ${bin}`);
  process.stdout.write(`${bin}\n`);
  process.exit(0);
}
if (found !== null) say(`found CometBFT ${found} at ${bin}, want ${COMETBFT_VERSION}: reinstalling`);

const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.status !== 0) {
  say('the Go toolchain is not on PATH: install Go ≥ 1.22 (https://go.dev/dl/) and retry');
  process.exit(1);
}
say(`${go.stdout.trim()}; building ${MODULE} into ${join(cache, 'bin')} (about a minute the first time)…`);
if (force) rmSync(join(cache, 'bin'), { recursive: true, force: true });
mkdirSync(cache, { recursive: true });
const started = Date.now();
const result = spawnSync('go', ['install', MODULE], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...process.env,
    GOPATH: join(cache, 'gopath'),
    GOBIN: join(cache, 'bin'),
    GOMODCACHE: join(cache, 'gopath', 'pkg', 'mod'),
    GOCACHE: join(cache, 'gocache'),
    // Module files writable, so `rm -rf .cache` works; no toolchain download behind our back.
    GOFLAGS: '-modcacherw -buildvcs=false',
    GOTOOLCHAIN: 'local',
  },
});
if (result.status !== 0) {
  say(`go install failed (exit ${result.status}); the output above says why`);
  process.exit(1);
}
const built = installedVersion();
if (built !== COMETBFT_VERSION) {
  say(`the built binary reports ${built ?? 'nothing'}, expected ${COMETBFT_VERSION}`);
  process.exit(1);
}
say(`installed CometBFT ${built} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.stdout.write(`${bin}\n`);
