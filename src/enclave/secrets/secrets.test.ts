import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, generateX25519KeyPair, randomBytes, sha256 } from '../../crypto/index.js';
import { hasErrorCode } from '../../errors.js';
import { deriveNetworkSecrets, publicKeysOf } from './network-secrets.js';
import { sealSeed, unsealSeed, SEALED_SEED_BYTES } from './sealing.js';
import { decryptSeedFromNetwork, encryptSeedForNode } from './seed-exchange.js';
import {
  decodeQuote,
  encodeQuote,
  signQuote,
  verifyQuote,
  type AttestationPolicy,
  type QuoteBody,
} from './attestation.js';
import { contractStateKey, decryptStateValue, diskKey, encryptStateValue } from './state-encryption.js';

const seed = new Uint8Array(32).fill(7);
const withCode = (code: string) => (error: unknown) => hasErrorCode(error, code);

describe('network secrets', () => {
  it('are a deterministic function of the seed, all distinct', () => {
    const a = deriveNetworkSecrets(seed);
    const b = deriveNetworkSecrets(Uint8Array.from(seed));
    assert.deepEqual(a, b);
    const values = [
      a.ioKeyPair.privateKey,
      a.stateKeyMaterial,
      a.callbackSecret,
      a.randomnessSecret,
      a.seedExchangeKeyPair.privateKey,
    ].map(bytesToHex);
    assert.equal(new Set(values).size, values.length);
    assert.notDeepEqual(publicKeysOf(a), publicKeysOf(deriveNetworkSecrets(new Uint8Array(32).fill(8))));
  });

  it('refuse a seed of the wrong length', () => {
    assert.throws(() => deriveNetworkSecrets(new Uint8Array(31)), withCode('NOT_INITIALIZED'));
  });
});

describe('sealing', () => {
  const sealingKey = new Uint8Array(32).fill(1);

  it('round-trips, with a fresh IV per seal', () => {
    const first = sealSeed(seed, sealingKey);
    assert.equal(first.byteLength, SEALED_SEED_BYTES);
    assert.deepEqual(unsealSeed(first, sealingKey), seed);
    assert.notDeepEqual(sealSeed(seed, sealingKey), first);
  });

  it('refuses a foreign blob, a tampered blob and a malformed one', () => {
    const blob = sealSeed(seed, sealingKey);
    assert.throws(() => unsealSeed(blob, new Uint8Array(32).fill(2)), withCode('UNSEAL_FAILED'));
    for (let i = 1; i < blob.byteLength; i++) {
      const tampered = Uint8Array.from(blob);
      tampered[i]! ^= 0x01;
      assert.throws(() => unsealSeed(tampered, sealingKey), withCode('UNSEAL_FAILED'), `byte ${i}`);
    }
    const wrongVersion = Uint8Array.from(blob);
    wrongVersion[0] = 2;
    assert.throws(() => unsealSeed(wrongVersion, sealingKey), withCode('SEALED_BLOB_MALFORMED'));
    assert.throws(() => unsealSeed(blob.subarray(1), sealingKey), withCode('SEALED_BLOB_MALFORMED'));
    assert.throws(() => unsealSeed(blob, new Uint8Array(16)), withCode('SEALING_KEY_MALFORMED'));
  });
});

describe('seed exchange', () => {
  const network = deriveNetworkSecrets(seed);

  it('delivers the seed to the attested enclave only, deterministically', () => {
    const node = generateX25519KeyPair();
    const blob = encryptSeedForNode(seed, network.seedExchangeKeyPair, node.publicKey);
    assert.deepEqual(blob, encryptSeedForNode(seed, network.seedExchangeKeyPair, node.publicKey));
    assert.deepEqual(decryptSeedFromNetwork(blob, node, network.seedExchangeKeyPair.publicKey), seed);

    const eavesdropper = generateX25519KeyPair();
    assert.throws(
      () => decryptSeedFromNetwork(blob, eavesdropper, network.seedExchangeKeyPair.publicKey),
      withCode('SEED_EXCHANGE_FAILED'),
    );
    const otherNetwork = deriveNetworkSecrets(new Uint8Array(32).fill(9));
    assert.throws(
      () => decryptSeedFromNetwork(blob, node, otherNetwork.seedExchangeKeyPair.publicKey),
      withCode('SEED_EXCHANGE_FAILED'),
    );
    const tampered = Uint8Array.from(blob);
    tampered[5]! ^= 0x80;
    assert.throws(
      () => decryptSeedFromNetwork(tampered, node, network.seedExchangeKeyPair.publicKey),
      withCode('SEED_EXCHANGE_FAILED'),
    );
    assert.throws(
      () => decryptSeedFromNetwork(blob.subarray(1), node, network.seedExchangeKeyPair.publicKey),
      withCode('SEED_EXCHANGE_FAILED'),
    );
  });
});

