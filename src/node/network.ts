// Multi-validator network homes (issues #6, #7; DESIGN.md §4 attestation and registration,
// §6 consensus): N validator homes sharing ONE genesis, and homes for nodes that join later.
//
// The master seed is created once, by node0's bootstrap enclave (initHome). Every other
// validator obtains it the way a joining node does on a live chain, through the real
// attestation join: its enclave makes a registration key, the devnet attestation authority
// signs a quote for it, node0's enclave verifies the quote against the genesis policy and
// encrypts the seed to that key, and the new enclave decrypts it and seals it under its own
// sealing key. No seed file is ever copied between homes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  accountKeyFromMnemonic,
  bytesToHex,
  concatBytes,
  ed25519KeyPairFromSeed,
  generateMnemonic,
  hexToBytes,
  randomBytes,
  sha256,
  utf8Encode,
} from '../crypto/index.js';
import { Enclave, encodeQuote, signQuote, type EnclaveServices } from '../enclave/index.js';
import { enclavePolicy, parseGenesis, POWER_REDUCTION, type Genesis } from '../app/index.js';
import { nodeIdFromPublicKey } from '../p2p/index.js';
import { NodeError } from './errors.js';
import {
  DEFAULT_CONSENSUS_CONFIG,
  HOME_FILES,
  formatPersistentPeer,
  initHome,
  loadConfig,
  loadNodeKey,
  loadTestAccounts,
  loadValidatorKey,
  writeNodeKey,
  type ConsensusConfig,
  type ConsensusEngine,
  type NodeConfig,
  type TestAccount,
} from './home.js';

/** Files this module adds to a home (beside HOME_FILES). */
export const NETWORK_FILES = {
  /** A joining node's registration private key, sealed by its enclave (0600). */
  sealedRegistrationKey: 'sealed-registration-key',
  /** A joining node's attestation quote (hex of the 201-byte quote), public. */
  registrationQuote: 'registration-quote.hex',
  /** Root of a network: the static description written by initNetwork. */
  network: 'network.json',
} as const;

/** The consensus timeouts of config.json (Tendermint, DESIGN.md §6). */
export type ConsensusTimeouts = Omit<ConsensusConfig, 'engine'>;

export interface InitNetworkOptions {
  /** Number of validators (homes node0…node{N-1}), 1-50. */
  validators: number;
  chainId?: string;
  /** Funded test accounts (account0…), default 4. */
  accounts?: number;
  /** Target block interval; becomes timeoutCommitMs, default 1000. */
  blockTimeMs?: number;
  /** Node i serves RPC on portBase + 10·i and p2p on portBase + 10·i + 1. Default 26657. */
  portBase?: number;
  /** Listen host of every node, default 127.0.0.1. */
  host?: string;
  /** Self bond of each validator in the bond denom, default 10^7 (voting power 10). */
  selfBond?: bigint;
  /** 'tendermint' unless set; a single validator may run the 'solo' driver instead. */
  engine?: ConsensusEngine;
  /** Overrides of the consensus timeouts. */
  timeouts?: Partial<ConsensusTimeouts>;
  /** RFC 3339 genesis time, default now. */
  genesisTime?: string;
  /** Extra funded addresses (tests and benches fund their own keys). */
  extraAccounts?: { address: string; amount: bigint }[];
}

/** One node of a network, as network.json and devnet.json describe it. */
export interface NetworkNode {
  name: string;
  home: string;
  /** True for a genesis validator; false for a node added later (not bonded yet). */
  validator: boolean;
  rpcPort: number;
  p2pPort: number;
  /** p2p node id: hex of the first 20 bytes of sha256(node public key). */
  nodeId: string;
  /** ed25519 consensus public key (hex). */
  consensusPublicKey: string;
  /** Operator account (funded at genesis for validators). */
  operatorAddress: string;
}

export interface NetworkDescription {
  chainId: string;
  host: string;
  portBase: number;
  nodes: NetworkNode[];
  /** Funded test accounts with mnemonics (devnet only; these are not secrets of a real chain). */
  accounts: TestAccount[];
}

export interface AddNodeOptions {
  /** Home name under the root, default node<count>. */
  name?: string;
  /** Default: the next free slot after the existing nodes (same port layout). */
  rpcPort?: number;
  p2pPort?: number;
  /** Quote timestamp in seconds (the authority's clock), default now. */
  quoteTimeSeconds?: bigint;
}

