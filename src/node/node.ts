// A single-validator node (issue #7, scaled down): the app's solo driver makes the blocks
// (src/app/solo.ts); this file wires the home, the state store, the enclave, the block store,
// the lock file, the log and an injected server (the RPC layer sits above node/ in DESIGN.md
// §2, so the CLI passes `serve`). The multi-validator consensus node comes with a later issue.
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { ed25519Sign, sha256, utf8Encode } from '../crypto/index.js';
import { Enclave } from '../enclave/index.js';
import { Store } from '../store/index.js';
import {
  ShroudApp,
  SoloDriver,
  consensusAddress,
  TxCode,
  enclavePolicy,
  parseGenesis,
  type AbciApplication,
  type Genesis,
  type RequestFinalizeBlock,
  type ResponseCheckTx,
  type ResponseFinalizeBlock,
  type TxQueue,
} from '../app/index.js';
import {
  BlockStore,
  blockHash,
  commitSignBytes,
  dataHash,
  resultsHash,
  type StoredBlock,
} from './blockstore.js';
import { NodeError } from './errors.js';
import { HOME_FILES, loadConfig, loadValidatorKey, type NodeConfig } from './home.js';

/** Pending txs, bounded; lists what `unconfirmed_txs` shows. */
export class PendingQueue implements TxQueue {
  private items: Uint8Array[] = [];
  constructor(
    readonly maxTxs = 10_000,
    readonly maxBytes = 64 * 1024 * 1024,
  ) {}
  private bytes = 0;
  push(tx: Uint8Array): boolean {
    if (this.items.length >= this.maxTxs || this.bytes + tx.length > this.maxBytes) return false;
    this.items.push(tx);
    this.bytes += tx.length;
    return true;
  }
  take(max: number): Uint8Array[] {
    const out = this.items.slice(0, max);
    this.items = this.items.slice(out.length);
    for (const tx of out) this.bytes -= tx.length;
    return out;
  }
  get size(): number {
    return this.items.length;
  }
  get totalBytes(): number {
    return this.bytes;
  }
  /** The first `limit` pending txs. */
  list(limit: number): Uint8Array[] {
    return this.items.slice(0, limit);
  }
}

export interface StartSoloNodeOptions {
  blockTimeMs?: number;
  rpcPort?: number;
  /** Starts the servers of this node (the CLI passes the RPC server); closed on stop. */
  serve?: (node: SoloNode) => Promise<{ url: string; close(): Promise<void> }>;
  /** Log to stdout too (default: only `<home>/node.log`). */
  logLevel?: string;
}

export type BlockListener = (block: StoredBlock) => void;

/** What the RPC lists of pending txs (`unconfirmed_txs`). */
export interface PendingView {
  readonly size: number;
  readonly totalBytes: number;
  /** The first `limit` pending txs. */
  list(limit: number): Uint8Array[];
}

/** One validator of a height's set, as the `validators` RPC shows it. */
export interface ValidatorInfo {
  address: Uint8Array;
  publicKey: Uint8Array;
  votingPower: bigint;
  proposerPriority: bigint;
}

/** A connected p2p peer, as `net_info` shows it. */
export interface NodePeer {
  id: string;
  remoteAddress: string;
  direction: 'inbound' | 'outbound';
}

/**
 * A running node, whichever engine makes its blocks (solo driver or Tendermint): the RPC and
 * the CLI see only this. The optional members exist on a Tendermint node.
 */
export interface SoloNode {
  readonly home: string;
  readonly config: NodeConfig;
  readonly genesis: Genesis;
  /** genesis.json as on disk (the `genesis` RPC returns it). */
  readonly genesisDocument: unknown;
  readonly app: ShroudApp;
  readonly blocks: BlockStore;
  readonly pending: PendingView;
  readonly validator: { publicKey: Uint8Array; address: Uint8Array; votingPower: bigint };
  readonly log: Logger;
  readonly startedAtMs: number;
  /** URL of the served RPC (empty if none). */
  readonly rpcUrl: string;
  /** checkTx and queue (the Tendermint node answers once its mempool took or refused the tx). */
  submit(tx: Uint8Array): ResponseCheckTx | Promise<ResponseCheckTx>;
  /** Calls `listener` after each committed block; returns the unsubscribe function. */
  onBlock(listener: BlockListener): () => void;
  /** Resolves when the block store reaches `height` (or rejects after timeoutMs). */
  waitForHeight(height: bigint, timeoutMs: number): Promise<StoredBlock>;
  /** Stops the driver, closes servers, block store, enclave, store, log; releases the lock. */
  stop(): Promise<void>;
  /** The validator set that signs `height` (Tendermint engine), or undefined if unknown. */
  validatorsAt?(height: bigint): ValidatorInfo[] | undefined;
  /** The hash of that set (the header's validators_hash), or undefined if unknown. */
  validatorsHashAt?(height: bigint): Uint8Array | undefined;
  /** Connected peers and this node's p2p identity (Tendermint engine). */
  peers?(): NodePeer[];
  readonly p2p?: { readonly nodeId: string; readonly listenAddress: string };
}

