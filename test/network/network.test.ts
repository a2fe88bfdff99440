// Network homes (src/node/network.ts): N validators sharing one genesis, the seed reaching
// every validator through the attestation join (never a copied file), config pointing each
// node at all others, bad options refused; a node added later has no seed until the chain's
// registration blob is accepted by its own enclave.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasErrorCode } from '../../src/errors.js';
import { bytesToHex, hexToBytes } from '../../src/crypto/index.js';
import { enclavePolicy, parseGenesis, type Genesis } from '../../src/app/index.js';
import {
  Enclave,
  EnclaveCallError,
  decodeQuote,
  enclaveMeasurement,
  type EnclaveServices,
} from '../../src/enclave/index.js';
import { nodeIdFromPublicKey } from '../../src/p2p/index.js';
import {
  HOME_FILES,
  NETWORK_FILES,
  acceptRegisteredSeed,
  addNode,
  initNetwork,
  loadConfig,
  loadNetwork,
  loadNodeKey,
  loadValidatorKey,
  parsePersistentPeer,
  type NetworkDescription,
} from '../../src/node/index.js';
import { BIN } from './helpers.js';

const services: EnclaveServices = {
  readState: () => null,
  getCode: () => null,
  contractInfo: () => null,
  queryChain: () => new Uint8Array(0),
};
const temp = () => mkdtempSync(join(tmpdir(), 'shroud-network-'));
const roots: string[] = [];
const PORT_BASE = 41_000;

/** Opens `sealed` in an enclave running in `home`; returns the IO public key (hex). */
async function openSeed(home: string, genesis: Genesis, sealed: Uint8Array): Promise<string> {
  const enclave = await Enclave.start({ home, genesisPolicy: enclavePolicy(genesis), services });
  try {
    return bytesToHex((await enclave.start(sealed)).ioPublicKey);
  } finally {
    await enclave.stop();
  }
}

function nodeError(code: string) {
  return (error: unknown) => {
    assert.ok(hasErrorCode(error, code), `expected ${code}, got ${String(error)}`);
    return true;
  };
}

