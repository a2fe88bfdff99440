// The CLI's keyring and argument/error helpers, in process (fast): encryption at rest, wrong
// passphrase, tampering, names that would escape the directory, file modes; coins, JSON
// messages, --output, and the error → exit code mapping of docs/tutorial.md.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, cliHome, isAddress, keyringBackend } from '../../src/cli/keyring.js';
import { CliError, describeError, EXIT, outputFormat, parseUint, toJson } from '../../src/cli/output.js';
import { parseCoins, parseJsonMessage, resolveAddress } from '../../src/cli/chain.js';
import { readPassphrase } from '../../src/cli/prompt.js';
import {
  ContractError,
  InsufficientFundsError,
  OutOfGasError,
  RpcError,
  TxRejectedError,
} from '../../src/client/index.js';

const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const ADDRESS = 'shroud1gkle2qetd47g4qlruxu8kx4m97875t66haf5tn'; // docs: Wallet.fromMnemonic example
const homes: string[] = [];
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-keyring-'));
  homes.push(dir);
  return dir;
}
after(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

function code(expected: string) {
  return (error: unknown) => {
    assert.ok(error instanceof CliError, `expected a CliError, got ${String(error)}`);
    assert.equal(error.code, expected, error.message);
    return true;
  };
}

describe('keyring (file backend: scrypt + AES-256-GCM)', () => {
  const dir = home();
  const keyring = new Keyring(dir, 'file');
  const info = keyring.add('alice', MNEMONIC, { passphrase: 'correct horse' });

  it('stores the address in clear and the mnemonic encrypted, 0600 in a 0700 directory', () => {
    assert.equal(info.address, ADDRESS);
    const path = join(dir, 'keyring-file', 'alice.json');
    const text = readFileSync(path, 'utf8');
    assert.ok(text.includes(ADDRESS), 'address readable without the passphrase');
    assert.ok(!text.includes('abandon'), 'no plaintext mnemonic');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'keyring-file')).mode & 0o777, 0o700);
    assert.deepEqual(
      keyring.list().map((k) => k.name),
      ['alice'],
    );
  });

  it('opens with the passphrase, refuses a wrong one', () => {
    assert.equal(keyring.unlock('alice', 'correct horse').address, ADDRESS);
    assert.throws(() => keyring.unlock('alice', 'correct horsf'), code('WRONG_PASSPHRASE'));
    assert.throws(() => keyring.unlock('alice'), code('PASSPHRASE_REQUIRED'));
  });

  it('one passphrase per keyring; names are unique and safe', () => {
    assert.throws(
      () => keyring.add('bob', MNEMONIC, { passphrase: 'another passphrase' }),
      code('WRONG_PASSPHRASE'),
    );
    assert.throws(() => keyring.add('alice', MNEMONIC, { passphrase: 'correct horse' }), code('KEY_EXISTS'));
    assert.throws(() => keyring.add('carol', MNEMONIC, { passphrase: 'short' }), code('USAGE'));
    for (const bad of ['../evil', 'a/b', '', '.hidden', 'shroud1abc', 'x'.repeat(65)]) {
      assert.throws(() => keyring.show(bad), code('USAGE'), `name ${JSON.stringify(bad)}`);
    }
    assert.throws(() => keyring.show('nobody'), code('KEY_NOT_FOUND'));
  });

  it('a file copied under another name, or with an edited address, does not open', () => {
    const copyDir = home();
    const copy = new Keyring(copyDir, 'file');
    copy.add('alice', MNEMONIC, { passphrase: 'correct horse' });
    const path = join(copyDir, 'keyring-file', 'alice.json');
    const edited = JSON.parse(readFileSync(path, 'utf8')) as { address: string; name: string };
    writeFileSync(
      path,
      JSON.stringify({ ...edited, address: 'shroud1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq' }),
    );
    assert.throws(() => copy.unlock('alice', 'correct horse'), code('WRONG_PASSPHRASE'));
    writeFileSync(path, JSON.stringify({ ...edited, name: 'mallory' }));
    renameSync(path, join(copyDir, 'keyring-file', 'mallory.json'));
    assert.throws(() => copy.unlock('mallory', 'correct horse'), code('WRONG_PASSPHRASE'));
    writeFileSync(join(copyDir, 'keyring-file', 'junk.json'), '{not json');
    assert.throws(() => copy.show('junk'), code('KEYRING_CORRUPT'));
  });

  it('refuses scrypt parameters an edited file could use to exhaust memory', () => {
    const path = join(dir, 'keyring-file', 'alice.json');
    const original = readFileSync(path, 'utf8');
    const file = JSON.parse(original) as { crypto: { n: number } };
    writeFileSync(path, JSON.stringify({ ...file, crypto: { ...file.crypto, n: 2 ** 30 } }));
    try {
      assert.throws(() => keyring.unlock('alice', 'correct horse'), code('KEYRING_CORRUPT'));
    } finally {
      writeFileSync(path, original);
    }
  });

  it('deletes', () => {
    const other = new Keyring(home(), 'file');
    other.add('gone', MNEMONIC, { passphrase: 'correct horse' });
    assert.equal(other.delete('gone').address, ADDRESS);
    assert.throws(() => other.show('gone'), code('KEY_NOT_FOUND'));
  });
});

