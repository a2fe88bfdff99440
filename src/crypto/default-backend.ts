// The backend index.ts binds: native on Node. Browser bundles swap this file for
// default-backend.browser.ts (package.json "browser" field, honoured by esbuild, webpack,
// Rollup and Vite), so no native addon is ever imported there.
import type { CryptoBackend } from './backend.js';
import { nativeBackend } from './backend-native.js';

export const defaultBackend: CryptoBackend = nativeBackend;
