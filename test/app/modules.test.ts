// Registration (a node joins through an on-chain quote, then replays the chain), staking
// (create-validator, delegate, undelegate with its unbonding period, validator updates), the
// solo driver, and genesis validation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bytesToHex, ed25519KeyPairFromSeed, sha256, utf8Encode } from '../../src/crypto/index.js';
import { Enclave, enclaveMeasurement, encodeQuote, signQuote } from '../../src/enclave/index.js';
import { Store } from '../../src/store/index.js';
import {
  AppError,
  MODULE_ADDRESSES,
  ShroudApp,
  SoloDriver,
  TxCode,
  parseGenesis,
  type ResponseFinalizeBlock,
} from '../../src/app/index.js';
import {
  BLOCK_NS,
  DENOM,
  GENESIS_TIME,
  balanceOf,
  genesisJson,
  indexedTx,
  initChain,
  makeUser,
  openNode,
  proposer,
  queryJson,
  runBlock,
  sendMsg,
  signTx,
  tempDir,
  type MessageInit,
  type Node,
} from './helpers.js';

const authoritySeed = sha256(utf8Encode('app test authority'));
const authority = ed25519KeyPairFromSeed(authoritySeed);
const measurement = enclaveMeasurement();
const policy = {
  trustedAuthorities: [authority.publicKey],
  allowedMeasurements: [measurement],
  maxAgeSeconds: 3_600n,
  maxClockSkewSeconds: 60n,
};