describe('attestation quotes', () => {
  const authoritySeed = new Uint8Array(32).fill(3);
  const body: QuoteBody = {
    measurement: new Uint8Array(32).fill(0xaa),
    registrationPublicKey: generateX25519KeyPair().publicKey,
    platformId: new Uint8Array(32).fill(0x11),
    timestampSeconds: 1_800_000_000n,
  };
  const quote = signQuote(body, authoritySeed);
  const policy: AttestationPolicy = {
    trustedAuthorities: [quote.authorityPublicKey],
    allowedMeasurements: [body.measurement],
    nowSeconds: 1_800_000_100n,
    maxAgeSeconds: 3_600n,
    maxClockSkewSeconds: 60n,
  };

  it('verifies a genuine quote and survives encode/decode', () => {
    verifyQuote(quote, policy);
    const decoded = decodeQuote(encodeQuote(quote));
    assert.deepEqual(decoded, quote);
    verifyQuote(decoded, policy);
  });

  it('refuses forged, altered, untrusted, wrong-measurement, expired and future quotes', () => {
    const encoded = encodeQuote(quote);
    for (let i = 1; i < encoded.byteLength; i++) {
      const altered = Uint8Array.from(encoded);
      altered[i]! ^= 0x01;
      assert.throws(() => verifyQuote(decodeQuote(altered), policy), `byte ${i} altered must not verify`);
    }
    const forged = signQuote(body, new Uint8Array(32).fill(4));
    assert.throws(() => verifyQuote(forged, policy), withCode('QUOTE_UNTRUSTED_AUTHORITY'));
    assert.throws(
      () => verifyQuote({ ...forged, authorityPublicKey: quote.authorityPublicKey }, policy),
      withCode('QUOTE_BAD_SIGNATURE'),
    );
    assert.throws(
      () => verifyQuote({ ...quote, registrationPublicKey: generateX25519KeyPair().publicKey }, policy),
      withCode('QUOTE_BAD_SIGNATURE'),
    );
    const otherBuild = signQuote({ ...body, measurement: new Uint8Array(32).fill(0xbb) }, authoritySeed);
    assert.throws(() => verifyQuote(otherBuild, policy), withCode('QUOTE_WRONG_MEASUREMENT'));
    assert.throws(
      () => verifyQuote(quote, { ...policy, nowSeconds: 1_800_003_601n }),
      withCode('QUOTE_EXPIRED'),
    );
    assert.throws(
      () => verifyQuote(quote, { ...policy, nowSeconds: 1_799_999_939n }),
      withCode('QUOTE_FROM_FUTURE'),
    );
    assert.throws(() => decodeQuote(encoded.subarray(1)), withCode('QUOTE_MALFORMED'));
    assert.throws(
      () => signQuote({ ...body, platformId: new Uint8Array(31) }, authoritySeed),
      withCode('QUOTE_MALFORMED'),
    );
  });
});

