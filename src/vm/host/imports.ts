// The host imports (module `env`) of CONTRACT_ABI §2, bound to one CallContext. Each function
// charges its gas *before* doing the work, reads arguments through bounds-checked Regions and
// returns exactly the codes/Regions the table specifies. Traps are thrown as VmError (the
// runtime turns them into a failed call); "user" errors are return values.

import { fromBech32, sha256, toBech32, utf8Encode } from '../../crypto/index.js';
import { VmError } from '../errors.js';
import type { CallContext } from '../runtime/context.js';
import {
  batchSize,
  CryptoCode,
  decodeSections,
  ed25519BatchVerifyCode,
  ed25519SignCode,
  ed25519VerifyCode,
  secp256k1RecoverCode,
  secp256k1SignCode,
  secp256k1VerifyCode,
} from './crypto.js';

/** Wasm gas per host function (CONTRACT_ABI §2). */
export const HOST_GAS = {
  dbRead: 1_000n,
  dbWriteBase: 2_000n,
  dbWritePerByte: 5_000n,
  dbRemove: 0n,
  address: 8_192n,
  secp256k1Verify: 98_304n,
  secp256k1Recover: 98_304n,
  ed25519Verify: 73_728n,
  ed25519BatchBase: 5_000n,
  ed25519BatchPerSignature: 70_000n,
  secp256k1Sign: 100_000n,
  ed25519Sign: 75_000n,
  checkGas: 8_192n,
  gasEvaporateMin: 8_000n,
  gasEvaporatePerUnit: 1_000n,
  dcapQuoteVerify: 100_000n,
} as const;

/**
 * db_write gas of values shorter than this, precomputed (base + per byte × length, and per byte
 * × length): the BigInt arithmetic allocated 4 BigInts per write (heap sampling, issue #4).
 */
const WRITE_GAS_TABLE = 1024;
const WRITE_GAS_PER_BYTE = Array.from(
  { length: WRITE_GAS_TABLE },
  (_, n) => HOST_GAS.dbWritePerByte * BigInt(n),
);
const WRITE_GAS = WRITE_GAS_PER_BYTE.map((perByte) => HOST_GAS.dbWriteBase + perByte);

/** Per-byte db_write gas of a value of `length` bytes. */
function writeGasPerByte(length: number): bigint {
  return length < WRITE_GAS_TABLE
    ? (WRITE_GAS_PER_BYTE[length] as bigint)
    : HOST_GAS.dbWritePerByte * BigInt(length);
}

/** Bound of addr_validate's cache of valid addresses (cleared when full). */
const VALID_ADDRESSES_MAX = 4096;

/** Query recursion limit (CONTRACT_ABI §2, §6). */
export const MAX_QUERY_DEPTH = 10;

// ignoreBOM: a leading U+FEFF is part of the input (Rust's String::from_utf8 keeps it), not
// stripped: "\uFEFF" + a valid address must not validate as that address (ADR 010, Review).
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** i64 return of the crypto functions: error code in the high half, Region in the low half. */
function packError(code: number): bigint {
  return BigInt(code) << 32n;
}

function bech32ErrorText(error: unknown): string {
  return error instanceof Error ? error.message : 'invalid bech32 address';
}

/** SystemResult error for query_chain (CONTRACT_ABI §3.6). */
function systemError(variant: string, body: Record<string, unknown>): Uint8Array {
  return utf8Encode(JSON.stringify({ Err: { [variant]: body } }));
}

type HostFunction = (...args: never[]) => number | bigint | void;

/** The call the host functions currently serve; the VM swaps it around each (nested) call. */
export interface HostBinding {
  ctx: CallContext;
}

/**
 * Builds the `env` import functions (v1 names plus the v0.10 aliases), once per VM. They
 * act on `binding.ctx`, which the VM points at the running call and restores after nested
 * calls (query_chain → querier → another call): calls are strictly nested and synchronous,
 * so the binding always names the instance that invoked the import. Building the functions
 * once instead of per call saves ~20 closures per call (bench/vm.ts).
 */
