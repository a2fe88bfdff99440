// A node's home directory (DESIGN.md §2 node/, §4 sealing and attestation): the sealed master
// seed and the enclave's sealing key, the validator's ed25519 key, the devnet attestation
// authority's seed, genesis.json, config.json, the state store, the block store and the log.
// Secret files are written 0600 and never logged.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  accountKeyFromMnemonic,
  bytesToHex,
  ed25519KeyPairFromSeed,
  generateMnemonic,
  hexToBytes,
  randomBytes,
} from '../crypto/index.js';
import { Enclave, enclaveMeasurement } from '../enclave/index.js';
import { NodeError } from './errors.js';

export const HOME_FILES = {
  genesis: 'genesis.json',
  config: 'config.json',
  sealedSeed: 'sealed-seed',
  validatorKey: 'validator_key.json',
  nodeKey: 'node_key.json',
  authoritySeed: 'attestation_authority.seed',
  accounts: 'accounts.json',
  log: 'node.log',
  lock: 'node.lock',
  state: 'data',
  blocks: 'blocks',
  /** The consensus write-ahead log (FileWal) and the double-sign guard's last signed state. */
  wal: 'wal',
} as const;

export interface TestAccount {
  name: string;
  address: string;
  mnemonic: string;
}

/** config.json `p2p`: where this node listens and whom it keeps connected to (ADR 008). */
export interface P2pConfig {
  host: string;
  port: number;
  /** `"<nodeIdHex>@host:port"` entries (CometBFT's persistent_peers format); our own is skipped. */
  persistentPeers: string[];
}

/** The block-making engine: the app's solo driver, or our Tendermint core over p2p. */
export type ConsensusEngine = 'solo' | 'tendermint';

/**
 * config.json `consensus`. Timeouts are the round-0 values; each later round adds half of the
 * base value (DESIGN.md §6: timeouts grow with the round). `timeoutCommitMs` is the wait after a
 * commit before the next height starts (the target block time, CometBFT's timeout_commit).
 */
export interface ConsensusConfig {
  engine: ConsensusEngine;
  timeoutProposeMs: number;
  timeoutPrevoteMs: number;
  timeoutPrecommitMs: number;
  timeoutCommitMs: number;
  /**
   * Most transactions a proposal carries. Every validator executes a block before the next
   * height starts, so an unbounded proposal under overload (2,000–3,000 transfers) takes many
   * block times to agree on and execute and latency grows with it (bench/RESULTS.md
   * "consensus"); ~500 transfers execute in about a second on this class of machine.
   */
  maxBlockTxs: number;
  /** A proposal whose header time is further ahead of the local clock gets a nil prevote (ADR 011). */
  maxClockDriftMs: number;
}

export interface NodeConfig {
  moniker: string;
  chainId: string;
  /** Solo engine only: the block interval (the tendermint engine uses consensus.timeoutCommitMs). */
  blockTimeMs: number;
  rpc: {
    host: string;
    port: number;
    maxBodyBytes: number;
    rateLimitPerMinute: number;
    maxSubscriptionsPerClient: number;
  };
  /** Absent in session-1 homes: loadConfig fills {@link DEFAULT_P2P_CONFIG}. */
  p2p: P2pConfig;
  /** Absent in session-1 homes: loadConfig fills {@link DEFAULT_CONSENSUS_CONFIG} (solo). */
  consensus: ConsensusConfig;
}

export const DEFAULT_P2P_PORT = 26656;

export const DEFAULT_P2P_CONFIG: Readonly<P2pConfig> = Object.freeze({
  host: '127.0.0.1',
  port: DEFAULT_P2P_PORT,
  persistentPeers: [],
});

export const DEFAULT_CONSENSUS_CONFIG: Readonly<ConsensusConfig> = Object.freeze({
  engine: 'solo',
  timeoutProposeMs: 3000,
  timeoutPrevoteMs: 1000,
  timeoutPrecommitMs: 1000,
  timeoutCommitMs: 1000,
  maxBlockTxs: 1000,
  maxClockDriftMs: 5000,
});

/** A persistent peer parsed from `"<nodeIdHex>@host:port"`. */
export interface PersistentPeerAddress {
  id: string;
  host: string;
  port: number;
}

