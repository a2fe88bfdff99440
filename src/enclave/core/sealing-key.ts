// The platform sealing key in software mode (DESIGN.md §4): 32 bytes from the environment
// (`SHROUD_SEALING_KEY`, 64 hex) or from `<home>/sealing.key`, created 0600 on first use. It is
// loaded here, inside the enclave worker: the host passes only the home path, so the key never
// crosses the boundary.
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hexToBytes, randomBytes } from '../../crypto/index.js';
import { EnclaveError } from '../errors.js';
import { SEALING_KEY_BYTES } from '../secrets/sealing.js';

export const SEALING_KEY_FILE = 'sealing.key';
export const SEALING_KEY_ENV = 'SHROUD_SEALING_KEY';

/**
 * Loads (or, the first time, creates) the sealing key.
 * @throws EnclaveError SEALING_KEY_MALFORMED (env not 64 hex, file not 32 bytes);
 *   SEALING_KEY_INSECURE (the file is readable or writable by group or others);
 *   SEALING_KEY_MISSING (the file cannot be created or read).
 */
export function loadSealingKey(home: string, env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const fromEnv = env[SEALING_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!/^[0-9a-fA-F]{64}$/.test(fromEnv)) {
      throw new EnclaveError(
        'SEALING_KEY_MALFORMED',
        `${SEALING_KEY_ENV} must be 64 hex characters (32 bytes)`,
      );
    }
    return hexToBytes(fromEnv.toLowerCase());
  }
  const path = join(home, SEALING_KEY_FILE);
  let created = false;
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(SEALING_KEY_BYTES));
    } finally {
      closeSync(fd);
    }
    chmodSync(path, 0o600); // the umask may have cleared bits, never added them; be explicit
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new EnclaveError('SEALING_KEY_MISSING', `cannot create the sealing key file ${path}`, {
        cause: error,
      });
    }
  }
  let mode: number;
  let key: Uint8Array;
  try {
    mode = statSync(path).mode;
    key = new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new EnclaveError('SEALING_KEY_MISSING', `cannot read the sealing key file ${path}`, {
      cause: error,
    });
  }
  if (!created && (mode & 0o077) !== 0) {
    throw new EnclaveError(
      'SEALING_KEY_INSECURE',
      `${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}): run chmod 600 on it`,
    );
  }
  if (key.byteLength !== SEALING_KEY_BYTES) {
    throw new EnclaveError('SEALING_KEY_MALFORMED', `${path} must hold exactly ${SEALING_KEY_BYTES} bytes`);
  }
  return key;
}
