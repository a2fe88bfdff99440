// The ABCI 2.0 socket server (issue #8): CometBFT v0.38 opens four connections to it
// (consensus, mempool, query, snapshot) and sends length-prefixed `tendermint.abci.Request`s
// (framing.ts); each is answered in order on its own connection with a `Response`. The
// requests map onto the app's ABCI-shaped interface (src/app/abci.ts) through convert.ts.
//
// Ordering (why a guard sits in front of the app): CometBFT's consensus connection sends
// InitChain once, then per height [PrepareProposal | ProcessProposal]* FinalizeBlock Commit.
// Anything else is a bug or a foreign client; the guard refuses it before the app sees it,
// answers an `exception` (CometBFT logs it and stops), closes the connection and stops the
// server, so a wrong order can never leave the app in a state the engine does not know.
// A restart of both processes resynchronizes through the ABCI handshake (Info → replay).
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { existsSync, lstatSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import {
  Request,
  Response,
  ResponseApplySnapshotChunk_Result,
  ResponseOfferSnapshot_Result,
  ResponseVerifyVoteExtension_VerifyStatus,
} from 'cosmjs-types/tendermint/abci/types';
import type { AbciApplication } from '../app/index.js';
import { ShroudError } from '../errors.js';
import { AbciError } from './errors.js';
import {
  checkTxFromProto,
  checkTxToProto,
  finalizeBlockFromProto,
  finalizeBlockToProto,
  infoToProto,
  initChainFromProto,
  initChainToProto,
  prepareProposalFromProto,
  processProposalFromProto,
  processProposalToProto,
  queryFromProto,
  queryToProto,
} from './convert.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, encodeFrame } from './framing.js';

/** Requests queued on one connection before the server stops reading from it (backpressure). */
export const MAX_QUEUED_REQUESTS = 4096;
/** Reading resumes when the queue is back under this. */
const RESUME_QUEUED_REQUESTS = 1024;

export interface AbciServerOptions {
  app: AbciApplication;
  /**
   * The genesis the app was built from (genesis.json's bytes). InitChain's `app_state_bytes`
   * must be the same JSON document (compared after parsing), so CometBFT's genesis.json and the
   * app's can never silently differ.
   */
  genesisAppState?: Uint8Array;
  /** Largest accepted frame, default 64 MiB ({@link DEFAULT_MAX_FRAME_BYTES}). */
  maxFrameBytes?: number;
  log?: Logger;
  /** Called once when the server stops because of a consensus fault (not on `close()`). */
  onFatal?: (error: ShroudError) => void;
}

export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * Parses `tcp://HOST:PORT`, `HOST:PORT` or `unix://PATH` (CometBFT's `proxy_app` forms).
 * @throws {AbciError} ADDRESS_INVALID.
 */
export function parseListenAddress(address: string): ListenAddress {
  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length);
    if (path.length === 0) throw new AbciError('ADDRESS_INVALID', 'unix:// needs a socket path');
    return { kind: 'unix', path };
  }
  const rest = address.startsWith('tcp://') ? address.slice('tcp://'.length) : address;
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(rest);
  const port = Number(match?.[2]);
  if (match === null || match[1] === undefined || port > 65535) {
    throw new AbciError(
      'ADDRESS_INVALID',
      `bad ABCI address "${address.slice(0, 100)}": use tcp://127.0.0.1:26658 or unix:///path/to/socket`,
    );
  }
  return { kind: 'tcp', host: match[1].replace(/^\[|\]$/g, ''), port };
}

/** Kinds whose answers wait in the socket's buffer until Flush (cheap, sent in bursts). */
const BATCHED_KINDS: ReadonlySet<string> = new Set(['checkTx', 'echo', 'flush']);

/** The request kinds of `tendermint.abci.Request` (oneof `value`), in field order. */
const REQUEST_KINDS = [
  'echo',
  'flush',
  'info',
  'initChain',
  'query',
  'checkTx',
  'commit',
  'listSnapshots',
  'offerSnapshot',
  'loadSnapshotChunk',
  'applySnapshotChunk',
  'prepareProposal',
  'processProposal',
  'extendVote',
  'verifyVoteExtension',
  'finalizeBlock',
] as const satisfies readonly (keyof Request)[];
type RequestKind = (typeof REQUEST_KINDS)[number];

