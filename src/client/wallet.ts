// The user's wallet: a secp256k1 account key (BIP39/BIP44 at m/44'/529'/account'/0/index,
// DESIGN.md §3 "Accounts") and the X25519 transaction key derived deterministically from it,
// so the same mnemonic re-derives every past tx_key from the nonces on chain.
import {
  accountKeyFromMnemonic,
  addressFromPublicKey,
  deriveTxKey,
  generateMnemonic,
  parseTxEnvelope,
  secp256k1PublicKey,
  secp256k1Sign,
  sha256,
  txEncryptionKeyPair,
  x25519SharedSecret,
  type X25519KeyPair,
} from '../crypto/index.js';
import { ClientError } from './errors.js';

export interface WalletOptions {
  /** BIP44 account (hardened), default 0. */
  account?: number;
  /** BIP44 address index, default 0. */
  index?: number;
  /** BIP39 passphrase, default ''. */
  passphrase?: string;
}

/**
 * A signing account. The private keys stay in this object (private fields); only public keys,
 * signatures and derived transaction keys leave it.
 */
export class Wallet {
  readonly #privateKey: Uint8Array;
  readonly #txKeyPair: X25519KeyPair;
  /** 33-byte compressed secp256k1 public key. */
  readonly publicKey: Uint8Array;
  /** Bech32 `shroud1…` address. */
  readonly address: string;
  readonly #mnemonic: string | undefined;

  private constructor(privateKey: Uint8Array, mnemonic: string | undefined) {
    this.#privateKey = privateKey;
    this.publicKey = secp256k1PublicKey(privateKey, true);
    this.address = addressFromPublicKey(this.publicKey);
    this.#txKeyPair = txEncryptionKeyPair(privateKey);
    this.#mnemonic = mnemonic;
  }

  /**
   * A new wallet from a fresh 24-word mnemonic (`wallet.mnemonic`).
   * @throws {CryptoError} only if the platform has no secure random source.
   */
  static generate(options: WalletOptions = {}): Wallet {
    return Wallet.fromMnemonic(generateMnemonic(24), options);
  }

  /**
   * The wallet at m/44'/529'/account'/0/index of a BIP39 mnemonic.
   * @example Wallet.fromMnemonic('abandon … about').address // 'shroud1gkle2qetd47g4qlruxu8kx4m97875t66haf5tn'
   * @throws {CryptoError} INVALID_MNEMONIC; INVALID_ARGUMENT for account/index outside [0, 2^31).
   */
  static fromMnemonic(mnemonic: string, options: WalletOptions = {}): Wallet {
    const key = accountKeyFromMnemonic(mnemonic, {
      account: options.account ?? 0,
      index: options.index ?? 0,
      passphrase: options.passphrase ?? '',
    });
    return new Wallet(key.privateKey, mnemonic);
  }

  /**
   * A wallet from a raw 32-byte secp256k1 private key (the bytes are copied).
   * @throws {CryptoError} INVALID_LENGTH / INVALID_KEY for a bad key.
   */
  static fromPrivateKey(privateKey: Uint8Array): Wallet {
    return new Wallet(Uint8Array.from(privateKey), undefined);
  }

  /**
   * The mnemonic this wallet came from, if any (show it to the user once). A getter over a
   * private field, so JSON.stringify(wallet) and logging the object never include it.
   */
  get mnemonic(): string | undefined {
    return this.#mnemonic;
  }

  /** The X25519 public key that goes into every envelope this wallet creates. */
  get txEncryptionPublicKey(): Uint8Array {
    return this.#txKeyPair.publicKey.slice();
  }

  /**
   * The X25519 transaction key pair (DESIGN.md §3): HKDF of the account key. Needed to
   * encrypt; treat the private half like the account key.
   */
  txEncryptionKeyPair(): X25519KeyPair {
    return { privateKey: this.#txKeyPair.privateKey.slice(), publicKey: this.#txKeyPair.publicKey.slice() };
  }

  /**
   * Signs SIGN_MODE_DIRECT sign bytes (codec `signBytes`): secp256k1 over SHA-256, compact
   * 64-byte r || s, low-S (docs/adr/002-transaction-format.md).
   * @throws {ClientError} INVALID_ARGUMENT if signDocBytes is not a Uint8Array.
   */
  sign(signDocBytes: Uint8Array): Uint8Array {
    if (!(signDocBytes instanceof Uint8Array)) {
      throw new ClientError('INVALID_ARGUMENT', 'signDocBytes must be a Uint8Array (codec signBytes)');
    }
    return secp256k1Sign(sha256(signDocBytes), this.#privateKey);
  }

  /**
   * Re-derives the tx_key of an envelope this wallet created, from its nonce and the
   * network's IO public key: how old results are decrypted later (the key was never stored).
   * @throws {ClientError} INVALID_ARGUMENT if the envelope was not made with this wallet's key.
   * @throws {CryptoError} ENVELOPE_TOO_SHORT; LOW_ORDER_POINT for a bad network key.
   */
  txKeyOfEnvelope(envelope: Uint8Array, networkPublicKey: Uint8Array): Uint8Array {
    const { nonce, userPublicKey } = parseTxEnvelope(envelope);
    if (!equalBytes(userPublicKey, this.#txKeyPair.publicKey)) {
      throw new ClientError('INVALID_ARGUMENT', 'this envelope was encrypted by another wallet');
    }
    const shared = x25519SharedSecret(this.#txKeyPair.privateKey, networkPublicKey);
    const txKey = deriveTxKey(shared, nonce);
    shared.fill(0);
    return txKey;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
