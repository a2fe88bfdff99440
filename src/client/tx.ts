// Transaction building (DESIGN.md §1 steps 2–3): encrypt each contract message to the network
// (envelope with codec `envelopeAssociatedData`, exactly the binding the enclave rebuilds from
// the signed transaction: kind, sender, target, funds), encode the body and auth info
// canonically, sign the SIGN_MODE_DIRECT SignDoc, and encode the Tx
// (docs/adr/002-transaction-format.md). The tx keys stay in memory to decrypt the results.
import {
  buildTx as codecBuildTx,
  encodeTx,
  envelopeAssociatedData,
  instantiateTarget,
  isCanonicalAmount,
  txHash as codecTxHash,
  type EnvelopeKind,
  type TxBodyInit,
} from '../codec/index.js';
import { bytesToHex, concatBytes, encryptTxInput, fromBech32, utf8Encode } from '../crypto/index.js';
import { ClientError } from './errors.js';
import type { Wallet } from './wallet.js';

/** A coin as the SDK takes it: amount as a decimal string or a bigint. */
export interface CoinInput {
  denom: string;
  amount: string | bigint;
}

/** A coin as the chain encodes it (canonical decimal string). */
export interface Coin {
  denom: string;
  amount: string;
}

/** One message of a transaction, in SDK terms. Contract messages are plain objects (JSON). */
export type ClientMessage =
  | { type: 'storeCode'; wasm: Uint8Array; source?: string; builder?: string }
  | {
      type: 'instantiate';
      codeId: bigint;
      codeHash: string;
      label: string;
      msg: unknown;
      funds?: CoinInput[];
      admin?: string;
    }
  | { type: 'execute'; contract: string; codeHash: string; msg: unknown; funds?: CoinInput[] }
  | { type: 'migrate'; contract: string; codeId: bigint; codeHash: string; msg: unknown }
  | { type: 'send'; to: string; amount: CoinInput[] }
  | { type: 'delegate'; validator: string; amount: CoinInput }
  | { type: 'undelegate'; validator: string; amount: CoinInput }
  | { type: 'createValidator'; consensusPublicKey: Uint8Array; selfBond: CoinInput; moniker: string }
  | { type: 'registerNode'; quote: Uint8Array };

/** Account, chain and fee fields of every transaction. */
export interface TxOptions {
  sender: Wallet;
  chainId: string;
  accountNumber: bigint;
  sequence: bigint;
  gasLimit: bigint;
  /** Fee paid for the gas limit; default none (the chain may refuse it below its min gas price). */
  fee?: CoinInput[];
  memo?: string;
  /** 0 (default) = no timeout. */
  timeoutHeight?: bigint;
  /** The network's IO public key (X25519, 32 bytes; abci_query `/network/keys`). Needed for contract messages. */
  networkPublicKey?: Uint8Array;
}

/** A signed transaction ready to broadcast, and what is needed to read its result. */
export interface BuiltTx {
  txBytes: Uint8Array;
  /** SHA-256 of txBytes (32 bytes). */
  hash: Uint8Array;
  /** Uppercase hex of {@link BuiltTx.hash}, as CometBFT prints it. */
  hashHex: string;
  /** Per message: the tx key of its envelope (contract messages) or null. Keep in memory only. */
  txKeys: (Uint8Array | null)[];
  /** The tx key of the first contract message (convenience for one-message txs), or null. */
  txKey: Uint8Array | null;
  /** Per message: the envelope sent (contract messages) or null. */
  envelopes: (Uint8Array | null)[];
  /** Per message: the contract it calls (execute, migrate) or null; see decryptTxResult. */
  targets: (string | null)[];
}

const CODE_HASH = /^[0-9a-f]{64}$/;
const DENOM = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;

function invalid(message: string): never {
  throw new ClientError('INVALID_ARGUMENT', message);
}

