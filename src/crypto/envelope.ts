// The transaction envelope of DESIGN.md §3 and the IV discipline that keeps every (tx_key, IV)
// pair unique. Exact derivations and their rationale: docs/adr/001-crypto-scheme.md.
//
//   envelope  = nonce(32) || user_x25519_pub(32) || AES-256-GCM(tx_key, input_iv, plaintext,
//               aad = nonce || user_pub || associatedData) (ciphertext || tag16)
//   tx_key    = HKDF-SHA256(ikm = X25519(user, network) || nonce, salt = TX_KDF_SALT,
//               info = "shroud/v1/tx-key", L = 32)
//   input_iv  = HMAC-SHA256(tx_key, "shroud/v1/iv/input")[0..12] with bit 7 of byte 0 cleared
//   output_iv = HMAC-SHA256(tx_key, "shroud/v1/iv/output" || 0x00 || tx_hash || utf8(label))[0..12]
//               with bit 7 of byte 0 set
// The top bit of byte 0 splits the IV space in two, so an output IV can never equal the input
// IV whatever the labels; distinct (tx_hash, label) pairs are distinct HMAC inputs (tx_hash
// has a fixed length), so output IVs differ except with probability 2^-95 per pair.
import type { CryptoBackend } from './backend.js';
import { createAead, GCM_IV_BYTES, GCM_TAG_BYTES } from './aead.js';
import { hexToBytes, utf8Encode } from './bytes.js';
import { assertBytes, assertString, assertUint8Array } from './checks.js';
import { CryptoError } from './errors.js';
import { createX25519, X25519_KEY_BYTES, type X25519KeyPair } from './x25519.js';

export const TX_NONCE_BYTES = 32;
export const TX_KEY_BYTES = 32;
export const TX_HASH_BYTES = 32;
/** Header (nonce + user public key) plus the GCM tag: the shortest valid envelope (empty plaintext). */
export const TX_ENVELOPE_MIN_BYTES = TX_NONCE_BYTES + X25519_KEY_BYTES + GCM_TAG_BYTES;
/** Output labels are short protocol names ("data", "log/3", "msg/0/depth/1"). */
export const OUTPUT_LABEL_MAX_BYTES = 256;

/** HKDF salt of tx_key: SHA-256("shroud/v1/tx-kdf-salt"), a fixed protocol constant. */
export const TX_KDF_SALT: Uint8Array = hexToBytes(
  'cb92a2953868ad4b02ab168bff9d2ad5c96f3550155171bab3a2f47c33202810',
);
const TX_KEY_INFO = utf8Encode('shroud/v1/tx-key');
const INPUT_IV_LABEL = utf8Encode('shroud/v1/iv/input');
const OUTPUT_IV_LABEL = utf8Encode('shroud/v1/iv/output');

/** The three parts of an envelope (views into it, not copies). */
export interface ParsedTxEnvelope {
  nonce: Uint8Array;
  userPublicKey: Uint8Array;
  sealed: Uint8Array;
}

export interface EncryptTxInputArgs {
  networkPublicKey: Uint8Array;
  userKeyPair: X25519KeyPair;
  plaintext: Uint8Array;
  /** Bound into the tag: sender address, contract, funds (DESIGN.md §3 "Binding to the signer"). */
  associatedData: Uint8Array;
  /** Fresh random 32 bytes when omitted. Never reuse one with the same key pair. */
  nonce?: Uint8Array;
}

/** An encrypted input, with the key and nonce the client keeps to decrypt the outputs. */
export interface EncryptedTxInput {
  envelope: Uint8Array;
  txKey: Uint8Array;
  nonce: Uint8Array;
}

/** What the enclave learns from an envelope. */
export interface DecryptedTxInput {
  plaintext: Uint8Array;
  txKey: Uint8Array;
  userPublicKey: Uint8Array;
  nonce: Uint8Array;
}

export interface DecryptTxInputArgs {
  networkPrivateKey: Uint8Array;
  envelope: Uint8Array;
  associatedData: Uint8Array;
}

/**
 * Splits an envelope into nonce, user public key and sealed ciphertext || tag.
 * @throws {CryptoError} ENVELOPE_TOO_SHORT below 80 bytes; INVALID_ARGUMENT if not a Uint8Array.
 */
export function parseTxEnvelope(envelope: Uint8Array): ParsedTxEnvelope {
  assertUint8Array('envelope', envelope);
  if (envelope.length < TX_ENVELOPE_MIN_BYTES) {
    throw new CryptoError(
      'ENVELOPE_TOO_SHORT',
      `envelope must be at least ${TX_ENVELOPE_MIN_BYTES} bytes (nonce, public key, tag), got ${envelope.length}`,
    );
  }
  return {
    nonce: envelope.subarray(0, TX_NONCE_BYTES),
    userPublicKey: envelope.subarray(TX_NONCE_BYTES, TX_NONCE_BYTES + X25519_KEY_BYTES),
    sealed: envelope.subarray(TX_NONCE_BYTES + X25519_KEY_BYTES),
  };
}

