// JSON-RPC 2.0 errors of the RPC server (https://www.jsonrpc.org/specification §5.1), with
// the codes CometBFT 0.38 uses (rpc/jsonrpc/types/types.go).
import { ShroudError } from '../errors.js';

export const RPC_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

export type RpcServerErrorCode = keyof typeof RPC_CODES;

const MESSAGES: Record<RpcServerErrorCode, string> = {
  PARSE_ERROR: 'Parse error. Invalid JSON',
  INVALID_REQUEST: 'Invalid Request',
  METHOD_NOT_FOUND: 'Method not found',
  INVALID_PARAMS: 'Invalid params',
  INTERNAL_ERROR: 'Internal error',
};

/** A JSON-RPC error; `message` goes to `data` (what to do), the code's name to `message`. */
export class RpcServerError extends ShroudError<RpcServerErrorCode> {
  get rpcCode(): number {
    return RPC_CODES[this.code];
  }
  toJson(): { code: number; message: string; data: string } {
    return { code: this.rpcCode, message: MESSAGES[this.code], data: this.message };
  }
}

export const invalidParams = (what: string): RpcServerError => new RpcServerError('INVALID_PARAMS', what);
