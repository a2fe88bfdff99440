// The genesis file (issue #5, DESIGN.md §4): chain id, initial time, accounts and balances,
// validators, the network's public keys from the bootstrap enclave, the attestation policy
// and the chain parameters. JSON from disk is checked field by field (STYLE.md §4: decode →
// validate → use); every failure is an AppError GENESIS_INVALID naming the field's path.
import { decodeBech32WithPrefix, hexToBytes } from '../crypto/index.js';
import { AppError } from './errors.js';

export interface GenesisCoin {
  denom: string;
  amount: bigint;
}

export interface GenesisAccount {
  address: string;
  coins: GenesisCoin[];
}

export interface GenesisValidator {
  /** Account address of the operator (receives fees as proposer, owns the self-bond). */
  operatorAddress: string;
  /** ed25519 consensus public key, 32 bytes. */
  consensusPublicKey: Uint8Array;
  /** Bonded tokens in the bond denom; voting power = selfBond / POWER_REDUCTION. */
  selfBond: bigint;
  moniker: string;
}

/** Gas prices of the SDK side (Cosmos KVGasConfig defaults, ADR 007). */
export interface GasCosts {
  readCostFlat: bigint;
  readCostPerByte: bigint;
  writeCostFlat: bigint;
  writeCostPerByte: bigint;
  deleteCost: bigint;
  txSizeCostPerByte: bigint;
  sigVerifyCost: bigint;
  /** Per uploaded (uncompressed) wasm byte: Secret's CompileCost. */
  storeCodeCostPerByte: bigint;
  /** Per contract call (instantiate, execute, migrate, reply, query): Secret's InstanceCost. */
  instanceCost: bigint;
  /** SDK gas per 1000 wasm gas (GasMultiplier, CONTRACT_ABI §6). */
  wasmGasPerSdkGas: bigint;
}

export interface GenesisParams {
  blockGasLimit: bigint;
  maxBlockBytes: bigint;
  maxTxBytes: number;
  /** Minimum fee per unit of gas, as a fraction numerator / denominator, per denom. */
  minGasPrices: { denom: string; numerator: bigint; denominator: bigint }[];
  feeDenom: string;
  bondDenom: string;
  unbondingPeriodSeconds: bigint;
  gas: GasCosts;
}

export interface AttestationPolicy {
  trustedAuthorities: Uint8Array[];
  allowedMeasurements: Uint8Array[];
  maxQuoteAgeSeconds: bigint;
  maxClockSkewSeconds: bigint;
}

export interface Genesis {
  chainId: string;
  /** Nanoseconds since the Unix epoch. */
  genesisTimeNanos: bigint;
  initialHeight: bigint;
  accounts: GenesisAccount[];
  validators: GenesisValidator[];
  network: { ioPublicKey: Uint8Array; seedExchangePublicKey: Uint8Array };
  attestation: AttestationPolicy;
  params: GenesisParams;
}

/** Voting power = bonded tokens / 10^6 (Cosmos DefaultPowerReduction). */
export const POWER_REDUCTION = 1_000_000n;

export const DEFAULT_GAS_COSTS: GasCosts = {
  readCostFlat: 1000n,
  readCostPerByte: 3n,
  writeCostFlat: 2000n,
  writeCostPerByte: 30n,
  deleteCost: 1000n,
  txSizeCostPerByte: 10n,
  sigVerifyCost: 1000n,
  storeCodeCostPerByte: 1n,
  instanceCost: 20_000n,
  wasmGasPerSdkGas: 1000n,
};

const DENOM = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;
const PRICE = /^(0|[1-9][0-9]{0,30})(\.[0-9]{1,18})?$/;
const CHAIN_ID = /^[a-zA-Z0-9._-]{1,50}$/;

function fail(field: string, what: string): never {
  throw new AppError('GENESIS_INVALID', `genesis field "${field}" ${what}`, field);
}

type Json = Record<string, unknown>;

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be an object');
  return value as Json;
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) fail(field, 'must be an array');
  return value;
}

function string(value: unknown, field: string): string {
  if (typeof value !== 'string') fail(field, 'must be a string');
  return value;
}

function uint(value: unknown, field: string, max = 0xffff_ffff_ffff_ffffn): bigint {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !DECIMAL.test(text))
    fail(field, 'must be a non-negative decimal integer (string)');
  const n = BigInt(text);
  if (n > max) fail(field, `must be at most ${max}`);
  return n;
}

function hexBytes(value: unknown, field: string, length?: number): Uint8Array {
  const text = string(value, field);
  if (!/^([0-9a-f]{2})*$/.test(text)) fail(field, 'must be lowercase hex');
  const bytes = hexToBytes(text);
  if (length !== undefined && bytes.length !== length) fail(field, `must be ${length} bytes`);
  return bytes;
}

