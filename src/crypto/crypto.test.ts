// Unit tests of src/crypto's public API: bad input for every function (each must throw a
// CryptoError with the expected code and a message naming the argument, never a library
// exception or a wrong result), plus behaviour the vector and property suites do not cover.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bech32 } from '@scure/base';
import * as crypto from './index.js';
import { nativeBackend } from './native.js';
import { pureBackend } from './pure.js';
import { CryptoError, createCryptoApi, hexToBytes, type CryptoApi } from './index.js';

const { bytesToHex, concatBytes, utf8Decode, utf8Encode, toBech32, fromBech32, decodeBech32WithPrefix } =
  crypto;
const zeros = (length: number): Uint8Array => new Uint8Array(length);
const filled = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);
const VALID_MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const ORDER_HEX = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';

function expectCryptoError(f: () => unknown, code: string, messagePart: string, context: string): void {
  let caught: unknown;
  try {
    f();
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof CryptoError,
    `${context}: expected CryptoError ${code}, got ${describeThrown(caught)}`,
  );
  assert.equal(caught.code, code, `${context}: code (message: ${caught.message})`);
  assert.ok(
    caught.message.includes(messagePart),
    `${context}: message "${caught.message}" lacks "${messagePart}"`,
  );
}

function describeThrown(value: unknown): string {
  return value instanceof Error
    ? `${value.name}: ${value.message}`
    : value === undefined
      ? 'no error'
      : typeof value;
}

