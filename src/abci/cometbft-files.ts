// The files a CometBFT v0.38 node reads, written from Shroud's own data (issue #8 "Genesis
// bridge"): genesis.json (validators + app_state = the Shroud genesis), config.toml,
// priv_validator_key.json, priv_validator_state.json and node_key.json. Formats follow
// cometbft v0.38.19: types/genesis.go, privval/file.go, p2p/key.go (amino JSON: ed25519 keys
// tagged `tendermint/PubKeyEd25519`, private key = seed ‖ public key, base64), config/toml.go.
// config.toml lists only what differs from CometBFT's defaults; CometBFT fills in the rest.
import { bytesToHex, ed25519KeyPairFromSeed, sha256 } from '../crypto/index.js';

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** CometBFT's address of an ed25519 key: the first 20 bytes of sha256(public key) (crypto/ed25519). */
export function cometAddress(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).subarray(0, 20);
}

/** An ed25519 public key in CometBFT's amino JSON. */
export function cometPublicKeyJson(publicKey: Uint8Array): { type: string; value: string } {
  return { type: 'tendermint/PubKeyEd25519', value: base64(publicKey) };
}

function privateKeyJson(seed: Uint8Array): { type: string; value: string } {
  const pair = ed25519KeyPairFromSeed(seed);
  const full = new Uint8Array(64);
  full.set(pair.seed, 0);
  full.set(pair.publicKey, 32);
  return { type: 'tendermint/PrivKeyEd25519', value: base64(full) };
}

/** priv_validator_key.json for an ed25519 seed (privval.FilePVKey). */
export function privValidatorKeyJson(seed: Uint8Array): string {
  const { publicKey } = ed25519KeyPairFromSeed(seed);
  return `${JSON.stringify(
    {
      address: bytesToHex(cometAddress(publicKey)).toUpperCase(),
      pub_key: cometPublicKeyJson(publicKey),
      priv_key: privateKeyJson(seed),
    },
    null,
    2,
  )}\n`;
}

/** data/priv_validator_state.json of a validator that never signed (privval.FilePVLastSignState). */
export function privValidatorStateJson(): string {
  return `${JSON.stringify({ height: '0', round: 0, step: 0 }, null, 2)}\n`;
}

/** node_key.json (p2p.NodeKey) and the node id peers dial (`id@host:port`). */
export function nodeKeyJson(seed: Uint8Array): { json: string; nodeId: string } {
  const { publicKey } = ed25519KeyPairFromSeed(seed);
  return {
    json: `${JSON.stringify({ priv_key: privateKeyJson(seed) }, null, 2)}\n`,
    nodeId: bytesToHex(cometAddress(publicKey)),
  };
}

export interface CometValidator {
  publicKey: Uint8Array;
  /** Voting power: the app's `self_bond / POWER_REDUCTION`, as its InitChain returns it. */
  power: bigint;
  name: string;
}

export interface CometGenesisOptions {
  chainId: string;
  /** RFC 3339, the Shroud genesis_time (InitChain's time is the app's genesis time). */
  genesisTime: string;
  validators: CometValidator[];
  /** The Shroud genesis document, embedded as `app_state`. */
  appState: unknown;
  /** Block max_bytes (the Shroud genesis `params.max_block_bytes`). */
  maxBlockBytes: bigint;
  /** Height of the first block (the Shroud genesis `initial_height`), default 1. */
  initialHeight?: bigint;
}

/**
 * CometBFT's genesis.json. Vote extensions stay off (vote_extensions_enable_height 0): Shroud
 * has nothing to extend votes with. max_gas is -1: the app enforces its own block gas limit in
 * PrepareProposal/ProcessProposal (ADR 007).
 */