function checkAddress(name: string, address: string): void {
  try {
    const { prefix } = fromBech32(address);
    if (prefix !== 'shroud') invalid(`${name} must be a shroud1… address`);
  } catch (error) {
    if (error instanceof ClientError) throw error;
    invalid(`${name} is not a valid bech32 address`);
  }
}

function coin(name: string, input: CoinInput): Coin {
  if (typeof input !== 'object' || input === null || typeof input.denom !== 'string') {
    invalid(`${name} must be { denom, amount }`);
  }
  const amount = typeof input.amount === 'bigint' ? input.amount.toString() : input.amount;
  if (typeof amount !== 'string' || !isCanonicalAmount(amount)) {
    invalid(`${name}.amount must be a non-negative integer (decimal string or bigint)`);
  }
  if (!DENOM.test(input.denom)) invalid(`${name}.denom "${input.denom.slice(0, 40)}" is not a valid denom`);
  return { denom: input.denom, amount };
}

function coins(name: string, inputs: CoinInput[] | undefined): Coin[] {
  if (inputs === undefined) return [];
  if (!Array.isArray(inputs)) invalid(`${name} must be an array of coins`);
  return inputs.map((input, i) => coin(`${name}[${i}]`, input));
}

/**
 * The envelope plaintext: code hash (64 lowercase hex) || JSON message (DESIGN.md §3).
 * @throws {ClientError} INVALID_ARGUMENT for a bad code hash or a message JSON cannot encode.
 */
export function contractPlaintext(codeHash: string, msg: unknown): Uint8Array {
  const hash = typeof codeHash === 'string' ? codeHash.toLowerCase() : '';
  if (!CODE_HASH.test(hash)) invalid('codeHash must be 64 hex characters (sha256 of the wasm)');
  let json: string | undefined;
  try {
    json = JSON.stringify(msg);
  } catch (error) {
    throw new ClientError('INVALID_ARGUMENT', 'msg cannot be encoded as JSON (cycle or bigint?)', {
      cause: error,
    });
  }
  if (json === undefined) invalid('msg must be a JSON value (object)');
  return concatBytes(utf8Encode(hash), utf8Encode(json));
}

interface Encrypted {
  envelope: Uint8Array;
  txKey: Uint8Array;
}

function encryptFor(
  options: TxOptions,
  kind: EnvelopeKind,
  target: string,
  funds: Coin[],
  codeHash: string,
  msg: unknown,
): Encrypted {
  const networkPublicKey = options.networkPublicKey;
  if (!(networkPublicKey instanceof Uint8Array) || networkPublicKey.length !== 32) {
    invalid('networkPublicKey (32 bytes, abci_query /network/keys) is needed to encrypt a contract message');
  }
  const { envelope, txKey } = encryptTxInput({
    networkPublicKey,
    userKeyPair: options.sender.txEncryptionKeyPair(),
    plaintext: contractPlaintext(codeHash, msg),
    associatedData: envelopeAssociatedData({ kind, sender: options.sender.address, target, funds }),
  });
  return { envelope, txKey };
}

type MsgInit = TxBodyInit['messages'] extends (infer M)[] | undefined ? M : never;

