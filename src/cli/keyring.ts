// The CLI's keyring: one JSON file per key under the CLI home (default ~/.shroud, or
// $SHROUD_HOME, or --home), in `keyring-file/` (the mnemonic encrypted under a passphrase) or
// `keyring-test/` (plaintext, for scripts, tests and devnet keys only). Directories 0700,
// files 0600, written to a temporary name and renamed so a crash never leaves half a key.
//
// Encryption of the `file` backend: key = scrypt(passphrase, salt 16 B, N = 2^16, r = 8,
// p = 1, 32 B) (RFC 7914; 64 MiB, ~0.3 s here: bench by hand, it is paid once per command),
// then AES-256-GCM (the crypto layer) with a random 12-byte IV. The associated data binds the
// ciphertext to its key name and address, so a file copied under another name or with an
// edited address does not open. The name, address and public key stay in clear: `keys list`
// and `keys show` need no passphrase, as in the Cosmos SDK keyring.
import { scrypt } from '@noble/hashes/scrypt.js';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Wallet } from '../client/index.js';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  bytesToHex,
  fromBech32,
  hexToBytes,
  randomBytes,
  utf8Decode,
  utf8Encode,
} from '../crypto/index.js';
import { CliError } from './output.js';

export type KeyringBackend = 'file' | 'test';

/** What anyone may read about a key. */
export interface KeyInfo {
  name: string;
  address: string;
  /** 33-byte compressed secp256k1 public key, hex. */
  publicKey: string;
  backend: KeyringBackend;
  /** BIP44 account and index of the key (m/44'/529'/account'/0/index). */
  account: number;
  index: number;
}

interface Sealed {
  kdf: 'scrypt';
  n: number;
  r: number;
  p: number;
  salt: string;
  cipher: 'aes-256-gcm';
  iv: string;
  ciphertext: string;
}

interface KeyFile {
  version: 1;
  name: string;
  address: string;
  public_key: string;
  account: number;
  index: number;
  /** test backend: the mnemonic in clear. */
  mnemonic?: string;
  /** file backend: the mnemonic encrypted. */
  crypto?: Sealed;
}

const SCRYPT = { N: 2 ** 16, r: 8, p: 1 } as const;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;
export const MIN_PASSPHRASE_LENGTH = 8;

/** The CLI home: --home, else $SHROUD_HOME, else ~/.shroud. */
export function cliHome(option: string | undefined): string {
  const env = process.env['SHROUD_HOME'];
  return resolve(option ?? (env !== undefined && env !== '' ? env : join(homedir(), '.shroud')));
}

/** Parses --keyring-backend (default $SHROUD_KEYRING_BACKEND, else file). @throws {CliError} USAGE. */
export function keyringBackend(option: string | undefined): KeyringBackend {
  const value = option ?? process.env['SHROUD_KEYRING_BACKEND'] ?? 'file';
  if (value === 'file' || value === 'test') return value;
  throw new CliError('USAGE', `--keyring-backend must be file or test, not "${value.slice(0, 20)}"`);
}

/** Checks a key name (it becomes a file name). @throws {CliError} USAGE. */
export function checkKeyName(name: string): void {
  if (!NAME.test(name))
    throw new CliError(
      'USAGE',
      'a key name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  if (name.startsWith('shroud1'))
    throw new CliError('USAGE', 'a key name may not start with "shroud1" (it would read as an address)');
}

function associatedData(name: string, address: string): Uint8Array {
  return utf8Encode(`shroud/keyring/v1\0${name}\0${address}`);
}

function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  params: { n: number; r: number; p: number },
): Uint8Array {
  return scrypt(utf8Encode(passphrase), salt, { N: params.n, r: params.r, p: params.p, dkLen: 32 });
}

/** One keyring: a directory of key files for one backend. */
export class Keyring {
  readonly backend: KeyringBackend;
  readonly directory: string;

  constructor(home: string, backend: KeyringBackend) {
    this.backend = backend;
    this.directory = join(home, `keyring-${backend}`);
  }

