// A validator (or full node) of a multi-validator network: the home opened as for the solo
// node (node.ts openChainHome), plus the p2p node (ADR 008), the mempool with gossip, and the
// consensus driver running our Tendermint core (consensus-driver.ts). The RPC sees the same
// SoloNode interface as for a solo node, with validators and peers filled in.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '../crypto/index.js';
import {
  createConsensusCore,
  createEd25519Signer,
  FileWal,
  ValidatorSet,
  type TimeoutConfig,
} from '../consensus/index.js';
import { Mempool, mempoolAppFromAbci } from '../mempool/index.js';
import { P2pNode, type ChannelConfig } from '../p2p/index.js';
import { consensusAddress, POWER_REDUCTION, TxCode, type ResponseCheckTx } from '../app/index.js';
import { CHANNELS, ConsensusDriver } from './consensus-driver.js';
import { NodeError } from './errors.js';
import { HOME_FILES, loadNodeKey, parsePersistentPeer, type ConsensusConfig } from './home.js';
import { createBlockFeed, openChainHome, type ChainNode, type StartSoloNodeOptions } from './node.js';
import { TxGossip } from './tx-gossip.js';

export interface StartConsensusNodeOptions extends Omit<StartSoloNodeOptions, 'blockTimeMs'> {
  /** Overrides config.json p2p.port (0 picks a free port). */
  p2pPort?: number;
  /** Called after the node stopped itself because a decided block could not be executed. */
  onFatal?: (error: unknown) => void;
  /**
   * Check new txs that arrive together through app.checkTxBatch with the signature worker
   * (default true); false checks every tx alone on the main thread.
   */
  batchCheckTx?: boolean;
  /** Wait before relaying a peer's tx to other peers (tx-gossip.ts), default 1000 ms. */
  txRelayDelayMs?: number;
}

const MIB = 1024 * 1024;

/** The four channels; a proposal carries a whole block, so consensus messages go up to 5 MiB. */
const NODE_CHANNELS: ChannelConfig[] = [
  {
    id: CHANNELS.consensus,
    name: 'consensus',
    maxMessageBytes: 5 * MIB,
    sendQueueMessages: 2000,
    sendQueueBytes: 32 * MIB,
    priority: 10,
  },
  {
    id: CHANNELS.blockSync,
    name: 'blocksync',
    maxMessageBytes: 5 * MIB,
    sendQueueMessages: 200,
    sendQueueBytes: 32 * MIB,
    priority: 5,
  },
  {
    id: CHANNELS.mempool,
    name: 'mempool',
    maxMessageBytes: 2 * MIB,
    sendQueueMessages: 20_000,
    sendQueueBytes: 64 * MIB,
    priority: 5,
  },
  {
    id: CHANNELS.evidence,
    name: 'evidence',
    maxMessageBytes: 64 * 1024,
    sendQueueMessages: 100,
    sendQueueBytes: MIB,
    priority: 6,
  },
];

/** Round-0 timeouts from config.json; each later round adds half the base (paper §4). */
export function timeoutsFromConfig(consensus: ConsensusConfig): TimeoutConfig {
  const half = (ms: number) => Math.max(1, Math.round(ms / 2));
  return {
    proposeMs: consensus.timeoutProposeMs,
    proposeDeltaMs: half(consensus.timeoutProposeMs),
    prevoteMs: consensus.timeoutPrevoteMs,
    prevoteDeltaMs: half(consensus.timeoutPrevoteMs),
    precommitMs: consensus.timeoutPrecommitMs,
    precommitDeltaMs: half(consensus.timeoutPrecommitMs),
  };
}

/**
 * Opens the home and runs it as a node of a Tendermint network: listens for peers, dials the
 * persistent peers, replays its consensus WAL and follows (or signs, if its validator key is
 * in the set) the chain. Blocks are saved with their commits; the RPC works as for a solo node.
 * @throws {NodeError} HOME_INVALID, HOME_LOCKED; P2pError LISTEN_FAILED; ConsensusError WAL_*.
 */