function address(value: unknown, field: string): string {
  const text = string(value, field);
  try {
    decodeBech32WithPrefix(text, 'shroud');
  } catch {
    fail(field, 'must be a bech32 address with prefix "shroud"');
  }
  return text;
}

function denom(value: unknown, field: string): string {
  const text = string(value, field);
  if (!DENOM.test(text)) fail(field, 'must be a denom (3-128 chars: letter, then letters, digits, /:._-)');
  return text;
}

function coins(value: unknown, field: string): GenesisCoin[] {
  const out: GenesisCoin[] = [];
  const seen = new Set<string>();
  for (const [i, item] of array(value, field).entries()) {
    const coin = object(item, `${field}[${i}]`);
    const name = denom(coin['denom'], `${field}[${i}].denom`);
    if (seen.has(name)) fail(`${field}[${i}].denom`, 'repeats a denom');
    seen.add(name);
    out.push({ denom: name, amount: uint(coin['amount'], `${field}[${i}].amount`, 2n ** 256n - 1n) });
  }
  return out.sort((a, b) => (a.denom < b.denom ? -1 : a.denom > b.denom ? 1 : 0));
}

function timeNanos(value: unknown, field: string): bigint {
  const text = string(value, field);
  // RFC 3339 with optional fraction up to nanoseconds; the wall clock is never read here.
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
  if (match === null) fail(field, 'must be an RFC 3339 UTC time like 2026-01-01T00:00:00Z');
  const seconds = Date.parse(`${match[1]}Z`);
  if (!Number.isFinite(seconds) || seconds < 0) fail(field, 'is not a valid time after 1970');
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
  return BigInt(seconds) * 1_000_000n + fraction;
}

function price(value: unknown, field: string): { numerator: bigint; denominator: bigint } {
  const text = string(value, field);
  if (!PRICE.test(text)) fail(field, 'must be a decimal like "0.25" (at most 18 fraction digits)');
  const [whole, fraction = ''] = text.split('.');
  return { numerator: BigInt(`${whole ?? '0'}${fraction}`), denominator: 10n ** BigInt(fraction.length) };
}

function gasCosts(value: unknown): GasCosts {
  if (value === undefined) return DEFAULT_GAS_COSTS;
  const json = object(value, 'params.gas');
  const out: Record<string, bigint> = {};
  for (const key of Object.keys(json)) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(camel in DEFAULT_GAS_COSTS)) fail(`params.gas.${key}`, 'is not a known gas cost');
  }
  for (const [camel, fallback] of Object.entries(DEFAULT_GAS_COSTS) as [string, bigint][]) {
    const key = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    out[camel] = json[key] === undefined ? fallback : uint(json[key], `params.gas.${key}`, 10n ** 12n);
  }
  if (out['wasmGasPerSdkGas'] === 0n) fail('params.gas.wasm_gas_per_sdk_gas', 'must be at least 1');
  return out as unknown as GasCosts;
}

/**
 * Parses and validates a genesis document (the JSON text or the already-parsed value).
 *
 * @example
 * const genesis = parseGenesis(readFileSync('genesis.json', 'utf8'));
 * @throws {AppError} GENESIS_INVALID naming the first bad field (`field` holds its path).
 */
