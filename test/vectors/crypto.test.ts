// Published test vectors for every primitive of src/crypto, run against both backends (native
// and pure) so each is checked against the spec, not just against the other. Sources:
// RFC 7748 §5.2/§6.1 (X25519), RFC 5869 appendix A.1–A.3 (HKDF-SHA256), McGrew & Viega "The
// Galois/Counter Mode of Operation" test cases 13–16 (AES-256-GCM), the Trezor BIP39 vectors
// (passphrase "TREZOR"), BIP32 test vector 1, RFC 8032 §7.1 test 1 (ed25519), FIPS 180-2 "abc".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Bip39, EnglishMnemonic, Secp256k1, Slip10, Slip10Curve, stringToPath } from '@cosmjs/crypto';
import { toBech32 as cosmToBech32 } from '@cosmjs/encoding';
import { ripemd160 as nobleRipemd160 } from '@noble/hashes/legacy.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, createCryptoApi, hexToBytes, utf8Encode } from '../../src/crypto/index.js';
import { nativeBackend } from '../../src/crypto/native.js';
import { pureBackend } from '../../src/crypto/pure.js';

const backends = [createCryptoApi(nativeBackend), createCryptoApi(pureBackend)];
const hex = bytesToHex;
const range = (from: number, to: number): Uint8Array =>
  Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const api of backends) {
  describe(`crypto vectors (${api.backendName} backend)`, () => {
    it('SHA-256 and RIPEMD-160 of "abc" (FIPS 180-2 B.1, RIPEMD-160 paper)', () => {
      assert.equal(
        hex(api.sha256(utf8Encode('abc'))),
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
      assert.equal(hex(api.ripemd160(utf8Encode('abc'))), '8eb208f7e05d987a9b044a8e98c6b087f15a0bfc');
    });

    it('X25519: RFC 7748 §5.2 function vectors', () => {
      const vectors = [
        {
          scalar: 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
          u: 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
          out: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
        },
        {
          // u has its top bit set: X25519 must mask it (§5).
          scalar: '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
          u: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
          out: '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
        },
      ];
      for (const [index, v] of vectors.entries()) {
        assert.equal(
          hex(api.x25519SharedSecret(hexToBytes(v.scalar), hexToBytes(v.u))),
          v.out,
          `RFC 7748 §5.2 vector ${index + 1}`,
        );
      }
    });

    it('X25519: RFC 7748 §5.2 iterated, 1 and 1,000 iterations', () => {
      let k: Uint8Array = new Uint8Array(32);
      k[0] = 9;
      let u: Uint8Array = k.slice();
      const expected = new Map([
        [1, '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079'],
        [1000, '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51'],
      ]);
      for (let iteration = 1; iteration <= 1000; iteration++) {
        const next = api.x25519SharedSecret(k, u);
        u = k;
        k = next;
        const want = expected.get(iteration);
        if (want !== undefined) assert.equal(hex(k), want, `after ${iteration} iterations`);
      }
    });

    it('X25519: RFC 7748 §6.1 Alice and Bob', () => {
      const alice = api.x25519KeyPairFromSeed(
        hexToBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
      );
      const bob = api.x25519KeyPairFromSeed(
        hexToBytes('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'),
      );
      assert.equal(hex(alice.publicKey), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      assert.equal(hex(bob.publicKey), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
      assert.equal(hex(api.x25519SharedSecret(alice.privateKey, bob.publicKey)), shared);
      assert.equal(hex(api.x25519SharedSecret(bob.privateKey, alice.publicKey)), shared);
    });

    it('HKDF-SHA256: RFC 5869 test cases 1–3', () => {
      const cases = [
        {
          ikm: new Uint8Array(22).fill(0x0b),
          salt: range(0x00, 0x0c),
          info: range(0xf0, 0xf9),
          length: 42,
          okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
        },
        {
          ikm: range(0x00, 0x4f),
          salt: range(0x60, 0xaf),
          info: range(0xb0, 0xff),
          length: 82,
          okm:
            'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
            '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
            'cc30c58179ec3e87c14c01d5c1f3434f1d87',
        },
        {
          ikm: new Uint8Array(22).fill(0x0b),
          salt: new Uint8Array(0),
          info: new Uint8Array(0),
          length: 42,
          okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
        },
      ];
      for (const [index, c] of cases.entries()) {
        assert.equal(
          hex(api.hkdfSha256(c.ikm, c.salt, c.info, c.length)),
          c.okm,
          `RFC 5869 case ${index + 1}`,
        );
      }
    });

    it('AES-256-GCM: McGrew–Viega test cases 13–16 (encrypt and decrypt)', () => {
      const key15 = hexToBytes('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
      const plaintext15 =
        'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
        '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
      const ciphertext15 =
        '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
        '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad';
      const cases = [
        {
          name: '13',
          key: new Uint8Array(32),
          iv: new Uint8Array(12),
          pt: '',
          aad: '',
          ct: '',
          tag: '530f8afbc74536b9a963b4f1c4cb738b',
        },
        {
          name: '14',
          key: new Uint8Array(32),
          iv: new Uint8Array(12),
          pt: '00000000000000000000000000000000',
          aad: '',
          ct: 'cea7403d4d606b6e074ec5d3baf39d18',
          tag: 'd0d1c8a799996bf0265b98b5d48ab919',
        },
        {
          name: '15',
          key: key15,
          iv: hexToBytes('cafebabefacedbaddecaf888'),
          pt: plaintext15,
          aad: '',
          ct: ciphertext15,
          tag: 'b094dac5d93471bdec1a502270e3cc6c',
        },
        {
          name: '16',
          key: key15,
          iv: hexToBytes('cafebabefacedbaddecaf888'),
          pt: plaintext15.slice(0, 120),
          aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
          ct: ciphertext15.slice(0, 120),
          tag: '76fc6ece0f4e1768cddf8853bb2d551b',
        },
      ];
      for (const c of cases) {
        const sealed = api.aesGcmEncrypt(c.key, c.iv, hexToBytes(c.pt), hexToBytes(c.aad));
        assert.equal(hex(sealed), c.ct + c.tag, `GCM test case ${c.name} encrypt`);
        const opened = api.aesGcmDecrypt(c.key, c.iv, sealed, hexToBytes(c.aad));
        assert.equal(hex(opened), c.pt, `GCM test case ${c.name} decrypt`);
      }
    });

    it('ed25519: RFC 8032 §7.1 test 1', () => {
      const pair = api.ed25519KeyPairFromSeed(
        hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
      );
      assert.equal(hex(pair.publicKey), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
      const signature = api.ed25519Sign(new Uint8Array(0), pair.seed);
      assert.equal(
        hex(signature),
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
      );
      assert.equal(api.ed25519Verify(new Uint8Array(0), signature, pair.publicKey), true);
    });

    it('BIP39: Trezor reference vectors (passphrase "TREZOR")', () => {
      const vectors = [
        [
          'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
          'c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04',
        ],
        [
          'legal winner thank year wave sausage worth useful legal winner thank yellow',
          '2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607',
        ],
        [
          'letter advice cage absurd amount doctor acoustic avoid letter advice cage above',
          'd71de856f81a8acc65e6fc851a38d4d7ec216fd0796d0a6827a3ad6ed5511a30fa280f12eb2e47ed2ac03b5c462a0358d18d69fe4f985ec81778c1b370b652a8',
        ],
        [
          'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
          'ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069',
        ],
        [
          'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon ' +
            'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art',
          'bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8',
        ],
      ] as const;
      for (const [mnemonic, seed] of vectors) {
        assert.equal(api.validateMnemonic(mnemonic), true, `valid: ${mnemonic}`);
        assert.equal(hex(api.mnemonicToSeed(mnemonic, 'TREZOR')), seed, `seed of: ${mnemonic}`);
      }
    });

    it('BIP32: test vector 1 (xprv at every step of m/0H/1/2H/2/1000000000)', () => {
      const seed = hexToBytes('000102030405060708090a0b0c0d0e0f');
      const chain = [
        [
          'm',
          'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi',
        ],
        [
          "m/0'",
          'xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7',
        ],
        [
          "m/0'/1",
          'xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs',
        ],
        [
          "m/0'/1/2'",
          'xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM',
        ],
        [
          "m/0'/1/2'/2",
          'xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334',
        ],
        [
          "m/0'/1/2'/2/1000000000",
          'xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76',
        ],
      ] as const;
      for (const [path, xprv] of chain) {
        assert.equal(api.deriveHdKey(seed, path).extendedPrivateKey, xprv, `BIP32 TV1 ${path}`);
      }
    });

    it('mnemonic → shroud1… address agrees with an independent @cosmjs derivation', async () => {
      const mnemonics = [
        'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
        'legal winner thank year wave sausage worth useful legal winner thank yellow',
        'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
      ];
      for (const mnemonic of mnemonics) {
        const seed = await Bip39.mnemonicToSeed(new EnglishMnemonic(mnemonic));
        const { privkey } = Slip10.derivePath(Slip10Curve.Secp256k1, seed, stringToPath("m/44'/529'/0'/0/0"));
        const { pubkey } = Secp256k1.makeKeypair(privkey);
        const compressed = Secp256k1.compressPubkey(pubkey);
        const expected = cosmToBech32('shroud', nobleRipemd160(nobleSha256(compressed)));
        const ours = api.accountKeyFromMnemonic(mnemonic);
        assert.equal(ours.address, expected, `address of: ${mnemonic}`);
        assert.equal(hex(ours.privateKey), hex(privkey), `private key of: ${mnemonic}`);
        assert.equal(hex(ours.publicKey), hex(compressed), `public key of: ${mnemonic}`);
      }
      // Pinned too, so a change in any dependency (ours or cosmjs) cannot silently move it.
      assert.equal(
        api.accountKeyFromMnemonic(mnemonics[0]!).address,
        'shroud1gkle2qetd47g4qlruxu8kx4m97875t66haf5tn',
      );
    });
  });
}
