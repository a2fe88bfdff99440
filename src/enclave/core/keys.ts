// Key management ECALLs: bootstrap, start, newRegistrationKey, registerNode, acceptSeed,
// blockRandom (DESIGN.md §3–§4, docs/adr/006-enclave-calls.md). The master seed, the network
// secrets, the registration private key and the block random live only in this object.
import {
  concatBytes,
  constantTimeEqual,
  generateX25519KeyPair,
  hkdfSha256,
  hmacSha256,
  randomBytes,
  utf8Encode,
  x25519KeyPairFromSeed,
  type X25519KeyPair,
} from '../../crypto/index.js';
import { EnclaveError } from '../errors.js';
import { decodeQuote, verifyQuote } from '../secrets/attestation.js';
import { LABELS, SEED_KDF_SALT } from '../secrets/labels.js';
import {
  deriveNetworkSecrets,
  MASTER_SEED_BYTES,
  publicKeysOf,
  type NetworkSecrets,
} from '../secrets/network-secrets.js';
import { sealSeed, unsealSeed } from '../secrets/sealing.js';
import { decryptSeedFromNetwork, encryptSeedForNode } from '../secrets/seed-exchange.js';
import type {
  AcceptSeedRequest,
  BlockRandomRequest,
  GenesisPolicy,
  NetworkKeys,
  RegisterNodeRequest,
  RegisterNodeResult,
  RegistrationKey,
  SealedNetworkKeys,
} from '../protocol.js';

/**
 * The registration private key is sealed under a key derived from the sealing key with its own
 * label, so a sealed registration key can never be passed off as a sealed seed (or back).
 */
const REGISTRATION_SEALING_LABEL = utf8Encode('shroud/v1/sealed-registration-key');

export function u64be(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value));
  return out;
}

export class KeyVault {
  private seed: Uint8Array | null = null;
  private network: NetworkSecrets | null = null;
  private registration: X25519KeyPair | null = null;
  private block: { height: bigint; random: Uint8Array; prk: Uint8Array } | null = null;
  private sealingKeyValue: Uint8Array | null = null;

  constructor(
    private readonly loadSealingKey: () => Uint8Array,
    private readonly policy: GenesisPolicy,
    readonly measurement: Uint8Array,
  ) {}

  /** @throws EnclaveError NOT_INITIALIZED before bootstrap, start or acceptSeed. */
  get secrets(): NetworkSecrets {
    if (this.network === null) {
      throw new EnclaveError(
        'NOT_INITIALIZED',
        'the enclave holds no network seed yet: call start, bootstrap or acceptSeed',
      );
    }
    return this.network;
  }

  private sealingKey(): Uint8Array {
    this.sealingKeyValue ??= this.loadSealingKey();
    return this.sealingKeyValue;
  }

  private install(seed: Uint8Array): NetworkKeys {
    const secrets = deriveNetworkSecrets(seed);
    this.seed = seed;
    this.network = secrets;
    const keys = publicKeysOf(secrets);
    return { ioPublicKey: keys.ioPublicKey, seedExchangePublicKey: keys.seedExchangePublicKey };
  }

  private refuseIfInitialized(): void {
    if (this.network !== null) {
      throw new EnclaveError('ALREADY_INITIALIZED', 'this enclave already holds the network seed');
    }
  }

  /** Genesis: creates the master seed inside this enclave. */
  bootstrap(): SealedNetworkKeys {
    this.refuseIfInitialized();
    const seed = randomBytes(MASTER_SEED_BYTES);
    const sealedSeed = sealSeed(seed, this.sealingKey());
    return { ...this.install(seed), sealedSeed };
  }

  /** Restart: opens this node's sealed seed. */
  start(sealedSeed: Uint8Array): NetworkKeys {
    this.refuseIfInitialized();
    return this.install(unsealSeed(sealedSeed, this.sealingKey()));
  }

  /** A joining node: a fresh X25519 registration key for its quote. */
  newRegistrationKey(): RegistrationKey {
    const keyPair = generateX25519KeyPair();
    this.registration = keyPair;
    return {
      registrationPublicKey: keyPair.publicKey,
      sealedRegistrationKey: sealSeed(keyPair.privateKey, this.registrationSealingKey()),
      measurement: this.measurement,
    };
  }