/** [what, call, code, text the message must contain]: every public function, malformed inputs. */
function badInputCases(api: CryptoApi): [string, () => unknown, string, string][] {
  const network = api.x25519KeyPairFromSeed(filled(32, 1));
  const user = api.x25519KeyPairFromSeed(filled(32, 2));
  const goodEnvelope = api.encryptTxInput({
    networkPublicKey: network.publicKey,
    userKeyPair: user,
    plaintext: utf8Encode('x'),
    associatedData: zeros(0),
  }).envelope;
  const privateKey = filled(32, 7);
  const publicKey = api.secp256k1PublicKey(privateKey);
  const hash = filled(32, 9);
  const signature = api.secp256k1Sign(hash, privateKey);
  const notAPoint = concatBytes(new Uint8Array([2]), filled(32, 0xff)); // x ≥ p
  const asAny = (value: unknown) => value as Uint8Array; // deliberately wrong types from JS callers
  return [
    ['randomBytes(-1)', () => api.randomBytes(-1), 'INVALID_ARGUMENT', 'length'],
    ['randomBytes(1.5)', () => api.randomBytes(1.5), 'INVALID_ARGUMENT', 'length'],
    ['randomBytes(2^21)', () => api.randomBytes(2 ** 21), 'INVALID_ARGUMENT', 'length'],
    [
      'constantTimeEqual(string)',
      () => api.constantTimeEqual(asAny('ab'), zeros(1)),
      'INVALID_ARGUMENT',
      'a must',
    ],
    ['sha256(string)', () => api.sha256(asAny('abc')), 'INVALID_ARGUMENT', 'data must be a Uint8Array'],
    ['sha256(array)', () => api.sha256(asAny([1, 2])), 'INVALID_ARGUMENT', 'data'],
    ['ripemd160(null)', () => api.ripemd160(asAny(null)), 'INVALID_ARGUMENT', 'got null'],
    ['hmacSha256(key string)', () => api.hmacSha256(asAny('k'), zeros(1)), 'INVALID_ARGUMENT', 'key'],
    [
      'hkdfSha256(length 0)',
      () => api.hkdfSha256(zeros(1), zeros(0), zeros(0), 0),
      'INVALID_ARGUMENT',
      'length',
    ],
    [
      'hkdfSha256(length 8161)',
      () => api.hkdfSha256(zeros(1), zeros(0), zeros(0), 8161),
      'INVALID_ARGUMENT',
      '8160',
    ],
    [
      'hkdfSha256(info)',
      () => api.hkdfSha256(zeros(1), zeros(0), asAny(undefined), 32),
      'INVALID_ARGUMENT',
      'info',
    ],
    [
      'aesGcmEncrypt(key 31)',
      () => api.aesGcmEncrypt(zeros(31), zeros(12), zeros(1)),
      'INVALID_LENGTH',
      'key must be 32 bytes, got 31',
    ],
    [
      'aesGcmEncrypt(iv 16)',
      () => api.aesGcmEncrypt(zeros(32), zeros(16), zeros(1)),
      'INVALID_LENGTH',
      'iv must be 12 bytes, got 16',
    ],
    [
      'aesGcmEncrypt(aad)',
      () => api.aesGcmEncrypt(zeros(32), zeros(12), zeros(1), asAny('x')),
      'INVALID_ARGUMENT',
      'aad',
    ],
    [
      'aesGcmDecrypt(sealed 15)',
      () => api.aesGcmDecrypt(zeros(32), zeros(12), zeros(15)),
      'INVALID_LENGTH',
      'sealed',
    ],
    [
      'aesGcmDecrypt(forged)',
      () => api.aesGcmDecrypt(zeros(32), zeros(12), zeros(40)),
      'DECRYPT_FAILED',
      'authentication',
    ],
    [
      'x25519KeyPairFromSeed(33)',
      () => api.x25519KeyPairFromSeed(zeros(33)),
      'INVALID_LENGTH',
      'seed must be 32 bytes, got 33',
    ],
    [
      'x25519SharedSecret(priv 31)',
      () => api.x25519SharedSecret(zeros(31), network.publicKey),
      'INVALID_LENGTH',
      'privateKey',
    ],
    [
      'x25519SharedSecret(peer 0)',
      () => api.x25519SharedSecret(user.privateKey, zeros(0)),
      'INVALID_LENGTH',
      'peerPublicKey',
    ],
    [
      'x25519SharedSecret(u = 0)',
      () => api.x25519SharedSecret(user.privateKey, zeros(32)),
      'LOW_ORDER_POINT',
      'low-order',
    ],
    [
      'x25519SharedSecret(u = 1)',
      () => api.x25519SharedSecret(user.privateKey, hexToBytes('01' + '00'.repeat(31))),
      'LOW_ORDER_POINT',
      'low-order',
    ],
    ['deriveTxKey(shared 31)', () => api.deriveTxKey(zeros(31), zeros(32)), 'INVALID_LENGTH', 'sharedSecret'],
    [
      'deriveTxKey(nonce 12)',
      () => api.deriveTxKey(zeros(32), zeros(12)),
      'INVALID_LENGTH',
      'nonce must be 32 bytes, got 12',
    ],
    ['deriveInputIv(txKey 16)', () => api.deriveInputIv(zeros(16)), 'INVALID_LENGTH', 'txKey'],
    [
      'deriveOutputIv(txHash 20)',
      () => api.deriveOutputIv(zeros(32), zeros(20), 'data'),
      'INVALID_LENGTH',
      'txHash',
    ],
    [
      'deriveOutputIv(label "")',
      () => api.deriveOutputIv(zeros(32), zeros(32), ''),
      'INVALID_ARGUMENT',
      'label',
    ],
    [
      'deriveOutputIv(label 257 bytes)',
      () => api.deriveOutputIv(zeros(32), zeros(32), 'x'.repeat(257)),
      'INVALID_ARGUMENT',
      'label',
    ],
    [
      'deriveOutputIv(label number)',
      () => api.deriveOutputIv(zeros(32), zeros(32), 7 as unknown as string),
      'INVALID_ARGUMENT',
      'label',
    ],
    ['parseTxEnvelope(79 bytes)', () => api.parseTxEnvelope(zeros(79)), 'ENVELOPE_TOO_SHORT', 'got 79'],
    ['parseTxEnvelope(string)', () => api.parseTxEnvelope(asAny('ab')), 'INVALID_ARGUMENT', 'envelope'],
    [
      'encryptTxInput(null)',
      () => api.encryptTxInput(null as unknown as crypto.EncryptTxInputArgs),
      'INVALID_ARGUMENT',
      'arguments object',
    ],
    [
      'encryptTxInput(network key 31)',
      () =>
        api.encryptTxInput({
          networkPublicKey: zeros(31),
          userKeyPair: user,
          plaintext: zeros(1),
          associatedData: zeros(0),
        }),
      'INVALID_LENGTH',
      'networkPublicKey',
    ],
    [
      'encryptTxInput(low-order network key)',
      () =>
        api.encryptTxInput({
          networkPublicKey: zeros(32),
          userKeyPair: user,
          plaintext: zeros(1),
          associatedData: zeros(0),
        }),
      'LOW_ORDER_POINT',
      'low-order',
    ],
    [
      'encryptTxInput(missing key pair)',
      () =>
        api.encryptTxInput({
          networkPublicKey: network.publicKey,
          userKeyPair: undefined as unknown as crypto.X25519KeyPair,
          plaintext: zeros(1),
          associatedData: zeros(0),
        }),
      'INVALID_ARGUMENT',
      'userKeyPair',
    ],
    [
      'encryptTxInput(mismatched key pair)',
      () =>
        api.encryptTxInput({
          networkPublicKey: network.publicKey,
          userKeyPair: { privateKey: user.privateKey, publicKey: network.publicKey },
          plaintext: zeros(1),
          associatedData: zeros(0),
        }),
      'INVALID_KEY',
      'does not match',
    ],
    [
      'encryptTxInput(nonce 31)',
      () =>
        api.encryptTxInput({
          networkPublicKey: network.publicKey,
          userKeyPair: user,
          plaintext: zeros(1),
          associatedData: zeros(0),
          nonce: zeros(31),
        }),
      'INVALID_LENGTH',
      'nonce',
    ],
    [
      'encryptTxInput(plaintext string)',
      () =>
        api.encryptTxInput({
          networkPublicKey: network.publicKey,
          userKeyPair: user,
          plaintext: asAny('hi'),
          associatedData: zeros(0),
        }),
      'INVALID_ARGUMENT',
      'plaintext',
    ],
    [
      'decryptTxInput(short envelope)',
      () =>
        api.decryptTxInput({
          networkPrivateKey: network.privateKey,
          envelope: goodEnvelope.subarray(0, 79),
          associatedData: zeros(0),
        }),
      'ENVELOPE_TOO_SHORT',
      'envelope',
    ],
    [
      'decryptTxInput(truncated tag)',
      () =>
        api.decryptTxInput({
          networkPrivateKey: network.privateKey,
          envelope: goodEnvelope.subarray(0, goodEnvelope.length - 1),
          associatedData: zeros(0),
        }),
      'DECRYPT_FAILED',
      'authentication',
    ],
    [
      'decryptTxInput(appended byte)',
      () =>
        api.decryptTxInput({
          networkPrivateKey: network.privateKey,
          envelope: concatBytes(goodEnvelope, zeros(1)),
          associatedData: zeros(0),
        }),
      'DECRYPT_FAILED',
      'authentication',
    ],
    [
      'decryptTxInput(network key 64)',
      () =>
        api.decryptTxInput({
          networkPrivateKey: zeros(64),
          envelope: goodEnvelope,
          associatedData: zeros(0),
        }),
      'INVALID_LENGTH',
      'networkPrivateKey',
    ],
    [
      'decryptTxInput(low-order user key)',
      () =>
        api.decryptTxInput({
          networkPrivateKey: network.privateKey,
          envelope: concatBytes(zeros(32), zeros(32), zeros(16)),
          associatedData: zeros(0),
        }),
      'LOW_ORDER_POINT',
      'low-order',
    ],
    [
      'decryptTxInput(associatedData missing)',
      () =>
        api.decryptTxInput({
          networkPrivateKey: network.privateKey,
          envelope: goodEnvelope,
          associatedData: asAny(undefined),
        }),
      'INVALID_ARGUMENT',
      'associatedData',
    ],
    [
      'encryptTxOutput(txKey 31)',
      () => api.encryptTxOutput(zeros(31), zeros(32), 'data', zeros(1)),
      'INVALID_LENGTH',
      'txKey',
    ],
    [
      'encryptTxOutput(plaintext)',
      () => api.encryptTxOutput(zeros(32), zeros(32), 'data', asAny(5)),
      'INVALID_ARGUMENT',
      'plaintext',
    ],
    [
      'decryptTxOutput(sealed 3)',
      () => api.decryptTxOutput(zeros(32), zeros(32), 'data', zeros(3)),
      'INVALID_LENGTH',
      'sealed',
    ],
    [
      'decryptTxOutput(forged)',
      () => api.decryptTxOutput(zeros(32), zeros(32), 'data', zeros(20)),
      'DECRYPT_FAILED',
      'authentication',
    ],
    [
      'secp256k1PublicKey(31)',
      () => api.secp256k1PublicKey(zeros(31)),
      'INVALID_LENGTH',
      'privateKey must be 32 bytes, got 31',
    ],
    ['secp256k1PublicKey(0)', () => api.secp256k1PublicKey(zeros(32)), 'INVALID_KEY', 'privateKey'],
    [
      'secp256k1PublicKey(n)',
      () => api.secp256k1PublicKey(hexToBytes(ORDER_HEX)),
      'INVALID_KEY',
      'privateKey',
    ],
    [
      'secp256k1PublicKey(compressed "yes")',
      () => api.secp256k1PublicKey(privateKey, 'yes' as unknown as boolean),
      'INVALID_ARGUMENT',
      'compressed',
    ],
    [
      'secp256k1ConvertPublicKey(not a point)',
      () => api.secp256k1ConvertPublicKey(notAPoint),
      'INVALID_KEY',
      'publicKey',
    ],
    [
      'secp256k1ConvertPublicKey(34)',
      () => api.secp256k1ConvertPublicKey(zeros(34)),
      'INVALID_LENGTH',
      'publicKey must be 33 or 65 bytes',
    ],
    [
      'secp256k1Sign(hash 31)',
      () => api.secp256k1Sign(zeros(31), privateKey),
      'INVALID_LENGTH',
      'messageHash',
    ],
    [
      'secp256k1Sign(key n)',
      () => api.secp256k1Sign(hash, hexToBytes(ORDER_HEX)),
      'INVALID_KEY',
      'privateKey',
    ],
    [
      'secp256k1SignRecoverable(key 0)',
      () => api.secp256k1SignRecoverable(hash, zeros(32)),
      'INVALID_KEY',
      'privateKey',
    ],
    [
      'secp256k1Verify(sig 65)',
      () => api.secp256k1Verify(hash, zeros(65), publicKey),
      'INVALID_LENGTH',
      'signature must be 64 bytes, got 65',
    ],
    [
      'secp256k1Verify(key 32)',
      () => api.secp256k1Verify(hash, signature, zeros(32)),
      'INVALID_LENGTH',
      'publicKey',
    ],
    [
      'secp256k1Verify(key not a point)',
      () => api.secp256k1Verify(hash, signature, notAPoint),
      'INVALID_KEY',
      'publicKey',
    ],
    [
      'secp256k1Verify(hybrid 0x06 key)',
      () =>
        api.secp256k1Verify(
          hash,
          signature,
          concatBytes(new Uint8Array([6]), api.secp256k1PublicKey(privateKey, false).subarray(1)),
        ),
      'INVALID_KEY',
      'publicKey',
    ],
    [
      'secp256k1Verify(key not a point, zero sig)',
      () => api.secp256k1Verify(hash, zeros(64), notAPoint),
      'INVALID_KEY',
      'publicKey',
    ],
    [
      'secp256k1RecoverPublicKey(id 4)',
      () => api.secp256k1RecoverPublicKey(hash, signature, 4),
      'INVALID_ARGUMENT',
      'recoveryId',
    ],
    [
      'secp256k1RecoverPublicKey(id 0.5)',
      () => api.secp256k1RecoverPublicKey(hash, signature, 0.5),
      'INVALID_ARGUMENT',
      'recoveryId',
    ],
    [
      'secp256k1RecoverPublicKey(r = 0)',
      () => api.secp256k1RecoverPublicKey(hash, concatBytes(zeros(32), signature.subarray(32)), 0),
      'INVALID_SIGNATURE_ENCODING',
      'signature',
    ],
    [
      'secp256k1RecoverPublicKey(s = n)',
      () =>
        api.secp256k1RecoverPublicKey(hash, concatBytes(signature.subarray(0, 32), hexToBytes(ORDER_HEX)), 0),
      'INVALID_SIGNATURE_ENCODING',
      'signature',
    ],
    [
      'secp256k1RecoverPublicKey(sig 63)',
      () => api.secp256k1RecoverPublicKey(hash, zeros(63), 0),
      'INVALID_LENGTH',
      'signature',
    ],
    [
      'ed25519KeyPairFromSeed(64)',
      () => api.ed25519KeyPairFromSeed(zeros(64)),
      'INVALID_LENGTH',
      'seed must be 32 bytes, got 64',
    ],
    [
      'ed25519Sign(message string)',
      () => api.ed25519Sign(asAny('m'), zeros(32)),
      'INVALID_ARGUMENT',
      'message',
    ],
    ['ed25519Sign(seed 31)', () => api.ed25519Sign(zeros(1), zeros(31)), 'INVALID_LENGTH', 'seed'],
    [
      'ed25519Verify(sig 63)',
      () => api.ed25519Verify(zeros(1), zeros(63), zeros(32)),
      'INVALID_LENGTH',
      'signature',
    ],
    [
      'ed25519Verify(key 33)',
      () => api.ed25519Verify(zeros(1), zeros(64), zeros(33)),
      'INVALID_LENGTH',
      'publicKey',
    ],
    [
      'addressFromPublicKey(65)',
      () => api.addressFromPublicKey(api.secp256k1PublicKey(privateKey, false)),
      'INVALID_LENGTH',
      'compressedPublicKey',
    ],
    [
      'addressFromPublicKey(not a point)',
      () => api.addressFromPublicKey(notAPoint),
      'INVALID_KEY',
      'compressedPublicKey',
    ],
    [
      'addressFromPublicKey(prefix 0x04)',
      () => api.addressFromPublicKey(concatBytes(new Uint8Array([4]), publicKey.subarray(1))),
      'INVALID_KEY',
      'compressedPublicKey',
    ],
    [
      'addressFromPublicKey(prefix "Shroud")',
      () => api.addressFromPublicKey(publicKey, 'Shroud'),
      'INVALID_ARGUMENT',
      'prefix',
    ],
    ['generateMnemonic(18)', () => api.generateMnemonic(18 as 12), 'INVALID_ARGUMENT', 'words'],
    [
      'validateMnemonic(number)',
      () => api.validateMnemonic(12 as unknown as string),
      'INVALID_ARGUMENT',
      'mnemonic',
    ],
    [
      'mnemonicToSeed(bad checksum)',
      () => api.mnemonicToSeed(VALID_MNEMONIC.replace(/about$/, 'abandon')),
      'INVALID_MNEMONIC',
      'checksum',
    ],
    [
      'mnemonicToSeed(passphrase)',
      () => api.mnemonicToSeed(VALID_MNEMONIC, 5 as unknown as string),
      'INVALID_ARGUMENT',
      'passphrase',
    ],
    ['deriveHdKey(seed 15)', () => api.deriveHdKey(zeros(15), 'm'), 'INVALID_LENGTH', 'seed'],
    ['deriveHdKey(path "44/0")', () => api.deriveHdKey(zeros(32), '44/0'), 'INVALID_PATH', 'path'],
    [
      'deriveHdKey(path index 2^31)',
      () => api.deriveHdKey(zeros(32), 'm/2147483648'),
      'INVALID_PATH',
      'path',
    ],
    ['deriveHdKey(path "m/1//2")', () => api.deriveHdKey(zeros(32), 'm/1//2'), 'INVALID_PATH', 'path'],
    [
      'accountKeyFromMnemonic(unknown word)',
      () => api.accountKeyFromMnemonic(VALID_MNEMONIC.replace('about', 'aboot')),
      'INVALID_MNEMONIC',
      'mnemonic',
    ],
    [
      'accountKeyFromMnemonic(11 words)',
      () => api.accountKeyFromMnemonic(VALID_MNEMONIC.replace(/ about$/, '')),
      'INVALID_MNEMONIC',
      'word count',
    ],
    [
      'accountKeyFromMnemonic(upper case)',
      () => api.accountKeyFromMnemonic(VALID_MNEMONIC.toUpperCase()),
      'INVALID_MNEMONIC',
      'mnemonic',
    ],
    [
      'accountKeyFromMnemonic(index -1)',
      () => api.accountKeyFromMnemonic(VALID_MNEMONIC, { index: -1 }),
      'INVALID_ARGUMENT',
      'index',
    ],
    [
      'accountKeyFromMnemonic(account 2^31)',
      () => api.accountKeyFromMnemonic(VALID_MNEMONIC, { account: 2 ** 31 }),
      'INVALID_ARGUMENT',
      'account',
    ],
    ['txEncryptionKeyPair(0)', () => api.txEncryptionKeyPair(zeros(32)), 'INVALID_KEY', 'accountPrivateKey'],
    [
      'txEncryptionKeyPair(16)',
      () => api.txEncryptionKeyPair(zeros(16)),
      'INVALID_LENGTH',
      'accountPrivateKey',
    ],
  ];
}

