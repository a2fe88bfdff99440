#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner (TypeScript through tsx).
// Usage: npm test [-- PATH...]   (paths narrow the run to files or folders)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const targets = process.argv.slice(2);
const roots = targets.length > 0 ? targets : ['src', 'test'];

/** @param {string} path */
function collect(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new Error(`run-tests: no such file or folder: ${path}`);
  if (stat.isFile()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const child = join(path, entry.name);
    if (entry.isDirectory()) return collect(child);
    return entry.name.endsWith('.test.ts') ? [child] : [];
  });
}

const files = roots.flatMap((r) => collect(join(root, r))).sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  // A hung test fails after 10 minutes instead of holding CI (tests with their own `timeout` keep it).
  [
    '--import',
    'tsx',
    '--test',
    '--test-timeout=600000',
    '--test-reporter=spec',
    ...files.map((f) => relative(root, f)),
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
