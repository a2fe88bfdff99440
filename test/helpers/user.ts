// A test user that builds and encrypts contract messages and queries as the client SDK does
// (DESIGN.md §1 steps 2–3: code hash ‖ JSON encrypted to the network's IO key, the envelope
// binding as associated data). One copy for the app tests (test/app/helpers.ts) and the enclave
// tests (test/enclave/helpers.ts), which each add their own transaction building on top.
import {
  addressFromPublicKey,
  concatBytes,
  decryptTxOutput,
  encryptTxInput,
  secp256k1PublicKey,
  sha256,
  txEncryptionKeyPair,
  utf8Decode,
  utf8Encode,
  type X25519KeyPair,
} from '../../src/crypto/index.js';
import { envelopeAssociatedData, type EnvelopeBinding } from '../../src/codec/index.js';

export interface TestUser {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  address: string;
  txKeyPair: X25519KeyPair;
  accountNumber: bigint;
  /** The next sequence to sign with; the suites' signers bump it. */
  sequence: bigint;
}

/** A user whose secp256k1 key is sha256(`seedText`): the same text, the same address, every run. */
export function userFromSeedText(seedText: string, accountNumber: bigint): TestUser {
  const privateKey = sha256(utf8Encode(seedText));
  const publicKey = secp256k1PublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    address: addressFromPublicKey(publicKey),
    txKeyPair: txEncryptionKeyPair(privateKey),
    accountNumber,
    sequence: 0n,
  };
}

export interface ContractMsgSpec {
  kind: EnvelopeBinding['kind'];
  /** Contract address, or `instantiateTarget(codeId, label)` for an instantiate. */
  target: string;
  codeHash: string;
  msg: unknown;
  funds?: EnvelopeBinding['funds'];
  /** A fixed nonce for deterministic envelopes (crash and replay tests); random by default. */
  nonce?: Uint8Array;
}

/**
 * Encrypts a contract message from `user` to the network (sender = the user's address).
 * @returns the envelope and the tx key that opens the call's outputs.
 * @throws CodecError for an unknown kind or a bad fund amount (envelopeAssociatedData).
 */
export function encryptContractMsg(
  user: TestUser,
  networkIoKey: Uint8Array,
  spec: ContractMsgSpec,
): { envelope: Uint8Array; txKey: Uint8Array } {
  const { envelope, txKey } = encryptTxInput({
    networkPublicKey: networkIoKey,
    userKeyPair: user.txKeyPair,
    plaintext: concatBytes(utf8Encode(spec.codeHash), utf8Encode(JSON.stringify(spec.msg))),
    associatedData: envelopeAssociatedData({
      kind: spec.kind,
      sender: user.address,
      target: spec.target,
      funds: spec.funds ?? [],
    }),
    ...(spec.nonce === undefined ? {} : { nonce: spec.nonce }),
  });
  return { envelope, txKey };
}

/**
 * Encrypts a smart query (kind `query`, sender '') and gives the opener of its answer.
 * @returns the envelope and `open(sealed, label)`, which throws CryptoError if `sealed` does not
 *   open with this query's key under `label` ('query/result' unless told).
 */
export function encryptQueryMsg(
  user: TestUser,
  networkIoKey: Uint8Array,
  contract: string,
  codeHash: string,
  msg: unknown,
): { envelope: Uint8Array; open: (sealed: Uint8Array, label?: string) => string } {
  const { envelope, txKey } = encryptTxInput({
    networkPublicKey: networkIoKey,
    userKeyPair: user.txKeyPair,
    plaintext: concatBytes(utf8Encode(codeHash), utf8Encode(JSON.stringify(msg))),
    associatedData: envelopeAssociatedData({ kind: 'query', sender: '', target: contract, funds: [] }),
  });
  const queryHash = sha256(envelope);
  return {
    envelope,
    open: (sealed, label = 'query/result') => utf8Decode(decryptTxOutput(txKey, queryHash, label, sealed)),
  };
}
