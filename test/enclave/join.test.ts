// Key management through the worker: a permissionless join (registration key → authority quote
// → a validator's enclave encrypts the seed → the new enclave accepts, seals, restarts and
// runs a transaction), refused quotes, and the sealing key's rules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519KeyPairFromSeed, sha256, utf8Encode } from '../../src/crypto/index.js';
import {
  Enclave,
  enclaveMeasurement,
  encodeQuote,
  signQuote,
  type GenesisPolicy,
  type QuoteBody,
} from '../../src/enclave/index.js';
import {
  contractAddress,
  contractWasm,
  makeUser,
  MemoryHost,
  openPolicy,
  refusedWith,
  tempHome,
  userCall,
} from './helpers.js';

const authoritySeed = sha256(utf8Encode('test attestation authority'));
const authority = ed25519KeyPairFromSeed(authoritySeed);
const measurement = enclaveMeasurement();
const NOW = 1_800_000_000n;
const policy: GenesisPolicy = {
  trustedAuthorities: [authority.publicKey],
  allowedMeasurements: [measurement],
  maxAgeSeconds: 3_600n,
  maxClockSkewSeconds: 60n,
};
const alice = makeUser(21);

function quoteFor(registrationPublicKey: Uint8Array, changes: Partial<QuoteBody> = {}, seed = authoritySeed) {
  return encodeQuote(
    signQuote(
      {
        measurement,
        registrationPublicKey,
        platformId: sha256(utf8Encode('platform B')),
        timestampSeconds: NOW,
        ...changes,
      },
      seed,
    ),
  );
}