describe('registration and staking', () => {
  const alice = makeUser('m-alice', 0n);
  const bob = makeUser('m-bob', 1n);
  let node: Node & { genesisText: string };
  const blocks: Uint8Array[][] = [];
  const hashes: string[] = [];

  async function block(txs: Uint8Array[]): Promise<ResponseFinalizeBlock> {
    const response = await runBlock(node, txs, { skipPrepare: true });
    blocks.push(txs);
    hashes.push(bytesToHex(response.appHash));
    return response;
  }

  before(async () => {
    node = await openNode({
      home: tempDir('mod'),
      bootstrapPolicy: policy,
      makeGenesis: (keys) =>
        genesisJson(keys, [alice, bob], {
          attestation: {
            trusted_authorities: [bytesToHex(authority.publicKey)],
            allowed_measurements: [bytesToHex(measurement)],
            max_quote_age_seconds: '3600',
          },
        }),
    });
    await initChain(node);
  });
  after(() => node.close());

  it('a new node registers with a quote, gets the seed from the chain and replays to the same app hashes', async () => {
    const homeB = tempDir('joiner');
    const enclaveB = await Enclave.start({
      home: homeB,
      genesisPolicy: policy,
      services: {
        readState: () => null,
        getCode: () => null,
        contractInfo: () => null,
        queryChain: () => new Uint8Array(0),
      },
    });
    try {
      const registration = await enclaveB.newRegistrationKey();
      const height = node.store.info().height + 1n;
      const blockSeconds = (GENESIS_TIME + height * BLOCK_NS) / 1_000_000_000n;
      /** Node B's quote, issued 5 s before this block, signed with `authority`'s seed. */
      const quoteSignedBy = (authority: Uint8Array) =>
        encodeQuote(
          signQuote(
            {
              measurement,
              registrationPublicKey: registration.registrationPublicKey,
              platformId: sha256(utf8Encode('platform B')),
              timestampSeconds: blockSeconds - 5n,
            },
            authority,
          ),
        );
      const quote = quoteSignedBy(authoritySeed);
      const registerMsg: MessageInit = {
        sum: { case: 'registerNode', value: { sender: alice.address, quote } },
      };
      const forged = quoteSignedBy(sha256(utf8Encode('not the authority')));
      const forgedMsg: MessageInit = {
        sum: { case: 'registerNode', value: { sender: bob.address, quote: forged } },
      };
      const bobBefore = 10_000_000_000n; // genesis (not queryable before block 1 commits)
      const response = await block([signTx(alice, [registerMsg]), signTx(bob, [forgedMsg])]);
      assert.equal(response.txResults[0]?.code, TxCode.OK, response.txResults[0]?.log);
      assert.equal(response.txResults[1]?.code, TxCode.QUOTE_REFUSED, response.txResults[1]?.log);
      assert.equal(
        await balanceOf(node, bob.address),
        bobBefore - 200_000n,
        'the refused registration paid its fee',
      );
      const stored = await queryJson<{ encrypted_seed: string }>(
        node,
        `/registration/${bytesToHex(registration.registrationPublicKey)}`,
      );
      assert.equal(stored.code, 0, stored.log);
      const accepted = await enclaveB.acceptSeed({
        encryptedSeed: Uint8Array.from(Buffer.from(stored.value.encrypted_seed, 'hex')),
        seedExchangePublicKey: node.genesis.network.seedExchangePublicKey,
      });
      assert.deepEqual(accepted.ioPublicKey, node.genesis.network.ioPublicKey, 'B holds the network keys');
      const keys = await queryJson<{ io_public_key: string }>(node, '/network/keys');
      assert.equal(keys.value.io_public_key, bytesToHex(accepted.ioPublicKey));
      await enclaveB.stop();
      // B, restarted from its own sealed seed, replays the chain.
      const storeB = Store.open(join(homeB, 'data'), { durable: false });
      const appB = new ShroudApp({ store: storeB, genesis: node.genesis });
      const enclaveB2 = await Enclave.start({
        home: homeB,
        genesisPolicy: policy,
        services: appB.enclaveServices,
      });
      await enclaveB2.start(accepted.sealedSeed);
      appB.attachEnclave(enclaveB2);
      const nodeB: Node = {
        home: homeB,
        store: storeB,
        app: appB,
        enclave: enclaveB2,
        genesis: node.genesis,
        close: async () => {
          await enclaveB2.stop();
          await storeB.close();
        },
      };
      try {
        await initChain(nodeB);
        for (const [i, txs] of blocks.entries()) {
          const replayed = await runBlock(nodeB, txs, { skipPrepare: true });
          assert.equal(bytesToHex(replayed.appHash), hashes[i], `height ${i + 1}`);
        }
      } finally {
        await nodeB.close();
      }
    } finally {
      await enclaveB.stop().catch(() => undefined);
    }
  });

  it('create-validator, delegate and undelegate change voting power; unbonded tokens return after the period', async () => {
    const consensus = ed25519KeyPairFromSeed(sha256(utf8Encode('m-alice consensus')));
    const create: MessageInit = {
      sum: {
        case: 'createValidator',
        value: {
          operatorAddress: alice.address,
          consensusPublicKey: consensus.publicKey,
          selfBond: { denom: DENOM, amount: '2000000' },
          moniker: 'alice',
        },
      },
    };
    const r1 = await block([signTx(alice, [create])]);
    assert.equal(r1.txResults[0]?.code, TxCode.OK, r1.txResults[0]?.log);
    assert.deepEqual(r1.validatorUpdates, [{ pubKey: consensus.publicKey, power: 2n }]);
    const again = await block([signTx(alice, [create])]);
    assert.equal(again.txResults[0]?.code, TxCode.STAKING_INVALID, 'a second create-validator fails');
    assert.deepEqual(again.validatorUpdates, []);

    const delegate: MessageInit = {
      sum: {
        case: 'delegate',
        value: {
          delegatorAddress: bob.address,
          validatorAddress: alice.address,
          amount: { denom: DENOM, amount: '1500000' },
        },
      },
    };
    const r2 = await block([signTx(bob, [delegate])]);
    assert.equal(r2.txResults[0]?.code, TxCode.OK, r2.txResults[0]?.log);
    assert.deepEqual(r2.validatorUpdates, [{ pubKey: consensus.publicKey, power: 3n }]);
    const bobAfterDelegate = await balanceOf(node, bob.address);

    const undelegate = (amount: string): MessageInit => ({
      sum: {
        case: 'undelegate',
        value: {
          delegatorAddress: bob.address,
          validatorAddress: alice.address,
          amount: { denom: DENOM, amount },
        },
      },
    });
    const tooMuch = await block([signTx(bob, [undelegate('1500001')])]);
    assert.equal(tooMuch.txResults[0]?.code, TxCode.INSUFFICIENT_FUNDS);
    const r3 = await block([signTx(bob, [undelegate('1500000')])]);
    assert.equal(r3.txResults[0]?.code, TxCode.OK, r3.txResults[0]?.log);
    assert.deepEqual(r3.validatorUpdates, [{ pubKey: consensus.publicKey, power: 2n }]);
    const fees = 400_000n;
    assert.equal(await balanceOf(node, bob.address), bobAfterDelegate - fees, 'not returned yet');
    assert.equal(await balanceOf(node, MODULE_ADDRESSES.notBondedPool), 1_500_000n);
    // Unbonding period 20 s = 4 blocks of 5 s.
    for (let i = 0; i < 3; i++) await block([]);
    assert.equal(await balanceOf(node, bob.address), bobAfterDelegate - fees, 'still unbonding after 15 s');
    const done = await block([]);
    assert.ok(done.events.some((e) => e.type === 'complete_unbonding'));
    assert.equal(
      await balanceOf(node, bob.address),
      bobAfterDelegate - fees + 1_500_000n,
      'returned after 20 s',
    );
    assert.equal(await balanceOf(node, MODULE_ADDRESSES.notBondedPool), 0n);
  });
});

