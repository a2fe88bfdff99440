// Properties of the transaction envelope (DESIGN.md §3, docs/adr/001-crypto-scheme.md):
// round trips, tamper evidence of every header and body bit, binding to the network key and
// the associated data, client/enclave key agreement, and IV uniqueness.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bytesToHex,
  CryptoError,
  decryptTxInput,
  decryptTxOutput,
  deriveInputIv,
  deriveOutputIv,
  deriveTxKey,
  encryptTxInput,
  encryptTxOutput,
  generateX25519KeyPair,
  x25519KeyPairFromSeed,
  x25519SharedSecret,
} from '../../src/crypto/index.js';

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const message = fc.uint8Array({ maxLength: 2048 });
const associated = fc.uint8Array({ maxLength: 128 });
const label = fc.string({ minLength: 1, maxLength: 40 });
const network = generateX25519KeyPair();

function expectCode(f: () => unknown, codes: readonly string[], context: string): void {
  let caught: unknown;
  try {
    f();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `${context}: expected ${codes.join(' or ')}, but it succeeded`);
  assert.ok(
    caught instanceof CryptoError,
    `${context}: ${caught instanceof Error ? caught.message : typeof caught} is not a CryptoError`,
  );
  assert.ok(codes.includes(caught.code), `${context}: unexpected code ${caught.code}`);
}

