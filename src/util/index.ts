// The util layer's public face: helpers every layer may import (the lowest layer: it imports
// nothing from src/ but src/errors.ts; eslint.config.js).
export { siblingModule, workerSource } from './worker-source.js';
