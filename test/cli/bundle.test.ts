// The bundled CLI (dist/cli-bundle, built by `npm ci`): it must behave as the sources do, and
// bin/shroud.js must never run it once the sources differ from those it was built from.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleIsFresh, root, sourceDigest } from '../../scripts/cli-bundle.mjs';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'shroud-bundle-'));
}

describe('CLI bundle freshness', () => {
  it('is fresh only while the sources are byte for byte those it was built from', () => {
    const dir = tempDir();
    try {
      const sources = join(dir, 'src');
      mkdirSync(join(sources, 'deep'), { recursive: true });
      writeFileSync(join(sources, 'a.ts'), 'a');
      writeFileSync(join(sources, 'deep', 'b.ts'), 'b');
      const stamp = join(dir, 'built-from.json');
      writeFileSync(stamp, JSON.stringify({ sourceDigest: sourceDigest(sources) }));
      assert.equal(bundleIsFresh(stamp, sources), true, 'just built');

      // An edit that keeps the old time (a copy made with cp -a, rsync -a or tar).
      const old = new Date('2026-01-01T00:00:00Z');
      writeFileSync(join(sources, 'deep', 'b.ts'), 'B');
      utimesSync(join(sources, 'deep', 'b.ts'), old, old);
      assert.equal(bundleIsFresh(stamp, sources), false, 'a nested source edited, its time kept');
      writeFileSync(join(sources, 'deep', 'b.ts'), 'b');
      assert.equal(bundleIsFresh(stamp, sources), true, 'the same bytes again');

      rmSync(join(sources, 'a.ts'));
      assert.equal(bundleIsFresh(stamp, sources), false, 'a source deleted');
      writeFileSync(join(sources, 'deep', 'a.ts'), 'a');
      assert.equal(bundleIsFresh(stamp, sources), false, 'a source moved to another folder');
      rmSync(join(sources, 'deep', 'a.ts'));
      writeFileSync(join(sources, 'a.ts'), 'a');
      writeFileSync(join(sources, 'c.ts'), '');
      assert.equal(bundleIsFresh(stamp, sources), false, 'an empty source added');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not fresh without a stamp, or with a broken one', () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir, 'src'));
      assert.equal(bundleIsFresh(join(dir, 'missing.json'), join(dir, 'src')), false, 'no stamp');
      writeFileSync(join(dir, 'broken.json'), '{"sourceDigest": "ab');
      assert.equal(bundleIsFresh(join(dir, 'broken.json'), join(dir, 'src')), false, 'broken JSON');
      writeFileSync(join(dir, 'wrong.json'), '{"sourceDigest": 7}');
      assert.equal(bundleIsFresh(join(dir, 'wrong.json'), join(dir, 'src')), false, 'not a digest');
      writeFileSync(join(dir, 'old.json'), '{"newestSourceMs": 99999999999999}');
      assert.equal(bundleIsFresh(join(dir, 'old.json'), join(dir, 'src')), false, 'an old stamp');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the bundled CLI answers as the sources do', () => {
  it('keys add/list/show, --version and a usage error, byte for byte', () => {
    const dir = tempDir();
    const after: (() => void)[] = [];
    try {
      // Inside the repository, so the bundle's bare imports (commander, …) find node_modules.
      mkdirSync(join(root, 'dist'), { recursive: true });
      const bundle = mkdtempSync(join(root, 'dist', 'bundle-test-'));
      after.push(() => rmSync(bundle, { recursive: true, force: true }));
      execFileSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs'), '--outdir', bundle]);
      const fromBundle = (args: string[], input?: string) => run([join(bundle, 'main.js'), ...args], input);
      const fromSources = (args: string[], input?: string) =>
        run(['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], input);
      const mnemonic =
        'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n';
      const home = (name: string) => ['--home', join(dir, name), '--keyring-backend', 'test'];
      for (const [name, cli] of [
        ['bundle', fromBundle],
        ['sources', fromSources],
      ] as const) {
        const added = cli(['keys', 'add', 'alice', '--recover', ...home(name), '--output', 'json'], mnemonic);
        assert.equal(added.status, 0, `${name}: keys add: ${added.stderr}`);
      }
      const cases: string[][] = [
        ['--version'],
        ['keys', 'list', '--output', 'json'],
        ['keys', 'show', 'alice', '--output', 'json'],
        ['keys', 'show', 'nobody'],
        ['tx', 'bank', 'send'],
      ];
      for (const args of cases) {
        const withHome = (name: string) => (args[0] === 'keys' ? [...args, ...home(name)] : args);
        const a = fromBundle(withHome('bundle'));
        const b = fromSources(withHome('sources'));
        assert.deepEqual(
          { status: a.status, stdout: a.stdout, stderr: a.stderr.replaceAll(join(dir, 'bundle'), 'HOME') },
          { status: b.status, stdout: b.stdout, stderr: b.stderr.replaceAll(join(dir, 'sources'), 'HOME') },
          `shroud ${args.join(' ')}`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      for (const cleanup of after) cleanup();
    }
  });
});

function run(args: string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, args, { encoding: 'utf8', input, stdio: 'pipe' });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status: number | null; stdout: string; stderr: string };
    return { status: failed.status, stdout: failed.stdout, stderr: failed.stderr };
  }
}