export interface AddedNode extends NetworkNode {
  /** The enclave's X25519 registration public key (hex); the chain stores the seed under it. */
  registrationPublicKey: string;
  /** The attestation quote to put in a register-node transaction. */
  quote: Uint8Array;
}

/** The timeouts a network uses for a target block time (home.ts defaults, commit = block time). */
export function defaultTimeouts(blockTimeMs: number): ConsensusTimeouts {
  const { engine: _engine, ...timeouts } = DEFAULT_CONSENSUS_CONFIG;
  return { ...timeouts, timeoutCommitMs: blockTimeMs };
}

/** The home's p2p identity (node_key.json) and its node id. @throws {NodeError} HOME_INVALID. */
export function nodeIdentity(home: string): { publicKey: Uint8Array; nodeId: string } {
  const { publicKey } = loadNodeKey(home);
  return { publicKey, nodeId: nodeIdFromPublicKey(publicKey) };
}

function writeSecret(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data, { mode: 0o600 });
}

// Setup-time enclaves hold no chain: they only create, exchange and seal keys.
const NO_CHAIN: EnclaveServices = {
  readState: () => null,
  getCode: () => null,
  contractInfo: () => null,
  queryChain: () => new Uint8Array(0),
};

function checkPort(port: number, what: string): void {
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) {
    throw new NodeError(
      'HOME_INVALID',
      `${what} ${port} is not a TCP port (1-65535): choose another --port-base`,
    );
  }
}

/** RPC and p2p ports of node i under the port-base layout. */
export function nodePorts(portBase: number, index: number): { rpcPort: number; p2pPort: number } {
  const rpcPort = portBase + 10 * index;
  const ports = { rpcPort, p2pPort: rpcPort + 1 };
  checkPort(ports.rpcPort, 'RPC port');
  checkPort(ports.p2pPort, 'p2p port');
  return ports;
}

/** Rewrites config.json (keeping its other sections): moniker, ports, peers, consensus. */
function writeNetworkConfig(
  home: string,
  base: NodeConfig,
  node: { moniker: string; host: string; rpcPort: number; p2pPort: number; persistentPeers: string[] },
  consensus: ConsensusConfig,
): void {
  const config: NodeConfig = {
    ...base,
    moniker: node.moniker,
    // The solo engine's interval; the tendermint engine waits consensus.timeoutCommitMs.
    blockTimeMs: consensus.timeoutCommitMs,
    rpc: { ...base.rpc, host: node.host, port: node.rpcPort },
    p2p: { host: node.host, port: node.p2pPort, persistentPeers: node.persistentPeers },
    consensus,
  };
  writeFileSync(join(home, HOME_FILES.config), JSON.stringify(config, null, 2));
}

function loadAuthoritySeed(bootstrapHome: string): Uint8Array {
  const path = join(bootstrapHome, HOME_FILES.authoritySeed);
  const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
  if (!/^[0-9a-f]{64}$/.test(text)) {
    throw new NodeError(
      'HOME_INVALID',
      `${path} is missing or malformed: the devnet attestation authority is gone`,
    );
  }
  return hexToBytes(text);
}

/**
 * The devnet attestation authority (the CPU vendor's service in software mode, DESIGN.md §4)
 * signs a quote for an enclave's registration key. The platform id is derived from the node
 * key, so two homes are two platforms.
 */
function quoteFor(
  authoritySeed: Uint8Array,
  registration: { measurement: Uint8Array; registrationPublicKey: Uint8Array },
  nodePublicKey: Uint8Array,
  timestampSeconds: bigint,
): Uint8Array {
  return encodeQuote(
    signQuote(
      {
        measurement: registration.measurement,
        registrationPublicKey: registration.registrationPublicKey,
        platformId: sha256(concatBytes(utf8Encode('shroud/devnet/platform'), nodePublicKey)),
        timestampSeconds,
      },
      authoritySeed,
    ),
  );
}

const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));

/** A fresh validator key, written 0600 (the format initHome uses). */
function createValidatorKey(home: string): Uint8Array {
  const pair = ed25519KeyPairFromSeed(randomBytes(32));
  writeSecret(join(home, HOME_FILES.validatorKey), JSON.stringify({ seed: bytesToHex(pair.seed) }));
  return pair.publicKey;
}

/** A fresh operator account (named `validator`) in the home's accounts.json. */
function createOperator(home: string): TestAccount {
  const mnemonic = generateMnemonic(24);
  const operator = { name: 'validator', address: accountKeyFromMnemonic(mnemonic).address, mnemonic };
  writeSecret(join(home, HOME_FILES.accounts), JSON.stringify([operator], null, 2));
  return operator;
}

