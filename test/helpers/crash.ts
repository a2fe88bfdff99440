// Shared pieces of the SIGKILL crash tests (test/store/crash.test.ts, test/app/crash.test.ts):
// a deterministic kill schedule and the parser of what a crash child reported as committed.
// Deterministic so that a failing run is reproduced by its seed (STYLE.md: "a failing seed is
// the bug report").

/**
 * `count` kill delays in [0, spreadMs) ms, from a small LCG (the C standard's constants) seeded
 * with `seed`: the same seed gives the same schedule on every machine.
 */
export function killDelaysMs(seed: number, count: number, spreadMs: number): number[] {
  const out: number[] = [];
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    out.push(state % spreadMs);
  }
  return out;
}

/**
 * Height → app hash (hex) of every `commit <height> <appHash>` line a crash child printed.
 * Only complete lines count: a torn last line (the kill landed while printing) was not reported.
 */
export function reportedCommits(stdout: string): Map<bigint, string> {
  const reported = new Map<bigint, string>();
  for (const line of stdout.split('\n').slice(0, -1)) {
    const [word, height, appHash] = line.split(' ');
    if (word === 'commit' && height !== undefined && appHash !== undefined)
      reported.set(BigInt(height), appHash);
  }
  return reported;
}
