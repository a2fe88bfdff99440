// Typed errors of the node layer (wiring, home directory, block store, start/stop).
import { ShroudError } from '../errors.js';

/**
 * - HOME_EXISTS: initHome on a home that already has a genesis (use --reset or another home).
 * - HOME_INVALID: a home file is missing or malformed (re-run `shroud init`).
 * - HOME_LOCKED: another live process holds the home's lock file.
 * - BLOCK_NOT_FOUND: the block store has no block at that height.
 * - BLOCK_STORE_CORRUPT: a stored block record does not decode.
 * - NODE_STOPPED: the node is shutting down.
 */
export type NodeErrorCode =
  'HOME_EXISTS' | 'HOME_INVALID' | 'HOME_LOCKED' | 'BLOCK_NOT_FOUND' | 'BLOCK_STORE_CORRUPT' | 'NODE_STOPPED';

export class NodeError extends ShroudError<NodeErrorCode> {}
