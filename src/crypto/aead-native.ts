// Loads native/shroud_aead.c (built by scripts/build-native.mjs into dist/native/) once per
// thread: per-key OpenSSL AES-256-GCM contexts and HMAC-SHA256 pad states, so an operation
// under a known key skips node:crypto's per-call Cipher object and key schedule (issue #4;
// docs/adr/001-crypto-scheme.md "Native key handles"). Node only: imported by backend-native.ts,
// never by the browser bundle.
//
// The addon is optional. Absent, disabled (SHROUD_NATIVE_AEAD=0), of another ABI version, or
// failing to load, the native backend uses node:crypto with the same bytes: a failed load is a
// status, never a crash.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The ABI version native/shroud_aead.c reports (`abiVersion`); another one is not loaded. */
export const AEAD_ADDON_ABI_VERSION = 1;

declare const addonKeyBrand: unique symbol;
/** An opaque native key handle (an N-API external). Its key is wiped when it is collected. */
export type AddonKey = { readonly [addonKeyBrand]: true };

/**
 * The functions of the addon. Arguments are validated by the caller, as for a CryptoBackend
 * (the C side re-checks types and lengths and throws plain TypeError/RangeError). With `out` (a
 * fresh Uint8Array of exactly the result's length, overlapping no input) the result is written
 * there and the call answers true/false (in shared memory or overlapping an input it throws).
 * Without `out` the call returns a new array (or null); the cost is about the same.
 * `check` is the caller's key array for handles cached by array identity: when its bytes no
 * longer equal the handle's key the call answers `undefined` and writes nothing (rebuild the
 * handle); pass `undefined` to skip the check.
 */
