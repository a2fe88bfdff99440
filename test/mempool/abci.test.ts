import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasErrorCode } from '../../src/errors.js';
import { Mempool, checkResultFromResponse, mempoolAppFromAbci } from '../../src/mempool/index.js';

const config = { maxTxs: 10, maxBytes: 10_000, maxTxBytes: 1000, cacheSize: 10 };

describe('ABCI CheckTx adapter', () => {
  it('maps accepted and refused responses', () => {
    assert.deepEqual(
      checkResultFromResponse({ code: 0, log: '', gasWanted: 7n, sender: 's', sequence: 3n, priority: 9n }),
      { ok: true, sender: 's', sequence: 3n, gasWanted: 7n, priority: 9n },
    );
    assert.deepEqual(checkResultFromResponse({ code: 32, log: 'sequence mismatch', gasWanted: 7n }), {
      ok: false,
      code: 32,
      log: 'sequence mismatch',
    });
  });

  it('drives a mempool from an app with checkTx({ tx, type }), passing the mode through', async () => {
    const modes: string[] = [];
    const app = {
      checkTx(request: { tx: Uint8Array; type: 'new' | 'recheck' }) {
        modes.push(request.type);
        const first = request.tx[0] ?? 0;
        return {
          code: 0,
          log: '',
          gasWanted: 1n,
          sender: `s${first}`,
          sequence: 0n,
          priority: BigInt(first),
        };
      },
    };
    const pool = new Mempool(config, mempoolAppFromAbci(app));
    assert.ok((await pool.add(new Uint8Array([1]))).ok);
    assert.ok((await pool.add(new Uint8Array([2]))).ok);
    assert.deepEqual(
      pool.reap().map((bytes) => bytes[0]),
      [2, 1],
    );
    await pool.update(1, []);
    assert.deepEqual(modes, ['new', 'new', 'recheck', 'recheck']);
  });

  it('an accepted response missing sender, sequence or priority is an app bug', async () => {
    const pool = new Mempool(
      config,
      mempoolAppFromAbci({ checkTx: () => ({ code: 0, log: '', gasWanted: 1n }) }),
    );
    await assert.rejects(pool.add(new Uint8Array([1])), (error) =>
      hasErrorCode(error, 'INVALID_CHECK_RESULT'),
    );
  });
});
