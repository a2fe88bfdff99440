// `shroud contract check`: same verdicts as upload validation, text and JSON output, exit codes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { checkContractFile } from '../../src/cli/contract-check.js';
import { validateContractCode, VmError } from '../../src/vm/index.js';
import { contractWat, wat2wasm } from './wat.js';

const root = new URL('../..', import.meta.url).pathname;

function shroud(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/shroud.js', ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('shroud contract check', () => {
  let dir = '';
  let good = '';
  let gz = '';
  let junk = '';
  let floaty = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-check-'));
    const wasm = await wat2wasm(contractWat({}));
    good = join(dir, 'good.wasm');
    writeFileSync(good, wasm);
    gz = join(dir, 'good.wasm.gz');
    writeFileSync(gz, gzipSync(wasm));
    junk = join(dir, 'junk.wasm');
    writeFileSync(junk, 'not wasm at all');
    floaty = join(dir, 'float.wasm');
    writeFileSync(
      floaty,
      await wat2wasm(contractWat({ extra: '(func (export "f") (result f32) (f32.const 1))' })),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('checkContractFile gives the same verdict as validateContractCode', () => {
    const ok = checkContractFile(gz);
    assert.ok(ok.ok);
    if (ok.ok) assert.equal(ok.codeHash, validateContractCode(readFileSync(gz)).codeHash);
    const bad = checkContractFile(floaty);
    assert.equal(bad.ok, false);
    assert.throws(
      () => validateContractCode(readFileSync(floaty)),
      (e: unknown) => e instanceof VmError && !bad.ok && e.code === bad.code,
    );
  });

  it('prints FILE: ok / FILE: CODE: reason and exits 1 when any file fails', () => {
    const { status, stdout } = shroud('contract', 'check', good, gz, junk, floaty, join(dir, 'missing.wasm'));
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], `${good}: ok`);
    assert.equal(lines[1], `${gz}: ok`);
    assert.match(lines[2] ?? '', new RegExp(`^${junk}: NOT_WASM: `));
    assert.match(lines[3] ?? '', new RegExp(`^${floaty}: FLOAT_`));
    assert.match(lines[4] ?? '', /missing\.wasm: READ_ERROR: cannot read the file \(ENOENT\)/);
    assert.equal(status, 1);
  });

  it('exits 0 when all pass; --output json gives structured results', () => {
    const text = shroud('contract', 'check', good);
    assert.equal(text.status, 0, text.stderr);
    const json = shroud('contract', 'check', '--output', 'json', good, junk);
    assert.equal(json.status, 1);
    const results = JSON.parse(json.stdout) as {
      file: string;
      ok: boolean;
      code?: string;
      codeHash?: string;
    }[];
    assert.equal(results.length, 2);
    assert.equal(results[0]?.ok, true);
    assert.match(results[0]?.codeHash ?? '', /^[0-9a-f]{64}$/);
    assert.equal(results[1]?.ok, false);
    assert.equal(results[1]?.code, 'NOT_WASM');
  });

  it('--help documents the command; a bad --output is a usage error (2)', () => {
    const help = shroud('contract', 'check', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /validate wasm contract files/);
    const bad = shroud('contract', 'check', '--output', 'xml', good);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--output must be/);
  });
});
