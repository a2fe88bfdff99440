// Account wallets: BIP39 mnemonics, BIP32/BIP44 derivation at m/44'/529'/account'/0/index (as
// Secret Network), bech32 addresses (DESIGN.md §3 "Accounts"), and the X25519 transaction key
// derived from the account key so old results stay decryptable.
import { HDKey } from '@scure/bip32';
import { entropyToMnemonic, validateMnemonic as scureValidateMnemonic } from '@scure/bip39';
import { wordlist as english } from '@scure/bip39/wordlists/english.js';
import type { CryptoBackend } from './backend.js';
import { toBech32 } from './bech32.js';
import { utf8Encode } from './bytes.js';
import { assertBytes, assertInteger, assertString } from './checks.js';
import { CryptoError } from './errors.js';
import { TX_KDF_SALT } from './envelope.js';
import { assertSecp256k1PrivateKey } from './secp256k1.js';
import { createX25519, type X25519KeyPair } from './x25519.js';

export const ADDRESS_PREFIX = 'shroud';
export const COIN_TYPE = 529;
export const HD_PATH = "m/44'/529'/0'/0/0";
const HARDENED_LIMIT = 0x7fffffff;
const BIP39_PBKDF2_ROUNDS = 2048; // BIP39 "From mnemonic to seed"
const TX_ENCRYPTION_KEY_INFO = utf8Encode('shroud/v1/tx-encryption-key');
const PATH_PATTERN = /^m(\/[0-9]{1,10}'?)*$/;

/** An account: secp256k1 private key, 33-byte compressed public key and bech32 address. */
export interface AccountKey {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  address: string;
}

export interface AccountKeyOptions {
  passphrase?: string;
  account?: number;
  index?: number;
  prefix?: string;
}

/** A BIP32 node. */
export interface HdKey {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  chainCode: Uint8Array;
  /** Base58check `xprv…` (BIP32 serialization, mainnet version bytes). */
  extendedPrivateKey: string;
}

/** BIP39 normalization: NFKD, single spaces between words. */
function normalizeMnemonic(mnemonic: string): string {
  return mnemonic.normalize('NFKD').trim().split(/\s+/u).join(' ');
}

function assertPath(path: string): void {
  assertString('path', path);
  const valid =
    PATH_PATTERN.test(path) &&
    path
      .split('/')
      .slice(1)
      .every((part) => Number.parseInt(part, 10) <= HARDENED_LIMIT);
  if (!valid) {
    throw new CryptoError(
      'INVALID_PATH',
      `path must look like m/44'/529'/0'/0/0 with indexes below 2^31, got "${path.slice(0, 60)}"`,
    );
  }
}

/** The wallet functions of one backend. */
export function createWallet(backend: CryptoBackend) {
  const x25519 = createX25519(backend);

  function addressFromPublicKey(compressedPublicKey: Uint8Array, prefix: string = ADDRESS_PREFIX): string {
    assertBytes('compressedPublicKey', compressedPublicKey, 33);
    const first = compressedPublicKey[0];
    if (
      (first !== 2 && first !== 3) ||
      backend.secp256k1ConvertPublicKey(compressedPublicKey, true) === null
    ) {
      throw new CryptoError('INVALID_KEY', 'compressedPublicKey is not a compressed secp256k1 point');
    }
    return toBech32(prefix, backend.ripemd160(backend.sha256(compressedPublicKey)));
  }

  function validateMnemonic(mnemonic: string): boolean {
    assertString('mnemonic', mnemonic);
    return scureValidateMnemonic(normalizeMnemonic(mnemonic), english);
  }

  function mnemonicToSeed(mnemonic: string, passphrase = ''): Uint8Array {
    assertString('passphrase', passphrase);
    if (!validateMnemonic(mnemonic)) {
      throw new CryptoError(
        'INVALID_MNEMONIC',
        'mnemonic has an unknown word, a wrong word count or a bad checksum',
      );
    }
    const password = utf8Encode(normalizeMnemonic(mnemonic));
    const salt = utf8Encode(`mnemonic${passphrase.normalize('NFKD')}`);
    return backend.pbkdf2Sha512(password, salt, BIP39_PBKDF2_ROUNDS, 64);
  }

  function deriveHdKey(seed: Uint8Array, path: string): HdKey {
    if (!(seed instanceof Uint8Array) || seed.length < 16 || seed.length > 64) {
      throw new CryptoError('INVALID_LENGTH', 'seed must be a Uint8Array of 16 to 64 bytes (BIP32)');
    }
    assertPath(path);
    let node: HDKey;
    try {
      node = HDKey.fromMasterSeed(seed).derive(path);
    } catch (error) {
      // BIP32: probability below 2^-127 per level; the caller should use the next index.
      throw new CryptoError(
        'INVALID_KEY',
        'this seed and path give an invalid BIP32 key; use another index',
        {
          cause: error,
        },
      );
    }
    if (node.privateKey === null || node.chainCode === null) {
      throw new CryptoError('INVALID_KEY', 'BIP32 derivation gave no private key');
    }
    const privateKey = node.privateKey.slice();
    return {
      privateKey,
      publicKey: backend.secp256k1PublicKey(privateKey, true),
      chainCode: node.chainCode.slice(),
      extendedPrivateKey: node.privateExtendedKey,
    };
  }

  return {
    /**
     * bech32(prefix, ripemd160(sha256(compressed public key))), as Cosmos SDK addresses.
     * @throws {CryptoError} INVALID_LENGTH / INVALID_KEY for a bad key; INVALID_ARGUMENT for a bad prefix.
     */
    addressFromPublicKey,
    /**
     * A fresh BIP39 English mnemonic of 12 (128-bit) or 24 (256-bit) words.
     * @throws {CryptoError} INVALID_ARGUMENT unless words is 12 or 24.
     */
    generateMnemonic: (words: 12 | 24 = 24): string => {
      if (words !== 12 && words !== 24) throw new CryptoError('INVALID_ARGUMENT', 'words must be 12 or 24');
      return entropyToMnemonic(backend.randomBytes(words === 12 ? 16 : 32), english);
    },
    /**
     * True for a BIP39 English mnemonic with a valid checksum (whitespace is normalized).
     * @throws {CryptoError} INVALID_ARGUMENT if not a string.
     */
    validateMnemonic,
    /**
     * The 64-byte BIP39 seed (PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic" + passphrase).
     * @throws {CryptoError} INVALID_MNEMONIC for an invalid mnemonic.
     */
    mnemonicToSeed,
    /**
     * BIP32 derivation from a seed along `path` (e.g. "m/0'/1/2'").
     * @throws {CryptoError} INVALID_LENGTH for a seed outside 16–64 bytes; INVALID_PATH.
     */
    deriveHdKey,
    /**
     * The account key at m/44'/529'/account'/0/index of a mnemonic.
     * @example accountKeyFromMnemonic(mnemonic).address // 'shroud1…'
     * @throws {CryptoError} INVALID_MNEMONIC; INVALID_ARGUMENT for account/index outside [0, 2^31).
     */
    accountKeyFromMnemonic: (mnemonic: string, options: AccountKeyOptions = {}): AccountKey => {
      const { passphrase = '', account = 0, index = 0, prefix = ADDRESS_PREFIX } = options;
      assertInteger('account', account, 0, HARDENED_LIMIT);
      assertInteger('index', index, 0, HARDENED_LIMIT);
      const seed = mnemonicToSeed(mnemonic, passphrase);
      const { privateKey, publicKey } = deriveHdKey(seed, `m/44'/${COIN_TYPE}'/${account}'/0/${index}`);
      seed.fill(0);
      return { privateKey, publicKey, address: addressFromPublicKey(publicKey, prefix) };
    },
    /**
     * The user's X25519 transaction key pair, deterministic from the account key:
     * seed = HKDF-SHA256(ikm = accountPrivateKey, salt = TX_KDF_SALT,
     * info = "shroud/v1/tx-encryption-key", 32).
     * @throws {CryptoError} INVALID_LENGTH / INVALID_KEY for a bad account key.
     */
    txEncryptionKeyPair: (accountPrivateKey: Uint8Array): X25519KeyPair => {
      assertSecp256k1PrivateKey('accountPrivateKey', accountPrivateKey);
      const seed = backend.hkdfSha256(accountPrivateKey, TX_KDF_SALT, TX_ENCRYPTION_KEY_INFO, 32);
      const keyPair = x25519.x25519KeyPairFromSeed(seed);
      seed.fill(0);
      return keyPair;
    },
  };
}