function operatorOf(home: string): TestAccount {
  const operator = loadTestAccounts(home).find((a) => a.name === 'validator');
  if (operator === undefined)
    throw new NodeError('HOME_INVALID', `${home}/accounts.json names no validator operator`);
  return operator;
}

/**
 * Creates N validator homes `root/node0…` sharing one genesis, and `root/network.json`.
 *
 * node0 is made by initHome (bootstrap enclave → master seed, devnet attestation authority,
 * test accounts); every other validator gets its own validator key, node key and funded
 * operator account, and its enclave receives the seed through the attestation join (quote →
 * node0's enclave verifies it and encrypts the seed → sealed in the new home). Genesis lists
 * every validator with `selfBond`; config.json points each node at all the others.
 *
 * @example const net = await initNetwork('/tmp/net', { validators: 4, portBase: 30000 });
 * @throws {NodeError} HOME_EXISTS if the root already holds a network; HOME_INVALID for bad
 *   options (validator count, ports); enclave errors if the join is refused.
 */
export async function initNetwork(root: string, options: InitNetworkOptions): Promise<NetworkDescription> {
  const count = options.validators;
  if (!Number.isSafeInteger(count) || count < 1 || count > 50) {
    throw new NodeError('HOME_INVALID', `a network needs 1-50 validators, got ${count}`);
  }
  if (existsSync(join(root, NETWORK_FILES.network)) || existsSync(join(root, 'node0', HOME_FILES.genesis))) {
    throw new NodeError(
      'HOME_EXISTS',
      `${root} already holds a network: pass --reset or choose another directory`,
    );
  }
  const portBase = options.portBase ?? 26657;
  const host = options.host ?? '127.0.0.1';
  const blockTimeMs = options.blockTimeMs ?? 1000;
  const selfBond = options.selfBond ?? 10n * POWER_REDUCTION;
  const ports = Array.from({ length: count }, (_, i) => nodePorts(portBase, i));
  mkdirSync(root, { recursive: true, mode: 0o700 });

  const homes = Array.from({ length: count }, (_, i) => join(root, `node${i}`));
  const first = await initHome(homes[0]!, {
    ...(options.chainId === undefined ? {} : { chainId: options.chainId }),
    ...(options.accounts === undefined ? {} : { accounts: options.accounts }),
    ...(options.genesisTime === undefined ? {} : { genesisTime: options.genesisTime }),
    ...(options.extraAccounts === undefined ? {} : { extraAccounts: options.extraAccounts }),
    moniker: 'node0',
    blockTimeMs,
    rpcPort: ports[0]!.rpcPort,
  });
  const genesisDoc = JSON.parse(readFileSync(join(homes[0]!, HOME_FILES.genesis), 'utf8')) as GenesisDocument;
  const accountAmount = genesisDoc.accounts[0]?.coins[0]?.amount ?? '1000000000000';
  const denom = genesisDoc.params.bond_denom;

  const validators: GenesisDocument['validators'] = [];
  const nodes: NetworkNode[] = [];
  for (const [i, home] of homes.entries()) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    if (i > 0) writeNodeKey(home, randomBytes(32)); // initHome made node0's
    const consensusKey = i === 0 ? loadValidatorKey(home).publicKey : createValidatorKey(home);
    const operator = i === 0 ? operatorOf(home) : createOperator(home);
    if (i > 0)
      genesisDoc.accounts.push({ address: operator.address, coins: [{ denom, amount: accountAmount }] });
    validators.push({
      operator_address: operator.address,
      consensus_public_key: bytesToHex(consensusKey),
      self_bond: selfBond.toString(),
      moniker: `node${i}`,
    });
    nodes.push({
      name: `node${i}`,
      home,
      validator: true,
      ...ports[i]!,
      nodeId: nodeIdentity(home).nodeId,
      consensusPublicKey: bytesToHex(consensusKey),
      operatorAddress: operator.address,
    });
  }
  genesisDoc.validators = validators;
  const genesisText = JSON.stringify(genesisDoc, null, 2);
  const genesis = parseGenesis(genesisText); // the shared genesis must be one the nodes accept

  await joinValidators(homes, genesis);

  const consensus: ConsensusConfig = {
    engine: options.engine ?? 'tendermint',
    ...defaultTimeouts(blockTimeMs),
    ...options.timeouts,
  };
  const baseConfig = loadConfig(homes[0]!);
  for (const node of nodes) {
    writeFileSync(join(node.home, HOME_FILES.genesis), genesisText);
    const persistentPeers = nodes
      .filter((peer) => peer !== node)
      .map((peer) => formatPersistentPeer({ id: peer.nodeId, host, port: peer.p2pPort }));
    writeNetworkConfig(
      node.home,
      baseConfig,
      { moniker: node.name, host, rpcPort: node.rpcPort, p2pPort: node.p2pPort, persistentPeers },
      consensus,
    );
  }
  const description: NetworkDescription = {
    chainId: first.chainId,
    host,
    portBase,
    nodes,
    accounts: first.accounts,
  };
  saveNetwork(root, description);
  return description;
}