describe('permissionless join', () => {
  it('B registers, A encrypts the seed to it, B accepts, seals, restarts and runs a transaction', async () => {
    const hostA = new MemoryHost();
    const a = await Enclave.start({ home: tempHome(), genesisPolicy: policy, services: hostA });
    const homeB = tempHome();
    const hostB = new MemoryHost();
    let b = await Enclave.start({ home: homeB, genesisPolicy: policy, services: hostB });
    try {
      const network = await a.bootstrap();
      // A contract instantiated on A before B joins.
      const codeHash = hostA.addCode(contractWasm('counter'));
      const counter = contractAddress('join-counter');
      hostA.addContract(counter, codeHash);
      const init = userCall(alice, network.ioPublicKey, {
        entry: 'instantiate',
        contract: counter,
        codeHash,
        msg: { count: 41 },
        label: 'join',
      });
      hostA.apply(counter, await a.runContract(init.request));

      const registration = await b.newRegistrationKey();
      assert.deepEqual(registration.measurement, measurement, 'B reports the measurement of this code');
      const quote = quoteFor(registration.registrationPublicKey);
      const first = await a.registerNode({ quote, blockTimeSeconds: NOW + 10n });
      const again = await a.registerNode({ quote, blockTimeSeconds: NOW + 20n });
      assert.deepEqual(
        again.encryptedSeed,
        first.encryptedSeed,
        'deterministic: every validator stores the same',
      );
      assert.deepEqual(first.registrationPublicKey, registration.registrationPublicKey);

      // Before accepting, B cannot run anything.
      await assert.rejects(b.runContract(init.request), refusedWith('NOT_INITIALIZED'));
      const accepted = await b.acceptSeed({
        encryptedSeed: first.encryptedSeed,
        seedExchangePublicKey: network.seedExchangePublicKey,
      });
      assert.deepEqual(accepted.ioPublicKey, network.ioPublicKey, 'B now holds the network keys');
      await b.stop();

      // A new worker on the same home opens the sealed seed and executes.
      b = await Enclave.start({ home: homeB, genesisPolicy: policy, services: hostB });
      const restarted = await b.start(accepted.sealedSeed);
      assert.deepEqual(restarted.ioPublicKey, network.ioPublicKey);
      hostB.addCode(contractWasm('counter'));
      hostB.addContract(counter, codeHash);
      for (const [contract, slots] of hostA.state) hostB.state.set(contract, new Map(slots));
      const increment = userCall(alice, network.ioPublicKey, {
        entry: 'execute',
        contract: counter,
        codeHash,
        msg: { increment: {} },
      });
      const onB = await b.runContract(increment.request);
      const onA = await a.runContract(increment.request);
      assert.ok(onB.ok, 'B executes a transaction encrypted to the network key');
      assert.deepEqual(onB, onA, 'and agrees with A byte for byte');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('a restarted joiner accepts with its sealed registration key; another node cannot', async () => {
    const a = await Enclave.start({ home: tempHome(), genesisPolicy: policy, services: new MemoryHost() });
    const home = tempHome();
    let b = await Enclave.start({ home, genesisPolicy: policy, services: new MemoryHost() });
    const c = await Enclave.start({ home: tempHome(), genesisPolicy: policy, services: new MemoryHost() });
    try {
      const network = await a.bootstrap();
      const registration = await b.newRegistrationKey();
      const { encryptedSeed } = await a.registerNode({
        quote: quoteFor(registration.registrationPublicKey),
        blockTimeSeconds: NOW,
      });
      await b.stop();
      b = await Enclave.start({ home, genesisPolicy: policy, services: new MemoryHost() });
      await assert.rejects(
        b.acceptSeed({ encryptedSeed, seedExchangePublicKey: network.seedExchangePublicKey }),
        refusedWith('REGISTRATION_KEY_MISSING'),
      );
      // Node C holds another registration key: B's seed blob and sealed key are useless to it.
      await c.newRegistrationKey();
      await assert.rejects(
        c.acceptSeed({ encryptedSeed, seedExchangePublicKey: network.seedExchangePublicKey }),
        refusedWith('SEED_EXCHANGE_FAILED'),
      );
      await assert.rejects(
        c.acceptSeed({
          encryptedSeed,
          seedExchangePublicKey: network.seedExchangePublicKey,
          sealedRegistrationKey: registration.sealedRegistrationKey,
        }),
        refusedWith('UNSEAL_FAILED'),
      );
      // A sealed registration key is not a sealed seed (domain-separated sealing keys).
      await assert.rejects(b.start(registration.sealedRegistrationKey), refusedWith('UNSEAL_FAILED'));
      const accepted = await b.acceptSeed({
        encryptedSeed,
        seedExchangePublicKey: network.seedExchangePublicKey,
        sealedRegistrationKey: registration.sealedRegistrationKey,
      });
      assert.deepEqual(accepted.ioPublicKey, network.ioPublicKey);
      await assert.rejects(b.bootstrap(), refusedWith('ALREADY_INITIALIZED'));
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });

  it('forged, expired, future, untrusted, wrong-measurement and malformed quotes get nothing', async () => {
    const a = await Enclave.start({ home: tempHome(), genesisPolicy: policy, services: new MemoryHost() });
    const b = await Enclave.start({ home: tempHome(), genesisPolicy: policy, services: new MemoryHost() });
    try {
      await a.bootstrap();
      const { registrationPublicKey } = await b.newRegistrationKey();
      const genuine = quoteFor(registrationPublicKey);
      const forged = Uint8Array.from(genuine);
      forged[40]! ^= 0x01; // the registration key changed after signing
      const cases: [string, Uint8Array, bigint, string][] = [
        ['forged', forged, NOW, 'QUOTE_BAD_SIGNATURE'],
        ['expired', genuine, NOW + 3_601n, 'QUOTE_EXPIRED'],
        ['from the future', genuine, NOW - 61n, 'QUOTE_FROM_FUTURE'],
        [
          'untrusted authority',
          quoteFor(registrationPublicKey, {}, sha256(utf8Encode('rogue authority'))),
          NOW,
          'QUOTE_UNTRUSTED_AUTHORITY',
        ],
        [
          'wrong measurement',
          quoteFor(registrationPublicKey, { measurement: sha256(utf8Encode('modified enclave')) }),
          NOW,
          'QUOTE_WRONG_MEASUREMENT',
        ],
        ['malformed', genuine.subarray(0, 100), NOW, 'QUOTE_MALFORMED'],
      ];
      for (const [name, quote, blockTimeSeconds, code] of cases) {
        await assert.rejects(a.registerNode({ quote, blockTimeSeconds }), refusedWith(code), name);
      }
      assert.ok((await a.registerNode({ quote: genuine, blockTimeSeconds: NOW })).encryptedSeed.length > 0);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('sealing key', () => {
  it('is created 0600 in the home on first use and reused across restarts', async () => {
    const home = tempHome();
    const first = await Enclave.start({ home, genesisPolicy: openPolicy, services: new MemoryHost() });
    const keys = await first.bootstrap();
    await first.stop();
    const path = join(home, 'sealing.key');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(path).size, 32);
    const second = await Enclave.start({ home, genesisPolicy: openPolicy, services: new MemoryHost() });
    try {
      assert.deepEqual((await second.start(keys.sealedSeed)).ioPublicKey, keys.ioPublicKey);
    } finally {
      await second.stop();
    }
    const elsewhere = await Enclave.start({
      home: tempHome(),
      genesisPolicy: openPolicy,
      services: new MemoryHost(),
    });
    try {
      await assert.rejects(elsewhere.start(keys.sealedSeed), refusedWith('UNSEAL_FAILED'));
    } finally {
      await elsewhere.stop();
    }
  });

  it('refuses a key file readable by group or others, and a malformed one', async () => {
    const home = tempHome();
    writeFileSync(join(home, 'sealing.key'), new Uint8Array(32).fill(5), { mode: 0o600 });
    chmodSync(join(home, 'sealing.key'), 0o640);
    const enclave = await Enclave.start({ home, genesisPolicy: openPolicy, services: new MemoryHost() });
    try {
      await assert.rejects(enclave.bootstrap(), refusedWith('SEALING_KEY_INSECURE'));
      chmodSync(join(home, 'sealing.key'), 0o604);
      await assert.rejects(enclave.bootstrap(), refusedWith('SEALING_KEY_INSECURE'));
      chmodSync(join(home, 'sealing.key'), 0o600);
      writeFileSync(join(home, 'sealing.key'), new Uint8Array(31));
      await assert.rejects(enclave.bootstrap(), refusedWith('SEALING_KEY_MALFORMED'));
    } finally {
      await enclave.stop();
    }
  });

  it('can come from SHROUD_SEALING_KEY instead (then no file is written)', async () => {
    const home = tempHome();
    const saved = process.env.SHROUD_SEALING_KEY;
    try {
      process.env.SHROUD_SEALING_KEY = 'not hex';
      const bad = await Enclave.start({ home, genesisPolicy: openPolicy, services: new MemoryHost() });
      await assert.rejects(bad.bootstrap(), refusedWith('SEALING_KEY_MALFORMED'));
      await bad.stop();
      process.env.SHROUD_SEALING_KEY = '11'.repeat(32);
      const good = await Enclave.start({ home, genesisPolicy: openPolicy, services: new MemoryHost() });
      const keys = await good.bootstrap();
      await good.stop();
      assert.equal(existsSync(join(home, 'sealing.key')), false);
      const again = await Enclave.start({
        home: tempHome(),
        genesisPolicy: openPolicy,
        services: new MemoryHost(),
      });
      assert.deepEqual(
        (await again.start(keys.sealedSeed)).ioPublicKey,
        keys.ioPublicKey,
        'same env key opens it',
      );
      await again.stop();
    } finally {
      if (saved === undefined) delete process.env.SHROUD_SEALING_KEY;
      else process.env.SHROUD_SEALING_KEY = saved;
    }
  });
});
