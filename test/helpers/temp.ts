// Temporary directories for tests, removed when the test process exits (each test file runs
// in its own process), so suites do not leave homes behind in /tmp run after run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/** A fresh directory `/tmp/<prefix>XXXXXX`, removed (with its contents) when the process exits. */
export function tempDirRemovedAtExit(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const path of made) rmSync(path, { recursive: true, force: true });
    });
  }
  return dir;
}