/** Validators 1…N-1 get the seed from node0's enclave through attestation; see initNetwork. */
async function joinValidators(homes: string[], genesis: Genesis): Promise<void> {
  if (homes.length < 2) return;
  const bootstrapHome = homes[0]!;
  const authoritySeed = loadAuthoritySeed(bootstrapHome);
  const policy = enclavePolicy(genesis);
  const bootstrap = await Enclave.start({ home: bootstrapHome, genesisPolicy: policy, services: NO_CHAIN });
  try {
    await bootstrap.start(new Uint8Array(readFileSync(join(bootstrapHome, HOME_FILES.sealedSeed))));
    for (const home of homes.slice(1)) {
      const joiner = await Enclave.start({ home, genesisPolicy: policy, services: NO_CHAIN });
      try {
        const registration = await joiner.newRegistrationKey();
        const now = nowSeconds();
        const quote = quoteFor(authoritySeed, registration, nodeIdentity(home).publicKey, now);
        const { encryptedSeed } = await bootstrap.registerNode({ quote, blockTimeSeconds: now });
        const accepted = await joiner.acceptSeed({
          encryptedSeed,
          seedExchangePublicKey: genesis.network.seedExchangePublicKey,
        });
        checkNetworkKey(accepted.ioPublicKey, genesis, home);
        writeSecret(join(home, HOME_FILES.sealedSeed), accepted.sealedSeed);
      } finally {
        await joiner.stop();
      }
    }
  } finally {
    await bootstrap.stop();
  }
}

function checkNetworkKey(ioPublicKey: Uint8Array, genesis: Genesis, home: string): void {
  if (bytesToHex(ioPublicKey) !== bytesToHex(genesis.network.ioPublicKey)) {
    throw new NodeError(
      'HOME_INVALID',
      `the seed accepted in ${home} is not this network's (IO key differs from genesis)`,
    );
  }
}

/** genesis.json as initHome writes it (only the fields this module edits are typed). */
interface GenesisDocument {
  accounts: { address: string; coins: { denom: string; amount: string }[] }[];
  validators: {
    operator_address: string;
    consensus_public_key: string;
    self_bond: string;
    moniker: string;
  }[];
  params: { bond_denom: string };
}

function saveNetwork(root: string, description: NetworkDescription): void {
  // Holds the test accounts' mnemonics: 0600 like accounts.json.
  writeSecret(join(root, NETWORK_FILES.network), JSON.stringify(description, null, 2));
}

/** root/network.json. @throws {NodeError} HOME_INVALID if missing or malformed. */
export function loadNetwork(root: string): NetworkDescription {
  const path = join(root, NETWORK_FILES.network);
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as NetworkDescription;
    if (typeof json.chainId !== 'string' || !Array.isArray(json.nodes) || !Array.isArray(json.accounts)) {
      throw new Error('bad');
    }
    return json;
  } catch {
    throw new NodeError(
      'HOME_INVALID',
      `${path} is missing or malformed: create the network with \`shroud devnet --reset\``,
    );
  }
}

/**
 * Adds a home for a node that joins the running network later (a full node until it
 * registers and bonds): the network's genesis (copied, it is public), its own validator key,
 * node key and operator account (not funded: fund it by a transfer), config with every
 * existing node as a persistent peer, and NO seed. Its enclave makes a registration key
 * (sealed in the home) and the devnet attestation authority signs a quote for it; the quote
 * goes into a register-node transaction, then {@link acceptRegisteredSeed} seals the seed the
 * chain stored for it.
 * @throws {NodeError} HOME_EXISTS if the name is taken; HOME_INVALID if the root is not a network.
 */
