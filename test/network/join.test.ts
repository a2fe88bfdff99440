// A fifth node joins a running 4-validator network (issue #6 "Must show"), all real processes
// on loopback: `shroud devnet --validators 4`; private token transfers go on chain; then a new
// home (addNode: genesis, own keys, no seed) registers its enclave's attestation quote in a
// register-node tx, reads the seed the validators' enclaves encrypted to it from chain state,
// opens and seals it in its own enclave, starts, block-syncs the whole chain (executing the
// encrypted txs: same app hashes), bonds a self-delegation with create-validator, and its
// consensus key then signs the network's commits.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShroudClient, Wallet } from '../../src/client/index.js';
import { bytesToHex, hexToBytes } from '../../src/crypto/index.js';
import { consensusAddress } from '../../src/app/index.js';
import {
  HOME_FILES,
  acceptRegisteredSeed,
  addNode,
  initNetwork,
  loadTestAccounts,
  loadValidatorKey,
  type AddedNode,
} from '../../src/node/index.js';
import { deployToken, setViewingKey, tokenBalance, transferToken } from '../helpers/token.js';
import {
  BIN,
  alive,
  exitOf,
  freePortBase,
  heightOf,
  pollFor,
  rpcGet,
  waitForOutput,
  type DevnetFile,
} from './helpers.js';

const CLIENT = { gasPrice: { denom: 'ushd', amount: '0.1' }, pollIntervalMs: 100 };

interface BlockBody {
  result?: { block_id: { hash: string }; block: { header: { app_hash: string; height: string } } };
}
interface CommitBody {
  result?: {
    signed_header: { commit: { signatures: { block_id_flag: number; validator_address: string }[] } };
  };
}
interface ValidatorsBody {
  result?: { validators: { address: string; voting_power: string }[]; total: string };
}

