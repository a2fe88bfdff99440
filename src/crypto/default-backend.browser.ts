// Browser replacement of default-backend.ts: the pure-JS backend (see that file).
import type { CryptoBackend } from './backend.js';
import { pureBackend } from './backend-pure.js';

export const defaultBackend: CryptoBackend = pureBackend;