export interface AeadAddon {
  readonly abiVersion: number;
  /** SHA-256 (hex) of the C source it was compiled from (scripts/build-native.mjs). */
  readonly sourceSha256: string;
  /** Copies the 32-byte key; sets up the HMAC pads now and the GCM context on first use. */
  createKey(key: Uint8Array): AddonKey;
  /** AES-256-GCM: ciphertext || tag (plaintext length + 16). */
  gcmEncrypt(handle: AddonKey, check: Key, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Bytes;
  gcmEncrypt(
    handle: AddonKey,
    check: Key,
    iv: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
    out: Uint8Array,
  ): true | undefined;
  /** The plaintext (sealed length − 16); null/false when the tag does not verify (out wiped). */
  gcmDecrypt(handle: AddonKey, check: Key, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Bytes | null;
  gcmDecrypt(
    handle: AddonKey,
    check: Key,
    iv: Uint8Array,
    sealed: Uint8Array,
    aad: Uint8Array,
    out: Uint8Array,
  ): boolean | undefined;
  /** HMAC-SHA256(key, message), 32 bytes. */
  hmac(handle: AddonKey, check: Key, message: Uint8Array): Bytes;
  hmac(handle: AddonKey, check: Key, message: Uint8Array, out: Uint8Array): true | undefined;
  /** The synthetic-IV seal of siv.ts (plaintext length + 29). */
  sivSeal(
    handle: AddonKey,
    check: Key,
    version: number,
    ivLabel: Uint8Array,
    ivContext: Uint8Array,
    salt: Uint8Array,
    plaintext: Uint8Array,
    aadA: Uint8Array,
    aadB: Uint8Array,
  ): Bytes;
  sivSeal(
    handle: AddonKey,
    check: Key,
    version: number,
    ivLabel: Uint8Array,
    ivContext: Uint8Array,
    salt: Uint8Array,
    plaintext: Uint8Array,
    aadA: Uint8Array,
    aadB: Uint8Array,
    out: Uint8Array,
  ): true | undefined;
  /** Opens a sivSeal blob (blob length − 29); null/false for a short blob, another version or tag. */
  sivOpen(
    handle: AddonKey,
    check: Key,
    version: number,
    aadA: Uint8Array,
    aadB: Uint8Array,
    blob: Uint8Array,
  ): Bytes | null;
  sivOpen(
    handle: AddonKey,
    check: Key,
    version: number,
    aadA: Uint8Array,
    aadB: Uint8Array,
    blob: Uint8Array,
    out: Uint8Array,
  ): boolean | undefined;
}

type Key = Uint8Array | undefined;
/** A result array, or undefined when `check` showed the handle stale. */
type Bytes = Uint8Array | undefined;

/**
 * How the addon load went: `loaded`; `disabled` (SHROUD_NATIVE_AEAD=0); `absent` (not built:
 * no compiler, or `node scripts/build-native.mjs` not run); `failed` (present but did not load,
 * e.g. a symbol this node lacks, or has another ABI version); `stale` (built from another C
 * source than the measured native/shroud_aead.c, or that source is missing). Rebuild for the
 * last two.
 */
export type AeadAddonStatus = 'loaded' | 'disabled' | 'absent' | 'failed' | 'stale';

/** Where the binary may sit, relative to this module: from src/crypto, dist/src/crypto, a bundle. */
const CANDIDATES = [
  '../../dist/native/shroud_aead.node',
  '../../native/shroud_aead.node',
  '../native/shroud_aead.node',
];
/**
 * Where the C source the enclave measurement covers sits: native/ beside src/ (from src/crypto
 * or a bundle in dist/cli-bundle), or the copy beside a compiled dist/src/ (dist/native/).
 */
const SOURCE_CANDIDATES = ['../../native/shroud_aead.c', '../native/shroud_aead.c'];

function firstExisting(candidates: readonly string[]): string | undefined {
  return candidates
    .map((candidate) => fileURLToPath(new URL(candidate, import.meta.url)))
    .find((candidate) => existsSync(candidate));
}

/**
 * Loads the addon (no caching: see {@link aeadAddon} for the per-thread instance). A binary is
 * used only if it was compiled from the C source the enclave measurement covers (its
 * `sourceSha256`), so a node never runs other native code than it attests.
 * @param path an explicit binary; default: the first candidate that exists.
 * @param environment read for SHROUD_NATIVE_AEAD (`0` disables the addon).
 * @param source the C source the binary must come from; default: native/shroud_aead.c.
 */
export function loadAeadAddon(
  path?: string,
  environment: Record<string, string | undefined> = process.env,
  source: string | undefined = firstExisting(SOURCE_CANDIDATES),
): { addon: AeadAddon | null; status: AeadAddonStatus } {
  if (environment.SHROUD_NATIVE_AEAD === '0') return { addon: null, status: 'disabled' };
  const file = path ?? firstExisting(CANDIDATES);
  if (file === undefined || !existsSync(file)) return { addon: null, status: 'absent' };
  let addon: Partial<AeadAddon> | null;
  try {
    // The addon's exports are checked just below; require() itself is typed unknown.
    addon = createRequire(import.meta.url)(file) as Partial<AeadAddon> | null;
  } catch {
    return { addon: null, status: 'failed' };
  }
  if (addon?.abiVersion !== AEAD_ADDON_ABI_VERSION || typeof addon.sivOpen !== 'function') {
    return { addon: null, status: 'failed' };
  }
  if (source === undefined || !existsSync(source) || addon.sourceSha256 !== sha256Hex(source)) {
    return { addon: null, status: 'stale' };
  }
  return { addon: addon as AeadAddon, status: 'loaded' };
}

function sha256Hex(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

let loaded: { addon: AeadAddon | null; status: AeadAddonStatus } | undefined;

/** This thread's addon instance, loaded on first call; null when unavailable (see status). */
export function aeadAddon(): AeadAddon | null {
  loaded ??= loadAeadAddon();
  return loaded.addon;
}

/** Why {@link aeadAddon} is or is not available (bench/crypto.ts and bench/enclave.ts print it). */
export function aeadAddonStatus(): AeadAddonStatus {
  loaded ??= loadAeadAddon();
  return loaded.status;
}