for (const api of [createCryptoApi(nativeBackend), createCryptoApi(pureBackend)]) {
  describe(`bad input is a typed CryptoError (${api.backendName} backend)`, () => {
    it('every public function rejects malformed arguments with the right code and argument name', () => {
      for (const [what, call, code, part] of badInputCases(api)) expectCryptoError(call, code, part, what);
    });
  });
}

describe('bytes helpers', () => {
  it('hex round-trips, accepts upper case, outputs lower case', () => {
    assert.equal(bytesToHex(hexToBytes('00FFaB10')), '00ffab10');
    assert.deepEqual(hexToBytes(''), new Uint8Array(0));
  });
  it('rejects bad hex', () => {
    for (const bad of ['0', 'abc', 'zz', '0x00', '0g', ' 00', '00 ']) {
      expectCryptoError(() => hexToBytes(bad), 'INVALID_HEX', 'hex', `hex "${bad}"`);
    }
    expectCryptoError(() => hexToBytes(12 as unknown as string), 'INVALID_ARGUMENT', 'hex', 'number');
    expectCryptoError(() => bytesToHex('ab' as unknown as Uint8Array), 'INVALID_ARGUMENT', 'bytes', 'string');
  });
  it('utf8 round-trips and rejects malformed UTF-8', () => {
    assert.equal(utf8Decode(utf8Encode('héllo ✓')), 'héllo ✓');
    expectCryptoError(
      () => utf8Decode(new Uint8Array([0xc3, 0x28])),
      'INVALID_ARGUMENT',
      'UTF-8',
      'bad utf8',
    );
    expectCryptoError(() => utf8Encode(5 as unknown as string), 'INVALID_ARGUMENT', 'text', 'number');
  });
  it('concatBytes joins and rejects non-bytes', () => {
    assert.deepEqual(
      concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])),
      new Uint8Array([1, 2, 3]),
    );
    expectCryptoError(
      () => concatBytes(new Uint8Array(1), [1] as unknown as Uint8Array),
      'INVALID_ARGUMENT',
      'parts[1]',
      'array',
    );
  });
  it('constantTimeEqual compares contents and lengths', () => {
    assert.equal(crypto.constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
    assert.equal(crypto.constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
    assert.equal(crypto.constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 0])), false);
    assert.equal(crypto.constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
  });
  it('randomBytes gives the requested length and differs between calls', () => {
    assert.equal(crypto.randomBytes(0).length, 0);
    assert.notEqual(bytesToHex(crypto.randomBytes(32)), bytesToHex(crypto.randomBytes(32)));
    assert.equal(createCryptoApi(pureBackend).randomBytes(70000).length, 70000);
  });
});

