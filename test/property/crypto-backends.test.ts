// The native backend (libsecp256k1, libsodium, OpenSSL) and the pure one (noble/scure) must
// give byte-identical results through the whole public API, over random inputs, and must
// agree on every ed25519 edge case (small-order and mixed-order keys, small-order R, S ≥ L),
// where libsodium and noble's own verify() differ.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, createCryptoApi, hexToBytes, type CryptoApi } from '../../src/crypto/index.js';
import { nativeBackend } from '../../src/crypto/native.js';
import { pureBackend } from '../../src/crypto/pure.js';
import { passesStrictChecks } from '../../src/crypto/ed25519.js';

const native = createCryptoApi(nativeBackend);
const pure = createCryptoApi(pureBackend);
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const someBytes = fc.uint8Array({ maxLength: 300 });
const runs = { numRuns: 60 };

/** Calls `f` on both APIs; returns both results as hex, or as the error code when it throws. */
function both(f: (api: CryptoApi) => Uint8Array | boolean | string): [string, string] {
  const run = (api: CryptoApi): string => {
    try {
      const result = f(api);
      return result instanceof Uint8Array ? bytesToHex(result) : String(result);
    } catch (error) {
      return `throws ${(error as { code?: string }).code ?? String(error)}`;
    }
  };
  return [run(native), run(pure)];
}

function assertSame(f: (api: CryptoApi) => Uint8Array | boolean | string, message: string): void {
  const [a, b] = both(f);
  assert.equal(b, a, message);
}

