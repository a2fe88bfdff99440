// The node from the esbuild bundle (scripts/build-cli.mjs; issues #5/#6 cold start): bin/shroud.js
// runs the bundle only while it is fresh, a bundled node's worker threads load bundle files (no
// tsx loader), and a bundled node presents the same enclave measurement as one run from the
// sources (src/enclave/core/measurement.ts), in its main thread and in its enclave thread.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bytesToHex, hexToBytes } from '../../src/crypto/index.js';
import { decodeQuote, enclaveMeasurement } from '../../src/enclave/index.js';
import { NETWORK_FILES, addNode, initNetwork } from '../../src/node/index.js';
import { root, sourceDigest } from '../../scripts/cli-bundle.mjs';
import { freePortBase } from '../network/helpers.js';

const FAKE_BIN_TIMEOUT_MS = 30_000;
const NODE_TIMEOUT_MS = 90_000;

/** Runs `node args` to completion; throws with its stderr if it fails. */
function runNode(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: NODE_TIMEOUT_MS });
  assert.equal(result.status, 0, `node ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

function genesisMeasurements(home: string): string[] {
  const genesis = JSON.parse(readFileSync(join(home, 'genesis.json'), 'utf8')) as {
    attestation: { allowed_measurements: string[] };
  };
  return genesis.attestation.allowed_measurements;
}

function quoteMeasurement(home: string): string {
  const hex = readFileSync(join(home, NETWORK_FILES.registrationQuote), 'utf8').trim();
  return bytesToHex(decodeQuote(hexToBytes(hex)).measurement);
}

/** A port nothing listens on now (the OS's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** The node's latest block height from its RPC `status`, or 0 while it does not answer. */
async function latestHeight(port: number): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/status`);
    const body = (await response.json()) as { result?: { sync_info?: { latest_block_height?: string } } };
    return Number(body.result?.sync_info?.latest_block_height ?? 0);
  } catch {
    return 0; // not listening yet
  }
}