export function cometGenesisJson(options: CometGenesisOptions): string {
  return `${JSON.stringify(
    {
      genesis_time: options.genesisTime,
      chain_id: options.chainId,
      initial_height: (options.initialHeight ?? 1n).toString(),
      consensus_params: {
        block: { max_bytes: options.maxBlockBytes.toString(), max_gas: '-1' },
        evidence: { max_age_num_blocks: '100000', max_age_duration: '172800000000000', max_bytes: '1048576' },
        validator: { pub_key_types: ['ed25519'] },
        version: { app: '0' },
        abci: { vote_extensions_enable_height: '0' },
      },
      validators: options.validators.map((v) => ({
        address: bytesToHex(cometAddress(v.publicKey)).toUpperCase(),
        pub_key: cometPublicKeyJson(v.publicKey),
        power: v.power.toString(),
        name: v.name,
      })),
      app_hash: '',
      app_state: options.appState,
    },
    null,
    2,
  )}\n`;
}

export interface CometConfigOptions {
  moniker: string;
  /** Where `shroud abci` listens (tcp://127.0.0.1:26658 or unix:///path). */
  proxyApp: string;
  /** RPC listen address, e.g. tcp://127.0.0.1:26657. */
  rpcAddress: string;
  /** P2P listen address, e.g. tcp://0.0.0.0:26656. */
  p2pAddress: string;
  /** `id@host:port,...` of the other validators. */
  persistentPeers: string;
  /** consensus.timeout_commit, default 1000 ms (CometBFT's default). */
  timeoutCommitMs?: number;
  /** consensus.timeout_propose, default 3000 ms. */
  timeoutProposeMs?: number;
  /** Loopback testnets: several nodes on one IP, non-routable addresses allowed. */
  localNetwork?: boolean;
  logLevel?: string;
  /** mempool.size (txs), default 5000. */
  mempoolSize?: number;
  /** mempool.max_tx_bytes: the Shroud genesis `params.max_tx_bytes`. */
  maxTxBytes?: bigint;
}

const quote = (text: string): string => JSON.stringify(text);
const duration = (ms: number): string => quote(`${ms}ms`);

/** config.toml: only the settings a Shroud node needs; CometBFT's defaults fill in the rest. */
export function cometConfigToml(options: CometConfigOptions): string {
  const local = options.localNetwork === true;
  return [
    '# CometBFT v0.38 node of a Shroud chain, written by `shroud cometbft-genesis`.',
    '# Settings not listed keep CometBFT defaults (config/toml.go).',
    `proxy_app = ${quote(options.proxyApp)}`,
    `moniker = ${quote(options.moniker)}`,
    'abci = "socket"',
    `log_level = ${quote(options.logLevel ?? 'info')}`,
    '',
    '[rpc]',
    `laddr = ${quote(options.rpcAddress)}`,
    // Encrypted queries and contract uploads are larger than CometBFT's 1 MB default body.
    'max_body_bytes = 4194304',
    'timeout_broadcast_tx_commit = "30s"',
    '',
    '[p2p]',
    `laddr = ${quote(options.p2pAddress)}`,
    `persistent_peers = ${quote(options.persistentPeers)}`,
    `addr_book_strict = ${String(!local)}`,
    `allow_duplicate_ip = ${String(local)}`,
    `pex = ${String(!local)}`,
    ...(local ? ['flush_throttle_timeout = "10ms"'] : []),
    '',
    '[mempool]',
    'recheck = true',
    `size = ${options.mempoolSize ?? 5000}`,
    ...(options.maxTxBytes === undefined ? [] : [`max_tx_bytes = ${options.maxTxBytes.toString()}`]),
    '',
    '[consensus]',
    `timeout_propose = ${duration(options.timeoutProposeMs ?? 3000)}`,
    `timeout_commit = ${duration(options.timeoutCommitMs ?? 1000)}`,
    ...(local ? ['peer_gossip_sleep_duration = "10ms"'] : []),
    '',
    '[tx_index]',
    // The SDK waits for its txs through `tx` (by hash): the kv indexer must be on.
    'indexer = "kv"',
    '',
  ].join('\n');
}
