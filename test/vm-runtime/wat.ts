// Test contracts written in WAT, so the runtime is tested without the AssemblyScript SDK.
// `contractWat` assembles a v1 contract around entry-point bodies: a bump allocator, every
// v1 host import, helpers to build Regions over data blobs and to save results to storage
// (tests read them back from `outcome.writes`).

import { createHash } from 'node:crypto';
import wabtFactory from 'wabt';

import type { ValidatedCode } from '../../src/vm/index.js';

type Wabt = Awaited<ReturnType<typeof wabtFactory>>;
let wabtPromise: Promise<Wabt> | undefined;

/** Compiles WAT text to wasm bytes. */
export async function wat2wasm(text: string): Promise<Uint8Array> {
  wabtPromise ??= wabtFactory();
  const wabt = await wabtPromise;
  const module = wabt.parseWat('test.wat', text, { mutable_globals: true, sign_extension: true });
  try {
    const { buffer } = module.toBinary({});
    return new Uint8Array(buffer);
  } finally {
    module.destroy();
  }
}

const V1_IMPORTS: Record<string, string> = {
  db_read: '(param i32) (result i32)',
  db_write: '(param i32 i32)',
  db_remove: '(param i32)',
  addr_validate: '(param i32) (result i32)',
  addr_canonicalize: '(param i32 i32) (result i32)',
  addr_humanize: '(param i32 i32) (result i32)',
  secp256k1_verify: '(param i32 i32 i32) (result i32)',
  secp256k1_recover_pubkey: '(param i32 i32 i32) (result i64)',
  ed25519_verify: '(param i32 i32 i32) (result i32)',
  ed25519_batch_verify: '(param i32 i32 i32) (result i32)',
  secp256k1_sign: '(param i32 i32) (result i64)',
  ed25519_sign: '(param i32 i32) (result i64)',
  dcap_quote_verify: '(param i32 i32) (result i64)',
  debug: '(param i32)',
  query_chain: '(param i32) (result i32)',
  gas_evaporate: '(param i32) (result i32)',
  check_gas: '(result i64)',
};

const V010_IMPORTS: Record<string, string> = {
  db_read: '(param i32) (result i32)',
  db_write: '(param i32 i32)',
  db_remove: '(param i32)',
  canonicalize_address: '(param i32 i32) (result i32)',
  humanize_address: '(param i32 i32) (result i32)',
  debug_print: '(param i32)',
  query_chain: '(param i32) (result i32)',
};