describe('bin/shroud.js picks the bundle only while it is fresh', () => {
  // A copy of bin/ and scripts/cli-bundle.mjs over a fake src/ and bundle, each of whose
  // main modules says which one ran: the decision is tested without touching the real ones.
  let fake = '';
  const stamp = () => join(fake, 'dist', 'cli-bundle', 'built-from.json');
  const runFake = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    execFileSync(process.execPath, [join(fake, 'bin', 'shroud.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, SHROUD_FROM_SOURCES: '', SHROUD_SHOW_RUNNER: '', ...env },
      timeout: FAKE_BIN_TIMEOUT_MS,
    }).trim();

  before(() => {
    fake = mkdtempSync(join(tmpdir(), 'shroud-fake-repo-'));
    for (const dir of ['bin', 'scripts', 'src/cli', 'dist/cli-bundle'])
      mkdirSync(join(fake, dir), { recursive: true });
    copyFileSync(join(root, 'bin', 'shroud.js'), join(fake, 'bin', 'shroud.js'));
    copyFileSync(join(root, 'scripts', 'cli-bundle.mjs'), join(fake, 'scripts', 'cli-bundle.mjs'));
    symlinkSync(join(root, 'node_modules'), join(fake, 'node_modules')); // tsx for the sources
    writeFileSync(join(fake, 'package.json'), '{"type":"module"}');
    // A type annotation: only runs through tsx.
    writeFileSync(join(fake, 'src', 'cli', 'main.ts'), "const ran: string = 'sources';\nconsole.log(ran);\n");
    writeFileSync(join(fake, 'dist', 'cli-bundle', 'main.js'), "console.log('bundle');\n");
    writeFileSync(stamp(), JSON.stringify({ sourceDigest: sourceDigest(join(fake, 'src')) }));
  });
  after(() => rmSync(fake, { recursive: true, force: true }));

  it('runs the fresh bundle for every command, the node commands included', () => {
    for (const command of ['start', 'devnet', 'abci', 'keys']) {
      assert.equal(runFake([command]), 'bundle', `shroud ${command}`);
    }
  });

  it('runs the sources when asked to (SHROUD_FROM_SOURCES=1), and says which on request', () => {
    assert.equal(runFake(['start'], { SHROUD_FROM_SOURCES: '1' }), 'sources');
    const shown = spawnSync(process.execPath, [join(fake, 'bin', 'shroud.js'), 'start'], {
      encoding: 'utf8',
      env: { ...process.env, SHROUD_FROM_SOURCES: '', SHROUD_SHOW_RUNNER: '1' },
      timeout: FAKE_BIN_TIMEOUT_MS,
    });
    assert.match(shown.stderr, /running the bundle in .*dist\/cli-bundle/);
  });

  it('runs the sources once a source is added, or without a stamp', () => {
    const edited = join(fake, 'src', 'cli', 'later.ts');
    writeFileSync(edited, '');
    try {
      assert.equal(runFake(['start']), 'sources', 'a stale bundle');
    } finally {
      rmSync(edited);
    }
    assert.equal(runFake(['start']), 'bundle', 'fresh again');
    const saved = readFileSync(stamp(), 'utf8');
    rmSync(stamp());
    try {
      assert.equal(runFake(['start']), 'sources', 'no stamp');
    } finally {
      writeFileSync(stamp(), saved);
    }
  });
});

describe('a node from the bundle', () => {
  let bundle = '';
  let dir = '';

  before(() => {
    // Inside the repository, so the bundle's bare imports (lmdb, …) find node_modules and its
    // relative paths (native/, bin/) are the real ones.
    mkdirSync(join(root, 'dist'), { recursive: true });
    bundle = mkdtempSync(join(root, 'dist', 'bundle-test-'));
    execFileSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs'), '--outdir', bundle]);
    dir = mkdtempSync(join(tmpdir(), 'shroud-node-bundle-'));
  });
  after(() => {
    rmSync(bundle, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds every worker entry under the name its spawner resolves', () => {
    for (const name of ['main', 'worker', 'signature-worker', 'hasher-worker', 'verifier-worker']) {
      assert.equal(existsSync(join(bundle, `${name}.js`)), true, `${name}.js`);
    }
  });

  it('presents the measurement the sources do, from its main thread and its enclave thread', async () => {
    const fromSources = bytesToHex(enclaveMeasurement());
    // Main thread: genesis written by a bundled `init`.
    runNode([
      join(bundle, 'main.js'),
      'init',
      '--home',
      join(dir, 'solo'),
      '--rpc-port',
      String(await freePort()),
    ]);
    assert.deepEqual(genesisMeasurements(join(dir, 'solo')), [fromSources], 'bundled init');

    // Enclave thread: a joining node's quote carries its enclave's measurement, which the
    // network (made here, from the sources) must allow.
    const network = join(dir, 'network');
    await initNetwork(network, { validators: 1, portBase: 40_000 });
    assert.deepEqual(genesisMeasurements(join(network, 'node0')), [fromSources], 'network from the sources');
    runNode([join(bundle, 'main.js'), 'devnet', 'add-node', '--home', network, '--name', 'bundled']);
    const fromTsx = await addNode(network, { name: 'sources' });
    assert.equal(quoteMeasurement(fromTsx.home), fromSources, 'quote of an enclave run from the sources');
    assert.equal(quoteMeasurement(join(network, 'bundled')), fromSources, 'quote of the bundled enclave');
  });

  it('starts its worker threads from bundle files, and commits blocks', async () => {
    // A one-validator network node (the Tendermint engine: it starts the app's signature
    // verifier too; a solo `init` home does not).
    const network = await initNetwork(join(dir, 'started'), {
      validators: 1,
      portBase: await freePortBase(1),
    });
    const { home, rpcPort: port } = network.nodes[0]!;
    // Preloaded into every thread: records each Worker the process creates.
    const record = join(dir, 'workers.jsonl');
    const preload = join(dir, 'record-workers.mjs');
    writeFileSync(
      preload,
      [
        "import { appendFileSync } from 'node:fs';",
        "import { createRequire, syncBuiltinESMExports } from 'node:module';",
        "const threads = createRequire(import.meta.url)('node:worker_threads');",
        'const Original = threads.Worker;',
        'threads.Worker = class extends Original {',
        '  constructor(filename, options) {',
        `    appendFileSync(${JSON.stringify(record)}, JSON.stringify({ filename: String(filename), eval: options?.eval === true }) + '\\n');`,
        '    super(filename, options);',
        '  }',
        '};',
        'syncBuiltinESMExports();',
      ].join('\n'),
    );
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(preload).href, join(bundle, 'main.js'), 'start', '--home', home],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + NODE_TIMEOUT_MS;
      let height = 0;
      while (height < 2) {
        assert.ok(Date.now() < deadline, `no block 2 within ${NODE_TIMEOUT_MS} ms; output:\n${output}`);
        assert.equal(child.exitCode, null, `the node exited; output:\n${output}`);
        height = await latestHeight(port);
        if (height < 2) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const workers = readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { filename: string; eval: boolean });
      const names = new Set<string>();
      for (const worker of workers) {
        assert.equal(
          worker.eval,
          false,
          `a worker from evaluated code (tsx's bootstrap): ${worker.filename}`,
        );
        assert.ok(
          worker.filename.startsWith(pathToFileURL(bundle).href + '/'),
          `not a bundle file: ${worker.filename}`,
        );
        names.add(worker.filename.slice(worker.filename.lastIndexOf('/') + 1));
      }
      // The enclave's signature pool starts with the enclave (src/enclave/worker.ts).
      // The store's hashing worker is not started by a node (backgroundHashing: benches only).
      for (const name of ['worker.js', 'signature-worker.js', 'verifier-worker.js']) {
        assert.ok(names.has(name), `${name} started; started: ${[...names].join(', ')}`);
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
