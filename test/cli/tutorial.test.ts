// docs/tutorial.md, done as a new user would: `shroud devnet` as a real process, then every
// `shroud …` command of the tutorial spawned as `node bin/shroud.js …` (keys, bank send, store,
// instantiate, private transfer, viewing key, query), then the SDK half as a process. Checks
// that what the RPC serves of the private transfer (`tx`, `block`) holds none of its plaintext
// (canaries), that every `shroud` line of the tutorial was run, and bad input: wrong
// passphrase, unknown key, bad bech32, bad JSON, unreachable node, no funds, insufficient
// funds, contract error, usage errors — each with its message and exit code.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addNode } from '../../src/node/index.js';
import {
  BIN,
  exitOf,
  freePortBase,
  heightOf,
  pollFor,
  waitForOutput,
  type DevnetFile,
} from '../network/helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const TUTORIAL = readFileSync(join(ROOT, 'docs/tutorial.md'), 'utf8');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every argv run, to check that the tutorial's commands were all exercised. */
const executed: string[][] = [];

let env: Record<string, string> = {};

/** Runs `node bin/shroud.js ...args` with the test's environment. */
function shroud(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  executed.push(args);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a command that must succeed with --output json; returns the parsed document. */
async function json<T>(args: string[]): Promise<T> {
  const run = await shroud([...args, '--output', 'json']);
  assert.equal(run.code, 0, `shroud ${args.join(' ')} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Runs a command that must fail; checks the exit code and that stderr says `pattern`. */
async function fails(
  args: string[],
  exitCode: number,
  pattern: RegExp,
  options: { env?: Record<string, string> } = {},
) {
  const run = await shroud(args, options);
  assert.equal(run.code, exitCode, `shroud ${args.join(' ')}: exit ${run.code}, stderr ${run.stderr}`);
  assert.match(run.stderr, pattern, `shroud ${args.join(' ')}: stderr`);
  return run;
}

async function rpc(url: string, method: string, params: Record<string, unknown>): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return response.text();
}

/** Asserts none of the canaries is in the text, nor in any base64 string inside it, decoded. */
function assertNoPlaintext(where: string, text: string, canaries: string[]): void {
  const decoded = [...text.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)].map((m) =>
    Buffer.from(m[1]!, 'base64').toString('latin1'),
  );
  for (const canary of canaries) {
    assert.ok(!text.includes(canary), `${where}: "${canary}" in the JSON`);
    for (const blob of decoded) assert.ok(!blob.includes(canary), `${where}: "${canary}" in a decoded blob`);
  }
}

interface TxJson {
  tx_hash: string;
  height: string;
  code: number;
  gas_used: string;
  data: unknown[];
  events: { type: string; attributes: { key: string; value: string; encrypted: boolean }[] }[];
  code_id?: string;
  contract_address?: string;
}

describe('the tutorial through the shroud CLI against a real devnet', () => {
  let devnet: ChildProcess;
  let root: string;
  let cliHome: string;
  let file: DevnetFile;
  let url: string;
  let token = '';
  let bob = '';
  let alice = '';
  const started = Date.now();

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'shroud-tutorial-'));
    cliHome = join(root, 'cli');
    const base = await freePortBase(1);
    devnet = spawn(
      process.execPath,
      [
        BIN,
        'devnet',
        '--home',
        join(root, 'devnet'),
        '--validators',
        '1',
        '--port-base',
        String(base),
        '--block-time',
        '200',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitForOutput(devnet, /ready — block \d+ committed/, 60_000);
    file = JSON.parse(readFileSync(join(root, 'devnet', 'devnet.json'), 'utf8')) as DevnetFile;
    url = file.nodes[0]!.rpc_url;
    await pollFor('block 1', async () => ((await heightOf(url)) ?? 0) >= 1 || undefined, 30_000);
    env = { SHROUD_HOME: cliHome, SHROUD_NODE: url, SHROUD_KEYRING_BACKEND: 'test' };
    delete process.env['SHROUD_KEYRING_PASSPHRASE'];
  });

  after(async () => {
    if (devnet !== undefined && devnet.exitCode === null) {
      devnet.kill('SIGINT');
      await exitOf(devnet, 30_000).catch(() => devnet.kill('SIGKILL'));
    }
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
    console.log(
      `# tutorial suite: ${executed.length} CLI commands in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  it('keys, funding, deploy, private transfer, viewing key — as docs/tutorial.md says', async () => {
    // 2. Keys: import account0 from devnet.json (mnemonic on stdin), create bob.
    const account0 = file.accounts.find((a) => a.name === 'account0') ?? file.accounts[0]!;
    const added = await shroud(['keys', 'add', 'alice', '--recover'], { input: `${account0.mnemonic}\n` });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, new RegExp(account0.address), 'the recovered key has the devnet address');
    assert.ok(!added.stdout.includes(account0.mnemonic.split(' ')[3]!), 'a recovered mnemonic is not echoed');
    const bobKey = await shroud(['keys', 'add', 'bob']);
    assert.equal(bobKey.code, 0, bobKey.stderr);
    assert.match(
      bobKey.stdout,
      /will not be shown again:\n\n([a-z]+ ){23}[a-z]+\n/,
      'the new mnemonic is shown once',
    );
    const [list, bobShown, aliceShown] = await Promise.all([
      shroud(['keys', 'list']),
      shroud(['keys', 'show', 'bob', '--address']),
      shroud(['keys', 'show', 'alice', '--address']),
    ]);
    assert.match(list.stdout, /alice\s+shroud1/);
    assert.match(list.stdout, /bob\s+shroud1/);
    bob = bobShown.stdout.trim();
    alice = aliceShown.stdout.trim();
    assert.equal(alice, account0.address);
    assert.match(bob, /^shroud1/);

    // 3. Fund bob.
    const send = await shroud(['tx', 'bank', 'send', 'alice', 'bob', '10000000ushd']);
    assert.equal(send.code, 0, send.stderr);
    assert.match(send.stdout, /included at height \d+/);
    // 4. Deploy (the balance query runs meanwhile).
    const [balance, stored] = await Promise.all([
      shroud(['query', 'bank', 'balance', 'bob']),
      json<TxJson>(['tx', 'compute', 'store', 'contracts/build/token.wasm', '--from', 'alice']),
    ]);
    assert.equal(balance.stdout.trim(), '10000000ushd');
    assert.equal(stored.code_id, '1', 'code 1 on a fresh devnet, as the tutorial says');
    console.log(`# store token.wasm: gas used ${stored.gas_used}`);
    const init = `{"name":"Shroud Token","symbol":"SHT","decimals":6,"initial_balances":[{"address":"${alice}","amount":"1000000"}],"prng_seed":"c2VlZA=="}`;
    const [code, instantiated] = await Promise.all([
      shroud(['query', 'compute', 'code', '1']),
      json<TxJson>(['tx', 'compute', 'instantiate', '1', init, '--label', 'my-token', '--from', 'alice']),
    ]);
    assert.match(code.stdout, /code_hash\s+[0-9a-f]{64}/);
    token = instantiated.contract_address ?? '';
    assert.match(token, /^shroud1/, 'instantiate prints the contract address');
    console.log(`# instantiate: gas used ${instantiated.gas_used}`);

    // 5. Transfer privately; the result is decrypted for alice.
    const transferMsg = `{"transfer":{"recipient":"${bob}","amount":"250","memo":"rent for May"}}`;
    const [transfer, contract] = await Promise.all([
      shroud(['tx', 'compute', 'execute', token, transferMsg, '--from', 'alice']),
      shroud(['query', 'compute', 'contract', token]),
    ]);
    assert.match(contract.stdout, /label\s+my-token/);
    assert.equal(transfer.code, 0, transfer.stderr);
    assert.match(transfer.stdout, /data\[0\] \(decrypted\) \{"transfer":\{"status":"success"\}\}/);
    const hash = /^tx ([0-9A-F]{64}) included at height (\d+)/.exec(transfer.stdout);
    assert.ok(hash !== null, transfer.stdout);
    const [, txHash, height] = hash;

    // Independent from here: views of the transfer, a contract error (alice), bob's viewing key.
    const tooMuch = `{"transfer":{"recipient":"${bob}","amount":"99999999"}}`;
    const [publicView, ownView, bobView, block, , setKey] = await Promise.all([
      shroud(['query', 'tx', txHash!]),
      shroud(['query', 'tx', txHash!, '--from', 'alice']),
      json<{ decrypted: boolean; note: string }>(['query', 'tx', txHash!, '--from', 'bob']),
      shroud(['query', 'block', height!]),
      // A contract error, decrypted for the sender: exit 1.
      fails(
        ['tx', 'compute', 'execute', token, tooMuch, '--from', 'alice'],
        1,
        /the contract returned an error: Generic error: insufficient funds/,
      ),
      // 6. Viewing key.
      shroud([
        'tx',
        'compute',
        'execute',
        token,
        '{"set_viewing_key":{"key":"bob-secret-key"}}',
        '--from',
        'bob',
      ]),
    ]);
    assert.equal(publicView.code, 0, publicView.stderr);
    assert.match(publicView.stdout, /encrypted:data=/, 'others see ciphertext');
    assert.ok(!publicView.stdout.includes('success'), 'others do not see the result');
    assert.match(ownView.stdout, /\{"transfer":\{"status":"success"\}\}/, 'the sender sees the result');
    assert.equal(bobView.decrypted, false, 'bob did not send it: nothing to decrypt with his key');
    assert.ok(block.stdout.includes(txHash!), 'the block lists the transfer');
    assert.equal(setKey.code, 0, setKey.stderr);
    const setHash = /^tx ([0-9A-F]{64}) included at height (\d+)/.exec(setKey.stdout);
    assert.ok(setHash !== null);

    // The balance through an encrypted query, with the right and a wrong viewing key.
    const [answer, wrongKey] = await Promise.all([
      json<{ balance?: { amount: string } }>([
        'query',
        'compute',
        'smart',
        token,
        `{"balance":{"address":"${bob}","key":"bob-secret-key"}}`,
      ]),
      json<{ viewing_key_error?: unknown }>([
        'query',
        'compute',
        'smart',
        token,
        `{"balance":{"address":"${bob}","key":"not-the-key"}}`,
      ]),
    ]);
    assert.deepEqual(answer, { balance: { amount: '250' } });
    assert.ok(wrongKey.viewing_key_error !== undefined, 'a wrong viewing key is refused');

    // What the RPC serves of the transfer and of the viewing key: ciphertext only.
    // The recipient is private in the transfer; bob is the public sender of set_viewing_key.
    const checked = [
      { hashHex: txHash!, at: height!, canaries: ['rent for May', '"transfer"', bob.slice(7)] },
      { hashHex: setHash[1]!, at: setHash[2]!, canaries: ['bob-secret-key', 'set_viewing_key'] },
    ];
    for (const { hashHex, at, canaries } of checked) {
      const txText = await rpc(url, 'tx', { hash: Buffer.from(hashHex, 'hex').toString('base64') });
      assert.match(txText, /"tx_result"/, 'the node serves the tx');
      assertNoPlaintext(`tx ${hashHex}`, txText, canaries);
      const blockText = await rpc(url, 'block', { height: at });
      assert.match(blockText, /"txs":\["/, 'the block has txs');
      assertNoPlaintext(`block ${at}`, blockText, canaries);
      const resultsText = await rpc(url, 'block_results', { height: at });
      assertNoPlaintext(`block_results ${at}`, resultsText, canaries);
    }
  });

  it('the SDK half of the tutorial, as a process', async () => {
    const body = /\/\/ tutorial:start\n([\s\S]*)\/\/ tutorial:end/.exec(
      readFileSync(join(ROOT, 'test/cli/tutorial-sdk.ts'), 'utf8'),
    )?.[1];
    assert.ok(
      body !== undefined && TUTORIAL.includes(body),
      'docs/tutorial.md shows test/cli/tutorial-sdk.ts word for word',
    );
    const run = await new Promise<Run>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/cli/tutorial-sdk.ts', join(root, 'devnet', 'devnet.json')],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /transfer [0-9A-F]{64} \{"transfer":\{"status":"success"\}\}/);
    assert.match(run.stdout, /\{"balance":\{"amount":"250"\}\}/);
    const sdkHash = /transfer ([0-9A-F]{64})/.exec(run.stdout)![1]!;
    const txText = await rpc(url, 'tx', { hash: Buffer.from(sdkHash, 'hex').toString('base64') });
    assertNoPlaintext('sdk transfer', txText, ['sdk rent for June', '"transfer"']);
  });

  it('bad input: each error says what to do, with its exit code', async () => {
    assert.ok(token !== '', 'runs after the tutorial');
    // Encrypted keyring: wrong passphrase (exit 1), no passphrase without a terminal (exit 2).
    const passphraseFile = join(root, 'passphrase');
    writeFileSync(passphraseFile, 'correct horse battery\n', { mode: 0o600 });
    const fileKeyring = { SHROUD_KEYRING_BACKEND: 'file' };
    const carol = await shroud(
      ['keys', 'add', 'carol', '--passphrase-file', passphraseFile, '--output', 'json'],
      { env: fileKeyring },
    );
    assert.equal(carol.code, 0, carol.stderr);
    const carolKey = JSON.parse(carol.stdout) as { address: string; mnemonic: string };
    assert.equal(carolKey.mnemonic.split(' ').length, 24, 'json output carries the new mnemonic once');
    const stored = readFileSync(join(cliHome, 'keyring-file', 'carol.json'), 'utf8');
    const words = carolKey.mnemonic.split(' ');
    assert.ok(!stored.includes(`${words[0]} ${words[1]}`), 'the file keyring holds no plaintext mnemonic');
    writeFileSync(join(root, 'wrong'), 'not the passphrase\n');
    // Independent failures, run side by side (each is its own process).
    const [, , , , down, , , , help] = await Promise.all([
      fails(
        ['tx', 'bank', 'send', 'carol', bob, '1ushd', '--passphrase-file', join(root, 'wrong')],
        1,
        /wrong passphrase for key "carol"/,
        { env: fileKeyring },
      ),
      fails(['tx', 'bank', 'send', 'nobody', 'bob', '1ushd'], 2, /no key "nobody".*shroud keys list/),
      fails(['tx', 'bank', 'send', 'alice', 'shroud1qqqqqqqqbad', '1ushd'], 2, /not a valid bech32/),
      fails(['tx', 'compute', 'execute', token, '{"transfer":', '--from', 'alice'], 2, /not valid JSON/),
      // Unreachable node: exit 3; with --output json one JSON error on stderr, nothing on stdout.
      fails(
        ['query', 'bank', 'balance', 'alice', '--node', 'http://127.0.0.1:9', '--output', 'json'],
        3,
        /"UNREACHABLE"/,
      ),
      // No account yet (carol was never funded), then more than bob has.
      fails(
        ['tx', 'bank', 'send', 'carol', bob, '1ushd', '--passphrase-file', passphraseFile],
        1,
        /has no funds yet.*tx bank send account0/,
        { env: fileKeyring },
      ),
      fails(
        ['tx', 'bank', 'send', 'bob', 'alice', '999999999999ushd'],
        1,
        /insufficient funds.*devnet\.json/,
      ),
      fails(['tx', 'compute', 'store', '--from', 'alice'], 2, /missing required argument 'file'/),
      shroud(['tx', 'compute', 'execute', '--help']),
    ]);
    assert.equal(down.stdout, '', 'nothing on stdout');
    const error = JSON.parse(down.stderr) as { error: { code: string; message: string } };
    assert.match(error.error.message, /cannot reach a node at http:\/\/127\.0\.0\.1:9.*npm start/);
    assert.equal(help.code, 0, 'help exits 0');
    assert.match(help.stdout, /--gas <gas>/);
  });

  it('a joining node: tx register (quote → seed sealed in its home), then staking from its key', async () => {
    // A home made by addNode (src/node/network.ts): keys and quote, no seed yet.
    const joining = await addNode(join(root, 'devnet'), { name: 'joiner' });
    const sealedSeed = join(joining.home, 'sealed-seed');
    assert.equal(existsSync(sealedSeed), false, 'no seed before registering');
    const registered = await json<TxJson & { registration_public_key: string }>([
      'tx',
      'register',
      '--node-home',
      joining.home,
      '--from',
      'alice',
    ]);
    assert.equal(registered.registration_public_key, joining.registrationPublicKey);
    assert.ok(existsSync(sealedSeed), 'the seed the chain encrypted to the node is sealed in its home');
    assert.equal(statSync(sealedSeed).mode & 0o777, 0o600);
    await fails(
      ['tx', 'register', '--node-home', joining.home, '--from', 'alice'],
      2,
      /already holds the network seed/,
    );

    // bob operates it: create-validator with the node's consensus key, alice delegates, undelegates.
    const created = await json<TxJson>([
      'tx',
      'staking',
      'create-validator',
      '--amount',
      '1000000ushd',
      '--moniker',
      'joiner',
      '--node-home',
      joining.home,
      '--from',
      'bob',
    ]);
    assert.ok(
      created.events.some((e) => e.type === 'create_validator'),
      'create_validator event',
    );
    const delegated = await json<TxJson>([
      'tx',
      'staking',
      'delegate',
      'bob',
      '1000000ushd',
      '--from',
      'alice',
    ]);
    assert.ok(
      delegated.events.some((e) => e.type === 'delegate'),
      'delegate event',
    );
    const undelegated = await json<TxJson>([
      'tx',
      'staking',
      'undelegate',
      'bob',
      '1000000ushd',
      '--from',
      'alice',
    ]);
    assert.equal(undelegated.code, 0);
  });

  it('every `shroud` command line of docs/tutorial.md was run', () => {
    const lines = [...TUTORIAL.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1]!.split('\n'))
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line.startsWith('shroud ') || /^[A-Z]+=\$\(shroud /.test(line));
    assert.ok(lines.length >= 15, `found ${lines.length} shroud commands`);
    for (const line of lines) {
      const words = line
        .replace(/^[A-Z]+=\$\(/, '')
        .replace(/\)$/, '')
        .split(/\s+/)
        .slice(1);
      const fixed: string[] = [];
      for (const word of words) {
        if (/[$'"<…]/.test(word) || /^[A-Z]+$/.test(word)) break;
        fixed.push(word);
      }
      const ran = executed.some((args) => fixed.every((word, i) => args[i] === word));
      assert.ok(ran, `tutorial command not exercised: ${line}`);
    }
  });
});