describe('bech32', () => {
  const data = hexToBytes('751e76e8199196d454941c45d1b3a323f1433bd6');
  it('round-trips and matches BIP173 (P2WPKH program data, without the witness version)', () => {
    const address = toBech32('shroud', data);
    assert.deepEqual(fromBech32(address), { prefix: 'shroud', data });
    assert.deepEqual(fromBech32(address.toUpperCase()), { prefix: 'shroud', data });
    assert.deepEqual(decodeBech32WithPrefix(address, 'shroud'), data);
  });
  it('rejects mixed case, bad checksum, bad characters, bad padding, wrong prefix, too long', () => {
    const address = toBech32('shroud', data);
    const mixed = address.slice(0, -1) + address.slice(-1).toUpperCase();
    expectCryptoError(() => fromBech32(mixed), 'INVALID_BECH32', 'mixes upper and lower case', 'mixed case');
    const lastChar = address.slice(-1) === 'q' ? 'p' : 'q';
    expectCryptoError(
      () => fromBech32(address.slice(0, -1) + lastChar),
      'INVALID_BECH32',
      'not valid bech32',
      'checksum',
    );
    expectCryptoError(
      () => fromBech32(address.replace('1', '1b')),
      'INVALID_BECH32',
      'bech32',
      'character b',
    );
    expectCryptoError(() => fromBech32('shroud'), 'INVALID_BECH32', 'bech32', 'no separator');
    expectCryptoError(() => fromBech32(''), 'INVALID_BECH32', 'bech32', 'empty');
    expectCryptoError(() => fromBech32(7 as unknown as string), 'INVALID_ARGUMENT', 'address', 'number');
    expectCryptoError(() => fromBech32('shroud1' + 'q'.repeat(90)), 'INVALID_BECH32', 'max 90', 'too long');
    // Valid checksum, but 1 byte encoded as 2 words whose 2 padding bits are not zero.
    const badPadding = bech32.encode('shroud', [0, 1]);
    assert.equal(bech32.decode(badPadding).prefix, 'shroud', 'checksum itself is valid (precondition)');
    expectCryptoError(() => fromBech32(badPadding), 'INVALID_BECH32', 'bech32', 'non-zero padding');
    expectCryptoError(
      () => decodeBech32WithPrefix(toBech32('secret', data), 'shroud'),
      'WRONG_PREFIX',
      '"secret"',
      'prefix',
    );
    expectCryptoError(() => toBech32('shroud', new Uint8Array(60)), 'INVALID_LENGTH', '90', 'long data');
    expectCryptoError(() => toBech32('', data), 'INVALID_ARGUMENT', 'prefix', 'empty prefix');
    expectCryptoError(() => toBech32('a b', data), 'INVALID_ARGUMENT', 'prefix', 'space');
  });
});