export async function addNode(root: string, options: AddNodeOptions = {}): Promise<AddedNode> {
  const network = loadNetwork(root);
  const name = options.name ?? `node${network.nodes.length}`;
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(name))
    throw new NodeError('HOME_INVALID', `node name "${name}" must be 1-40 of a-z A-Z 0-9 _ -`);
  const home = join(root, name);
  if (network.nodes.some((n) => n.name === name) || existsSync(join(home, HOME_FILES.genesis))) {
    throw new NodeError('HOME_EXISTS', `${home} already holds a node: choose another name`);
  }
  const slot = nodePorts(network.portBase, network.nodes.length);
  const rpcPort = options.rpcPort ?? slot.rpcPort;
  const p2pPort = options.p2pPort ?? slot.p2pPort;
  checkPort(rpcPort, 'RPC port');
  checkPort(p2pPort, 'p2p port');
  const source = network.nodes[0];
  if (source === undefined) throw new NodeError('HOME_INVALID', `${root}/network.json lists no node`);
  const genesisText = readFileSync(join(source.home, HOME_FILES.genesis), 'utf8');
  const genesis = parseGenesis(genesisText);

  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(join(home, HOME_FILES.genesis), genesisText);
  writeNodeKey(home, randomBytes(32));
  const consensusKey = createValidatorKey(home);
  const operator = createOperator(home);
  const nodeKey = nodeIdentity(home);
  const sourceConfig = loadConfig(source.home);
  writeNetworkConfig(
    home,
    sourceConfig,
    {
      moniker: name,
      host: network.host,
      rpcPort,
      p2pPort,
      persistentPeers: network.nodes.map((peer) =>
        formatPersistentPeer({ id: peer.nodeId, host: network.host, port: peer.p2pPort }),
      ),
    },
    // A joining node always runs consensus (it follows the validators, then may join them).
    { ...sourceConfig.consensus, engine: 'tendermint' },
  );

  const enclave = await Enclave.start({ home, genesisPolicy: enclavePolicy(genesis), services: NO_CHAIN });
  let registration;
  try {
    registration = await enclave.newRegistrationKey();
  } finally {
    await enclave.stop();
  }
  writeSecret(join(home, NETWORK_FILES.sealedRegistrationKey), registration.sealedRegistrationKey);
  const quote = quoteFor(
    loadAuthoritySeed(source.home),
    registration,
    nodeKey.publicKey,
    options.quoteTimeSeconds ?? nowSeconds(),
  );
  writeFileSync(join(home, NETWORK_FILES.registrationQuote), bytesToHex(quote));

  const node: NetworkNode = {
    name,
    home,
    validator: false,
    rpcPort,
    p2pPort,
    nodeId: nodeKey.nodeId,
    consensusPublicKey: bytesToHex(consensusKey),
    operatorAddress: operator.address,
  };
  saveNetwork(root, { ...network, nodes: [...network.nodes, node] });
  return { ...node, registrationPublicKey: bytesToHex(registration.registrationPublicKey), quote };
}

/**
 * A registered node: opens the seed the chain stored for its registration key (abci_query
 * `/registration/<key hex>` → `encrypted_seed`) inside its enclave with the sealed
 * registration key, and writes the seed sealed under its own sealing key (`sealed-seed`), so
 * `shroud start` can run it.
 * @throws {NodeError} HOME_INVALID if the home has no registration key or the seed is not the
 *   network's; EnclaveCallError SEED_EXCHANGE_FAILED if the blob was not made for this enclave.
 */
export async function acceptRegisteredSeed(
  home: string,
  encryptedSeed: Uint8Array,
): Promise<{ ioPublicKey: Uint8Array }> {
  const keyPath = join(home, NETWORK_FILES.sealedRegistrationKey);
  if (!existsSync(keyPath)) {
    throw new NodeError(
      'HOME_INVALID',
      `${keyPath} is missing: this home did not make a registration key (addNode)`,
    );
  }
  const genesis = parseGenesis(readFileSync(join(home, HOME_FILES.genesis), 'utf8'));
  const enclave = await Enclave.start({ home, genesisPolicy: enclavePolicy(genesis), services: NO_CHAIN });
  try {
    const accepted = await enclave.acceptSeed({
      encryptedSeed,
      seedExchangePublicKey: genesis.network.seedExchangePublicKey,
      sealedRegistrationKey: new Uint8Array(readFileSync(keyPath)),
    });
    checkNetworkKey(accepted.ioPublicKey, genesis, home);
    writeSecret(join(home, HOME_FILES.sealedSeed), accepted.sealedSeed);
    return { ioPublicKey: accepted.ioPublicKey };
  } finally {
    await enclave.stop();
  }
}