const CONSENSUS_KINDS: ReadonlySet<RequestKind> = new Set([
  'initChain',
  'prepareProposal',
  'processProposal',
  'extendVote',
  'verifyVoteExtension',
  'finalizeBlock',
  'commit',
]);

/** The kind of a decoded request. @throws {AbciError} UNKNOWN_REQUEST when none or several are set. */
export function requestKind(request: Request): RequestKind {
  const set = REQUEST_KINDS.filter((kind) => request[kind] !== undefined);
  const kind = set[0];
  if (kind === undefined || set.length > 1) {
    throw new AbciError(
      'UNKNOWN_REQUEST',
      set.length > 1
        ? `request sets ${set.join(' and ')}: a Request carries exactly one kind`
        : 'request of an unknown kind (not ABCI 2.0 / CometBFT v0.38)',
    );
  }
  return kind;
}

/** Decodes one frame. @throws {AbciError} DECODE_FAILED, UNKNOWN_REQUEST. */
export function decodeRequest(frame: Uint8Array): { request: Request; kind: RequestKind } {
  let request: Request;
  try {
    request = Request.decode(frame);
  } catch (error) {
    throw new AbciError('DECODE_FAILED', 'frame is not a protobuf tendermint.abci.Request', { cause: error });
  }
  return { request, kind: requestKind(request) };
}