describe('wallets', () => {
  it('generates valid 12- and 24-word mnemonics that derive distinct accounts', () => {
    const twelve = crypto.generateMnemonic(12);
    const twentyFour = crypto.generateMnemonic();
    assert.equal(twelve.split(' ').length, 12);
    assert.equal(twentyFour.split(' ').length, 24);
    assert.equal(crypto.validateMnemonic(twelve), true);
    assert.equal(crypto.validateMnemonic(twentyFour), true);
    assert.notEqual(
      crypto.accountKeyFromMnemonic(twelve).address,
      crypto.accountKeyFromMnemonic(twentyFour).address,
    );
  });
  it('normalizes whitespace in mnemonics; passphrase, account and index change the key', () => {
    const base = crypto.accountKeyFromMnemonic(VALID_MNEMONIC);
    assert.equal(
      crypto.accountKeyFromMnemonic(`  ${VALID_MNEMONIC.replaceAll(' ', '  \n')} `).address,
      base.address,
    );
    assert.match(base.address, /^shroud1[02-9ac-hj-np-z]{38}$/);
    const others = [
      crypto.accountKeyFromMnemonic(VALID_MNEMONIC, { passphrase: 'x' }),
      crypto.accountKeyFromMnemonic(VALID_MNEMONIC, { account: 1 }),
      crypto.accountKeyFromMnemonic(VALID_MNEMONIC, { index: 1 }),
    ];
    for (const [i, other] of others.entries()) assert.notEqual(other.address, base.address, `variant ${i}`);
    assert.match(crypto.accountKeyFromMnemonic(VALID_MNEMONIC, { prefix: 'secret' }).address, /^secret1/);
    assert.equal(crypto.HD_PATH, "m/44'/529'/0'/0/0");
    assert.equal(crypto.ADDRESS_PREFIX, 'shroud');
    assert.equal(crypto.COIN_TYPE, 529);
  });
  it('the transaction key pair is deterministic per account and differs between accounts', () => {
    const account = crypto.accountKeyFromMnemonic(VALID_MNEMONIC);
    const first = crypto.txEncryptionKeyPair(account.privateKey);
    assert.deepEqual(crypto.txEncryptionKeyPair(account.privateKey), first);
    const other = crypto.accountKeyFromMnemonic(VALID_MNEMONIC, { index: 1 });
    assert.notDeepEqual(crypto.txEncryptionKeyPair(other.privateKey).publicKey, first.publicKey);
  });
});

