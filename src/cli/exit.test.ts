import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, describeFailure, fail, integerOption } from './exit.js';
import { ShroudError } from '../errors.js';

class ExitCalled extends Error {
  constructor(readonly code: number | undefined) {
    super(`process.exit(${String(code)})`);
  }
}

/** Runs `body` with process.exit and console.error mocked; returns the exit code and the lines. */
function captureExit(body: () => unknown): { code: number | undefined; lines: string[] } {
  const lines: string[] = [];
  const exit = mock.method(process, 'exit', (code?: number) => {
    throw new ExitCalled(code);
  });
  const error = mock.method(console, 'error', (line: string) => lines.push(line));
  try {
    body();
  } catch (thrown) {
    if (thrown instanceof ExitCalled) return { code: thrown.code, lines };
    throw thrown;
  } finally {
    exit.mock.restore();
    error.mock.restore();
  }
  return { code: undefined, lines };
}

describe('cli exit helpers', () => {
  it('fail prints one error line and exits FAILED unless told', () => {
    assert.deepEqual(
      captureExit(() => fail('no home')),
      { code: EXIT.FAILED, lines: ['error: no home'] },
    );
    assert.equal(captureExit(() => fail('bad', EXIT.USAGE)).code, EXIT.USAGE);
  });

  it('integerOption accepts [min, max] and exits USAGE naming the option otherwise', () => {
    assert.equal(integerOption('1', '--n', 1, 5), 1);
    assert.equal(integerOption('5', '--n', 1, 5), 5);
    for (const bad of ['0', '6', '-1', '1.5', '', 'x', '1e3', ' 2']) {
      const { code, lines } = captureExit(() => integerOption(bad, '--n', 1, 5));
      assert.equal(code, EXIT.USAGE, `"${bad}" exits USAGE`);
      assert.deepEqual(lines, ['error: --n must be an integer 1-5'], `"${bad}" names the option`);
    }
  });

  it('describeFailure: code of a Shroud error, the hint for EADDRINUSE only when given', () => {
    assert.equal(describeFailure(new ShroudError('NOPE', 'it broke')), 'it broke [NOPE]');
    const inUse = Object.assign(new Error('listen EADDRINUSE :::26657'), { code: 'EADDRINUSE' });
    assert.equal(describeFailure(inUse, 'pick another port'), 'pick another port');
    assert.equal(describeFailure(inUse), 'listen EADDRINUSE :::26657');
    assert.equal(describeFailure('text'), 'text');
  });
});