describe('native and pure backends agree byte for byte', () => {
  it('hashes, HMAC and HKDF (info beyond the 1,024 bytes hkdfSync accepts)', () => {
    const infoBytes = fc.oneof(someBytes, fc.uint8Array({ minLength: 1000, maxLength: 2000 }));
    fc.assert(
      fc.property(
        someBytes,
        someBytes,
        infoBytes,
        fc.integer({ min: 1, max: 300 }),
        (ikm, salt, info, length) => {
          assertSame((api) => api.sha256(ikm), 'sha256');
          assertSame((api) => api.sha512(ikm), 'sha512');
          assertSame((api) => api.ripemd160(ikm), 'ripemd160');
          assertSame((api) => api.hmacSha256(salt, ikm), 'hmac');
          assertSame((api) => api.hkdfSha256(ikm, salt, info, length), 'hkdf');
        },
      ),
      runs,
    );
  });

  it('AES-256-GCM seal and open, and rejection of altered data', () => {
    fc.assert(
      fc.property(bytes(32), bytes(12), someBytes, someBytes, fc.nat(), (key, iv, plaintext, aad, flip) => {
        const sealed = native.aesGcmEncrypt(key, iv, plaintext, aad);
        assertSame((api) => api.aesGcmEncrypt(key, iv, plaintext, aad), 'encrypt');
        assertSame((api) => api.aesGcmDecrypt(key, iv, sealed, aad), 'decrypt');
        const altered = sealed.slice();
        altered[flip % altered.length]! ^= 1 << (flip % 8);
        assertSame((api) => api.aesGcmDecrypt(key, iv, altered, aad), 'decrypt altered');
      }),
      runs,
    );
  });

  it('X25519 over any 32-byte peer key (including low-order and non-canonical u)', () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), (privateKey, peer) => {
        assertSame((api) => api.x25519KeyPairFromSeed(privateKey).publicKey, 'public key');
        assertSame((api) => api.x25519SharedSecret(privateKey, peer), 'shared secret');
      }),
      runs,
    );
    // Low-order u (RFC 7748 §6.1 all-zero results) and the non-canonical encodings u ≥ p.
    const specials = [
      0n,
      1n,
      2n ** 255n - 20n,
      2n ** 255n - 19n,
      2n ** 255n - 18n,
      2n ** 255n - 1n,
      2n ** 256n - 1n,
    ];
    const lowOrderOrder8 = hexToBytes('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800');
    const privateKey = native.randomBytes(32);
    for (const u of specials) {
      const encoded = hexToBytes(u.toString(16).padStart(64, '0')).reverse();
      assertSame((api) => api.x25519SharedSecret(privateKey, encoded), `u = ${u}`);
    }
    for (let u = 0n; u < 20n; u++) {
      const encoded = hexToBytes((2n ** 255n - 19n + u).toString(16).padStart(64, '0')).reverse();
      assertSame((api) => api.x25519SharedSecret(privateKey, encoded), `u = p + ${u}`);
    }
    assert.deepEqual(
      both((api) => api.x25519SharedSecret(privateKey, lowOrderOrder8)),
      ['throws LOW_ORDER_POINT', 'throws LOW_ORDER_POINT'],
    );
  });

  it('transaction envelopes, tx keys, output IVs and output ciphertexts', () => {
    fc.assert(
      fc.property(
        bytes(32),
        bytes(32),
        bytes(32),
        someBytes,
        someBytes,
        bytes(32),
        fc.string({ minLength: 1, maxLength: 20 }),
        (networkSeed, userSeed, nonce, plaintext, associatedData, txHash, label) => {
          const network = native.x25519KeyPairFromSeed(networkSeed);
          const userKeyPair = native.x25519KeyPairFromSeed(userSeed);
          const args = { networkPublicKey: network.publicKey, userKeyPair, plaintext, associatedData, nonce };
          assertSame((api) => api.encryptTxInput(args).envelope, 'envelope');
          assertSame((api) => api.encryptTxInput(args).txKey, 'tx key');
          const { envelope, txKey } = native.encryptTxInput(args);
          const decryptArgs = { networkPrivateKey: network.privateKey, envelope, associatedData };
          assertSame((api) => api.decryptTxInput(decryptArgs).plaintext, 'decrypted input');
          assertSame((api) => api.deriveOutputIv(txKey, txHash, label), 'output IV');
          assertSame((api) => api.encryptTxOutput(txKey, txHash, label, plaintext), 'output');
          assertSame(
            (api) => api.txEncryptionKeyPair(native.sha256(userSeed)).publicKey,
            'tx encryption key',
          );
        },
      ),
      runs,
    );
  });

  it('secp256k1 keys, RFC 6979 signatures, verification (also of altered and high-S signatures), recovery', () => {
    const order = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    fc.assert(
      fc.property(bytes(32), bytes(32), fc.nat(), (seed, messageHash, flip) => {
        const privateKey = native.sha256(seed); // < n except with probability 2^-128
        assertSame((api) => api.secp256k1PublicKey(privateKey), 'compressed key');
        assertSame((api) => api.secp256k1PublicKey(privateKey, false), 'uncompressed key');
        const { signature, recoveryId } = native.secp256k1SignRecoverable(messageHash, privateKey);
        assertSame((api) => api.secp256k1Sign(messageHash, privateKey), 'signature');
        assertSame(
          (api) => String(api.secp256k1SignRecoverable(messageHash, privateKey).recoveryId),
          'recovery id',
        );
        const publicKey = native.secp256k1PublicKey(privateKey);
        assertSame((api) => api.secp256k1Verify(messageHash, signature, publicKey), 'verify');
        assertSame((api) => api.secp256k1RecoverPublicKey(messageHash, signature, recoveryId), 'recover');
        assertSame(
          (api) => api.secp256k1RecoverPublicKey(messageHash, signature, recoveryId ^ 1),
          'recover other id',
        );
        const altered = signature.slice();
        altered[flip % 64]! ^= 1 << (flip % 8);
        assertSame((api) => api.secp256k1Verify(messageHash, altered, publicKey), 'verify altered');
        const s = BigInt('0x' + bytesToHex(signature.subarray(32)));
        const highS = signature.slice();
        highS.set(hexToBytes((order - s).toString(16).padStart(64, '0')), 32);
        assert.deepEqual(
          both((api) => api.secp256k1Verify(messageHash, highS, publicKey)),
          ['false', 'false'],
        );
        assertSame((api) => api.addressFromPublicKey(publicKey), 'address');
      }),
      runs,
    );
  });

  it('secp256k1 public-key parsing of arbitrary bytes (on or off the curve, any prefix)', () => {
    const prefixed = fc
      .tuple(fc.constantFrom(0, 2, 3, 4, 6, 7), fc.boolean(), bytes(64))
      .map(([prefix, short, body]) => Uint8Array.from([prefix, ...(short ? body.subarray(0, 32) : body)]));
    fc.assert(
      fc.property(prefixed, bytes(32), bytes(32), (key, hash, seed) => {
        assertSame((api) => api.secp256k1ConvertPublicKey(key), 'convert');
        assertSame((api) => api.secp256k1ConvertPublicKey(key, false), 'convert uncompressed');
        const signature = native.secp256k1Sign(hash, native.sha256(seed));
        assertSame((api) => api.secp256k1Verify(hash, signature, key), 'verify under arbitrary key');
        if (key.length === 33) assertSame((api) => api.addressFromPublicKey(key), 'address');
      }),
      runs,
    );
    // Valid x with both prefixes, and the uncompressed form with y flipped (off the curve).
    const valid = native.secp256k1PublicKey(native.sha256(new Uint8Array([9])), false);
    const offCurve = valid.slice();
    offCurve[64]! ^= 1;
    assert.deepEqual(
      both((api) => api.secp256k1ConvertPublicKey(offCurve)),
      ['throws INVALID_KEY', 'throws INVALID_KEY'],
    );
    const hybrid = valid.slice();
    hybrid[0] = 6 + (valid[64]! & 1);
    assert.deepEqual(
      both((api) => api.secp256k1ConvertPublicKey(hybrid)),
      ['throws INVALID_KEY', 'throws INVALID_KEY'],
    );
  });

  it('ed25519 keys, signatures and verification of altered signatures and keys', () => {
    fc.assert(
      fc.property(bytes(32), someBytes, fc.nat(), fc.nat(), (seed, message, flip, keyFlip) => {
        const { publicKey } = native.ed25519KeyPairFromSeed(seed);
        assertSame((api) => api.ed25519KeyPairFromSeed(seed).publicKey, 'public key');
        assertSame((api) => api.ed25519Sign(message, seed), 'signature');
        const signature = native.ed25519Sign(message, seed);
        assertSame((api) => api.ed25519Verify(message, signature, publicKey), 'verify');
        const altered = signature.slice();
        altered[flip % 64]! ^= 1 << (flip % 8);
        assertSame((api) => api.ed25519Verify(message, altered, publicKey), 'verify altered signature');
        const otherKey = publicKey.slice();
        otherKey[keyFlip % 32]! ^= 1 << (keyFlip % 8);
        assertSame((api) => api.ed25519Verify(message, signature, otherKey), 'verify altered key');
      }),
      runs,
    );
  });

  it('BIP39 seeds and account keys', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(12 as const, 24 as const),
        fc.string({ maxLength: 12 }),
        (words, passphrase) => {
          const mnemonic = native.generateMnemonic(words);
          assertSame((api) => api.mnemonicToSeed(mnemonic, passphrase), 'seed');
          assertSame(
            (api) => api.accountKeyFromMnemonic(mnemonic, { passphrase, index: 3 }).address,
            'address',
          );
        },
      ),
      { numRuns: 5 },
    );
  });
});