/**
 * Parses one `persistentPeers` entry.
 * @example parsePersistentPeer('0123…abcd@127.0.0.1:26656') // { id, host: '127.0.0.1', port: 26656 }
 * @throws {NodeError} HOME_INVALID if the entry is not `<40 hex>@host:port`.
 */
export function parsePersistentPeer(entry: string): PersistentPeerAddress {
  const match = /^([0-9a-f]{40})@(.+):(\d{1,5})$/.exec(entry);
  const port = match === null ? 0 : Number(match[3]);
  if (match === null || port < 1 || port > 65_535) {
    throw new NodeError(
      'HOME_INVALID',
      `persistent peer ${JSON.stringify(entry)} is not "<node id: 40 lowercase hex>@host:port"`,
    );
  }
  return { id: match[1]!, host: match[2]!, port };
}

/** Formats a persistent peer entry (the inverse of {@link parsePersistentPeer}). */
export function formatPersistentPeer(peer: PersistentPeerAddress): string {
  return `${peer.id}@${peer.host}:${peer.port}`;
}

export interface InitHomeOptions {
  chainId?: string;
  /** Number of funded test accounts (named `account0`…), default 4. */
  accounts?: number;
  /** Extra funded addresses (tests fund their own keys). */
  extraAccounts?: { address: string; amount: bigint }[];
  /** Amount each test account receives in the fee denom, default 10^12. */
  accountAmount?: bigint;
  denom?: string;
  moniker?: string;
  blockTimeMs?: number;
  rpcPort?: number;
  /** config.json `p2p.port` (default 26656) and `consensus` overrides (default: solo engine). */
  p2pPort?: number;
  consensus?: Partial<ConsensusConfig>;
  /** RFC 3339 genesis time, default now. */
  genesisTime?: string;
}

export interface InitHomeResult {
  home: string;
  chainId: string;
  accounts: TestAccount[];
  validatorAddress: string;
}

export const DEFAULT_DENOM = 'ushd';
export const DEFAULT_RPC_PORT = 26657;

function writeSecret(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode through writeFileSync
}

/** The validator's ed25519 key from the home. @throws {NodeError} HOME_INVALID. */
export function loadValidatorKey(home: string): { seed: Uint8Array; publicKey: Uint8Array } {
  const path = join(home, HOME_FILES.validatorKey);
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { seed?: unknown };
    if (typeof json.seed !== 'string' || !/^[0-9a-f]{64}$/.test(json.seed)) throw new Error('bad seed');
    const pair = ed25519KeyPairFromSeed(hexToBytes(json.seed));
    return { seed: pair.seed, publicKey: pair.publicKey };
  } catch {
    throw new NodeError(
      'HOME_INVALID',
      `${path} is missing or malformed: run \`shroud init\` for a new home`,
    );
  }
}

/**
 * Writes the p2p identity `node_key.json` (`{ "seed": "<hex32>" }`, 0600).
 * @throws {NodeError} HOME_INVALID if the seed is not 32 bytes.
 */
export function writeNodeKey(home: string, seed: Uint8Array): void {
  if (seed.length !== 32) throw new NodeError('HOME_INVALID', 'a node key seed is 32 bytes');
  writeSecret(join(home, HOME_FILES.nodeKey), JSON.stringify({ seed: bytesToHex(seed) }));
}

/**
 * The p2p identity (ed25519) from `node_key.json`; its node id is nodeIdFromPublicKey(publicKey).
 * @throws {NodeError} HOME_INVALID if the file is missing or malformed.
 */
export function loadNodeKey(home: string): { seed: Uint8Array; publicKey: Uint8Array } {
  const path = join(home, HOME_FILES.nodeKey);
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { seed?: unknown };
    if (typeof json.seed !== 'string' || !/^[0-9a-f]{64}$/.test(json.seed)) throw new Error('bad seed');
    const pair = ed25519KeyPairFromSeed(hexToBytes(json.seed));
    return { seed: pair.seed, publicKey: pair.publicKey };
  } catch {
    throw new NodeError('HOME_INVALID', `${path} is missing or malformed: it must hold {"seed": "<64 hex>"}`);
  }
}