export async function startConsensusNode(
  home: string,
  options: StartConsensusNodeOptions = {},
): Promise<ChainNode> {
  const opened = await openChainHome(home, options.logLevel);
  const { config, genesis, genesisText, validatorKey, log, store, blocks, app } = opened;
  try {
    const nodeKey = loadNodeKey(home);
    const walDir = join(home, HOME_FILES.wal);
    mkdirSync(walDir, { recursive: true, mode: 0o700 });
    const wal = FileWal.open(join(walDir, 'wal'));
    opened.onStop(() => wal.close());

    const genesisSet = ValidatorSet.fromGenesis(
      genesis.validators.map((v) => ({
        publicKey: v.consensusPublicKey,
        votingPower: v.selfBond / POWER_REDUCTION,
      })),
    );
    const core = createConsensusCore({
      chainId: genesis.chainId,
      signer: createEd25519Signer(validatorKey.seed),
      timeouts: timeoutsFromConfig(config.consensus),
    });

    // checkTx answers are kept per tx object so submit() can return the app's full response.
    const answers = new WeakMap<Uint8Array, ResponseCheckTx>();
    // New txs that wait for the app together (an RPC batch, gossip arriving during a block)
    // are checked with checkTxBatch: their signatures are verified on the app's worker thread
    // while this thread checks the previous ones (bench/RESULTS.md "app", mempool batch path).
    const batchCheck =
      options.batchCheckTx !== false &&
      process.env.TMP_NO_BATCH === undefined &&
      (await app.startSignatureWorker());
    opened.onStop(() => app.stopSignatureWorker());
    const abciCheck = {
      checkTx: (request: { tx: Uint8Array; type: 'new' | 'recheck' }) => {
        const response = app.checkTx(request);
        answers.set(request.tx, response);
        return response;
      },
      ...(batchCheck && {
        checkTxBatch: async (requests: readonly { tx: Uint8Array; type: 'new' | 'recheck' }[]) => {
          const responses = await app.checkTxBatch(requests);
          responses.forEach((response, i) => {
            const request = requests[i];
            if (request !== undefined) answers.set(request.tx, response);
          });
          return responses;
        },
      }),
    };
    let gossip: TxGossip | null = null;
    const mempool = new Mempool(
      {
        maxTxs: 20_000,
        maxBytes: 128 * MIB,
        maxTxBytes: Number(genesis.params.maxTxBytes),
        cacheSize: 100_000,
      },
      {
        ...mempoolAppFromAbci(abciCheck),
        onNewTx: (event) => gossip?.onNewTx(event),
      },
    );

    // CometBFT's Lock/Commit/Update: no add is checked between the app's commit (check state
    // reset) and the mempool's recheck after it (a batch waiting on the signature worker could).
    app.useMempoolLock(mempool);

    const started = await P2pNode.start({
      listenAddress: { host: config.p2p.host, port: options.p2pPort ?? config.p2p.port },
      nodeKey: nodeKey.seed,
      networkId: genesis.chainId,
      persistentPeers: config.p2p.persistentPeers.map(parsePersistentPeer),
      channels: NODE_CHANNELS,
    });
    opened.onStop(() => started.stop());
    // Batched txs, "have" announcements and a delayed relay (tx-gossip.ts, ADR 011 §9).
    const txGossip = new TxGossip({
      network: started,
      mempool,
      channel: CHANNELS.mempool,
      ...(options.txRelayDelayMs === undefined ? {} : { relayDelayMs: options.txRelayDelayMs }),
    });
    txGossip.start();
    gossip = txGossip;
    opened.onStop(() => {
      // What the gossip sent and received, for benches (ADR 011 §9: relayed stays ~0 in a mesh).
      log.info({ txGossip: txGossip.counters }, 'tx gossip totals');
      txGossip.stop();
    });

    const feed = createBlockFeed(blocks, log);
    const validatorAddress = consensusAddress(validatorKey.publicKey);
    const driver = new ConsensusDriver({
      chainId: genesis.chainId,
      core,
      wal,
      signedStatePath: join(walDir, 'signed_state.json'),
      genesisValidators: genesisSet,
      validatorAddress,
      timeoutCommitMs: config.consensus.timeoutCommitMs,
      maxBlockTxs: config.consensus.maxBlockTxs,
      maxClockDriftMs: config.consensus.maxClockDriftMs,
      app,
      store,
      blocks,
      mempool,
      p2p: started,
      feed,
      log,
      // A decided block the app cannot execute (enclave or disk failure): the node stops (a
      // supervisor restarts it and the WAL decides the block again) and tells its owner.
      onFatal: (error) => {
        void opened.close();
        options.onFatal?.(error);
      },
    });
    driver.start();
    let stopping = false;
    opened.onStop(async () => {
      stopping = true;
      await driver.stop();
    });

    const submit = async (tx: Uint8Array): Promise<ResponseCheckTx> => {
      if (stopping) throw new NodeError('NODE_STOPPED', 'the node is shutting down');
      const result = await mempool.add(tx);
      const answer = answers.get(tx);
      if (result.ok || result.reason === 'CHECK_FAILED') {
        if (answer !== undefined) return answer;
      }
      const log = result.ok ? '' : `${result.reason}: ${result.message}`;
      return {
        code: result.ok ? TxCode.OK : TxCode.UNKNOWN_REQUEST,
        data: new Uint8Array(0),
        log,
        gasWanted: 0n,
        gasUsed: 0n,
        events: [],
        codespace: result.ok ? '' : 'mempool',
      };
    };

    const myPower = genesisSet.getByAddress(bytesToHex(validatorAddress))?.votingPower ?? 0n;
    let rpcUrl = '';
    const node: ChainNode = {
      home,
      config:
        options.rpcPort === undefined ? config : { ...config, rpc: { ...config.rpc, port: options.rpcPort } },
      genesis,
      genesisDocument: JSON.parse(genesisText) as unknown,
      app,
      blocks,
      pending: {
        get size() {
          return mempool.size;
        },
        get totalBytes() {
          return mempool.bytes;
        },
        list: (limit) =>
          mempool
            .txs()
            .slice(0, limit)
            .map((tx) => tx.bytes),
      },
      validator: { publicKey: validatorKey.publicKey, address: validatorAddress, votingPower: myPower },
      log,
      startedAtMs: Date.now(),
      get rpcUrl() {
        return rpcUrl;
      },
      submit,
      onBlock: feed.onBlock,
      waitForHeight: feed.waitForHeight,
      stop: async () => {
        log.info('stopping');
        await opened.close();
      },
      validatorsAt: (height) =>
        driver.validatorSet(Number(height))?.validators.map((v) => ({
          address: hexToBytes(v.address),
          publicKey: v.publicKey,
          votingPower: v.votingPower,
          proposerPriority: v.proposerPriority,
        })),
      validatorsHashAt: (height) => driver.validatorSet(Number(height))?.hash(),
      peers: () => started.peers(),
      p2p: { nodeId: started.id, listenAddress: `${config.p2p.host}:${started.listenPort}` },
    };
    if (options.serve !== undefined) {
      const server = await options.serve(node);
      rpcUrl = server.url;
      opened.onStop(() => server.close()); // servers close first (steps run in reverse)
      log.info({ url: server.url }, 'serving RPC');
    }
    // Runs first on stop: a request whose add is held by the mempool's commit lock (a block
    // stopped between the app's commit and the mempool update) must not hold up the servers'
    // close; the adds then answer (or refuse) at once.
    opened.onStop(() => {
      stopping = true;
      mempool.unlock();
    });
    log.info(
      { home, height: store.info().height.toString(), nodeId: started.id, p2pPort: started.listenPort },
      'consensus node started',
    );
    return node;
  } catch (error) {
    await opened.close();
    throw error;
  }
}