describe('keyring (test backend) and options', () => {
  it('keeps the mnemonic in clear, 0600, and derives other HD indexes', () => {
    const keyring = new Keyring(home(), 'test');
    const first = keyring.add('k0', MNEMONIC);
    const second = keyring.add('k1', MNEMONIC, { index: 1 });
    assert.equal(first.address, ADDRESS);
    assert.notEqual(second.address, ADDRESS, 'index 1 is another address');
    assert.equal(keyring.unlock('k1').address, second.address);
    assert.equal(statSync(join(keyring.directory, 'k1.json')).mode & 0o777, 0o600);
    assert.throws(() => keyring.add('bad', 'not a mnemonic at all'), 'an invalid mnemonic is refused');
  });

  it('reads SHROUD_HOME and SHROUD_KEYRING_BACKEND; refuses unknown backends', () => {
    const saved = { ...process.env };
    try {
      process.env['SHROUD_HOME'] = '/tmp/somewhere';
      process.env['SHROUD_KEYRING_BACKEND'] = 'test';
      assert.equal(cliHome(undefined), '/tmp/somewhere');
      assert.equal(cliHome('/x'), '/x', '--home wins');
      assert.equal(keyringBackend(undefined), 'test');
      assert.equal(keyringBackend('file'), 'file');
      assert.throws(() => keyringBackend('os'), code('USAGE'));
    } finally {
      process.env = saved;
    }
  });

  it('passphrase: from a file, else the environment, else an error without a terminal', async () => {
    const saved = process.env['SHROUD_KEYRING_PASSPHRASE'];
    const file = join(home(), 'pass');
    writeFileSync(file, 'from the file\n');
    try {
      delete process.env['SHROUD_KEYRING_PASSPHRASE'];
      assert.equal(await readPassphrase(file, false), 'from the file', 'one trailing newline dropped');
      await assert.rejects(readPassphrase(undefined, false), code('PASSPHRASE_REQUIRED'));
      await assert.rejects(readPassphrase('/nonexistent/pass', false), code('USAGE'));
      process.env['SHROUD_KEYRING_PASSPHRASE'] = 'from the env';
      assert.equal(await readPassphrase(undefined, true), 'from the env');
    } finally {
      if (saved === undefined) delete process.env['SHROUD_KEYRING_PASSPHRASE'];
      else process.env['SHROUD_KEYRING_PASSPHRASE'] = saved;
    }
  });
});