function canonicalJson(bytes: Uint8Array, what: string): string {
  try {
    return JSON.stringify(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
  } catch {
    throw new AbciError('INVALID_REQUEST', `${what} is not UTF-8 JSON`);
  }
}

/**
 * Where the consensus connection is in CometBFT's call order. Heights are the app's committed
 * heights, read from `info` when the server starts (a restart after a crash continues there).
 */
class ConsensusOrder {
  /** True once InitChain ran in this process or the app already has committed blocks. */
  initialized: boolean;
  /** Height finalized and awaiting Commit. */
  pending: bigint | null = null;

  constructor(public lastHeight: bigint) {
    this.initialized = lastHeight > 0n;
  }

  private refuse(message: string): never {
    throw new AbciError('OUT_OF_ORDER', message);
  }

  beforeInitChain(): void {
    if (this.initialized)
      this.refuse(`InitChain on an initialized chain (last committed height ${this.lastHeight})`);
  }

  /** Proposals, vote extensions and FinalizeBlock: for height last + 1, no block pending. */
  beforeBlockCall(name: string, height: bigint): void {
    if (!this.initialized) this.refuse(`${name} before InitChain`);
    if (this.pending !== null) this.refuse(`${name} while block ${this.pending} awaits Commit`);
    if (height !== this.lastHeight + 1n)
      this.refuse(`${name} for height ${height}, expected ${this.lastHeight + 1n}`);
  }

  beforeCommit(): bigint {
    if (this.pending === null) this.refuse('Commit without FinalizeBlock');
    return this.pending;
  }
}

type Handled = { response: Response; fatal?: never } | { response: Response; fatal: ShroudError };

/**
 * An ABCI 2.0 socket server over an {@link AbciApplication}.
 * @example const server = await AbciServer.listen('tcp://127.0.0.1:26658', { app });
 */
export class AbciServer {
  private readonly connections = new Set<AbciConnection>();
  private consensusConnection: AbciConnection | null = null;
  private closing: Promise<void> | null = null;
  private fatalError: ShroudError | null = null;
  private readonly expectedAppState: string | null;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  readonly maxFrameBytes: number;

  private constructor(
    private readonly server: Server,
    readonly address: string,
    private readonly options: AbciServerOptions,
    private readonly order: ConsensusOrder,
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.expectedAppState =
      options.genesisAppState === undefined ? null : canonicalJson(options.genesisAppState, 'the genesis');
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /**
   * Reads the app's last committed height (`info`) and listens on `address`. A stale unix
   * socket file (nobody answering on it) is removed first.
   * @throws {AbciError} ADDRESS_INVALID; the listen error (EADDRINUSE...) as thrown by node:net.
   */
  static async listen(address: string, options: AbciServerOptions): Promise<AbciServer> {
    const where = parseListenAddress(address);
    const info = await options.app.info({ version: '', blockVersion: 0n, p2pVersion: 0n, abciVersion: '' });
    if (where.kind === 'unix') await removeStaleSocket(where.path);
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if (where.kind === 'unix') server.listen(where.path, done);
      else server.listen(where.port, where.host, done);
    });
    let bound = address;
    const actual = server.address();
    if (where.kind === 'tcp' && typeof actual === 'object' && actual !== null) {
      const host = actual.family === 'IPv6' ? `[${actual.address}]` : actual.address;
      bound = `tcp://${host}:${actual.port}`;
    } else if (where.kind === 'unix') bound = `unix://${where.path}`;
    const abci = new AbciServer(server, bound, options, new ConsensusOrder(info.lastBlockHeight));
    server.on('connection', (socket) => abci.accept(socket));
    options.log?.info(
      { address: bound, lastHeight: info.lastBlockHeight.toString() },
      'ABCI server listening',
    );
    return abci;
  }

  /** Resolves when the server has stopped (by `close()` or a fatal error). */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  /** The error that stopped the server, if one did. */
  get fatal(): ShroudError | null {
    return this.fatalError;
  }

  /** Last height committed through this server (or found at start). */
  get lastHeight(): bigint {
    return this.order.lastHeight;
  }

  /** Stops listening and closes every connection. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = (async () => {
      const listening = new Promise<void>((resolve) => this.server.close(() => resolve()));
      await Promise.all([...this.connections].map((connection) => connection.close()));
      await listening;
      this.resolveClosed();
    })();
    return this.closing;
  }

  private accept(socket: Socket): void {
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    const connection = new AbciConnection(socket, this, this.maxFrameBytes, this.options.log);
    this.connections.add(connection);
    socket.once('close', () => {
      this.connections.delete(connection);
      if (this.consensusConnection === connection) {
        this.consensusConnection = null;
        // The app holds the finalized block in memory until Commit, and has no way to drop it:
        // a new engine would replay that height and meet OUT_OF_ORDER. Stop; a restart reads
        // the last committed height from the store and CometBFT replays the block.
        if (this.order.pending !== null) {
          this.stopFatal(
            new AbciError(
              'OUT_OF_ORDER',
              `the consensus connection closed between FinalizeBlock and Commit of block ${this.order.pending}: restart shroud abci`,
            ),
          );
        }
      }
    });
  }

  /** Stops the server after a consensus fault; `onFatal` is told once. */
  stopFatal(error: ShroudError): void {
    if (this.fatalError !== null || this.closing !== null) return;
    this.fatalError = error;
    this.options.log?.error({ code: error.code, err: error.message }, 'ABCI server stopping');
    void this.close().then(() => this.options.onFatal?.(error));
  }

  /** Serves one request of `connection`. Never throws: failures become an exception response. */
  async handle(connection: AbciConnection, request: Request, kind: RequestKind): Promise<Handled> {
    const consensus = CONSENSUS_KINDS.has(kind);
    if (consensus && this.consensusConnection !== null && this.consensusConnection !== connection) {
      // Another client trying to drive blocks: refuse it, keep serving the engine we have.
      const error = new AbciError(
        'OUT_OF_ORDER',
        `${kind} on a second consensus connection: one engine drives this app at a time`,
      );
      return { response: { exception: { error: `${error.code}: ${error.message}` } } };
    }
    try {
      if (consensus) this.consensusConnection = connection;
      return { response: await this.dispatch(request, kind) };
    } catch (caught) {
      const error: ShroudError =
        caught instanceof ShroudError
          ? (caught as ShroudError)
          : new AbciError('APP_FAILED', `the app failed serving ${kind}: ${String(caught).slice(0, 300)}`, {
              cause: caught,
            });
      const response: Response = { exception: { error: `${error.code}: ${error.message}` } };
      // A consensus fault stops the server; a mempool/query failure closes only its connection.
      return consensus ? { response, fatal: error } : { response };
    }
  }

  private async dispatch(request: Request, kind: RequestKind): Promise<Response> {
    const app = this.options.app;
    const order = this.order;
    switch (kind) {
      case 'echo':
        return { echo: { message: request.echo?.message ?? '' } };
      case 'flush':
        return { flush: {} };
      case 'info':
        return { info: infoToProto(await app.info(request.info!)) };
      case 'query': {
        const query = queryFromProto(request.query!);
        // The app answers from its latest state only: a past height is refused, not answered
        // with today's values (Cosmos SDK root codespace ErrInvalidRequest = 18).
        if (query.height !== 0n && query.height !== order.lastHeight) {
          return {
            query: {
              code: 18,
              log: `height ${query.height} is not available: this node answers queries at its latest height (${order.lastHeight}) only; pass height 0`,
              info: '',
              index: 0n,
              key: new Uint8Array(0),
              value: new Uint8Array(0),
              height: order.lastHeight,
              codespace: 'sdk',
            },
          };
        }
        return { query: queryToProto(await app.query(query)) };
      }
      case 'checkTx':
        // Synchronous in the app: it never waits for a block in progress (ADR 007).
        return { checkTx: checkTxToProto(app.checkTx(checkTxFromProto(request.checkTx!))) };
      case 'initChain': {
        order.beforeInitChain();
        const converted = initChainFromProto(request.initChain!);
        if (
          this.expectedAppState !== null &&
          canonicalJson(converted.appStateBytes, 'InitChain.app_state_bytes') !== this.expectedAppState
        ) {
          throw new AbciError(
            'INVALID_REQUEST',
            "InitChain's app_state is not this node's genesis.json: regenerate CometBFT's genesis with `shroud cometbft-genesis`",
          );
        }
        if (converted.initialHeight < 1n)
          throw new AbciError(
            'INVALID_REQUEST',
            `InitChain.initial_height ${converted.initialHeight} must be ≥ 1`,
          );
        const response = await app.initChain(converted);
        order.initialized = true;
        // The first block is the genesis initial_height (CometBFT genesis.json, default 1).
        order.lastHeight = converted.initialHeight - 1n;
        return { initChain: initChainToProto(response) };
      }
      case 'prepareProposal': {
        const converted = prepareProposalFromProto(request.prepareProposal!);
        order.beforeBlockCall('PrepareProposal', converted.height);
        return { prepareProposal: await app.prepareProposal(converted) };
      }
      case 'processProposal': {
        const converted = processProposalFromProto(request.processProposal!);
        order.beforeBlockCall('ProcessProposal', converted.height);
        return { processProposal: processProposalToProto(await app.processProposal(converted)) };
      }
      case 'extendVote':
        // Vote extensions stay disabled (genesis abci.vote_extensions_enable_height = 0); if a
        // chain enables them, Shroud extends with nothing and accepts every extension.
        order.beforeBlockCall('ExtendVote', request.extendVote!.height);
        return { extendVote: { voteExtension: new Uint8Array(0) } };
      case 'verifyVoteExtension':
        order.beforeBlockCall('VerifyVoteExtension', request.verifyVoteExtension!.height);
        return { verifyVoteExtension: { status: ResponseVerifyVoteExtension_VerifyStatus.ACCEPT } };
      case 'finalizeBlock': {
        const converted = finalizeBlockFromProto(request.finalizeBlock!);
        order.beforeBlockCall('FinalizeBlock', converted.height);
        const response = await app.finalizeBlock(converted);
        order.pending = converted.height;
        return { finalizeBlock: finalizeBlockToProto(response) };
      }
      case 'commit': {
        const height = order.beforeCommit();
        const response = await app.commit();
        order.lastHeight = height;
        order.pending = null;
        return { commit: { retainHeight: response.retainHeight } };
      }
      // State sync is not offered (README "Not done"): no snapshots, every offer aborted.
      case 'listSnapshots':
        return { listSnapshots: { snapshots: [] } };
      case 'offerSnapshot':
        return { offerSnapshot: { result: ResponseOfferSnapshot_Result.ABORT } };
      case 'loadSnapshotChunk':
        return { loadSnapshotChunk: { chunk: new Uint8Array(0) } };
      case 'applySnapshotChunk':
        return {
          applySnapshotChunk: {
            result: ResponseApplySnapshotChunk_Result.ABORT,
            refetchChunks: [],
            rejectSenders: [],
          },
        };
    }
  }
}