function assertLabel(label: string): Uint8Array {
  assertString('label', label);
  const bytes = utf8Encode(label);
  if (bytes.length === 0 || bytes.length > OUTPUT_LABEL_MAX_BYTES) {
    throw new CryptoError(
      'INVALID_ARGUMENT',
      `label must be 1 to ${OUTPUT_LABEL_MAX_BYTES} UTF-8 bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}

function assertKeyPair(name: string, keyPair: unknown): asserts keyPair is X25519KeyPair {
  if (typeof keyPair !== 'object' || keyPair === null) {
    throw new CryptoError('INVALID_ARGUMENT', `${name} must be an object { privateKey, publicKey }`);
  }
  const pair = keyPair as Partial<X25519KeyPair>;
  assertBytes(`${name}.privateKey`, pair.privateKey, X25519_KEY_BYTES);
  assertBytes(`${name}.publicKey`, pair.publicKey, X25519_KEY_BYTES);
}

/** The envelope functions of one backend. */
export function createEnvelope(backend: CryptoBackend) {
  const aead = createAead(backend);
  const x25519 = createX25519(backend);

  function deriveTxKey(sharedSecret: Uint8Array, nonce: Uint8Array): Uint8Array {
    assertBytes('sharedSecret', sharedSecret, X25519_KEY_BYTES);
    assertBytes('nonce', nonce, TX_NONCE_BYTES);
    const ikm = new Uint8Array(X25519_KEY_BYTES + TX_NONCE_BYTES);
    ikm.set(sharedSecret, 0);
    ikm.set(nonce, X25519_KEY_BYTES);
    const txKey = backend.hkdfSha256(ikm, TX_KDF_SALT, TX_KEY_INFO, TX_KEY_BYTES);
    ikm.fill(0);
    return txKey;
  }

  function deriveInputIv(txKey: Uint8Array): Uint8Array {
    assertBytes('txKey', txKey, TX_KEY_BYTES);
    const iv = backend.hmacSha256(txKey, INPUT_IV_LABEL).slice(0, GCM_IV_BYTES);
    iv[0]! &= 0x7f; // input half of the IV space
    return iv;
  }

  function deriveOutputIv(txKey: Uint8Array, txHash: Uint8Array, label: string): Uint8Array {
    assertBytes('txKey', txKey, TX_KEY_BYTES);
    assertBytes('txHash', txHash, TX_HASH_BYTES);
    const labelBytes = assertLabel(label);
    const message = new Uint8Array(OUTPUT_IV_LABEL.length + 1 + TX_HASH_BYTES + labelBytes.length);
    message.set(OUTPUT_IV_LABEL, 0);
    // message[OUTPUT_IV_LABEL.length] stays 0: a separator between the domain label and the
    // data, so this input space stays disjoint from any future label that extends this one.
    message.set(txHash, OUTPUT_IV_LABEL.length + 1);
    message.set(labelBytes, OUTPUT_IV_LABEL.length + 1 + TX_HASH_BYTES);
    const iv = backend.hmacSha256(txKey, message).slice(0, GCM_IV_BYTES);
    iv[0]! |= 0x80; // output half of the IV space: never equal to an input IV
    return iv;
  }

  /** AAD of the input: the whole envelope header, then the caller's associated data. */
  function inputAad(nonce: Uint8Array, userPublicKey: Uint8Array, associatedData: Uint8Array): Uint8Array {
    const aad = new Uint8Array(TX_NONCE_BYTES + X25519_KEY_BYTES + associatedData.length);
    aad.set(nonce, 0);
    aad.set(userPublicKey, TX_NONCE_BYTES);
    aad.set(associatedData, TX_NONCE_BYTES + X25519_KEY_BYTES);
    return aad;
  }

  return {
    /**
     * tx_key = HKDF-SHA256(ikm = sharedSecret || nonce, salt = TX_KDF_SALT,
     * info = "shroud/v1/tx-key", 32 bytes) (DESIGN.md §3).
     * @throws {CryptoError} INVALID_LENGTH unless both arguments are 32 bytes.
     */
    deriveTxKey,
    /**
     * The IV of the transaction input: HMAC-SHA256(txKey, "shroud/v1/iv/input"), first 12
     * bytes, top bit cleared. One input per tx_key (the nonce is fresh), so a fixed label suffices.
     * @throws {CryptoError} INVALID_LENGTH unless txKey is 32 bytes.
     */
    deriveInputIv,
    /**
     * The IV of one transaction output, deterministic so every validator produces the same
     * ciphertext: HMAC-SHA256(txKey, "shroud/v1/iv/output" || 0x00 || txHash || label), first
     * 12 bytes, top bit set. `label` must be unique per output within the transaction.
     * @throws {CryptoError} INVALID_LENGTH for txKey/txHash not 32 bytes; INVALID_ARGUMENT for
     *   a label that is not a 1–256-byte string.
     */
    deriveOutputIv,
    parseTxEnvelope,

    /**
     * Client side: encrypts a transaction input to the network (DESIGN.md §1 step 2).
     * @returns the envelope, and tx_key and nonce (keep tx_key to decrypt the outputs).
     * @throws {CryptoError} INVALID_LENGTH / INVALID_ARGUMENT for malformed arguments;
     *   INVALID_KEY if userKeyPair.publicKey does not belong to userKeyPair.privateKey;
     *   LOW_ORDER_POINT if networkPublicKey is a low-order point.
     */
    encryptTxInput: (args: EncryptTxInputArgs): EncryptedTxInput => {
      if (typeof args !== 'object' || args === null) {
        throw new CryptoError('INVALID_ARGUMENT', 'encryptTxInput expects an arguments object');
      }
      const { networkPublicKey, userKeyPair, plaintext, associatedData } = args;
      assertBytes('networkPublicKey', networkPublicKey, X25519_KEY_BYTES);
      assertKeyPair('userKeyPair', userKeyPair);
      assertUint8Array('plaintext', plaintext);
      assertUint8Array('associatedData', associatedData);
      const nonce = args.nonce ?? backend.randomBytes(TX_NONCE_BYTES);
      assertBytes('nonce', nonce, TX_NONCE_BYTES);
      // A mismatched pair would encrypt to a key the enclave can never derive; fail loudly here.
      if (!backend.timingSafeEqual(backend.x25519PublicKey(userKeyPair.privateKey), userKeyPair.publicKey)) {
        throw new CryptoError('INVALID_KEY', 'userKeyPair.publicKey does not match userKeyPair.privateKey');
      }
      const shared = x25519.x25519SharedSecret(userKeyPair.privateKey, networkPublicKey);
      const txKey = deriveTxKey(shared, nonce);
      shared.fill(0);
      const sealed = backend.aesGcmEncrypt(
        txKey,
        deriveInputIv(txKey),
        plaintext,
        inputAad(nonce, userKeyPair.publicKey, associatedData),
      );
      const envelope = new Uint8Array(TX_NONCE_BYTES + X25519_KEY_BYTES + sealed.length);
      envelope.set(nonce, 0);
      envelope.set(userKeyPair.publicKey, TX_NONCE_BYTES);
      envelope.set(sealed, TX_NONCE_BYTES + X25519_KEY_BYTES);
      return { envelope, txKey, nonce: nonce.slice() };
    },

    /**
     * Enclave side: re-derives tx_key with the network private key and decrypts (DESIGN.md §1
     * step 6). Any change to the envelope or associatedData fails.
     * @throws {CryptoError} ENVELOPE_TOO_SHORT; LOW_ORDER_POINT for a low-order user key;
     *   DECRYPT_FAILED when authentication fails; INVALID_LENGTH / INVALID_ARGUMENT otherwise.
     */
    decryptTxInput: (args: DecryptTxInputArgs): DecryptedTxInput => {
      if (typeof args !== 'object' || args === null) {
        throw new CryptoError('INVALID_ARGUMENT', 'decryptTxInput expects an arguments object');
      }
      const { networkPrivateKey, envelope, associatedData } = args;
      assertBytes('networkPrivateKey', networkPrivateKey, X25519_KEY_BYTES);
      assertUint8Array('associatedData', associatedData);
      const { nonce, userPublicKey, sealed } = parseTxEnvelope(envelope);
      const shared = x25519.x25519SharedSecret(networkPrivateKey, userPublicKey);
      const txKey = deriveTxKey(shared, nonce);
      shared.fill(0);
      const plaintext = aead.aesGcmDecrypt(
        txKey,
        deriveInputIv(txKey),
        sealed,
        inputAad(nonce, userPublicKey, associatedData),
      );
      return { plaintext, txKey, userPublicKey: userPublicKey.slice(), nonce: nonce.slice() };
    },

    /**
     * Encrypts one output of a transaction under its tx_key (enclave side).
     * @returns ciphertext || tag
     * @throws {CryptoError} as {@link deriveOutputIv}; INVALID_ARGUMENT if plaintext is not bytes.
     */
    encryptTxOutput: (
      txKey: Uint8Array,
      txHash: Uint8Array,
      label: string,
      plaintext: Uint8Array,
    ): Uint8Array => {
      const iv = deriveOutputIv(txKey, txHash, label);
      assertUint8Array('plaintext', plaintext);
      return backend.aesGcmEncrypt(txKey, iv, plaintext, new Uint8Array(0));
    },

    /**
     * Decrypts one output (client side) with the tx_key kept from encryptTxInput.
     * @throws {CryptoError} DECRYPT_FAILED for a wrong key, hash or label, or tampering;
     *   others as {@link deriveOutputIv}.
     */
    decryptTxOutput: (
      txKey: Uint8Array,
      txHash: Uint8Array,
      label: string,
      sealed: Uint8Array,
    ): Uint8Array => {
      const iv = deriveOutputIv(txKey, txHash, label);
      return aead.aesGcmDecrypt(txKey, iv, sealed);
    },
  };
}
