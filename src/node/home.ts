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
  authoritySeed: 'attestation_authority.seed',
  accounts: 'accounts.json',
  log: 'node.log',
  lock: 'node.lock',
  state: 'data',
  blocks: 'blocks',
} as const;

export interface TestAccount {
  name: string;
  address: string;
  mnemonic: string;
}

export interface NodeConfig {
  moniker: string;
  chainId: string;
  blockTimeMs: number;
  rpc: {
    host: string;
    port: number;
    maxBodyBytes: number;
    rateLimitPerMinute: number;
    maxSubscriptionsPerClient: number;
  };
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

/** config.json of the home. @throws {NodeError} HOME_INVALID. */
export function loadConfig(home: string): NodeConfig {
  const path = join(home, HOME_FILES.config);
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as NodeConfig;
    if (typeof json.chainId !== 'string' || typeof json.rpc?.port !== 'number') throw new Error('bad');
    return json;
  } catch {
    throw new NodeError(
      'HOME_INVALID',
      `${path} is missing or malformed: run \`shroud init\` for a new home`,
    );
  }
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
  };
  writeFileSync(join(home, HOME_FILES.config), JSON.stringify(config, null, 2));
  return { home, chainId, accounts, validatorAddress: operator.address };
}