/** `\hh` escapes for a WAT string literal. */
export function watBytes(bytes: Uint8Array | string): string {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return [...data].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

export const OK_EMPTY = '{"Ok":{"messages":[],"attributes":[],"events":[],"data":null}}';
export const OK_EMPTY_V010 = '{"Ok":{"messages":[],"log":[],"data":null}}';

export interface ContractParts {
  /** Bodies (WAT instructions leaving an i32 Region pointer) of the entry points. */
  instantiate?: string;
  execute?: string;
  query?: string;
  reply?: string;
  migrate?: string;
  /** Data blobs; `$blob<i>` is a function returning a fresh Region over blob i. */
  blobs?: (Uint8Array | string)[];
  /** Extra module fields (functions, exports). */
  extra?: string;
  /** Extra exports like `requires_random`. */
  features?: string[];
  /** Build a v0.10 contract (init/handle/query, v0.10 imports). */
  v010?: boolean;
  /** Omit these exports (to test MISSING_EXPORT). */
  omit?: string[];
}

const BLOB_BASE = 1024;

/**
 * A v1 test contract. Helpers available to bodies:
 * `$region(off,len)`, `$ok` (Region of OK_EMPTY), `$blob<i>`, `$key(c)` (1-byte key Region),
 * `$save(c, region)` (db_write key c), `$save_i32(c, v)`, `$save_i64(c, v)`.
 */
export function contractWat(parts: ContractParts): string {
  const blobs = [parts.v010 ? OK_EMPTY_V010 : OK_EMPTY, ...(parts.blobs ?? [])].map((b) =>
    typeof b === 'string' ? new TextEncoder().encode(b) : b,
  );
  let offset = BLOB_BASE;
  const segments: string[] = [];
  const blobFns: string[] = [];
  blobs.forEach((blob, i) => {
    segments.push(`(data (i32.const ${offset}) "${watBytes(blob)}")`);
    blobFns.push(
      `(func $blob${i} (result i32) (call $region (i32.const ${offset}) (i32.const ${blob.length})))`,
    );
    offset += blob.length + 16;
  });
  const heap = Math.max(8192, Math.ceil(offset / 1024) * 1024 + 1024);
  const imports = parts.v010 ? V010_IMPORTS : V1_IMPORTS;
  const omit = new Set(parts.omit ?? []);
  const exp = (name: string): string => (omit.has(name) ? '' : `(export "${name}")`);
  const entries = parts.v010
    ? `
  (func ${exp('init')} (param $env i32) (param $msg i32) (result i32) ${parts.instantiate ?? '(call $ok)'})
  (func ${exp('handle')} (param $env i32) (param $msg i32) (result i32) ${parts.execute ?? '(call $ok)'})
  (func ${exp('query')} (param $msg i32) (result i32) ${parts.query ?? '(call $ok)'})`
    : `
  (func ${exp('instantiate')} (param $env i32) (param $info i32) (param $msg i32) (result i32) ${parts.instantiate ?? '(call $ok)'})
  (func ${exp('execute')} (param $env i32) (param $info i32) (param $msg i32) (result i32) ${parts.execute ?? '(call $ok)'})
  (func ${exp('query')} (param $env i32) (param $msg i32) (result i32) ${parts.query ?? '(call $ok)'})
  (func ${exp('reply')} (param $env i32) (param $msg i32) (result i32) ${parts.reply ?? '(call $ok)'})
  (func ${exp('migrate')} (param $env i32) (param $msg i32) (result i32) ${parts.migrate ?? '(call $ok)'})`;
  return `(module
  ${Object.entries(imports)
    .map(([name, sig]) => `(import "env" "${name}" (func $${name} ${sig}))`)
    .join('\n  ')}
  (memory ${exp('memory')} 4)
  (global $heap (mut i32) (i32.const ${heap}))
  (global $g0 (mut i32) (i32.const 0))
  (global $g1 (mut i32) (i32.const 0))
  (global $l0 (mut i64) (i64.const 0))
  (func ${exp(parts.v010 ? 'cosmwasm_vm_version_3' : 'interface_version_8')})
  ${(parts.features ?? []).map((f) => `(func (export "requires_${f}"))`).join('\n  ')}
  (func $allocate ${exp('allocate')} (param $size i32) (result i32)
    (local $r i32)
    (local.set $r (global.get $heap))
    (i32.store (local.get $r) (i32.add (local.get $r) (i32.const 12)))
    (i32.store offset=4 (local.get $r) (local.get $size))
    (i32.store offset=8 (local.get $r) (i32.const 0))
    (global.set $heap (i32.add (i32.add (local.get $r) (i32.const 12)) (local.get $size)))
    (local.get $r))
  (func ${exp('deallocate')} (param i32))
  (func $region (param $off i32) (param $len i32) (result i32)
    (local $r i32)
    (local.set $r (call $allocate (i32.const 0)))
    (i32.store (local.get $r) (local.get $off))
    (i32.store offset=4 (local.get $r) (local.get $len))
    (i32.store offset=8 (local.get $r) (local.get $len))
    (local.get $r))
  (func $ok (result i32) (call $blob0))
  (func $key (param $c i32) (result i32)
    (local $r i32)
    (local.set $r (call $allocate (i32.const 1)))
    (i32.store8 (i32.load (local.get $r)) (local.get $c))
    (i32.store offset=8 (local.get $r) (i32.const 1))
    (local.get $r))
  (func $save (param $c i32) (param $value i32)
    (call $db_write (call $key (local.get $c)) (local.get $value)))
  (func $save_i32 (param $c i32) (param $v i32)
    (local $r i32)
    (local.set $r (call $allocate (i32.const 4)))
    (i32.store (i32.load (local.get $r)) (local.get $v))
    (i32.store offset=8 (local.get $r) (i32.const 4))
    (call $save (local.get $c) (local.get $r)))
  (func $save_i64 (param $c i32) (param $v i64)
    (local $r i32)
    (local.set $r (call $allocate (i32.const 8)))
    (i64.store (i32.load (local.get $r)) (local.get $v))
    (i32.store offset=8 (local.get $r) (i32.const 8))
    (call $save (local.get $c) (local.get $r)))
  ;; i64 result of a crypto function: the whole value under key c; on success (high half 0,
  ;; low half non-zero) also the Region's bytes under key c+1.
  (func $save_result64 (param $c i32) (param $v i64)
    (call $save_i64 (local.get $c) (local.get $v))
    (if (i32.and (i64.eqz (i64.shr_u (local.get $v) (i64.const 32))) (i32.eqz (i64.eqz (local.get $v))))
      (then (call $save (i32.add (local.get $c) (i32.const 1)) (i32.wrap_i64 (local.get $v))))))
  ;; i32 result that is 0 or an error Region: the value under key c, the Region's text under c+1.
  (func $save_result32 (param $c i32) (param $v i32)
    (call $save_i32 (local.get $c) (local.get $v))
    (if (local.get $v) (then (call $save (i32.add (local.get $c) (i32.const 1)) (local.get $v)))))
  ${blobFns.join('\n  ')}
  ${entries}
  ${parts.extra ?? ''}
  ${segments.join('\n  ')}
)`;
}

/** A ValidatedCode for raw test bytes, bypassing upload validation (runtime tests only). */
export function rawCode(wasm: Uint8Array, extra: Partial<ValidatedCode> = {}): ValidatedCode {
  return {
    wasm,
    codeHash: createHash('sha256').update(wasm).digest('hex'),
    interfaceVersion: 'v1',
    features: [],
    exports: [],
    ...extra,
  };
}

/** Compiles parts into a ValidatedCode (not upload-validated). */
export async function buildContract(
  parts: ContractParts,
  extra: Partial<ValidatedCode> = {},
): Promise<ValidatedCode> {
  const wasm = await wat2wasm(contractWat(parts));
  return rawCode(wasm, {
    interfaceVersion: parts.v010 ? 'v0.10' : 'v1',
    features: parts.features ?? [],
    ...extra,
  });
}

/** Little-endian u32 of a 4-byte write. */
export function u32le(bytes: Uint8Array | null | undefined): number {
  if (!bytes || bytes.length !== 4) throw new Error(`expected 4 bytes, got ${bytes?.length}`);
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
}

/** Little-endian i64 of an 8-byte write, as bigint. */
export function u64le(bytes: Uint8Array | null | undefined): bigint {
  if (!bytes || bytes.length !== 8) throw new Error(`expected 8 bytes, got ${bytes?.length}`);
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}