/** The Tendermint node's interface (the same as the solo node's, with the optional members set). */
export type ChainNode = SoloNode;

function acquireLock(home: string): string {
  const path = join(home, HOME_FILES.lock);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(path, 'utf8').trim());
      let alive = false;
      if (Number.isSafeInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch (probe) {
          alive = (probe as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (alive) {
        throw new NodeError(
          'HOME_LOCKED',
          `${home} is in use by process ${pid}: stop it first (or use another --home)`,
        );
      }
      rmSync(path, { force: true }); // stale lock of a dead process
    }
  }
  throw new NodeError('HOME_LOCKED', `could not take the lock ${path}`);
}

/** Block announcements shared by the engines: listeners, and waiting for a height. */
export interface BlockFeed {
  onBlock: (listener: BlockListener) => () => void;
  /** Calls every listener (a throwing listener is logged, the others still run). */
  emit: (block: StoredBlock) => void;
  waitForHeight: (height: bigint, timeoutMs: number) => Promise<StoredBlock>;
}

/** Creates the {@link BlockFeed} of a node over its block store. */
export function createBlockFeed(blocks: BlockStore, log: Logger): BlockFeed {
  const listeners = new Set<BlockListener>();
  const onBlock = (listener: BlockListener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return {
    onBlock,
    emit: (block) => {
      for (const listener of listeners) {
        try {
          listener(block);
        } catch (error) {
          log.error({ err: error }, 'block listener failed');
        }
      }
    },
    waitForHeight: (height, timeoutMs) =>
      new Promise<StoredBlock>((resolve, reject) => {
        const now = blocks.load(height);
        if (now !== undefined) return resolve(now);
        const timeout = setTimeout(() => {
          off();
          reject(new NodeError('BLOCK_NOT_FOUND', `no block ${height} within ${timeoutMs} ms`));
        }, timeoutMs);
        const off = onBlock((block) => {
          if (block.header.height >= height) {
            clearTimeout(timeout);
            off();
            resolve(blocks.load(height) ?? block);
          }
        });
      }),
  };
}

/** What every engine needs from an opened home (see {@link openChainHome}). */
export interface OpenedHome {
  config: NodeConfig;
  genesis: Genesis;
  genesisText: string;
  validatorKey: { seed: Uint8Array; publicKey: Uint8Array };
  log: Logger;
  store: Store;
  app: ShroudApp;
  blocks: BlockStore;
  /** Registers a shutdown step; steps run in reverse order of registration. */
  onStop: (step: () => Promise<void> | void) => void;
  /** Runs the shutdown steps once and flushes the log. */
  close: () => Promise<void>;
}

/**
 * Opens a node home for an engine: config, genesis, validator key, lock file, log, state store,
 * enclave (seed unsealed), app (initChain on a fresh store) and block store. On failure
 * everything opened so far is closed again.
 * @throws {NodeError} HOME_INVALID, HOME_LOCKED; AppError GENESIS_INVALID.
 */
export async function openChainHome(home: string, logLevel = 'info'): Promise<OpenedHome> {
  const config = loadConfig(home);
  const genesisPath = join(home, HOME_FILES.genesis);
  const sealedPath = join(home, HOME_FILES.sealedSeed);
  if (!existsSync(genesisPath) || !existsSync(sealedPath)) {
    throw new NodeError('HOME_INVALID', `${home} has no genesis.json or sealed seed: run \`shroud init\``);
  }
  const genesisText = readFileSync(genesisPath, 'utf8');
  const genesis = parseGenesis(genesisText);
  if (genesis.initialHeight !== 1n) {
    // The embedded engines count heights from 1; a chain continuing another one's heights
    // (genesis initial_height > 1) runs on CometBFT (`shroud abci`), which supports it.
    throw new NodeError(
      'HOME_INVALID',
      `genesis initial_height is ${genesis.initialHeight}: the embedded engine starts at height 1; ` +
        'run this chain on CometBFT with `shroud abci` (docs/production.md) or set initial_height to "1"',
    );
  }
  const validatorKey = loadValidatorKey(home);
  const lockPath = acquireLock(home);
  const log = pino(
    { level: logLevel, base: { node: config.moniker } },
    pino.destination({ dest: join(home, HOME_FILES.log), sync: false, mkdir: true }),
  );
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(lockPath, { force: true })];
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          log.error({ err: error }, 'shutdown step failed');
        }
      }
      // The destination is asynchronous: wait for the last lines to reach node.log.
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    })();
    return closed;
  };
  try {
    const store = Store.open(join(home, HOME_FILES.state));
    cleanups.push(() => store.close());
    let app: ShroudApp | null = null;
    const need = () => {
      if (app === null) throw new Error('enclave OCALL before the app exists');
      return app.enclaveServices;
    };
    const enclave = await Enclave.start({
      home,
      genesisPolicy: enclavePolicy(genesis),
      services: {
        readState: (c, k) => need().readState(c, k),
        getCode: (h) => need().getCode(h),
        contractInfo: (a) => need().contractInfo(a),
        queryChain: (r) => need().queryChain(r),
      },
    });
    cleanups.push(() => enclave.stop());
    await enclave.start(new Uint8Array(readFileSync(sealedPath)));
    app = new ShroudApp({ store, genesis });
    app.attachEnclave(enclave);
    if (store.info().height === 0n) {
      await app.initChain({
        timeNanos: genesis.genesisTimeNanos,
        chainId: genesis.chainId,
        appStateBytes: utf8Encode(genesisText),
        validators: [],
        initialHeight: genesis.initialHeight,
      });
      log.info({ chainId: genesis.chainId }, 'initChain done');
    }
    const blocks = BlockStore.open(join(home, HOME_FILES.blocks));
    cleanups.push(() => blocks.close());
    // A crash between saving a block and the app's commit leaves one uncommitted record: drop it.
    await blocks.truncateAbove(store.info().height);
    return {
      config,
      genesis,
      genesisText,
      validatorKey,
      log,
      store,
      app,
      blocks,
      onStop: (step) => cleanups.push(step),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Opens the home and runs a single validator: the solo driver makes a block every
 * `blockTimeMs`, each block is saved to the block store (before the app commits it, so the
 * store never lags the app) and announced to `onBlock` listeners.
 * @throws {NodeError} HOME_INVALID, HOME_LOCKED; AppError GENESIS_INVALID.
 */
export async function startSoloNode(home: string, options: StartSoloNodeOptions = {}): Promise<SoloNode> {
  const opened = await openChainHome(home, options.logLevel);
  const { config, genesis, genesisText, validatorKey, log, store, blocks } = opened;
  const shroudApp = opened.app;
  const cleanups = { push: opened.onStop };
  const runCleanups = opened.close;
  try {
    const genesisValidator = genesis.validators[0];
    const validator = {
      publicKey: validatorKey.publicKey,
      address: consensusAddress(validatorKey.publicKey),
      votingPower: (genesisValidator?.selfBond ?? 0n) / 1_000_000n,
    };
    const feed = createBlockFeed(blocks, log);
    const pending = new PendingQueue();

    // The driver sees this wrapper: commit first saves the block record, then commits the app.
    let lastFinalize: { request: RequestFinalizeBlock; response: ResponseFinalizeBlock } | null = null;
    let committed: StoredBlock | null = null;
    const wrapped: AbciApplication = {
      info: (r) => shroudApp.info(r),
      initChain: (r) => shroudApp.initChain(r),
      checkTx: (r) => shroudApp.checkTx(r),
      prepareProposal: (r) => shroudApp.prepareProposal(r),
      processProposal: (r) => shroudApp.processProposal(r),
      query: (r) => shroudApp.query(r),
      finalizeBlock: async (request) => {
        const response = await shroudApp.finalizeBlock(request);
        lastFinalize = { request, response };
        return response;
      },
      commit: async () => {
        const finalized = lastFinalize;
        if (finalized === null) throw new Error('commit without finalizeBlock');
        const { request, response } = finalized;
        const previous = blocks.load(request.height - 1n);
        const txHashes = request.txs.map((tx) => sha256(tx));
        const header = {
          chainId: genesis.chainId,
          height: request.height,
          timeNanos: request.timeNanos,
          proposerAddress: request.proposerAddress,
          lastBlockHash: previous?.hash ?? new Uint8Array(0),
          appHash: response.appHash,
          resultsHash: resultsHash(response.txResults),
          dataHash: dataHash(txHashes),
          txHashes,
        };
        const hash = blockHash(header);
        const record = {
          header,
          hash,
          txs: request.txs,
          results: response.txResults,
          finalizeEvents: response.events,
          commitSignature: ed25519Sign(
            commitSignBytes(genesis.chainId, request.height, hash),
            validatorKey.seed,
          ),
          commitTimeNanos: request.timeNanos,
        };
        await blocks.save(record);
        const result = await shroudApp.commit();
        committed = blocks.load(request.height) ?? null;
        // Commit reset the app's check state to the committed state: re-check the txs still
        // queued (they arrived while this block was made) in order, so a sender's next tx is
        // checked after them and not refused for its sequence; failures are dropped.
        for (const tx of pending.take(pending.size)) {
          if (shroudApp.checkTx({ tx, type: 'recheck' }).code === TxCode.OK) pending.push(tx);
        }
        return result;
      },
    };
    const blockTimeMs = options.blockTimeMs ?? config.blockTimeMs;
    const driver = new SoloDriver({
      app: wrapped,
      proposerAddress: validator.address,
      clock: () => BigInt(Date.now()) * 1_000_000n,
      queue: pending,
      blockIntervalMs: blockTimeMs,
      maxBlockBytes: genesis.params.maxBlockBytes,
    });

    let stopping = false;
    let timer: NodeJS.Timeout | null = null;
    let inFlight: Promise<unknown> = Promise.resolve();
    // Our own loop instead of driver.start(): a failed block is logged, not silently swallowed.
    const tick = () => {
      timer = null;
      if (stopping) return;
      inFlight = driver
        .produceBlock()
        .then(({ height, txs }) => {
          const block = committed;
          log.info({ height: height.toString(), txs: txs.length }, 'committed block');
          if (block !== null) feed.emit(block);
        })
        .catch((error: unknown) => {
          log.error({ err: error }, 'block production failed; stopping the chain');
          stopping = true;
        })
        .finally(() => {
          if (!stopping) timer = setTimeout(tick, blockTimeMs);
        });
    };
    timer = setTimeout(tick, Math.min(blockTimeMs, 200));
    cleanups.push(async () => {
      stopping = true;
      if (timer !== null) clearTimeout(timer);
      await inFlight;
    });

    let rpcUrl = '';
    const node: SoloNode = {
      home,
      config:
        options.rpcPort === undefined ? config : { ...config, rpc: { ...config.rpc, port: options.rpcPort } },
      genesis,
      genesisDocument: JSON.parse(genesisText) as unknown,
      app: shroudApp,
      blocks,
      pending,
      validator,
      log,
      startedAtMs: Date.now(),
      get rpcUrl() {
        return rpcUrl;
      },
      submit: (tx) => {
        if (stopping) throw new NodeError('NODE_STOPPED', 'the node is shutting down');
        return driver.submit(tx);
      },
      onBlock: feed.onBlock,
      waitForHeight: feed.waitForHeight,
      stop: async () => {
        if (stopped) return stopped;
        log.info('stopping');
        stopped = runCleanups();
        return stopped;
      },
    };
    let stopped: Promise<void> | null = null;
    if (options.serve !== undefined) {
      const server = await options.serve(node);
      rpcUrl = server.url;
      // Servers close first (cleanups run in reverse): no request reaches a closing store.
      cleanups.push(() => server.close());
      log.info({ url: server.url }, 'serving RPC');
    }
    log.info({ home, height: store.info().height.toString() }, 'node started');
    return node;
  } catch (error) {
    await runCleanups();
    throw error;
  }
}
