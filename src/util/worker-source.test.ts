import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { siblingModule, workerSource } from './index.js';

describe('workerSource', () => {
  it('runs a compiled entry as is', () => {
    const entry = new URL('file:///srv/shroud/dist/store/hasher-worker.js');
    assert.deepEqual(workerSource(entry), [entry, {}]);
  });

  it('loads a TypeScript entry through tsx, in a worker that really starts', async () => {
    const [source, options] = workerSource(new URL('./worker-source.fixture.ts', import.meta.url));
    assert.equal(typeof source, 'string', 'an eval bootstrap');
    assert.deepEqual(options, { eval: true });
    const worker = new Worker(source, options);
    const message = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.equal(message, 'typescript ran');
    await worker.terminate();
  });
});

describe('siblingModule', () => {
  it('names the .ts sibling from source and the .js sibling when compiled', () => {
    assert.equal(siblingModule('file:///a/b/store.ts', 'w').href, 'file:///a/b/w.ts');
    assert.equal(siblingModule('file:///a/b/store.js', 'w').href, 'file:///a/b/w.js');
  });
});