describe('a 5th node joins a running 4-validator network', () => {
  let root = '';
  let devnet: ChildProcess | undefined;
  let joiner: ChildProcess | undefined;
  let file: DevnetFile;
  let node0 = '';

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'shroud-join-'));
    await initNetwork(root, { validators: 4, portBase: await freePortBase(5), blockTimeMs: 500 });
    devnet = spawn(process.execPath, [BIN, 'devnet', '--home', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(devnet, /ready — block \d+ committed/, 120_000);
    file = JSON.parse(readFileSync(join(root, 'devnet.json'), 'utf8')) as DevnetFile;
    node0 = file.nodes[0]!.rpc_url;
  });

  after(async () => {
    if (joiner !== undefined && joiner.exitCode === null) {
      joiner.kill('SIGTERM');
      await exitOf(joiner, 30_000).catch(() => joiner?.kill('SIGKILL'));
    }
    if (devnet !== undefined && devnet.exitCode === null) {
      devnet.kill('SIGINT');
      await exitOf(devnet, 60_000).catch(() => devnet?.kill('SIGKILL'));
    }
    for (const node of file?.nodes ?? []) if (alive(node.pid)) process.kill(node.pid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('registers, receives the seed, syncs the chain, bonds and signs blocks', async () => {
    // Private activity before the join: the joiner must execute it during block sync.
    const [first, second] = file.accounts;
    assert.ok(first !== undefined && second !== undefined, 'test accounts');
    const alice = await ShroudClient.connect(node0, Wallet.fromMnemonic(first.mnemonic), CLIENT);
    const { contractAddress } = await deployToken(alice, {
      label: 'join-token',
      holders: [{ address: first.address, amount: '1000' }],
      name: 'Join',
      symbol: 'JNT',
      decimals: 0,
      seed: 'join',
    });
    await transferToken(alice, contractAddress, second.address, '7');
    await setViewingKey(alice, contractAddress, 'alice-key');

    // The new home: no seed, a sealed registration key and a quote from the attestation authority.
    const added: AddedNode = await addNode(root, { name: 'node4' });
    const operator = loadTestAccounts(added.home).find((a) => a.name === 'validator');
    assert.ok(operator !== undefined, 'the new home has an operator account');
    await alice.send(operator.address, [{ denom: 'ushd', amount: '100000000' }]);
    const op = await ShroudClient.connect(node0, Wallet.fromMnemonic(operator.mnemonic), CLIENT);

    const registrationKey = hexToBytes(added.registrationPublicKey);
    assert.equal(await op.getRegistration(registrationKey), null, 'not registered yet');
    const registered = await op.registerNode(added.quote, { gasLimit: 1_000_000n });
    assert.ok(
      registered.events.some((e) => e.type === 'register_node'),
      'register_node event',
    );
    const encryptedSeed = await op.getRegistration(registrationKey);
    assert.ok(encryptedSeed !== null && encryptedSeed.length > 0, 'the chain stores a seed for the key');
    // Every validator stored the same bytes (deterministic encryption inside each enclave).
    for (const node of file.nodes.slice(1)) {
      const other = await ShroudClient.connect(node.rpc_url, undefined, CLIENT);
      await pollFor(
        `${node.name} to have the registration`,
        async () => ((await other.getRegistration(registrationKey)) === null ? undefined : true),
        30_000,
      );
      assert.equal(
        bytesToHex((await other.getRegistration(registrationKey))!),
        bytesToHex(encryptedSeed),
        node.name,
      );
    }
    await acceptRegisteredSeed(added.home, encryptedSeed);

    // Start it: it block-syncs from its peers (all 4 validators) up to the network's height.
    const target = (await heightOf(node0))!;
    const out = openSync(join(added.home, 'process.log'), 'a');
    joiner = spawn(process.execPath, [BIN, 'start', '--home', added.home], { stdio: ['ignore', out, out] });
    closeSync(out);
    const joinerUrl = `http://127.0.0.1:${added.rpcPort}`;
    await pollFor(
      `node4 to sync to height ${target}`,
      async () => {
        const height = await heightOf(joinerUrl);
        return height !== undefined && height >= target ? height : undefined;
      },
      120_000,
      500,
    );
    for (const height of [1, Math.floor(target / 2), target]) {
      const [mine, theirs] = await Promise.all([
        rpcGet<BlockBody>(joinerUrl, `/block?height=${height}`),
        rpcGet<BlockBody>(node0, `/block?height=${height}`),
      ]);
      assert.equal(mine.result?.block_id.hash, theirs.result?.block_id.hash, `block hash at ${height}`);
      assert.equal(
        mine.result?.block.header.app_hash,
        theirs.result?.block.header.app_hash,
        `app hash at ${height}`,
      );
    }
    // Its enclave holds the network seed: an encrypted query through node4 answers.
    const viaJoiner = await ShroudClient.connect(joinerUrl, Wallet.fromMnemonic(first.mnemonic), CLIENT);
    assert.equal(
      await tokenBalance(viaJoiner, contractAddress, first.address, 'alice-key'),
      '993',
      'private state read through the new node',
    );

    // Bond: create-validator with the home's consensus key.
    const consensusKey = loadValidatorKey(added.home).publicKey;
    const address = bytesToHex(consensusAddress(consensusKey)).toUpperCase();
    const bonded = await op.createValidator(
      { consensusPublicKey: consensusKey, selfBond: { denom: 'ushd', amount: '10000000' }, moniker: 'node4' },
      { gasLimit: 1_000_000n },
    );
    assert.ok(bonded.height > 0n, 'create-validator committed (a failure throws)');
    const validators = await pollFor(
      'node4 in the validator set',
      async () => {
        const body = await rpcGet<ValidatorsBody>(node0, '/validators');
        return body.result?.validators.some((v) => v.address === address)
          ? body.result.validators
          : undefined;
      },
      30_000,
      250,
    );
    assert.equal(validators.length, 5, 'five validators');

    // Its key signs later blocks: a commit on node0 carries node4's precommit.
    const signed = await pollFor(
      'a commit signed by node4',
      async () => {
        const height = (await heightOf(node0)) ?? 0;
        for (let h = height; h > Math.max(0, height - 5); h -= 1) {
          const body = await rpcGet<CommitBody>(node0, `/commit?height=${h}`);
          const signature = body.result?.signed_header.commit.signatures.find(
            (s) => s.validator_address === address && s.block_id_flag === 2,
          );
          if (signature !== undefined) return h;
        }
        return undefined;
      },
      60_000,
      500,
    );
    console.log(`# node4 synced to ${target}, joined the set, first seen signing at height ${signed}`);
    assert.ok(joiner.exitCode === null, 'node4 still running');
    // And node4 itself is at the head with the network.
    assert.ok(((await heightOf(joinerUrl)) ?? 0) >= signed - 1, 'node4 keeps up');
    // No file left over from the join holds the seed in the clear (it is sealed).
    assert.notEqual(
      readFileSync(join(added.home, HOME_FILES.sealedSeed)).length,
      0,
      'sealed seed written in the new home',
    );
  });
});