// --- ed25519 edge cases -------------------------------------------------------------------

const L = ed25519.Point.Fn.ORDER;
const numberToLE = (value: bigint): Uint8Array => hexToBytes(value.toString(16).padStart(64, '0')).reverse();
const leToNumber = (value: Uint8Array): bigint => BigInt('0x' + bytesToHex(value.slice().reverse()));
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((part) => [...part]));

/** A signature (R, S) with R = [r]B over `message` for an arbitrary point A = [a]B + T. */
function signFor(
  a: bigint,
  publicKey: Uint8Array,
  message: Uint8Array,
  r: bigint,
): { signature: Uint8Array; k: bigint } {
  const R = ed25519.Point.BASE.multiply(r).toBytes();
  const k = leToNumber(sha512(concat(R, publicKey, message))) % L;
  return { signature: concat(R, numberToLE((r + k * a) % L)), k };
}

function verdicts(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): string {
  return both((api) => api.ed25519Verify(message, signature, publicKey)).join('/');
}

describe('ed25519 edge cases: both backends give the same verdict', () => {
  const seed = hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const { scalar: a, pointBytes: publicKey } = ed25519.utils.getExtendedPublicKey(seed);
  const message = new TextEncoder().encode('edge');

  it('rejects every small-order public key (all 8 torsion points, both sign bits, non-canonical y)', () => {
    const p = 2n ** 255n - 19n;
    const encodings = [
      ...ED25519_TORSION_SUBGROUP.map((h) => hexToBytes(h)),
      ...ED25519_TORSION_SUBGROUP.map((h) => {
        const flipped = hexToBytes(h);
        flipped[31]! ^= 0x80;
        return flipped;
      }),
      numberToLE(p), // y = p ≡ 0
      numberToLE(p + 1n), // y = p + 1 ≡ 1
    ];
    for (const key of encodings) {
      // With A of small order, R = [S]B − [k]A for S = r: the cofactored check would accept
      // some of these; the identity key with R = [S]B passes even the cofactorless equation.
      const r = 12345n;
      const R = ed25519.Point.BASE.multiply(r).toBytes();
      const signature = concat(R, numberToLE(r));
      assert.equal(verdicts(message, signature, key), 'false/false', `small-order key ${bytesToHex(key)}`);
    }
  });

  it('rejects S ≥ L (S + L of a valid signature) on both', () => {
    const signature = native.ed25519Sign(message, seed);
    const malleated = concat(signature.subarray(0, 32), numberToLE(leToNumber(signature.subarray(32)) + L));
    assert.equal(verdicts(message, signature, publicKey), 'true/true');
    assert.equal(verdicts(message, malleated, publicKey), 'false/false');
  });

  it('rejects a small-order R even when the cofactorless equation holds (R = identity, S = k·a)', () => {
    const identity = numberToLE(1n);
    const k = leToNumber(sha512(concat(identity, publicKey, message))) % L;
    const signature = concat(identity, numberToLE((k * a) % L));
    // The equation [S]B = R + [k]A holds: noble's own verify accepts it.
    assert.equal(ed25519.verify(signature, message, publicKey), true, 'noble accepts (precondition)');
    assert.equal(verdicts(message, signature, publicKey), 'false/false');
  });

  it('rejects a non-canonical R encoding', () => {
    const signature = native.ed25519Sign(message, seed);
    const y = leToNumber(signature.subarray(0, 32)) & (2n ** 255n - 1n);
    if (y + (2n ** 255n - 19n) < 2n ** 255n) {
      const nonCanonical = concat(numberToLE(y + 2n ** 255n - 19n), signature.subarray(32));
      assert.equal(verdicts(message, nonCanonical, publicKey), 'false/false');
    }
    // Sign bit flipped: the negated R never matches the re-encoded check point.
    const flipped = signature.slice();
    flipped[31]! ^= 0x80;
    assert.equal(verdicts(message, flipped, publicKey), 'false/false');
  });

  it('mixed-order key A = [a]B + T8: cofactorless (libsodium) rules on both, unlike noble verify()', () => {
    const torsion = ed25519.Point.fromBytes(hexToBytes(ED25519_TORSION_SUBGROUP[1]!)); // order 8
    const mixedKey = ed25519.Point.BASE.multiply(a).add(torsion).toBytes();
    let rejectedSeen = false;
    let acceptedSeen = false;
    for (let r = 1n; r < 200n && !(rejectedSeen && acceptedSeen); r++) {
      const { signature, k } = signFor(a, mixedKey, message, r);
      const cofactorlessHolds = k % 8n === 0n; // [S]B − [k]A = R − [k]T8
      assert.equal(ed25519.verify(signature, message, mixedKey), true, `noble (cofactored) accepts, r=${r}`);
      assert.equal(
        verdicts(message, signature, mixedKey),
        `${cofactorlessHolds}/${cofactorlessHolds}`,
        `r=${r}`,
      );
      if (cofactorlessHolds) acceptedSeen = true;
      else rejectedSeen = true;
    }
    assert.ok(rejectedSeen && acceptedSeen, 'both branches exercised');
  });

  it('rejects public keys that are not curve points or not canonical (y ≥ p)', () => {
    const signature = native.ed25519Sign(message, seed);
    for (let offset = 0n; offset < 19n; offset++) {
      const key = numberToLE(2n ** 255n - 19n + offset);
      assert.equal(verdicts(message, signature, key), 'false/false', `y = p + ${offset}`);
    }
    let notOnCurve = 0;
    for (let y = 2n; notOnCurve < 5 && y < 100n; y++) {
      const key = numberToLE(y);
      let onCurve = true;
      try {
        ed25519.Point.fromBytes(key);
      } catch {
        onCurve = false;
      }
      if (!onCurve) {
        notOnCurve++;
        assert.equal(verdicts(message, signature, key), 'false/false', `y = ${y} not on curve`);
      }
    }
    assert.equal(notOnCurve, 5, 'found off-curve encodings');
  });
});