export function buildHostImports(binding: HostBinding): Record<string, HostFunction> {
  const errorRegion = (text: string): number => binding.ctx.allocateRegion(utf8Encode(text));

  const dbRead = (keyPtr: number): number => {
    binding.ctx.charge(HOST_GAS.dbRead);
    const value = binding.ctx.cache.getText(binding.ctx.readKeyText(keyPtr));
    return value === undefined ? 0 : binding.ctx.allocateRegion(value);
  };

  const dbWrite = (keyPtr: number, valuePtr: number): void => {
    if (binding.ctx.readOnly)
      throw new VmError('UNAUTHORIZED_WRITE', 'db_write is not allowed in a query (queries are read-only)');
    const key = binding.ctx.readKey(keyPtr);
    const value = binding.ctx.readRegion(valuePtr);
    const perByte = writeGasPerByte(value.length);
    binding.ctx.charge(
      value.length < WRITE_GAS_TABLE ? (WRITE_GAS[value.length] as bigint) : HOST_GAS.dbWriteBase + perByte,
    );
    binding.ctx.perByteWriteGas += perByte;
    binding.ctx.cache.setOwned(key, value); // both just copied out of contract memory
  };

  const dbRemove = (keyPtr: number): void => {
    if (binding.ctx.readOnly)
      throw new VmError('UNAUTHORIZED_WRITE', 'db_remove is not allowed in a query (queries are read-only)');
    binding.ctx.charge(HOST_GAS.dbRemove);
    binding.ctx.cache.setOwned(binding.ctx.readKey(keyPtr), null);
  };

  // Addresses addr_validate found valid, with the prefix they were valid for. Validity is a pure
  // function of (address, prefix), so a hit answers exactly what the bech32 work would; it
  // saves ~5 % of a token transfer's VM time (the recipient is validated on every transfer).
  const validAddresses = new Map<string, string>();

  // Address functions: "user" errors come back as an error-string Region (CONTRACT_ABI §2).
  const addrValidate = (humanPtr: number): number => {
    binding.ctx.charge(HOST_GAS.address);
    const bytes = binding.ctx.readRegion(humanPtr);
    if (bytes.length === 0) return errorRegion('Input is empty');
    const human = decodeUtf8(bytes);
    if (human === undefined) return errorRegion('Input is not valid UTF-8');
    if (validAddresses.get(human) === binding.ctx.addressPrefix) return 0;
    let data: Uint8Array;
    try {
      data = fromBech32(human).data;
    } catch (error) {
      return errorRegion(bech32ErrorText(error));
    }
    let normalized: string | undefined;
    try {
      normalized = toBech32(binding.ctx.addressPrefix, data);
    } catch {
      normalized = undefined;
    }
    if (normalized !== human) return errorRegion('Address is not normalized');
    if (validAddresses.size >= VALID_ADDRESSES_MAX) validAddresses.clear();
    validAddresses.set(human, binding.ctx.addressPrefix);
    return 0;
  };

  const canonicalize = (humanPtr: number, outPtr: number, legacy: boolean): number => {
    binding.ctx.charge(HOST_GAS.address);
    const bytes = binding.ctx.readRegion(humanPtr);
    let human = decodeUtf8(bytes);
    if (human === undefined) return errorRegion('input is not valid UTF-8');
    if (legacy) human = human.trim(); // v0.10 canonicalize_address trims whitespace
    if (human.length === 0) return errorRegion(legacy ? 'input is empty' : 'Input is empty');
    let decoded: { prefix: string; data: Uint8Array };
    try {
      decoded = fromBech32(human);
    } catch (error) {
      return errorRegion(bech32ErrorText(error));
    }
    if (decoded.prefix !== binding.ctx.addressPrefix)
      return errorRegion(`wrong address prefix: ${JSON.stringify(decoded.prefix)}`);
    binding.ctx.writeRegion(outPtr, decoded.data);
    return 0;
  };

  const humanize = (canonicalPtr: number, outPtr: number): number => {
    binding.ctx.charge(HOST_GAS.address);
    const canonical = binding.ctx.readRegion(canonicalPtr);
    let human: string;
    try {
      human = toBech32(binding.ctx.addressPrefix, canonical);
    } catch (error) {
      return errorRegion(bech32ErrorText(error));
    }
    binding.ctx.writeRegion(outPtr, utf8Encode(human));
    return 0;
  };

  const debug = (messagePtr: number): void => {
    const bytes = binding.ctx.readRegion(messagePtr);
    const sink = binding.ctx.debug;
    if (sink === undefined) return;
    try {
      sink(new TextDecoder().decode(bytes));
    } catch {
      // A node's log sink must not change the outcome of a call (DESIGN §7): ignore its failures.
    }
  };

  const queryChain = (requestPtr: number): number => {
    const request = binding.ctx.readRegion(requestPtr);
    if (binding.ctx.queryDepth >= MAX_QUERY_DEPTH)
      return binding.ctx.allocateRegion(systemError('exceeded_recursion_limit', {}));
    const text = decodeUtf8(request);
    let parses = text !== undefined;
    if (parses) {
      try {
        JSON.parse(text as string);
      } catch {
        parses = false;
      }
    }
    if (!parses) {
      return binding.ctx.allocateRegion(
        systemError('invalid_request', {
          error: 'the query request is not UTF-8 JSON',
          request: Buffer.from(request).toString('base64'),
        }),
      );
    }
    let answer: Uint8Array;
    try {
      answer = binding.ctx.querier.query(request, binding.ctx.queryDepth + 1);
    } catch (error) {
      if (error instanceof VmError) throw error;
      throw new VmError('QUERIER_FAILED', 'the host querier failed; this is a node bug, not the contract', {
        cause: error,
      });
    }
    return binding.ctx.allocateRegion(answer);
  };

  return {
    db_read: dbRead,
    db_write: dbWrite,
    db_remove: dbRemove,
    addr_validate: addrValidate,
    addr_canonicalize: (humanPtr: number, outPtr: number) => canonicalize(humanPtr, outPtr, false),
    addr_humanize: humanize,
    canonicalize_address: (humanPtr: number, outPtr: number) => canonicalize(humanPtr, outPtr, true),
    humanize_address: humanize,

    secp256k1_verify: (hashPtr: number, signaturePtr: number, publicKeyPtr: number): number => {
      binding.ctx.charge(HOST_GAS.secp256k1Verify);
      return secp256k1VerifyCode(
        binding.ctx.readRegion(hashPtr),
        binding.ctx.readRegion(signaturePtr),
        binding.ctx.readRegion(publicKeyPtr),
      );
    },
    secp256k1_recover_pubkey: (hashPtr: number, signaturePtr: number, recoveryId: number): bigint => {
      binding.ctx.charge(HOST_GAS.secp256k1Recover);
      const result = secp256k1RecoverCode(
        binding.ctx.readRegion(hashPtr),
        binding.ctx.readRegion(signaturePtr),
        recoveryId >>> 0,
      );
      return typeof result === 'number' ? packError(result) : BigInt(binding.ctx.allocateRegion(result));
    },
    ed25519_verify: (messagePtr: number, signaturePtr: number, publicKeyPtr: number): number => {
      binding.ctx.charge(HOST_GAS.ed25519Verify);
      return ed25519VerifyCode(
        binding.ctx.readRegion(messagePtr),
        binding.ctx.readRegion(signaturePtr),
        binding.ctx.readRegion(publicKeyPtr),
      );
    },
    ed25519_batch_verify: (messagesPtr: number, signaturesPtr: number, publicKeysPtr: number): number => {
      const messages = decodeSections(binding.ctx.readRegion(messagesPtr));
      const signatures = decodeSections(binding.ctx.readRegion(signaturesPtr));
      const publicKeys = decodeSections(binding.ctx.readRegion(publicKeysPtr));
      if (messages === undefined || signatures === undefined || publicKeys === undefined) {
        throw new VmError(
          'INVALID_HOST_INPUT',
          'ed25519_batch_verify: a section length points before the start of its Region',
        );
      }
      const n = batchSize(messages.length, signatures.length, publicKeys.length);
      if (n === undefined) return CryptoCode.batchErr; // before any charge (CONTRACT_ABI §2)
      binding.ctx.charge(HOST_GAS.ed25519BatchBase + HOST_GAS.ed25519BatchPerSignature * BigInt(n));
      if (n === 0) return CryptoCode.ok;
      return ed25519BatchVerifyCode(messages, signatures, publicKeys);
    },
    secp256k1_sign: (messagePtr: number, privateKeyPtr: number): bigint => {
      binding.ctx.charge(HOST_GAS.secp256k1Sign);
      const result = secp256k1SignCode(
        binding.ctx.readRegion(messagePtr),
        binding.ctx.readRegion(privateKeyPtr),
      );
      return typeof result === 'number' ? packError(result) : BigInt(binding.ctx.allocateRegion(result));
    },
    ed25519_sign: (messagePtr: number, seedPtr: number): bigint => {
      binding.ctx.charge(HOST_GAS.ed25519Sign);
      const result = ed25519SignCode(binding.ctx.readRegion(messagePtr), binding.ctx.readRegion(seedPtr));
      return typeof result === 'number' ? packError(result) : BigInt(binding.ctx.allocateRegion(result));
    },
    debug,
    debug_print: debug,
    query_chain: queryChain,
    check_gas: (): bigint => {
      binding.ctx.charge(HOST_GAS.checkGas);
      return (binding.ctx.gasLimit - binding.ctx.remainingGas()) / 1000n;
    },
    gas_evaporate: (units: number): number => {
      const cost = HOST_GAS.gasEvaporatePerUnit * BigInt(units >>> 0);
      binding.ctx.charge(cost > HOST_GAS.gasEvaporateMin ? cost : HOST_GAS.gasEvaporateMin);
      return 0;
    },
    dcap_quote_verify: (quotePtr: number, collateralPtr: number): bigint => {
      // SGX DCAP quote verification is Secret-specific hardware attestation; Shroud does not
      // support it and always answers the generic error 10 (docs/contracts.md).
      binding.ctx.charge(HOST_GAS.dcapQuoteVerify);
      binding.ctx.readRegion(quotePtr);
      binding.ctx.readRegion(collateralPtr);
      return packError(CryptoCode.genericErr);
    },
  };
}

/** SHA-256 of the wasm, 64 lowercase hex (the code hash, CONTRACT_ABI conventions). */
export function codeHashOf(wasm: Uint8Array): string {
  return Buffer.from(sha256(wasm)).toString('hex');
}