function encodeMessage(
  options: TxOptions,
  message: ClientMessage,
): { msg: MsgInit; sealed: Encrypted | null } {
  const sender = options.sender.address;
  switch (message.type) {
    case 'storeCode': {
      if (!(message.wasm instanceof Uint8Array) || message.wasm.length === 0)
        invalid('wasm must be non-empty bytes');
      const value = {
        sender,
        wasmByteCode: message.wasm,
        source: message.source ?? '',
        builder: message.builder ?? '',
      };
      return { msg: { sum: { case: 'storeCode', value } }, sealed: null };
    }
    case 'instantiate': {
      const funds = coins('funds', message.funds);
      if (typeof message.label !== 'string' || message.label.length === 0)
        invalid('label must be a non-empty string');
      if (message.admin !== undefined && message.admin !== '') checkAddress('admin', message.admin);
      const target = instantiateTarget(message.codeId, message.label);
      const sealed = encryptFor(options, 'instantiate', target, funds, message.codeHash, message.msg);
      const value = {
        sender,
        codeId: message.codeId,
        label: message.label,
        initMsg: sealed.envelope,
        initFunds: funds,
        admin: message.admin ?? '',
      };
      return { msg: { sum: { case: 'instantiateContract', value } }, sealed };
    }
    case 'execute': {
      checkAddress('contract', message.contract);
      const funds = coins('funds', message.funds);
      const sealed = encryptFor(options, 'execute', message.contract, funds, message.codeHash, message.msg);
      const value = { sender, contract: message.contract, msg: sealed.envelope, sentFunds: funds };
      return { msg: { sum: { case: 'executeContract', value } }, sealed };
    }
    case 'migrate': {
      checkAddress('contract', message.contract);
      const sealed = encryptFor(options, 'migrate', message.contract, [], message.codeHash, message.msg);
      const value = { sender, contract: message.contract, codeId: message.codeId, msg: sealed.envelope };
      return { msg: { sum: { case: 'migrateContract', value } }, sealed };
    }
    case 'send': {
      checkAddress('to', message.to);
      const value = { fromAddress: sender, toAddress: message.to, amount: coins('amount', message.amount) };
      return { msg: { sum: { case: 'send', value } }, sealed: null };
    }
    case 'delegate':
    case 'undelegate': {
      checkAddress('validator', message.validator);
      const value = {
        delegatorAddress: sender,
        validatorAddress: message.validator,
        amount: coin('amount', message.amount),
      };
      return message.type === 'delegate'
        ? { msg: { sum: { case: 'delegate', value } }, sealed: null }
        : { msg: { sum: { case: 'undelegate', value } }, sealed: null };
    }
    case 'createValidator': {
      const value = {
        operatorAddress: sender,
        consensusPublicKey: message.consensusPublicKey,
        selfBond: coin('selfBond', message.selfBond),
        moniker: message.moniker,
      };
      return { msg: { sum: { case: 'createValidator', value } }, sealed: null };
    }
    case 'registerNode':
      return {
        msg: { sum: { case: 'registerNode', value: { sender, quote: message.quote } } },
        sealed: null,
      };
    default:
      return invalid(`unknown message type "${String((message as { type?: unknown }).type)}"`);
  }
}

/**
 * Encrypts, encodes and signs a transaction of one or more messages.
 * @example
 * const built = buildTx({ sender: wallet, chainId, accountNumber, sequence, gasLimit: 200_000n,
 *   fee: [{ denom: 'ushd', amount: '5000' }], networkPublicKey },
 *   [{ type: 'execute', contract, codeHash, msg: { increment: {} } }]);
 * @throws {ClientError} INVALID_ARGUMENT for bad addresses, coins, code hashes, messages or a
 *   missing network key; {@link CodecError} for content the chain would refuse (memo too long,
 *   zero gas limit, bad chain id...).
 */
export function buildTx(options: TxOptions, messages: ClientMessage[]): BuiltTx {
  if (!Array.isArray(messages) || messages.length === 0) invalid('a transaction needs at least one message');
  if (typeof options.gasLimit !== 'bigint' || options.gasLimit <= 0n)
    invalid('gasLimit must be a positive bigint');
  const encoded = messages.map((message) => encodeMessage(options, message));
  const unsigned = codecBuildTx({
    messages: encoded.map((e) => e.msg),
    memo: options.memo ?? '',
    timeoutHeight: options.timeoutHeight ?? 0n,
    publicKey: options.sender.publicKey,
    sequence: options.sequence,
    fee: { amount: coins('fee', options.fee), gasLimit: options.gasLimit },
    chainId: options.chainId,
    accountNumber: options.accountNumber,
  });
  const signature = options.sender.sign(unsigned.signBytes);
  const txBytes = encodeTx({
    bodyBytes: unsigned.bodyBytes,
    authInfoBytes: unsigned.authInfoBytes,
    signatures: [signature],
  });
  const hash = codecTxHash(txBytes);
  const txKeys = encoded.map((e) => e.sealed?.txKey ?? null);
  return {
    txBytes,
    hash,
    hashHex: bytesToHex(hash).toUpperCase(),
    txKeys,
    txKey: txKeys.find((key) => key !== null) ?? null,
    envelopes: encoded.map((e) => e.sealed?.envelope ?? null),
    targets: messages.map((m) => (m.type === 'execute' || m.type === 'migrate' ? m.contract : null)),
  };
}