  private registrationSealingKey(): Uint8Array {
    return hmacSha256(this.sealingKey(), REGISTRATION_SEALING_LABEL);
  }

  /** A validator: checks a joining node's quote and encrypts the seed to its key. */
  registerNode(request: RegisterNodeRequest): RegisterNodeResult {
    const secrets = this.secrets;
    const quote = decodeQuote(request.quote);
    verifyQuote(quote, {
      trustedAuthorities: this.policy.trustedAuthorities,
      allowedMeasurements: this.policy.allowedMeasurements,
      maxAgeSeconds: this.policy.maxAgeSeconds,
      maxClockSkewSeconds: this.policy.maxClockSkewSeconds,
      nowSeconds: request.blockTimeSeconds,
    });
    const seed = this.seed as Uint8Array;
    return {
      registrationPublicKey: quote.registrationPublicKey,
      encryptedSeed: encryptSeedForNode(seed, secrets.seedExchangeKeyPair, quote.registrationPublicKey),
    };
  }

  /** A joining node: decrypts the seed the network encrypted to it, and seals it. */
  acceptSeed(request: AcceptSeedRequest): SealedNetworkKeys {
    this.refuseIfInitialized();
    let registration = this.registration;
    if (request.sealedRegistrationKey !== undefined) {
      const privateKey = unsealSeed(request.sealedRegistrationKey, this.registrationSealingKey());
      registration = x25519KeyPairFromSeed(privateKey);
    }
    if (registration === null) {
      throw new EnclaveError(
        'REGISTRATION_KEY_MISSING',
        'no registration key in this enclave: pass the sealed registration key from newRegistrationKey',
      );
    }
    const seed = decryptSeedFromNetwork(request.encryptedSeed, registration, request.seedExchangePublicKey);
    const keys = publicKeysOf(deriveNetworkSecrets(seed));
    if (!constantTimeEqual(keys.seedExchangePublicKey, request.seedExchangePublicKey)) {
      throw new EnclaveError(
        'SEED_EXCHANGE_KEY_MISMATCH',
        'the decrypted seed does not belong to the given seed-exchange public key',
      );
    }
    const sealedSeed = sealSeed(seed, this.sealingKey());
    this.registration = null;
    return { ...this.install(seed), sealedSeed };
  }

  /** Per-block random = HKDF(randomness secret, info = label || height || previous app hash). */
  blockRandom(request: BlockRandomRequest): void {
    const secrets = this.secrets;
    const info = concatBytes(LABELS.blockRandom, u64be(request.height), request.previousAppHash);
    const random = hkdfSha256(secrets.randomnessSecret, SEED_KDF_SALT, info, 32);
    // HKDF-Extract of the per-contract derivation, done once per block (RFC 5869 §2.2).
    this.block = { height: request.height, random, prk: hmacSha256(SEED_KDF_SALT, random) };
  }

  /**
   * The random a contract sees (CONTRACT_ABI §3.1): HKDF-SHA256(salt = SEED_KDF_SALT, ikm = block
   * random, info = height || contract state key || call index, 32 bytes).
   * @throws EnclaveError BLOCK_RANDOM_MISSING when blockRandom was not called for this height.
   */
  contractRandom(height: bigint, contractKey: Uint8Array, callIndex: number): Uint8Array {
    if (this.block === null || this.block.height !== height) {
      throw new EnclaveError(
        'BLOCK_RANDOM_MISSING',
        `the contract needs env.block.random but blockRandom was not called for height ${height}`,
      );
    }
    // info || 0x01 in one array: height, contract key, call index, the counter byte.
    const info = new Uint8Array(8 + contractKey.length + 8 + 1);
    const view = new DataView(info.buffer);
    view.setBigUint64(0, BigInt.asUintN(64, height));
    info.set(contractKey, 8);
    view.setBigUint64(8 + contractKey.length, BigInt.asUintN(64, BigInt(callIndex)));
    info[info.length - 1] = 1;
    // HKDF-Expand for 32 bytes is one block: T(1) = HMAC(PRK, info || 0x01) (RFC 5869 §2.3).
    return hmacSha256(this.block.prk, info);
  }
}