describe('initNetwork: 4 validators', () => {
  let root = '';
  let network: NetworkDescription;
  let genesis: Genesis;

  before(async () => {
    root = temp();
    roots.push(root);
    network = await initNetwork(root, { validators: 4, portBase: PORT_BASE, blockTimeMs: 700, accounts: 3 });
    genesis = parseGenesis(readFileSync(join(root, 'node0', HOME_FILES.genesis), 'utf8'));
  });
  after(() => {
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  it('gives every node the same genesis, listing every validator with its own key and power', () => {
    assert.equal(network.nodes.length, 4);
    const genesisText = readFileSync(join(root, 'node0', HOME_FILES.genesis), 'utf8');
    assert.equal(genesis.validators.length, 4, 'four genesis validators');
    const balances = new Map(genesis.accounts.map((a) => [a.address, a.coins[0]?.amount ?? 0n]));
    for (const [i, node] of network.nodes.entries()) {
      assert.equal(node.home, join(root, `node${i}`), `node${i} home`);
      assert.equal(
        readFileSync(join(node.home, HOME_FILES.genesis), 'utf8'),
        genesisText,
        `node${i} genesis`,
      );
      const key = loadValidatorKey(node.home).publicKey;
      assert.equal(bytesToHex(genesis.validators[i]!.consensusPublicKey), bytesToHex(key), `node${i} key`);
      assert.equal(genesis.validators[i]!.selfBond, 10_000_000n, `node${i} power 10`);
      assert.equal(genesis.validators[i]!.operatorAddress, node.operatorAddress, `node${i} operator`);
      assert.ok((balances.get(node.operatorAddress) ?? 0n) > 0n, `node${i} operator funded`);
      assert.equal(node.validator, true, `node${i} is a validator`);
    }
    assert.equal(new Set(genesis.validators.map((v) => bytesToHex(v.consensusPublicKey))).size, 4);
    assert.equal(network.accounts.length, 3, 'test accounts');
    for (const account of network.accounts) {
      assert.ok((balances.get(account.address) ?? 0n) > 0n, `${account.name} funded`);
    }
    assert.equal(genesis.attestation.trustedAuthorities.length, 1, 'the devnet attestation authority');
    assert.deepEqual(genesis.attestation.allowedMeasurements, [enclaveMeasurement()]);
  });

  it('writes config.json: ports from the port base, all others as persistent peers, tendermint', () => {
    const ids = network.nodes.map((n) => nodeIdFromPublicKey(loadNodeKey(n.home).publicKey));
    assert.equal(new Set(ids).size, 4, 'distinct node keys');
    for (const [i, node] of network.nodes.entries()) {
      const config = loadConfig(node.home);
      assert.equal(node.nodeId, ids[i], `node${i} id`);
      assert.equal(config.rpc.port, PORT_BASE + 10 * i, `node${i} rpc port`);
      assert.equal(config.p2p.port, PORT_BASE + 10 * i + 1, `node${i} p2p port`);
      assert.equal(config.moniker, `node${i}`);
      assert.equal(config.consensus.engine, 'tendermint', `node${i} engine`);
      assert.equal(config.consensus.timeoutCommitMs, 700, `node${i} block time`);
      const peers = config.p2p.persistentPeers.map(parsePersistentPeer);
      assert.deepEqual(
        peers.map((p) => p.id).sort(),
        ids.filter((_, j) => j !== i).sort(),
        `node${i} peers = the other three`,
      );
      for (const peer of peers) {
        assert.equal(
          peer.port,
          network.nodes.find((n) => n.nodeId === peer.id)?.p2pPort,
          `node${i} peer port`,
        );
      }
    }
    assert.deepEqual(loadNetwork(root), network, 'network.json');
  });

  it('seals the seed in every home under its own key: each opens its own, not another’s', async () => {
    const io = bytesToHex(genesis.network.ioPublicKey);
    const sealed = network.nodes.map(
      (n) => new Uint8Array(readFileSync(join(n.home, HOME_FILES.sealedSeed))),
    );
    assert.equal(new Set(sealed.map(bytesToHex)).size, 4, 'no two homes hold the same sealed bytes');
    for (const [i, node] of network.nodes.entries()) {
      for (const file of [
        HOME_FILES.sealedSeed,
        'sealing.key',
        HOME_FILES.validatorKey,
        HOME_FILES.nodeKey,
      ]) {
        assert.equal(statSync(join(node.home, file)).mode & 0o777, 0o600, `node${i} ${file} mode`);
      }
      assert.equal(await openSeed(node.home, genesis, sealed[i]!), io, `node${i} holds the network seed`);
      // Not even node0's sealing key file was copied anywhere.
      if (i > 0) {
        assert.notDeepEqual(
          readFileSync(join(node.home, 'sealing.key')),
          readFileSync(join(root, 'node0', 'sealing.key')),
          `node${i} sealing key is its own`,
        );
      }
    }
    await assert.rejects(
      openSeed(network.nodes[2]!.home, genesis, sealed[1]!),
      (error: unknown) => error instanceof EnclaveCallError && error.enclaveCode === 'UNSEAL_FAILED',
      "node2's enclave cannot open node1's sealed seed",
    );
    assert.equal(
      statSync(join(root, NETWORK_FILES.network)).mode & 0o777,
      0o600,
      'network.json holds mnemonics',
    );
  });

  it('adds a 5th home with no seed; its enclave accepts the seed the chain would store for its quote', async () => {
    const added = await addNode(root, { name: 'joiner' });
    const home = join(root, 'joiner');
    assert.equal(added.validator, false);
    assert.equal(added.rpcPort, PORT_BASE + 40);
    assert.equal(existsSync(join(home, HOME_FILES.sealedSeed)), false, 'no seed yet');
    assert.equal(statSync(join(home, NETWORK_FILES.sealedRegistrationKey)).mode & 0o777, 0o600);
    assert.equal(
      readFileSync(join(home, HOME_FILES.genesis), 'utf8'),
      readFileSync(join(root, 'node0', HOME_FILES.genesis), 'utf8'),
    );
    const config = loadConfig(home);
    assert.equal(config.p2p.persistentPeers.length, 4, 'all validators are its peers');
    assert.equal(config.consensus.engine, 'tendermint');
    assert.equal(loadNetwork(root).nodes.at(-1)?.name, 'joiner', 'network.json lists it');
    const quote = decodeQuote(hexToBytes(readFileSync(join(home, NETWORK_FILES.registrationQuote), 'utf8')));
    assert.equal(bytesToHex(quote.registrationPublicKey), added.registrationPublicKey);
    assert.deepEqual(quote.measurement, enclaveMeasurement());
    assert.deepEqual(quote.authorityPublicKey, genesis.attestation.trustedAuthorities[0]);
    await assert.rejects(addNode(root, { name: 'joiner' }), nodeError('HOME_EXISTS'));
    await assert.rejects(addNode(root, { name: '../escape' }), nodeError('HOME_INVALID'));

    // What every validator's enclave does for the register-node tx (app registration module).
    const validator = await Enclave.start({
      home: network.nodes[1]!.home,
      genesisPolicy: enclavePolicy(genesis),
      services,
    });
    let encryptedSeed: Uint8Array;
    try {
      await validator.start(
        new Uint8Array(readFileSync(join(network.nodes[1]!.home, HOME_FILES.sealedSeed))),
      );
      encryptedSeed = (
        await validator.registerNode({ quote: added.quote, blockTimeSeconds: quote.timestampSeconds })
      ).encryptedSeed;
    } finally {
      await validator.stop();
    }
    const tampered = Uint8Array.from(encryptedSeed);
    tampered[5]! ^= 1;
    await assert.rejects(acceptRegisteredSeed(home, tampered), 'a tampered blob opens nothing');
    assert.equal(existsSync(join(home, HOME_FILES.sealedSeed)), false, 'still no seed');
    await assert.rejects(
      acceptRegisteredSeed(network.nodes[3]!.home, encryptedSeed),
      nodeError('HOME_INVALID'),
      'a home without a registration key cannot accept',
    );
    const accepted = await acceptRegisteredSeed(home, encryptedSeed);
    assert.equal(bytesToHex(accepted.ioPublicKey), bytesToHex(genesis.network.ioPublicKey));
    const sealed = new Uint8Array(readFileSync(join(home, HOME_FILES.sealedSeed)));
    assert.equal(
      await openSeed(home, genesis, sealed),
      bytesToHex(genesis.network.ioPublicKey),
      'restart opens it',
    );
  });

  it('refuses a second network in the same root', async () => {
    await assert.rejects(initNetwork(root, { validators: 2, portBase: PORT_BASE }), nodeError('HOME_EXISTS'));
  });
});

describe('initNetwork: options', () => {
  it('refuses bad validator counts and ports before writing anything', async () => {
    const cases: [string, Parameters<typeof initNetwork>[1]][] = [
      ['zero validators', { validators: 0 }],
      ['51 validators', { validators: 51 }],
      ['fractional', { validators: 1.5 }],
      ['ports past 65535', { validators: 3, portBase: 65_520 }],
      ['port 0', { validators: 1, portBase: 0 }],
    ];
    for (const [name, options] of cases) {
      const root = temp();
      try {
        await assert.rejects(initNetwork(root, options), nodeError('HOME_INVALID'), name);
        assert.deepEqual(readdirSync(root), [], `${name}: nothing written`);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
  });

  it('one validator may run the solo engine; addNode needs a network root', async () => {
    const root = temp();
    try {
      const network = await initNetwork(root, { validators: 1, portBase: PORT_BASE + 500, engine: 'solo' });
      assert.equal(loadConfig(network.nodes[0]!.home).consensus.engine, 'solo');
      assert.deepEqual(loadConfig(network.nodes[0]!.home).p2p.persistentPeers, []);
      await assert.rejects(addNode(join(root, 'node0')), nodeError('HOME_INVALID'));

      // The same through the CLI: `shroud devnet add-node`.
      const cli = (args: string[]) =>
        spawnSync(process.execPath, [BIN, 'devnet', 'add-node', ...args], {
          encoding: 'utf8',
          timeout: 60_000,
        });
      const made = cli(['--home', root, '--name', 'late']);
      assert.equal(made.status, 0, made.stderr);
      assert.match(made.stdout, /created .*late — a full node of shroud-devnet, not registered, no seed yet/);
      assert.match(made.stdout, /docs\/validators\.md/, 'points at the next steps');
      assert.equal(existsSync(join(root, 'late', NETWORK_FILES.registrationQuote)), true, 'quote written');
      assert.equal(existsSync(join(root, 'late', HOME_FILES.sealedSeed)), false, 'no seed');
      const again = cli(['--home', root, '--name', 'late']);
      assert.equal(again.status, 1, 'a taken name fails');
      assert.match(again.stderr, /already holds a node.*HOME_EXISTS/);
      const nowhere = cli(['--home', join(root, 'node0')]);
      assert.equal(nowhere.status, 1, 'not a network directory');
      assert.match(nowhere.stderr, /network\.json is missing/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