function isPositiveInteger(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/** Checks the shape of config.json `p2p`/`consensus` (STYLE.md §4); returns what is wrong. */
function configProblem(json: Partial<NodeConfig>): string | null {
  if (typeof json.chainId !== 'string' || typeof json.rpc?.port !== 'number') return 'chainId or rpc.port';
  const p2p = json.p2p;
  if (p2p !== undefined) {
    if (typeof p2p.host !== 'string' || !isPositiveInteger(p2p.port, 65_535)) return 'p2p.host or p2p.port';
    if (!Array.isArray(p2p.persistentPeers) || !p2p.persistentPeers.every((e) => typeof e === 'string')) {
      return 'p2p.persistentPeers (an array of "<id>@host:port")';
    }
  }
  const consensus = json.consensus;
  if (consensus !== undefined) {
    if (consensus.engine !== 'solo' && consensus.engine !== 'tendermint') {
      return 'consensus.engine ("solo" or "tendermint")';
    }
    for (const key of [
      'timeoutProposeMs',
      'timeoutPrevoteMs',
      'timeoutPrecommitMs',
      'timeoutCommitMs',
      'maxClockDriftMs',
    ] as const) {
      if (consensus[key] !== undefined && !isPositiveInteger(consensus[key], 3_600_000)) {
        return `consensus.${key} (milliseconds, 0..3600000)`;
      }
    }
    const maxTxs = consensus.maxBlockTxs;
    if (maxTxs !== undefined && (!isPositiveInteger(maxTxs, 1_000_000) || maxTxs < 1)) {
      return 'consensus.maxBlockTxs (transactions per block, 1..1000000)';
    }
  }
  return null;
}

/**
 * config.json of the home, with `p2p` and `consensus` completed from their defaults (a home
 * written before they existed runs the solo engine).
 * @throws {NodeError} HOME_INVALID if the file is missing, not JSON, or a field is malformed
 *   (including a persistent peer that is not `<id>@host:port`).
 */
export function loadConfig(home: string): NodeConfig {
  const path = join(home, HOME_FILES.config);
  let json: Partial<NodeConfig>;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as Partial<NodeConfig>;
  } catch {
    throw new NodeError(
      'HOME_INVALID',
      `${path} is missing or malformed: run \`shroud init\` for a new home`,
    );
  }
  const problem = configProblem(json);
  if (problem !== null) throw new NodeError('HOME_INVALID', `${path}: invalid ${problem}`);
  const config = {
    ...json,
    p2p: { ...DEFAULT_P2P_CONFIG, ...json.p2p },
    consensus: { ...DEFAULT_CONSENSUS_CONFIG, ...json.consensus },
  } as NodeConfig;
  for (const entry of config.p2p.persistentPeers) parsePersistentPeer(entry);
  return config;
}

/** The test accounts written by initHome (name, address, mnemonic). */
export function loadTestAccounts(home: string): TestAccount[] {
  const path = join(home, HOME_FILES.accounts);
  if (!existsSync(path)) return [];
  return JSON.parse(readFileSync(path, 'utf8')) as TestAccount[];
}

function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Creates a node home: bootstraps an enclave (its sealing key and the sealed master seed stay
 * in the home, 0600), generates the validator key, a devnet attestation authority (seed kept
 * 0600 in the home) and funded test accounts from fresh mnemonics, then writes genesis.json
 * (network public keys from the enclave) and config.json.
 * @example const { accounts } = await initHome('/tmp/n0', { chainId: 'shroud-devnet' });
 * @throws {NodeError} HOME_EXISTS if the home already has a genesis.
 */