describe('ed25519 pre-checks match their arithmetic definition', () => {
  const p = 2n ** 255n - 19n;
  const smallOrderY = new Set([
    0n,
    1n,
    p - 1n,
    2707385501144840649318225287225658788936804267575313519463743609750303402022n,
    55188659117513257062467267217118295137698188065244968500265048394206261417927n,
  ]);
  const yOf = (encoding: Uint8Array): bigint => leToNumber(encoding) & (2n ** 255n - 1n);
  /** S < L, R's y not ≡ a small-order y, A's y < p and not ≡ a small-order y (mod p). */
  const reference = (signature: Uint8Array, key: Uint8Array): boolean =>
    leToNumber(signature.subarray(32)) < L &&
    !smallOrderY.has(yOf(signature.subarray(0, 32)) % p) &&
    yOf(key) < p &&
    !smallOrderY.has(yOf(key) % p);
  // Values near the edges: small-order ys (both signs, ± p), p ± a little, L ± a little.
  const specialY = [...smallOrderY, p, p + 1n, p - 2n, p + 18n, 2n ** 255n - 1n].flatMap((y) =>
    y < 2n ** 255n ? [y, y | (2n ** 255n)] : [],
  );
  const encoding = fc.oneof(
    bytes(32),
    fc.constantFrom(...specialY).map((y) => numberToLE(y)),
  );
  const scalar = fc.oneof(
    bytes(32),
    fc.constantFrom(L - 1n, L, L + 1n, 2n ** 256n - 1n, 0n).map((s) => numberToLE(s)),
  );

  it('byte-level checks equal the bigint definition', () => {
    fc.assert(
      fc.property(encoding, scalar, encoding, (r, s, key) => {
        const signature = concat(r, s);
        assert.equal(
          passesStrictChecks(signature, key),
          reference(signature, key),
          `R=${bytesToHex(r)} S=${bytesToHex(s)} A=${bytesToHex(key)}`,
        );
      }),
      { numRuns: 2000 },
    );
  });
});