describe('signatures', () => {
  it('secp256k1: sign/verify/recover, uncompressed keys, high-S and out-of-range scalars are false', () => {
    const privateKey = crypto.sha256(utf8Encode('k'));
    const hash = crypto.sha256(utf8Encode('m'));
    const signature = crypto.secp256k1Sign(hash, privateKey);
    const compressed = crypto.secp256k1PublicKey(privateKey);
    const uncompressed = crypto.secp256k1PublicKey(privateKey, false);
    assert.equal(compressed.length, 33);
    assert.equal(uncompressed.length, 65);
    assert.deepEqual(crypto.secp256k1ConvertPublicKey(uncompressed), compressed);
    assert.equal(crypto.secp256k1Verify(hash, signature, compressed), true);
    assert.equal(crypto.secp256k1Verify(hash, signature, uncompressed), true);
    assert.equal(crypto.secp256k1Verify(crypto.sha256(hash), signature, compressed), false);
    const n = BigInt('0x' + ORDER_HEX);
    const s = BigInt('0x' + bytesToHex(signature.subarray(32)));
    const highS = concatBytes(signature.subarray(0, 32), hexToBytes((n - s).toString(16).padStart(64, '0')));
    assert.equal(crypto.secp256k1Verify(hash, highS, compressed), false, 'high S');
    assert.equal(crypto.secp256k1Verify(hash, zeros(64), compressed), false, 'zero r, s');
    assert.equal(
      crypto.secp256k1Verify(hash, concatBytes(hexToBytes(ORDER_HEX), signature.subarray(32)), compressed),
      false,
      'r = n',
    );
    expectCryptoError(
      () => crypto.secp256k1RecoverPublicKey(hash, highS, 0),
      'INVALID_SIGNATURE_ENCODING',
      'low s',
      'recover high S',
    );
    const { recoveryId } = crypto.secp256k1SignRecoverable(hash, privateKey);
    assert.deepEqual(crypto.secp256k1RecoverPublicKey(hash, signature, recoveryId), compressed);
    assert.notDeepEqual(crypto.secp256k1RecoverPublicKey(hash, signature, recoveryId ^ 1), compressed);
  });
  it('secp256k1: scalar range boundaries (r < n, s ≤ floor(n/2)) on both backends', () => {
    const hash = crypto.sha256(utf8Encode('boundary'));
    const r = hexToBytes('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
    const half = hexToBytes('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');
    const halfPlusOne = hexToBytes('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a1');
    const nMinusOne = hexToBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140');
    for (const api of [createCryptoApi(nativeBackend), createCryptoApi(pureBackend)]) {
      const name = api.backendName;
      // Accepted encodings: recovery runs (a key, or RECOVERY_FAILED when x = r is not on the curve).
      for (const [what, signature] of [
        ['s = n/2', concatBytes(r, half)],
        ['r = n-1', concatBytes(nMinusOne, half)],
      ] as const) {
        let outcome = 'key';
        try {
          assert.equal(api.secp256k1RecoverPublicKey(hash, signature, 0).length, 33, `${name}: ${what}`);
        } catch (error) {
          outcome = error instanceof CryptoError ? error.code : 'other error';
        }
        assert.ok(outcome === 'key' || outcome === 'RECOVERY_FAILED', `${name}: ${what} gave ${outcome}`);
      }
      expectCryptoError(
        () => api.secp256k1RecoverPublicKey(hash, concatBytes(r, halfPlusOne), 0),
        'INVALID_SIGNATURE_ENCODING',
        'low s',
        `${name}: s = n/2 + 1`,
      );
      expectCryptoError(
        () => api.secp256k1RecoverPublicKey(hash, concatBytes(hexToBytes(ORDER_HEX), half), 0),
        'INVALID_SIGNATURE_ENCODING',
        'r, s',
        `${name}: r = n`,
      );
    }
  });
  it('secp256k1: recovery id 2/3 (r + n overflow) fails with RECOVERY_FAILED for ordinary signatures', () => {
    const privateKey = crypto.sha256(utf8Encode('k2'));
    const hash = crypto.sha256(utf8Encode('m2'));
    const signature = crypto.secp256k1Sign(hash, privateKey);
    for (const api of [createCryptoApi(nativeBackend), createCryptoApi(pureBackend)]) {
      expectCryptoError(
        () => api.secp256k1RecoverPublicKey(hash, signature, 2),
        'RECOVERY_FAILED',
        'recovered',
        api.backendName,
      );
    }
  });
  it('ed25519: sign/verify; a different message or key fails', () => {
    const pair = crypto.generateEd25519KeyPair();
    const message = utf8Encode('vote');
    const signature = crypto.ed25519Sign(message, pair.seed);
    assert.equal(signature.length, 64);
    assert.equal(crypto.ed25519Verify(message, signature, pair.publicKey), true);
    assert.equal(crypto.ed25519Verify(utf8Encode('votf'), signature, pair.publicKey), false);
    assert.equal(crypto.ed25519Verify(message, signature, crypto.generateEd25519KeyPair().publicKey), false);
  });
});
