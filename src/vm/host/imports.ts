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

/** Query recursion limit (CONTRACT_ABI §2, §6). */
export const MAX_QUERY_DEPTH = 10;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

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

/**
 * Builds the `env` import object for one call (v1 names plus the v0.10 aliases).
 * The functions close over `ctx`; a fresh set is built per instance.
 */
export function buildHostImports(ctx: CallContext): Record<string, HostFunction> {
  const errorRegion = (text: string): number => ctx.allocateRegion(utf8Encode(text));

  const dbRead = (keyPtr: number): number => {
    ctx.charge(HOST_GAS.dbRead);
    const value = ctx.cache.get(ctx.readRegion(keyPtr));
    return value === undefined ? 0 : ctx.allocateRegion(value);
  };

  const dbWrite = (keyPtr: number, valuePtr: number): void => {
    if (ctx.readOnly)
      throw new VmError('UNAUTHORIZED_WRITE', 'db_write is not allowed in a query (queries are read-only)');
    const key = ctx.readRegion(keyPtr);
    const value = ctx.readRegion(valuePtr);
    const perByte = HOST_GAS.dbWritePerByte * BigInt(value.length);
    ctx.charge(HOST_GAS.dbWriteBase + perByte);
    ctx.perByteWriteGas += perByte;
    ctx.cache.set(key, value);
  };

  const dbRemove = (keyPtr: number): void => {
    if (ctx.readOnly)
      throw new VmError('UNAUTHORIZED_WRITE', 'db_remove is not allowed in a query (queries are read-only)');
    ctx.charge(HOST_GAS.dbRemove);
    ctx.cache.set(ctx.readRegion(keyPtr), null);
  };

  // Address functions: "user" errors come back as an error-string Region (CONTRACT_ABI §2).
  const addrValidate = (humanPtr: number): number => {
    ctx.charge(HOST_GAS.address);
    const bytes = ctx.readRegion(humanPtr);
    if (bytes.length === 0) return errorRegion('Input is empty');
    const human = decodeUtf8(bytes);
    if (human === undefined) return errorRegion('Input is not valid UTF-8');
    let data: Uint8Array;
    try {
      data = fromBech32(human).data;
    } catch (error) {
      return errorRegion(bech32ErrorText(error));
    }
    let normalized: string | undefined;
    try {
      normalized = toBech32(ctx.addressPrefix, data);
    } catch {
      normalized = undefined;
    }
    return normalized === human ? 0 : errorRegion('Address is not normalized');
  };

  const canonicalize = (humanPtr: number, outPtr: number, legacy: boolean): number => {
    ctx.charge(HOST_GAS.address);
    const bytes = ctx.readRegion(humanPtr);
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
    if (decoded.prefix !== ctx.addressPrefix)
      return errorRegion(`wrong address prefix: ${JSON.stringify(decoded.prefix)}`);
    ctx.writeRegion(outPtr, decoded.data);
    return 0;
  };

  const humanize = (canonicalPtr: number, outPtr: number): number => {
    ctx.charge(HOST_GAS.address);
    const canonical = ctx.readRegion(canonicalPtr);
    let human: string;
    try {
      human = toBech32(ctx.addressPrefix, canonical);
    } catch (error) {
      return errorRegion(bech32ErrorText(error));
    }
    ctx.writeRegion(outPtr, utf8Encode(human));
    return 0;
  };

  const debug = (messagePtr: number): void => {
    const bytes = ctx.readRegion(messagePtr);
    if (ctx.debug !== undefined) ctx.debug(new TextDecoder().decode(bytes));
  };

  const queryChain = (requestPtr: number): number => {
    const request = ctx.readRegion(requestPtr);
    if (ctx.queryDepth >= MAX_QUERY_DEPTH)
      return ctx.allocateRegion(systemError('exceeded_recursion_limit', {}));
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
      return ctx.allocateRegion(
        systemError('invalid_request', {
          error: 'the query request is not UTF-8 JSON',
          request: Buffer.from(request).toString('base64'),
        }),
      );
    }
    let answer: Uint8Array;
    try {
      answer = ctx.querier.query(request, ctx.queryDepth + 1);
    } catch (error) {
      if (error instanceof VmError) throw error;
      throw new VmError('QUERIER_FAILED', 'the host querier failed; this is a node bug, not the contract', {
        cause: error,
      });
    }
    return ctx.allocateRegion(answer);
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
      ctx.charge(HOST_GAS.secp256k1Verify);
      return secp256k1VerifyCode(
        ctx.readRegion(hashPtr),
        ctx.readRegion(signaturePtr),
        ctx.readRegion(publicKeyPtr),
      );
    },
    secp256k1_recover_pubkey: (hashPtr: number, signaturePtr: number, recoveryId: number): bigint => {
      ctx.charge(HOST_GAS.secp256k1Recover);
      const result = secp256k1RecoverCode(
        ctx.readRegion(hashPtr),
        ctx.readRegion(signaturePtr),
        recoveryId >>> 0,
      );
      return typeof result === 'number' ? packError(result) : BigInt(ctx.allocateRegion(result));
    },
    ed25519_verify: (messagePtr: number, signaturePtr: number, publicKeyPtr: number): number => {
      ctx.charge(HOST_GAS.ed25519Verify);
      return ed25519VerifyCode(
        ctx.readRegion(messagePtr),
        ctx.readRegion(signaturePtr),
        ctx.readRegion(publicKeyPtr),
      );
    },
    ed25519_batch_verify: (messagesPtr: number, signaturesPtr: number, publicKeysPtr: number): number => {
      const messages = decodeSections(ctx.readRegion(messagesPtr));
      const signatures = decodeSections(ctx.readRegion(signaturesPtr));
      const publicKeys = decodeSections(ctx.readRegion(publicKeysPtr));
      if (messages === undefined || signatures === undefined || publicKeys === undefined) {
        throw new VmError(
          'INVALID_HOST_INPUT',
          'ed25519_batch_verify: a section length points before the start of its Region',
        );
      }
      const n = batchSize(messages.length, signatures.length, publicKeys.length);
      if (n === undefined) return CryptoCode.batchErr; // before any charge (CONTRACT_ABI §2)
      ctx.charge(HOST_GAS.ed25519BatchBase + HOST_GAS.ed25519BatchPerSignature * BigInt(n));
      if (n === 0) return CryptoCode.ok;
      return ed25519BatchVerifyCode(messages, signatures, publicKeys);
    },
    secp256k1_sign: (messagePtr: number, privateKeyPtr: number): bigint => {
      ctx.charge(HOST_GAS.secp256k1Sign);
      const result = secp256k1SignCode(ctx.readRegion(messagePtr), ctx.readRegion(privateKeyPtr));
      return typeof result === 'number' ? packError(result) : BigInt(ctx.allocateRegion(result));
    },
    ed25519_sign: (messagePtr: number, seedPtr: number): bigint => {
      ctx.charge(HOST_GAS.ed25519Sign);
      const result = ed25519SignCode(ctx.readRegion(messagePtr), ctx.readRegion(seedPtr));
      return typeof result === 'number' ? packError(result) : BigInt(ctx.allocateRegion(result));
    },
    debug,
    debug_print: debug,
    query_chain: queryChain,
    check_gas: (): bigint => {
      ctx.charge(HOST_GAS.checkGas);
      return (ctx.gasLimit - ctx.remainingGas()) / 1000n;
    },
    gas_evaporate: (units: number): number => {
      const cost = HOST_GAS.gasEvaporatePerUnit * BigInt(units >>> 0);
      ctx.charge(cost > HOST_GAS.gasEvaporateMin ? cost : HOST_GAS.gasEvaporateMin);
      return 0;
    },
    dcap_quote_verify: (quotePtr: number, collateralPtr: number): bigint => {
      // SGX DCAP quote verification is Secret-specific hardware attestation; Shroud does not
      // support it and always answers the generic error 10 (docs/contracts.md).
      ctx.charge(HOST_GAS.dcapQuoteVerify);
      ctx.readRegion(quotePtr);
      ctx.readRegion(collateralPtr);
      return packError(CryptoCode.genericErr);
    },
  };
}

/** SHA-256 of the wasm, 64 lowercase hex (the code hash, CONTRACT_ABI conventions). */
export function codeHashOf(wasm: Uint8Array): string {
  return Buffer.from(sha256(wasm)).toString('hex');
}