type Without<T, K extends string> = T extends unknown ? Omit<T, K> : never;
type MessageOf<T extends ClientMessage['type']> = Without<Extract<ClientMessage, { type: T }>, 'type'>;

/** {@link buildTx} of one MsgExecuteContract. @throws as buildTx. */
export function buildExecuteTx(args: TxOptions & MessageOf<'execute'>): BuiltTx {
  return buildTx(args, [
    {
      type: 'execute',
      contract: args.contract,
      codeHash: args.codeHash,
      msg: args.msg,
      ...(args.funds ? { funds: args.funds } : {}),
    },
  ]);
}

/** {@link buildTx} of one MsgInstantiateContract. @throws as buildTx. */
export function buildInstantiateTx(args: TxOptions & MessageOf<'instantiate'>): BuiltTx {
  const { codeId, codeHash, label, msg, funds, admin } = args;
  return buildTx(args, [
    {
      type: 'instantiate',
      codeId,
      codeHash,
      label,
      msg,
      ...(funds ? { funds } : {}),
      ...(admin ? { admin } : {}),
    },
  ]);
}

/** {@link buildTx} of one MsgMigrateContract. @throws as buildTx. */
export function buildMigrateTx(args: TxOptions & MessageOf<'migrate'>): BuiltTx {
  const { contract, codeId, codeHash, msg } = args;
  return buildTx(args, [{ type: 'migrate', contract, codeId, codeHash, msg }]);
}

/** {@link buildTx} of one MsgStoreCode. @throws as buildTx. */
export function buildStoreCodeTx(args: TxOptions & MessageOf<'storeCode'>): BuiltTx {
  const { wasm, source, builder } = args;
  return buildTx(args, [
    { type: 'storeCode', wasm, ...(source ? { source } : {}), ...(builder ? { builder } : {}) },
  ]);
}

/** {@link buildTx} of one MsgSend. @throws as buildTx. */
export function buildSendTx(args: TxOptions & MessageOf<'send'>): BuiltTx {
  return buildTx(args, [{ type: 'send', to: args.to, amount: args.amount }]);
}

/** {@link buildTx} of one MsgDelegate. @throws as buildTx. */
export function buildDelegateTx(args: TxOptions & MessageOf<'delegate'>): BuiltTx {
  return buildTx(args, [{ type: 'delegate', validator: args.validator, amount: args.amount }]);
}

/** {@link buildTx} of one MsgUndelegate. @throws as buildTx. */
export function buildUndelegateTx(args: TxOptions & MessageOf<'undelegate'>): BuiltTx {
  return buildTx(args, [{ type: 'undelegate', validator: args.validator, amount: args.amount }]);
}

/** {@link buildTx} of one MsgCreateValidator. @throws as buildTx. */
export function buildCreateValidatorTx(args: TxOptions & MessageOf<'createValidator'>): BuiltTx {
  const { consensusPublicKey, selfBond, moniker } = args;
  return buildTx(args, [{ type: 'createValidator', consensusPublicKey, selfBond, moniker }]);
}

/** {@link buildTx} of one MsgRegisterNode. @throws as buildTx. */
export function buildRegisterNodeTx(args: TxOptions & MessageOf<'registerNode'>): BuiltTx {
  return buildTx(args, [{ type: 'registerNode', quote: args.quote }]);
}