describe('arguments', () => {
  it('coins', () => {
    assert.deepEqual(parseCoins('1000ushd', 'AMOUNT'), [{ denom: 'ushd', amount: '1000' }]);
    assert.deepEqual(parseCoins('007ushd,5uatom', 'AMOUNT'), [
      { denom: 'ushd', amount: '7' },
      { denom: 'uatom', amount: '5' },
    ]);
    for (const bad of ['100', 'ushd', '-5ushd', '1.5ushd', '5ushd,6ushd', '5u', '']) {
      assert.throws(() => parseCoins(bad, 'AMOUNT'), code('USAGE'), `amount ${JSON.stringify(bad)}`);
    }
  });

  it('JSON messages must be objects', () => {
    assert.deepEqual(parseJsonMessage('{"a":{}}', 'msg'), { a: {} });
    for (const bad of ['{"a":', '[1]', '"x"', 'null', '']) {
      assert.throws(() => parseJsonMessage(bad, 'msg'), code('USAGE'), `message ${JSON.stringify(bad)}`);
    }
  });

  it('addresses: bech32 or a key name; typos are usage errors', () => {
    const dir = home();
    new Keyring(dir, 'test').add('alice', MNEMONIC);
    const options = { home: dir, keyringBackend: 'test' };
    assert.equal(resolveAddress('alice', 'TO', options), ADDRESS);
    assert.equal(resolveAddress(ADDRESS, 'TO', options), ADDRESS);
    assert.equal(isAddress(ADDRESS.slice(0, -1) + 'q'), false, 'bad checksum');
    for (const bad of [ADDRESS.slice(0, -1) + 'q', 'shroud1xyz', 'nobody', 'cosmos1abc']) {
      assert.throws(() => resolveAddress(bad, 'TO', options), code('USAGE'), `address ${bad}`);
    }
  });

  it('--output, whole numbers, JSON of bigints and bytes', () => {
    assert.equal(outputFormat(undefined), 'text');
    assert.equal(outputFormat('json'), 'json');
    assert.throws(() => outputFormat('yaml'), code('USAGE'));
    assert.equal(parseUint('42', 'N'), 42n);
    for (const bad of ['-1', '1.0', '0x10', '', '99999999999999999999999']) {
      assert.throws(() => parseUint(bad, 'N'), code('USAGE'), `number ${JSON.stringify(bad)}`);
    }
    assert.equal(toJson({ a: 1n, b: new Uint8Array([1, 255]) }), '{\n  "a": "1",\n  "b": "01ff"\n}');
  });
});

describe('errors → exit codes and messages', () => {
  const info = { resultCode: 5, codespace: 'sdk', log: 'balance 1 < 2', txHash: 'AB' };
  const cases: [string, unknown, number, RegExp][] = [
    [
      'unreachable',
      new RpcError('RPC_NETWORK', 'x'),
      EXIT.UNREACHABLE,
      /cannot reach a node at http:\/\/n.*npm start/,
    ],
    ['timeout', new RpcError('RPC_TIMEOUT', 'x'), EXIT.UNREACHABLE, /timed out/],
    ['rpc error', new RpcError('RPC_ERROR', 'tx: bad'), EXIT.FAILED, /tx: bad/],
    [
      'contract error',
      new ContractError({ ...info, resultCode: 104 }, 'Unauthorized', 0),
      EXIT.FAILED,
      /the contract returned an error: Unauthorized \(tx AB\)/,
    ],
    ['insufficient funds', new InsufficientFundsError(info), EXIT.FAILED, /insufficient funds.*devnet\.json/],
    ['out of gas', new OutOfGasError({ ...info, resultCode: 11 }), EXIT.FAILED, /higher --gas/],
    ['rejected', new TxRejectedError({ ...info, resultCode: 32 }), EXIT.FAILED, /rejected/],
    ['usage', new CliError('USAGE', 'bad'), EXIT.USAGE, /bad/],
    ['unknown key', new CliError('KEY_NOT_FOUND', 'no key'), EXIT.USAGE, /no key/],
    ['anything else', new Error('boom'), EXIT.FAILED, /boom/],
  ];
  for (const [name, error, exitCode, message] of cases) {
    it(name, () => {
      const described = describeError(error, 'http://n');
      assert.equal(described.exitCode, exitCode, `${name}: exit code`);
      assert.match(described.message, message, `${name}: message`);
    });
  }
});