export function parseGenesis(input: unknown): Genesis {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch {
      fail('(document)', 'is not valid JSON');
    }
  }
  const root = object(value, '(document)');
  const chainId = string(root['chain_id'], 'chain_id');
  if (!CHAIN_ID.test(chainId)) fail('chain_id', 'must be 1-50 characters of letters, digits, . _ -');
  const genesisTimeNanos = timeNanos(root['genesis_time'], 'genesis_time');
  const initialHeight =
    root['initial_height'] === undefined ? 1n : uint(root['initial_height'], 'initial_height');
  if (initialHeight < 1n) fail('initial_height', 'must be at least 1');

  const params = object(root['params'], 'params');
  const feeDenom = denom(params['fee_denom'], 'params.fee_denom');
  const bondDenom = denom(params['bond_denom'], 'params.bond_denom');
  const minGasPrices = array(params['min_gas_prices'], 'params.min_gas_prices').map((item, i) => {
    const entry = object(item, `params.min_gas_prices[${i}]`);
    return {
      denom: denom(entry['denom'], `params.min_gas_prices[${i}].denom`),
      ...price(entry['amount'], `params.min_gas_prices[${i}].amount`),
    };
  });
  if (!minGasPrices.some((p) => p.denom === feeDenom)) {
    fail('params.min_gas_prices', `must name the fee denom "${feeDenom}"`);
  }
  const blockGasLimit = uint(params['block_gas_limit'], 'params.block_gas_limit');
  if (blockGasLimit === 0n) fail('params.block_gas_limit', 'must be positive');
  const maxBlockBytes = uint(params['max_block_bytes'], 'params.max_block_bytes', 100n * 1024n * 1024n);
  if (maxBlockBytes < 1024n) fail('params.max_block_bytes', 'must be at least 1024');
  const maxTxBytes =
    params['max_tx_bytes'] === undefined
      ? Math.min(Number(maxBlockBytes), 1024 * 1024)
      : Number(uint(params['max_tx_bytes'], 'params.max_tx_bytes', maxBlockBytes));
  const unbondingPeriodSeconds = uint(params['unbonding_period_seconds'], 'params.unbonding_period_seconds');

  const accounts: GenesisAccount[] = [];
  const seenAccounts = new Set<string>();
  for (const [i, item] of array(root['accounts'], 'accounts').entries()) {
    const entry = object(item, `accounts[${i}]`);
    const addr = address(entry['address'], `accounts[${i}].address`);
    if (seenAccounts.has(addr)) fail(`accounts[${i}].address`, 'repeats an account');
    seenAccounts.add(addr);
    accounts.push({ address: addr, coins: coins(entry['coins'], `accounts[${i}].coins`) });
  }

  const validators: GenesisValidator[] = [];
  const seenKeys = new Set<string>();
  const seenOperators = new Set<string>();
  for (const [i, item] of array(root['validators'], 'validators').entries()) {
    const entry = object(item, `validators[${i}]`);
    const operatorAddress = address(entry['operator_address'], `validators[${i}].operator_address`);
    const consensusPublicKey = hexBytes(
      entry['consensus_public_key'],
      `validators[${i}].consensus_public_key`,
      32,
    );
    const selfBond = uint(entry['self_bond'], `validators[${i}].self_bond`, 2n ** 128n);
    if (selfBond < POWER_REDUCTION)
      fail(`validators[${i}].self_bond`, `must be at least ${POWER_REDUCTION} (power 1)`);
    const keyHex = Buffer.from(consensusPublicKey).toString('hex');
    if (seenKeys.has(keyHex)) fail(`validators[${i}].consensus_public_key`, 'repeats a key');
    if (seenOperators.has(operatorAddress)) fail(`validators[${i}].operator_address`, 'repeats an operator');
    seenKeys.add(keyHex);
    seenOperators.add(operatorAddress);
    const moniker =
      entry['moniker'] === undefined ? '' : string(entry['moniker'], `validators[${i}].moniker`);
    if (moniker.length > 70) fail(`validators[${i}].moniker`, 'must be at most 70 characters');
    validators.push({ operatorAddress, consensusPublicKey, selfBond, moniker });
  }
  if (validators.length === 0) fail('validators', 'must name at least one validator');

  const network = object(root['network'], 'network');
  const attestation = object(root['attestation'], 'attestation');
  return {
    chainId,
    genesisTimeNanos,
    initialHeight,
    accounts,
    validators,
    network: {
      ioPublicKey: hexBytes(network['io_public_key'], 'network.io_public_key', 32),
      seedExchangePublicKey: hexBytes(
        network['seed_exchange_public_key'],
        'network.seed_exchange_public_key',
        32,
      ),
    },
    attestation: {
      trustedAuthorities: array(attestation['trusted_authorities'], 'attestation.trusted_authorities').map(
        (v, i) => hexBytes(v, `attestation.trusted_authorities[${i}]`, 32),
      ),
      allowedMeasurements: array(attestation['allowed_measurements'], 'attestation.allowed_measurements').map(
        (v, i) => hexBytes(v, `attestation.allowed_measurements[${i}]`, 32),
      ),
      maxQuoteAgeSeconds: uint(attestation['max_quote_age_seconds'], 'attestation.max_quote_age_seconds'),
      maxClockSkewSeconds:
        attestation['max_clock_skew_seconds'] === undefined
          ? 60n
          : uint(attestation['max_clock_skew_seconds'], 'attestation.max_clock_skew_seconds'),
    },
    params: {
      blockGasLimit,
      maxBlockBytes,
      maxTxBytes,
      minGasPrices,
      feeDenom,
      bondDenom,
      unbondingPeriodSeconds,
      gas: gasCosts(params['gas']),
    },
  };
}

/** The enclave's view of the attestation policy (src/enclave GenesisPolicy). */
export function enclavePolicy(genesis: Genesis): {
  trustedAuthorities: Uint8Array[];
  allowedMeasurements: Uint8Array[];
  maxAgeSeconds: bigint;
  maxClockSkewSeconds: bigint;
} {
  return {
    trustedAuthorities: genesis.attestation.trustedAuthorities,
    allowedMeasurements: genesis.attestation.allowedMeasurements,
    maxAgeSeconds: genesis.attestation.maxQuoteAgeSeconds,
    maxClockSkewSeconds: genesis.attestation.maxClockSkewSeconds,
  };
}