describe('transaction envelope properties', () => {
  it('decrypt(encrypt(m, ad), ad) = m for any message and associated data', () => {
    fc.assert(
      fc.property(bytes(32), message, associated, (userSeed, plaintext, associatedData) => {
        const userKeyPair = x25519KeyPairFromSeed(userSeed);
        const sent = encryptTxInput({
          networkPublicKey: network.publicKey,
          userKeyPair,
          plaintext,
          associatedData,
        });
        assert.equal(sent.envelope.length, 32 + 32 + plaintext.length + 16, 'envelope length');
        const received = decryptTxInput({
          networkPrivateKey: network.privateKey,
          envelope: sent.envelope,
          associatedData,
        });
        assert.deepEqual(received.plaintext, plaintext, 'plaintext');
        assert.deepEqual(received.txKey, sent.txKey, 'tx key');
        assert.deepEqual(received.userPublicKey, userKeyPair.publicKey, 'user key');
        assert.deepEqual(received.nonce, sent.nonce, 'nonce');
      }),
      { numRuns: 100 },
    );
  });

  it('flipping any single bit (nonce, user key, ciphertext, tag) fails with a typed error', () => {
    fc.assert(
      fc.property(
        bytes(32),
        message,
        associated,
        fc.nat(),
        (userSeed, plaintext, associatedData, position) => {
          const userKeyPair = x25519KeyPairFromSeed(userSeed);
          const { envelope } = encryptTxInput({
            networkPublicKey: network.publicKey,
            userKeyPair,
            plaintext,
            associatedData,
          });
          const bit = position % (envelope.length * 8);
          const altered = envelope.slice();
          altered[bit >> 3]! ^= 1 << (bit & 7);
          expectCode(
            () =>
              decryptTxInput({ networkPrivateKey: network.privateKey, envelope: altered, associatedData }),
            ['DECRYPT_FAILED', 'LOW_ORDER_POINT'],
            `bit ${bit} of ${envelope.length * 8}`,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every bit of the header is covered, including the top bit of the user key (masked by X25519)', () => {
    const userKeyPair = generateX25519KeyPair();
    const associatedData = new Uint8Array([1, 2, 3]);
    const { envelope } = encryptTxInput({
      networkPublicKey: network.publicKey,
      userKeyPair,
      plaintext: new Uint8Array([42]),
      associatedData,
    });
    for (let bit = 0; bit < 64 * 8; bit++) {
      const altered = envelope.slice();
      altered[bit >> 3]! ^= 1 << (bit & 7);
      expectCode(
        () => decryptTxInput({ networkPrivateKey: network.privateKey, envelope: altered, associatedData }),
        ['DECRYPT_FAILED', 'LOW_ORDER_POINT'],
        `header bit ${bit}`,
      );
    }
  });

  it('a wrong network key or wrong associated data fails with DECRYPT_FAILED', () => {
    fc.assert(
      fc.property(
        bytes(32),
        message,
        associated,
        associated,
        (otherSeed, plaintext, associatedData, otherData) => {
          fc.pre(bytesToHex(otherData) !== bytesToHex(associatedData));
          const userKeyPair = generateX25519KeyPair();
          const { envelope } = encryptTxInput({
            networkPublicKey: network.publicKey,
            userKeyPair,
            plaintext,
            associatedData,
          });
          const wrongNetwork = x25519KeyPairFromSeed(otherSeed);
          expectCode(
            () => decryptTxInput({ networkPrivateKey: wrongNetwork.privateKey, envelope, associatedData }),
            ['DECRYPT_FAILED'],
            'wrong network key',
          );
          expectCode(
            () =>
              decryptTxInput({ networkPrivateKey: network.privateKey, envelope, associatedData: otherData }),
            ['DECRYPT_FAILED'],
            'wrong associated data',
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('client-side and enclave-side derivations of tx_key agree', () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), bytes(32), (userSeed, networkSeed, nonce) => {
        const user = x25519KeyPairFromSeed(userSeed);
        const net = x25519KeyPairFromSeed(networkSeed);
        const clientKey = deriveTxKey(x25519SharedSecret(user.privateKey, net.publicKey), nonce);
        const enclaveKey = deriveTxKey(x25519SharedSecret(net.privateKey, user.publicKey), nonce);
        assert.deepEqual(clientKey, enclaveKey, 'tx keys');
        const sent = encryptTxInput({
          networkPublicKey: net.publicKey,
          userKeyPair: user,
          plaintext: new Uint8Array(1),
          associatedData: new Uint8Array(0),
          nonce,
        });
        assert.deepEqual(sent.txKey, clientKey, 'encryptTxInput uses the same key');
      }),
      { numRuns: 100 },
    );
  });

  it('outputs round-trip; a wrong tx key, tx hash or label fails', () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), label, label, message, (txKey, txHash, first, second, plaintext) => {
        fc.pre(first !== second);
        const sealed = encryptTxOutput(txKey, txHash, first, plaintext);
        assert.deepEqual(decryptTxOutput(txKey, txHash, first, sealed), plaintext, 'round trip');
        expectCode(() => decryptTxOutput(txKey, txHash, second, sealed), ['DECRYPT_FAILED'], 'other label');
        const otherHash = txHash.slice();
        otherHash[0]! ^= 1;
        expectCode(() => decryptTxOutput(txKey, otherHash, first, sealed), ['DECRYPT_FAILED'], 'other hash');
        const otherKey = txKey.slice();
        otherKey[31]! ^= 0x80;
        expectCode(() => decryptTxOutput(otherKey, txHash, first, sealed), ['DECRYPT_FAILED'], 'other key');
      }),
      { numRuns: 100 },
    );
  });

  it('output IVs differ across labels and tx hashes and never equal the input IV', () => {
    fc.assert(
      fc.property(
        bytes(32),
        fc.uniqueArray(bytes(32), { minLength: 1, maxLength: 4, selector: bytesToHex }),
        fc.uniqueArray(label, { minLength: 1, maxLength: 8 }),
        (txKey, hashes, labels) => {
          const inputIv = bytesToHex(deriveInputIv(txKey));
          const seen = new Set<string>();
          for (const txHash of hashes) {
            for (const name of labels) {
              const iv = bytesToHex(deriveOutputIv(txKey, txHash, name));
              assert.notEqual(iv, inputIv, `output IV equals the input IV for label ${name}`);
              assert.ok(!seen.has(iv), `IV reused for label ${name}`);
              seen.add(iv);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the input IV lies in the lower half of the IV space and output IVs in the upper half', () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), label, (txKey, txHash, name) => {
        assert.equal(deriveInputIv(txKey)[0]! & 0x80, 0, 'input IV top bit');
        assert.equal(deriveOutputIv(txKey, txHash, name)[0]! & 0x80, 0x80, 'output IV top bit');
      }),
    );
  });
});
