// Moved to the util layer (one copy for every worker this codebase starts); re-exported here
// so the store's own imports keep working.
export { siblingModule, workerSource } from '../util/index.js';