describe('solo driver', () => {
  it('produces blocks from checked txs with the injected clock', async () => {
    const alice = makeUser('s-alice', 0n);
    const bob = makeUser('s-bob', 1n);
    const node = await openNode({
      home: tempDir('solo'),
      makeGenesis: (keys) => genesisJson(keys, [alice, bob]),
    });
    try {
      await initChain(node);
      let now = GENESIS_TIME;
      const seen: bigint[] = [];
      const solo = new SoloDriver({
        app: node.app,
        proposerAddress: proposer,
        clock: () => (now += BLOCK_NS),
        blockIntervalMs: 5,
        onBlock: (height) => seen.push(height),
      });
      const txs = [0, 1, 2].map(() => signTx(alice, [sendMsg(alice, bob.address, 10n)]));
      for (const tx of txs) assert.equal(solo.submit(tx).code, TxCode.OK);
      assert.equal(solo.submit(Uint8Array.of(9, 9)).code, TxCode.TX_DECODE, 'garbage is not queued');
      const first = await solo.produceBlock();
      assert.equal(first.height, 1n);
      assert.equal(first.txs.length, 3);
      assert.deepEqual(
        first.response.txResults.map((r) => r.code),
        [0, 0, 0],
      );
      assert.equal((await indexedTx(node, txs[2] as Uint8Array))?.height, 1n);
      solo.start();
      await new Promise((resolve) => setTimeout(resolve, 60));
      await solo.stop();
      assert.ok(seen.length >= 2, `the timer made blocks (${seen.length})`);
      assert.deepEqual(
        seen,
        seen.map((_, i) => BigInt(i + 1)),
        'consecutive heights',
      );
      assert.equal(await balanceOf(node, bob.address), 10_000_000_000n + 30n);
    } finally {
      await node.close();
    }
  });
});

describe('genesis validation', () => {
  const keys = { ioPublicKey: new Uint8Array(32).fill(1), seedExchangePublicKey: new Uint8Array(32).fill(2) };
  const good = JSON.parse(genesisJson(keys, [makeUser('g', 0n)])) as Record<string, unknown>;

  const DELETE = Symbol('delete');

  /** Sets (or deletes) the value at a path like `accounts[0].coins[0].amount` in a JSON copy. */
  function withValue(path: string, value: unknown): unknown {
    const copy = JSON.parse(JSON.stringify(good)) as unknown;
    const steps = path.split(/[.[\]]+/).filter((x) => x.length > 0);
    let target = copy as Record<string, unknown>;
    for (const step of steps.slice(0, -1)) target = target[step] as Record<string, unknown>;
    const last = steps[steps.length - 1] as string;
    if (value === DELETE) delete target[last];
    else target[last] = value;
    return copy;
  }

  function field(document: unknown): string | undefined {
    try {
      parseGenesis(document);
      return undefined;
    } catch (error) {
      assert.ok(error instanceof AppError, String(error));
      assert.equal(error.code, 'GENESIS_INVALID');
      return error.field;
    }
  }

  it('accepts the good genesis and reads its values', () => {
    const genesis = parseGenesis(JSON.stringify(good));
    assert.equal(genesis.chainId, 'shroud-app-test');
    assert.equal(genesis.genesisTimeNanos, BigInt(Date.UTC(2027, 0, 15, 8)) * 1_000_000n);
    assert.equal(genesis.params.minGasPrices[0]?.numerator, 1n);
    assert.equal(genesis.params.minGasPrices[0]?.denominator, 10n);
    assert.equal(genesis.validators[0]?.selfBond, 5_000_000n);
  });

  it('names the bad field', () => {
    const cases: [string, string, unknown][] = [
      ['chain_id', 'chain_id', ''],
      ['genesis_time', 'genesis_time', 'yesterday'],
      ['accounts[0].address', 'accounts[0].address', 'cosmos1xyz'],
      ['accounts[0].coins[0].amount', 'accounts[0].coins[0].amount', '-5'],
      ['accounts[0].coins[0].amount', 'accounts[0].coins[0].amount', 1.5],
      ['validators[0].consensus_public_key', 'validators[0].consensus_public_key', 'abcd'],
      ['validators[0].self_bond', 'validators[0].self_bond', '10'],
      ['validators', 'validators', []],
      ['network.io_public_key', 'network.io_public_key', DELETE],
      ['params.block_gas_limit', 'params.block_gas_limit', '0'],
      ['params.min_gas_prices', 'params.min_gas_prices', []],
      ['params.min_gas_prices[0].amount', 'params.min_gas_prices[0].amount', '0.1e3'],
      ['params.fee_denom', 'params.fee_denom', '1x'],
      ['params.gas.bogus', 'params.gas', { bogus: '1' }],
      ['attestation.trusted_authorities[0]', 'attestation.trusted_authorities', ['zz']],
      ['chain_id', 'chain_id', DELETE],
    ];
    for (const [expected, path, value] of cases) {
      assert.equal(field(withValue(path, value)), expected, `case ${path} = ${String(value)}`);
    }
    assert.equal(field([]), '(document)', 'an array is not a genesis');
    assert.throws(
      () => parseGenesis('{not json'),
      (e: unknown) => e instanceof AppError && e.field === '(document)',
    );
  });
});