/** One socket: frames in, requests served strictly in order, responses out in the same order. */
class AbciConnection {
  private readonly decoder: FrameDecoder;
  private readonly queue: { request: Request; kind: RequestKind }[] = [];
  private running = false;
  private ended = false;
  private paused = false;
  private readonly closedPromise: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly server: AbciServer,
    maxFrameBytes: number,
    private readonly log: Logger | undefined,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => log?.warn({ err: error.message }, 'ABCI connection error'));
    socket.on('end', () => {
      this.ended = true;
      if (!this.running) socket.end();
    });
  }

  close(): Promise<void> {
    this.ended = true;
    this.queue.length = 0;
    this.socket.destroy();
    return this.closedPromise;
  }

  private receive(chunk: Buffer): void {
    if (this.ended) return;
    try {
      for (const frame of this.decoder.push(chunk)) this.queue.push(decodeRequest(frame));
    } catch (error) {
      this.protocolError =
        error instanceof ShroudError ? error : new AbciError('DECODE_FAILED', String(error).slice(0, 300));
    }
    // The stream has lost its framing: what was queued before is still answered, then the
    // exception, then the connection closes. Nothing after the bad frame is read.
    this.protocolError ??= this.decoder.error;
    if (this.protocolError !== null) this.ended = true;
    if (!this.paused && this.queue.length >= MAX_QUEUED_REQUESTS) {
      this.paused = true;
      this.socket.pause();
    }
    if (!this.running) void this.drain();
  }

  private protocolError: ShroudError | null = null;

  private async drain(): Promise<void> {
    this.running = true;
    this.socket.cork();
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next === undefined) break;
        if (this.paused && this.queue.length < RESUME_QUEUED_REQUESTS) {
          this.paused = false;
          this.socket.resume();
        }
        // Answers so far leave before a call that may take long (a block), so a response is
        // never held behind another request; checkTx bursts stay batched until Flush.
        if (!BATCHED_KINDS.has(next.kind)) {
          this.socket.uncork();
          this.socket.cork();
        }
        const handled = await this.server.handle(this, next.request, next.kind);
        if (this.socket.destroyed) return;
        this.write(handled.response);
        if (handled.fatal !== undefined) {
          this.log?.error({ request: next.kind, code: handled.fatal.code }, handled.fatal.message);
          this.finish();
          this.server.stopFatal(handled.fatal);
          return;
        }
        if (handled.response.exception !== undefined) {
          this.log?.warn({ request: next.kind }, handled.response.exception.error);
          this.finish();
          return;
        }
        // CometBFT's client sends Flush when it wants the answers so far (Go server: bufio flush).
        if (next.kind === 'flush') {
          this.socket.uncork();
          this.socket.cork();
        }
      }
      if (this.protocolError !== null) {
        const error = this.protocolError;
        this.log?.warn({ code: error.code }, error.message);
        this.write({ exception: { error: `${error.code}: ${error.message}` } });
        this.finish();
        return;
      }
      if (this.ended) this.finish();
    } finally {
      this.running = false;
      if (!this.socket.destroyed) this.socket.uncork();
    }
  }

  private write(response: Response): void {
    this.socket.write(encodeFrame(Response.encode(response).finish()));
  }

  /** Sends what is written, then closes this connection (its queue is dropped). */
  private finish(): void {
    this.ended = true;
    this.queue.length = 0;
    this.socket.uncork();
    this.socket.end();
    // A peer that never reads must not keep the socket: destroy after a grace period.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path) || !lstatSync(path).isSocket()) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new AbciError('ADDRESS_INVALID', `${path} is in use by a running server`);
  rmSync(path, { force: true });
}