describe('state encryption', () => {
  const network = deriveNetworkSecrets(seed);
  const contractA = new Uint8Array(32).fill(0xa1);
  const contractB = new Uint8Array(32).fill(0xb2);
  const keyA = contractStateKey(network.stateKeyMaterial, contractA);
  const keyB = contractStateKey(network.stateKeyMaterial, contractB);
  const value = new TextEncoder().encode('balance=100');
  const salt = Uint8Array.of(0, 0, 0, 1);

  it('round-trips deterministically and hides equal values under different salts', () => {
    const slot = diskKey(keyA, new TextEncoder().encode('balance'));
    const blob = encryptStateValue(keyA, contractA, slot, value, salt);
    assert.deepEqual(blob, encryptStateValue(keyA, contractA, slot, value, salt));
    assert.notDeepEqual(blob, encryptStateValue(keyA, contractA, slot, value, Uint8Array.of(0, 0, 0, 2)));
    assert.deepEqual(decryptStateValue(keyA, contractA, slot, blob), value);
    assert.notDeepEqual(
      diskKey(keyA, new TextEncoder().encode('balance')),
      diskKey(keyB, new TextEncoder().encode('balance')),
    );
  });

  it('refuses a value moved to another slot or contract, or altered', () => {
    const slot = diskKey(keyA, new TextEncoder().encode('balance'));
    const otherSlot = diskKey(keyA, new TextEncoder().encode('owner'));
    const blob = encryptStateValue(keyA, contractA, slot, value, salt);
    assert.throws(
      () => decryptStateValue(keyA, contractA, otherSlot, blob),
      withCode('STATE_VALUE_TAMPERED'),
    );
    assert.throws(() => decryptStateValue(keyB, contractB, slot, blob), withCode('STATE_VALUE_TAMPERED'));
    assert.throws(() => decryptStateValue(keyA, contractB, slot, blob), withCode('STATE_VALUE_TAMPERED'));
    for (let i = 1; i < blob.byteLength; i++) {
      const altered = Uint8Array.from(blob);
      altered[i]! ^= 0x04;
      assert.throws(
        () => decryptStateValue(keyA, contractA, slot, altered),
        withCode('STATE_VALUE_TAMPERED'),
        `byte ${i}`,
      );
    }
    assert.throws(
      () => decryptStateValue(keyA, contractA, slot, blob.subarray(0, 10)),
      withCode('STATE_VALUE_MALFORMED'),
    );
  });

  it('writes the same bytes as before (golden blobs: short value, and one past the short-hash path)', () => {
    // Computed by the implementation before the hot-path rewrite (concatBytes + createHmac):
    // every validator must keep producing these bytes, or app hashes diverge.
    const key = contractStateKey(new Uint8Array(32).fill(7), new Uint8Array(20).fill(0xa1));
    assert.equal(bytesToHex(key), '0124b7412223bdb68b1110c21434dac99d2ccee70469470763e58be6843379bf');
    const slot = diskKey(key, new TextEncoder().encode('balance'));
    assert.equal(bytesToHex(slot), '2ac97d9a4236a1a6dd0ba2ad0cb9315bad1f2d3405bfe4bfe23be01b8e66645d');
    const contract = new Uint8Array(20).fill(0xa1);
    const short = encryptStateValue(key, contract, slot, value, salt);
    assert.equal(
      bytesToHex(short),
      '01befd99711579047e7f4e2ec05d21b795cb4cc108fb5d8131e24c8d5cd49e051739c0783e39b2f7',
    );
    const long = new Uint8Array(300).map((_, i) => (i * 7) & 255);
    const blob = encryptStateValue(key, contract, slot, long, salt);
    assert.equal(bytesToHex(blob.subarray(0, 13)), '014c27499ab2e069bdc1260a36', 'version and IV');
    assert.equal(blob.length, 329, 'length');
    assert.equal(
      bytesToHex(sha256(blob)),
      'e1f5cd2f5e70f62486e2bb512a473d214db62ecc53cf4260738b02affbb44ca2',
      'whole blob',
    );
    assert.deepEqual(decryptStateValue(key, contract, slot, blob), long);
    assert.deepEqual(decryptStateValue(key, contract, slot, short), value);
  });

  it('uses a distinct IV for distinct values in one slot', () => {
    const slot = diskKey(keyA, randomBytes(8));
    const ivs = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const blob = encryptStateValue(keyA, contractA, slot, Uint8Array.of(i), salt);
      ivs.add(bytesToHex(blob.subarray(1, 13)));
    }
    assert.equal(ivs.size, 200);
  });
});
