// Golden vector of the transaction envelope (docs/adr/001-crypto-scheme.md). The expected
// bytes are recomputed here from the ADR's formulas with @noble primitives directly (no code
// from src/crypto), and pinned as hex so that any change to a label, the salt, the IV rule or
// the AAD layout fails: such a change is a new wire format for every client and enclave.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  bytesToHex,
  decryptTxInput,
  decryptTxOutput,
  encryptTxInput,
  encryptTxOutput,
  hexToBytes,
  secp256k1RecoverPublicKey,
  secp256k1Sign,
  secp256k1SignRecoverable,
  secp256k1Verify,
  TX_KDF_SALT,
  txEncryptionKeyPair,
  x25519KeyPairFromSeed,
} from '../../src/crypto/index.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((part) => [...part]));

const networkSeed = new Uint8Array(32).fill(0x01);
const userSeed = new Uint8Array(32).fill(0x02);
const nonce = new Uint8Array(32).fill(0x03);
const txHash = new Uint8Array(32).fill(0x04);
const codeHash = 'ab'.repeat(32);
const plaintext = text(`${codeHash}{"increment":{"by":1}}`);
const associatedData = text('shroud1sender|shroud1contract|100ushr');

/** The ADR's formulas, written out with noble primitives. */
function reference() {
  const networkPublicKey = x25519.getPublicKey(networkSeed);
  const userPublicKey = x25519.getPublicKey(userSeed);
  const shared = x25519.getSharedSecret(userSeed, networkPublicKey);
  const salt = sha256(text('shroud/v1/tx-kdf-salt'));
  const txKey = hkdf(sha256, concat(shared, nonce), salt, text('shroud/v1/tx-key'), 32);
  const inputIv = hmac(sha256, txKey, text('shroud/v1/iv/input')).slice(0, 12);
  inputIv[0]! &= 0x7f;
  const sealed = gcm(txKey, inputIv, concat(nonce, userPublicKey, associatedData)).encrypt(plaintext);
  const outputIv = hmac(
    sha256,
    txKey,
    concat(text('shroud/v1/iv/output'), new Uint8Array(1), txHash, text('data')),
  ).slice(0, 12);
  outputIv[0]! |= 0x80;
  const output = gcm(txKey, outputIv, new Uint8Array(0)).encrypt(text('{"count":2}'));
  return { salt, txKey, envelope: concat(nonce, userPublicKey, sealed), output };
}

describe('transaction envelope golden vector', () => {
  const expected = reference();

  it('TX_KDF_SALT is SHA-256("shroud/v1/tx-kdf-salt")', () => {
    assert.equal(bytesToHex(TX_KDF_SALT), bytesToHex(expected.salt));
  });

  it('encryptTxInput matches the formulas and the pinned bytes', () => {
    const { envelope, txKey } = encryptTxInput({
      networkPublicKey: x25519KeyPairFromSeed(networkSeed).publicKey,
      userKeyPair: x25519KeyPairFromSeed(userSeed),
      plaintext,
      associatedData,
      nonce,
    });
    assert.equal(bytesToHex(txKey), bytesToHex(expected.txKey), 'tx key');
    assert.equal(bytesToHex(envelope), bytesToHex(expected.envelope), 'envelope');
    assert.equal(bytesToHex(txKey), PINNED_TX_KEY, 'pinned tx key');
    assert.equal(bytesToHex(envelope), PINNED_ENVELOPE, 'pinned envelope');
    const opened = decryptTxInput({ networkPrivateKey: networkSeed, envelope, associatedData });
    assert.equal(bytesToHex(opened.plaintext), bytesToHex(plaintext), 'decrypts');
  });

  it('encryptTxOutput matches the formulas and the pinned bytes', () => {
    const output = encryptTxOutput(expected.txKey, txHash, 'data', text('{"count":2}'));
    assert.equal(bytesToHex(output), bytesToHex(expected.output), 'output');
    assert.equal(bytesToHex(output), PINNED_OUTPUT, 'pinned output');
    assert.equal(
      bytesToHex(decryptTxOutput(expected.txKey, txHash, 'data', output)),
      bytesToHex(text('{"count":2}')),
    );
  });

  it('txEncryptionKeyPair is HKDF(account key, TX_KDF_SALT, "shroud/v1/tx-encryption-key")', () => {
    const accountKey = new Uint8Array(32).fill(0x05);
    const seed = hkdf(sha256, accountKey, expected.salt, text('shroud/v1/tx-encryption-key'), 32);
    assert.equal(
      bytesToHex(txEncryptionKeyPair(accountKey).publicKey),
      bytesToHex(x25519.getPublicKey(seed)),
    );
  });
});

describe('secp256k1 RFC 6979 published vector (private key 1, "Satoshi Nakamoto")', () => {
  it('signs, verifies and recovers', () => {
    const privateKey = new Uint8Array(32);
    privateKey[31] = 1;
    const hash = sha256(text('Satoshi Nakamoto'));
    const signature = secp256k1Sign(hash, privateKey);
    assert.equal(
      bytesToHex(signature),
      '934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8' +
        '2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5',
    );
    const generator = hexToBytes('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
    assert.equal(secp256k1Verify(hash, signature, generator), true);
    const { recoveryId } = secp256k1SignRecoverable(hash, privateKey);
    assert.equal(bytesToHex(secp256k1RecoverPublicKey(hash, signature, recoveryId)), bytesToHex(generator));
  });
});

const PINNED_TX_KEY = 'ddd50f5c0459386c3647d613eb1338de7931705f03cfded0d87cd54ee486cac9';
const PINNED_ENVELOPE =
  '0303030303030303030303030303030303030303030303030303030303030303' + // nonce
  'ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59' + // user X25519 public key
  '7076f18ab2b15fa4f24eee2f152b45885203ef277d7fc6b54437b3725fae584e' + // ciphertext (86 bytes)…
  '8ad0450db2bb6988914249bfde37bdd3c7ac11d2ea04ade7b3cc39e578ab798a' +
  '269bc60942d0c010c161ce3816dc84a8c86a2480df44' +
  '31b4d919554b8ba3fbd816e3c02fd33f'; // …and its 16-byte tag
const PINNED_OUTPUT = 'df2397085b6d35f9894d77248bbc05d0fb663c8169e1f77468e527';