  #path(name: string): string {
    checkKeyName(name);
    return join(this.directory, `${name}.json`);
  }

  /** True when a key of that name exists. @throws {CliError} USAGE for a bad name. */
  has(name: string): boolean {
    return existsSync(this.#path(name));
  }

  /** @throws {CliError} KEY_EXISTS if the name is taken; USAGE for a bad name. */
  assertAbsent(name: string): void {
    if (existsSync(this.#path(name))) {
      throw new CliError(
        'KEY_EXISTS',
        `a key "${name}" already exists: choose another name, or \`shroud keys delete ${name}\` first`,
      );
    }
  }

  #read(name: string): KeyFile {
    const path = this.#path(name);
    if (!existsSync(path)) {
      throw new CliError(
        'KEY_NOT_FOUND',
        `no key "${name}" in the ${this.backend} keyring at ${this.directory}: see \`shroud keys list\`${this.backend === 'file' ? ' (or pass --keyring-backend test)' : ''}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      throw new CliError(
        'KEYRING_CORRUPT',
        `${path} is not JSON: restore it from a backup or re-add the key`,
      );
    }
    const file = parsed as Partial<KeyFile>;
    const ok =
      typeof parsed === 'object' &&
      parsed !== null &&
      file.version === 1 &&
      file.name === name &&
      typeof file.address === 'string' &&
      typeof file.public_key === 'string' &&
      Number.isInteger(file.account) &&
      Number.isInteger(file.index) &&
      (this.backend === 'test' ? typeof file.mnemonic === 'string' : typeof file.crypto === 'object');
    if (!ok)
      throw new CliError('KEYRING_CORRUPT', `${path} is not a ${this.backend} keyring entry for "${name}"`);
    return file as KeyFile;
  }

  #info(file: KeyFile): KeyInfo {
    return {
      name: file.name,
      address: file.address,
      publicKey: file.public_key,
      backend: this.backend,
      account: file.account,
      index: file.index,
    };
  }

  /** Public info of a key. @throws {CliError} KEY_NOT_FOUND, KEYRING_CORRUPT, USAGE. */
  show(name: string): KeyInfo {
    return this.#info(this.#read(name));
  }

  /** All keys, sorted by name. @throws {CliError} KEYRING_CORRUPT. */
  list(): KeyInfo[] {
    if (!existsSync(this.directory)) return [];
    return readdirSync(this.directory)
      .filter((file) => file.endsWith('.json') && NAME.test(file.slice(0, -5)))
      .map((file) => this.show(file.slice(0, -5)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Stores a key. For the file backend the passphrase encrypts it; if the keyring already holds
   * keys, the passphrase must open them (one passphrase per keyring).
   * @throws {CliError} KEY_EXISTS, WRONG_PASSPHRASE, USAGE (name, short passphrase);
   *   CryptoError INVALID_MNEMONIC from the wallet.
   */
  add(
    name: string,
    mnemonic: string,
    options: { passphrase?: string; account?: number; index?: number } = {},
  ): KeyInfo {
    const path = this.#path(name);
    this.assertAbsent(name);
    const account = options.account ?? 0;
    const index = options.index ?? 0;
    const wallet = Wallet.fromMnemonic(mnemonic, { account, index });
    const base = {
      version: 1 as const,
      name,
      address: wallet.address,
      public_key: bytesToHex(wallet.publicKey),
      account,
      index,
    };
    let file: KeyFile;
    if (this.backend === 'test') {
      file = { ...base, mnemonic };
    } else {
      const passphrase = options.passphrase;
      if (passphrase === undefined || passphrase.length < MIN_PASSPHRASE_LENGTH)
        throw new CliError(
          'USAGE',
          `the keyring passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`,
        );
      const existing = this.list()[0];
      if (existing !== undefined) this.unlock(existing.name, passphrase);
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const key = deriveKey(passphrase, salt, { n: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
      const ciphertext = aesGcmEncrypt(key, iv, utf8Encode(mnemonic), associatedData(name, wallet.address));
      key.fill(0);
      file = {
        ...base,
        crypto: {
          kdf: 'scrypt',
          n: SCRYPT.N,
          r: SCRYPT.r,
          p: SCRYPT.p,
          salt: bytesToHex(salt),
          cipher: 'aes-256-gcm',
          iv: bytesToHex(iv),
          ciphertext: bytesToHex(ciphertext),
        },
      };
    }
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    chmodSync(this.directory, 0o700);
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, path);
    return this.#info(file);
  }

  /**
   * The key's wallet. The file backend needs the passphrase.
   * @throws {CliError} KEY_NOT_FOUND, WRONG_PASSPHRASE, KEYRING_CORRUPT, PASSPHRASE_REQUIRED.
   */
  unlock(name: string, passphrase?: string): Wallet {
    const file = this.#read(name);
    let mnemonic: string;
    if (file.mnemonic !== undefined) {
      mnemonic = file.mnemonic;
    } else {
      const sealed = file.crypto!;
      if (passphrase === undefined)
        throw new CliError('PASSPHRASE_REQUIRED', `key "${name}" needs the keyring passphrase`);
      const params = sealed.kdf === 'scrypt' && sealed.cipher === 'aes-256-gcm' ? sealed : null;
      if (params === null || !/^[0-9a-f]{32}$/.test(params.salt) || !/^[0-9a-f]{24}$/.test(params.iv))
        throw new CliError('KEYRING_CORRUPT', `key "${name}": unknown or malformed encryption parameters`);
      // Bounded so an edited file cannot make scrypt allocate gigabytes.
      if (![2 ** 14, 2 ** 15, 2 ** 16, 2 ** 17].includes(params.n) || params.r !== 8 || params.p !== 1)
        throw new CliError('KEYRING_CORRUPT', `key "${name}": scrypt parameters out of range`);
      const key = deriveKey(passphrase, hexToBytes(params.salt), params);
      try {
        mnemonic = utf8Decode(
          aesGcmDecrypt(
            key,
            hexToBytes(params.iv),
            hexToBytes(params.ciphertext),
            associatedData(name, file.address),
          ),
        );
      } catch {
        throw new CliError(
          'WRONG_PASSPHRASE',
          `wrong passphrase for key "${name}" (or its file was altered): try again, or use the passphrase the keyring was created with`,
        );
      } finally {
        key.fill(0);
      }
    }
    let wallet: Wallet;
    try {
      wallet = Wallet.fromMnemonic(mnemonic, { account: file.account, index: file.index });
    } catch {
      throw new CliError('KEYRING_CORRUPT', `key "${name}" holds no valid mnemonic`);
    }
    if (wallet.address !== file.address)
      throw new CliError('KEYRING_CORRUPT', `key "${name}": its mnemonic does not match its address`);
    return wallet;
  }

  /** Deletes a key file. @throws {CliError} KEY_NOT_FOUND. */
  delete(name: string): KeyInfo {
    const info = this.show(name);
    rmSync(this.#path(name));
    return info;
  }
}

/** True when the text is a bech32 `shroud1…` address. */
export function isAddress(text: string): boolean {
  try {
    return fromBech32(text).prefix === 'shroud';
  } catch {
    return false;
  }
}
