// Loads native/shroud_aead.c (built by scripts/build-native.mjs into dist/native/) once per
// thread: per-key OpenSSL AES-256-GCM contexts and HMAC-SHA256 pad states, so an operation
// under a known key skips node:crypto's per-call Cipher object and key schedule (issue #4;
// docs/adr/001-crypto-scheme.md "Native key handles"). Node only: imported by backend-native.ts,
// never by the browser bundle.
//
// The addon is optional. Absent, disabled (SHROUD_NATIVE_AEAD=0), of another ABI version, or
// failing to load, the native backend uses node:crypto with the same bytes: a failed load is a
// status, never a crash.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The ABI version native/shroud_aead.c reports (`abiVersion`); another one is not loaded. */
export const AEAD_ADDON_ABI_VERSION = 1;

declare const addonKeyBrand: unique symbol;
/** An opaque native key handle (an N-API external). Its key is wiped when it is collected. */
export type AddonKey = { readonly [addonKeyBrand]: true };

/**
 * The functions of the addon. Arguments are validated by the caller (lengths included), as for
 * a CryptoBackend. `check` is the caller's key array for handles cached by array identity: when
 * its bytes no longer equal the handle's key the call returns `undefined` (rebuild the handle);
 * pass `undefined` to skip the check.
 */
export interface AeadAddon {
  readonly abiVersion: number;
  /** Copies the 32-byte key; sets up the HMAC pads now and the GCM context on first use. */
  createKey(key: Uint8Array): AddonKey;
  /** AES-256-GCM: ciphertext || tag(16). */
  gcmEncrypt(
    handle: AddonKey,
    check: Uint8Array | undefined,
    iv: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
  ): Uint8Array | undefined;
  /** Null when the tag does not verify (the unauthenticated plaintext is wiped). */
  gcmDecrypt(
    handle: AddonKey,
    check: Uint8Array | undefined,
    iv: Uint8Array,
    sealed: Uint8Array,
    aad: Uint8Array,
  ): Uint8Array | null | undefined;
  /** HMAC-SHA256(key, message). */
  hmac(handle: AddonKey, check: Uint8Array | undefined, message: Uint8Array): Uint8Array | undefined;
  /** The synthetic-IV seal of siv.ts in one call. */
  sivSeal(
    handle: AddonKey,
    check: Uint8Array | undefined,
    version: number,
    ivLabel: Uint8Array,
    ivContext: Uint8Array,
    salt: Uint8Array,
    plaintext: Uint8Array,
    aadA: Uint8Array,
    aadB: Uint8Array,
  ): Uint8Array | undefined;
  /** Opens a sivSeal blob; null for a wrong layout or tag. */
  sivOpen(
    handle: AddonKey,
    check: Uint8Array | undefined,
    version: number,
    aadA: Uint8Array,
    aadB: Uint8Array,
    blob: Uint8Array,
  ): Uint8Array | null | undefined;
}

/**
 * How the addon load went: `loaded`; `disabled` (SHROUD_NATIVE_AEAD=0); `absent` (not built:
 * no compiler, or `node scripts/build-native.mjs` not run); `failed` (present but did not load
 * or has another ABI version: rebuild it).
 */
export type AeadAddonStatus = 'loaded' | 'disabled' | 'absent' | 'failed';

/** Where the binary may sit, relative to this module: from src/crypto, dist/src/crypto, a bundle. */
const CANDIDATES = [
  '../../dist/native/shroud_aead.node',
  '../../native/shroud_aead.node',
  '../native/shroud_aead.node',
];

/**
 * Loads the addon (no caching: see {@link aeadAddon} for the per-thread instance).
 * @param path an explicit binary; default: the first candidate that exists.
 * @param environment read for SHROUD_NATIVE_AEAD (`0` disables the addon).
 */
export function loadAeadAddon(
  path?: string,
  environment: Record<string, string | undefined> = process.env,
): { addon: AeadAddon | null; status: AeadAddonStatus } {
  if (environment.SHROUD_NATIVE_AEAD === '0') return { addon: null, status: 'disabled' };
  const file =
    path ??
    CANDIDATES.map((candidate) => fileURLToPath(new URL(candidate, import.meta.url))).find((candidate) =>
      existsSync(candidate),
    );
  if (file === undefined || !existsSync(file)) return { addon: null, status: 'absent' };
  try {
    // The addon's exports are checked just below; require() itself is typed unknown.
    const addon = createRequire(import.meta.url)(file) as Partial<AeadAddon> | null;
    if (addon?.abiVersion !== AEAD_ADDON_ABI_VERSION || typeof addon.sivOpen !== 'function') {
      return { addon: null, status: 'failed' };
    }
    return { addon: addon as AeadAddon, status: 'loaded' };
  } catch {
    return { addon: null, status: 'failed' };
  }
}

let loaded: { addon: AeadAddon | null; status: AeadAddonStatus } | undefined;

/** This thread's addon instance, loaded on first call; null when unavailable (see status). */
export function aeadAddon(): AeadAddon | null {
  loaded ??= loadAeadAddon();
  return loaded.addon;
}

/** Why {@link aeadAddon} is or is not available (benchmarks and node start-up report it). */
export function aeadAddonStatus(): AeadAddonStatus {
  loaded ??= loadAeadAddon();
  return loaded.status;
}