export async function initHome(home: string, options: InitHomeOptions = {}): Promise<InitHomeResult> {
  if (existsSync(join(home, HOME_FILES.genesis))) {
    throw new NodeError('HOME_EXISTS', `${home} already holds a node: pass --reset or choose another --home`);
  }
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const chainId = options.chainId ?? 'shroud-devnet';
  const denom = options.denom ?? DEFAULT_DENOM;
  const amount = options.accountAmount ?? 1_000_000_000_000n;

  const validator = ed25519KeyPairFromSeed(randomBytes(32));
  writeSecret(join(home, HOME_FILES.validatorKey), JSON.stringify({ seed: bytesToHex(validator.seed) }));
  writeNodeKey(home, randomBytes(32));
  const authoritySeed = randomBytes(32);
  writeSecret(join(home, HOME_FILES.authoritySeed), bytesToHex(authoritySeed));
  const authority = ed25519KeyPairFromSeed(authoritySeed);

  // The bootstrap enclave creates the master seed (DESIGN.md §3); no services are needed yet.
  const enclave = await Enclave.start({
    home,
    genesisPolicy: {
      trustedAuthorities: [],
      allowedMeasurements: [],
      maxAgeSeconds: 3600n,
      maxClockSkewSeconds: 60n,
    },
    services: {
      readState: () => null,
      getCode: () => null,
      contractInfo: () => null,
      queryChain: () => new Uint8Array(0),
    },
  });
  let keys;
  try {
    keys = await enclave.bootstrap();
  } finally {
    await enclave.stop();
  }
  writeSecret(join(home, HOME_FILES.sealedSeed), keys.sealedSeed);

  const accounts: TestAccount[] = [];
  for (let i = 0; i < (options.accounts ?? 4); i += 1) {
    const mnemonic = generateMnemonic(24);
    accounts.push({ name: `account${i}`, address: accountKeyFromMnemonic(mnemonic).address, mnemonic });
  }
  const operatorMnemonic = generateMnemonic(24);
  const operator = {
    name: 'validator',
    address: accountKeyFromMnemonic(operatorMnemonic).address,
    mnemonic: operatorMnemonic,
  };
  writeSecret(join(home, HOME_FILES.accounts), JSON.stringify([...accounts, operator], null, 2));

  const genesis = {
    chain_id: chainId,
    genesis_time: options.genesisTime ?? rfc3339Now(),
    initial_height: '1',
    accounts: [
      ...accounts.map((a) => ({ address: a.address, coins: [{ denom, amount: amount.toString() }] })),
      ...(options.extraAccounts ?? []).map((a) => ({
        address: a.address,
        coins: [{ denom, amount: a.amount.toString() }],
      })),
      { address: operator.address, coins: [{ denom, amount: amount.toString() }] },
    ],
    validators: [
      {
        operator_address: operator.address,
        consensus_public_key: bytesToHex(validator.publicKey),
        self_bond: '10000000',
        moniker: options.moniker ?? 'node0',
      },
    ],
    network: {
      io_public_key: bytesToHex(keys.ioPublicKey),
      seed_exchange_public_key: bytesToHex(keys.seedExchangePublicKey),
    },
    attestation: {
      trusted_authorities: [bytesToHex(authority.publicKey)],
      allowed_measurements: [bytesToHex(enclaveMeasurement())],
      max_quote_age_seconds: '3600',
    },
    params: {
      block_gas_limit: '100000000000',
      max_block_bytes: '22020096',
      max_tx_bytes: '1048576',
      min_gas_prices: [{ denom, amount: '0.1' }],
      fee_denom: denom,
      bond_denom: denom,
      unbonding_period_seconds: '1814400',
    },
  };
  writeFileSync(join(home, HOME_FILES.genesis), JSON.stringify(genesis, null, 2));
  const config: NodeConfig = {
    moniker: options.moniker ?? 'node0',
    chainId,
    blockTimeMs: options.blockTimeMs ?? 1000,
    rpc: {
      host: '127.0.0.1',
      port: options.rpcPort ?? DEFAULT_RPC_PORT,
      maxBodyBytes: 2 * 1024 * 1024,
      rateLimitPerMinute: 6000,
      maxSubscriptionsPerClient: 10,
    },
    p2p: { ...DEFAULT_P2P_CONFIG, port: options.p2pPort ?? DEFAULT_P2P_PORT, persistentPeers: [] },
    consensus: { ...DEFAULT_CONSENSUS_CONFIG, ...options.consensus },
  };
  writeFileSync(join(home, HOME_FILES.config), JSON.stringify(config, null, 2));
  return { home, chainId, accounts, validatorAddress: operator.address };
}
