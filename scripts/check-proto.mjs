#!/usr/bin/env node
// Checks that the committed generated protobuf code (src/codec/gen) is exactly what
// `buf generate` produces from proto/ today. CI runs it (`npm run proto:check`) so a schema
// edit without regeneration, or a hand edit of generated code, fails the build.
//
// It regenerates into a temporary folder (`buf generate --output TMP` prefixes the `out`
// of buf.gen.yaml) and compares file lists and bytes. Exit 0: up to date; exit 1: lists
// the files that differ, are missing or are extra; exit 2: buf itself failed.
// The repository root is the parent of this script's folder.
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, delimiter } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const generatedDir = 'src/codec/gen';

/** All file paths under `dir`, relative to it, sorted. */
function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else out.push(relative(dir, child));
    }
  };
  walk(dir);
  return out.sort();
}

const temp = mkdtempSync(join(tmpdir(), 'shroud-proto-check-'));
try {
  const bin = join(root, 'node_modules', '.bin');
  const result = spawnSync(join(bin, 'buf'), ['generate', '--output', temp], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
  });
  if (result.status !== 0) {
    console.error(`proto:check: buf generate failed (${result.error?.message ?? `exit ${result.status}`})`);
    if (result.stderr) console.error(result.stderr);
    process.exit(2);
  }

  const committedDir = join(root, generatedDir);
  const freshDir = join(temp, generatedDir);
  const committed = listFiles(committedDir);
  const fresh = listFiles(freshDir);
  const problems = [];
  for (const file of fresh) {
    if (!committed.includes(file)) problems.push(`missing: ${join(generatedDir, file)}`);
    else if (!readFileSync(join(committedDir, file)).equals(readFileSync(join(freshDir, file)))) {
      problems.push(`differs: ${join(generatedDir, file)}`);
    }
  }
  for (const file of committed) {
    if (!fresh.includes(file)) problems.push(`extra:   ${join(generatedDir, file)}`);
  }

  if (problems.length > 0) {
    console.error(`proto:check: ${generatedDir} is out of date with proto/:`);
    for (const line of problems) console.error(`  ${line}`);
    console.error('Run `npm run proto:gen` and commit the result (never edit generated files by hand).');
    process.exit(1);
  }
  console.log(`proto:check: ${generatedDir} is up to date (${fresh.length} files)`);
} finally {
  rmSync(temp, { recursive: true, force: true });
}
