// Hostile input: random strings and bytes thrown at every parsing or verifying function must
// yield a result or a CryptoError, never another exception (a library's TypeError/RangeError
// escaping would crash a node on attacker input) — on both backends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  createCryptoApi,
  CryptoError,
  fromBech32,
  hexToBytes,
  type CryptoApi,
} from '../../src/crypto/index.js';
import { nativeBackend } from '../../src/crypto/native.js';
import { pureBackend } from '../../src/crypto/pure.js';

const anyBytes = fc.uint8Array({ maxLength: 200 });
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const anyString = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.stringMatching(/^[a-zA-Z]{1,10}1[02-9ac-hj-np-zA-Z]{0,70}$/),
  fc.stringMatching(/^m(\/[0-9]{0,11}'?){0,6}$/),
);

/** Runs `f`; only a normal return or a CryptoError is acceptable. */
function contained(f: () => unknown, context: string): void {
  try {
    f();
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
    assert.ok(error instanceof CryptoError, `${context} threw a non-CryptoError: ${detail}`);
  }
}

for (const api of [createCryptoApi(nativeBackend), createCryptoApi(pureBackend)] as CryptoApi[]) {
  describe(`hostile input is contained (${api.backendName} backend)`, () => {
    it('string parsers: hex, bech32, mnemonics, BIP32 paths', () => {
      fc.assert(
        fc.property(anyString, (text) => {
          contained(() => api.validateMnemonic(text), `validateMnemonic(${JSON.stringify(text)})`);
          assert.equal(typeof api.validateMnemonic(text), 'boolean', 'validateMnemonic returns a boolean');
          contained(() => api.mnemonicToSeed(text), 'mnemonicToSeed');
          contained(() => api.deriveHdKey(new Uint8Array(32), text), `deriveHdKey(${JSON.stringify(text)})`);
        }),
        { numRuns: 200 },
      );
    });

    it('signature verification and recovery over random bytes', () => {
      fc.assert(
        fc.property(
          bytes(32),
          bytes(64),
          fc.oneof(bytes(33), bytes(65)),
          bytes(32),
          fc.integer({ min: 0, max: 3 }),
          (hash, signature, secpKey, edKey, recoveryId) => {
            contained(() => api.secp256k1Verify(hash, signature, secpKey), 'secp256k1Verify');
            contained(
              () => api.secp256k1RecoverPublicKey(hash, signature, recoveryId),
              'secp256k1RecoverPublicKey',
            );
            contained(() => api.secp256k1ConvertPublicKey(secpKey), 'secp256k1ConvertPublicKey');
            contained(() => api.addressFromPublicKey(secpKey.subarray(0, 33)), 'addressFromPublicKey');
            assert.equal(api.ed25519Verify(hash, signature, edKey), false, 'random ed25519 signature');
          },
        ),
        { numRuns: 200 },
      );
    });

    it('envelopes and sealed outputs of random bytes', () => {
      const network = api.generateX25519KeyPair();
      fc.assert(
        fc.property(anyBytes, anyBytes, bytes(32), (envelope, associatedData, txKey) => {
          contained(
            () => api.decryptTxInput({ networkPrivateKey: network.privateKey, envelope, associatedData }),
            'decryptTxInput',
          );
          contained(() => api.decryptTxOutput(txKey, txKey, 'data', envelope), 'decryptTxOutput');
          contained(() => api.aesGcmDecrypt(txKey, txKey.subarray(0, 12), envelope), 'aesGcmDecrypt');
        }),
        { numRuns: 200 },
      );
    });
  });
}

describe('hostile strings for the backend-free parsers', () => {
  it('hexToBytes and fromBech32 only throw CryptoError', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        contained(() => hexToBytes(text), `hexToBytes(${JSON.stringify(text)})`);
        contained(() => fromBech32(text), `fromBech32(${JSON.stringify(text)})`);
      }),
      { numRuns: 500 },
    );
  });
});
