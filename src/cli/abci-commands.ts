// `shroud abci` (the ABCI 2.0 server CometBFT v0.38 drives) and `shroud cometbft-genesis` (a
// network's Shroud homes and CometBFT homes: genesis with every validator, each node's sealed
// seed through an offline registration ceremony, config.toml, keys). Issue #8; operators'
// guide: docs/production.md.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import {
  AbciServer,
  cometConfigToml,
  cometGenesisJson,
  nodeKeyJson,
  openApp,
  privValidatorKeyJson,
  privValidatorStateJson,
} from '../abci/index.js';
import { POWER_REDUCTION, enclavePolicy, parseGenesis } from '../app/index.js';
import {
  accountKeyFromMnemonic,
  bytesToHex,
  ed25519KeyPairFromSeed,
  generateMnemonic,
  hexToBytes,
  randomBytes,
  sha256,
  utf8Encode,
} from '../crypto/index.js';
import { Enclave, encodeQuote, signQuote } from '../enclave/index.js';
import { HOME_FILES, initHome, loadValidatorKey, type TestAccount } from '../node/index.js';
import { ShroudError } from '../errors.js';

const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

function fail(message: string, code: number = EXIT.FAILED): never {
  console.error(`error: ${message}`);
  process.exit(code);
}

function describe(error: unknown): string {
  if (error instanceof ShroudError) return `${error.message} [${error.code}]`;
  if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE')
    return 'the ABCI address is in use: pass --address with a free port or socket path';
  return error instanceof Error ? error.message : String(error);
}

function boundedInt(text: string, name: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < min || Number(text) > max)
    fail(`${name} must be an integer ${min}-${max}`, EXIT.USAGE);
  return Number(text);
}

/**
 * Takes `<home>/node.lock` for this process (the solo node uses the same file, so `shroud start`
 * and `shroud abci` never open one store together). A lock left by a dead process is replaced.
 */
function lockHome(home: string): () => void {
  const path = join(home, HOME_FILES.lock);
  const holder = existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : 0;
  if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder))
    fail(`${home} is in use by process ${holder}: stop it first`);
  rmSync(path, { force: true });
  const fd = openSync(path, 'wx', 0o600);
  writeSync(fd, String(process.pid));
  closeSync(fd);
  return () => rmSync(path, { force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function runAbci(opts: { home: string; address: string; logLevel: string }): Promise<void> {
  const home = resolve(opts.home);
  for (const file of [HOME_FILES.genesis, HOME_FILES.sealedSeed]) {
    if (!existsSync(join(home, file)))
      fail(`${join(home, file)} is missing: create the homes with \`shroud cometbft-genesis\``);
  }
  const unlock = lockHome(home);
  const log = pino(
    { level: opts.logLevel, base: { service: 'abci' } },
    pino.destination({ dest: join(home, HOME_FILES.log), sync: false, mkdir: true }),
  );
  let opened: Awaited<ReturnType<typeof openApp>>;
  let server: AbciServer;
  try {
    opened = await openApp({
      home,
      genesisPath: join(home, HOME_FILES.genesis),
      sealedSeedPath: join(home, HOME_FILES.sealedSeed),
      statePath: join(home, HOME_FILES.state),
    });
  } catch (error) {
    unlock();
    fail(`cannot open the app: ${describe(error)}`);
  }
  let exiting = false;
  const shutdown = async (code: number, why: string) => {
    if (exiting) return;
    exiting = true;
    log.info({ why }, 'stopping');
    try {
      await server?.close();
      await opened.close();
    } catch (error) {
      log.error({ err: describe(error) }, 'shutdown step failed');
      code = EXIT.FAILED;
    }
    unlock();
    await new Promise<void>((done) => log.flush(() => done()));
    process.exit(code);
  };
  try {
    server = await AbciServer.listen(opts.address, {
      app: opened.app,
      genesisAppState: opened.genesisBytes,
      log,
      onFatal: (error) => {
        console.error(`error: ${describe(error)}; stopped (restart shroud abci and CometBFT to resync)`);
        void shutdown(EXIT.FAILED, error.code);
      },
    });
  } catch (error) {
    await opened.close();
    unlock();
    fail(describe(error));
  }
  process.on('SIGINT', () => void shutdown(EXIT.OK, 'SIGINT'));
  process.on('SIGTERM', () => void shutdown(EXIT.OK, 'SIGTERM'));
  console.log(`ABCI server listening on ${server.address} (last committed height ${server.lastHeight})`);
}

// --- the genesis bridge -------------------------------------------------------------------

export interface CometPorts {
  p2p: number;
  rpc: number;
  abci: number;
}

export interface CometTestnetOptions {
  /** Directory that receives `node<i>/shroud`, `node<i>/cometbft` and `testnet.json`. */
  out: string;
  validators: number;
  chainId: string;
  /** Funded test accounts in node0's accounts.json (default 4). */
  accounts?: number;
  /** Extra funded addresses (tests fund their own keys). */
  extraAccounts?: { address: string; amount: bigint }[];
  /** Ports of each node; default base 26600 + 10·i (+0 p2p, +1 RPC, +2 ABCI). */
  ports?: CometPorts[];
  basePort?: number;
  host?: string;
  /** `unix` puts the ABCI socket in the Shroud home instead of a TCP port. */
  abciTransport?: 'tcp' | 'unix';
  timeoutCommitMs?: number;
  timeoutProposeMs?: number;
  /** RFC 3339 genesis time, default now. */
  genesisTime?: string;
  logLevel?: string;
}

export interface CometTestnetNode {
  name: string;
  shroudHome: string;
  cometHome: string;
  abciAddress: string;
  rpcUrl: string;
  p2pAddress: string;
  nodeId: string;
  /** CometBFT consensus address (hex, upper case) of this validator. */
  validatorAddress: string;
}

export interface CometTestnet {
  chainId: string;
  nodes: CometTestnetNode[];
  accounts: TestAccount[];
}

const rfc3339Now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Bond of each validator in genesis: voting power 10 each (10 × POWER_REDUCTION). */
const SELF_BOND = 10n * POWER_REDUCTION;

interface GenesisDocument {
  genesis_time: string;
  accounts: { address: string; coins: { denom: string; amount: string }[] }[];
  validators: {
    operator_address: string;
    consensus_public_key: string;
    self_bond: string;
    moniker: string;
  }[];
  params: { fee_denom: string; max_block_bytes: string; max_tx_bytes: string };
  network: { seed_exchange_public_key: string };
}

/**
 * Creates a network of `validators` nodes: node0 is initialized like `shroud init` (bootstrap
 * enclave, master seed, attestation authority, test accounts); every other node's enclave gets
 * the same master seed through the registration protocol run offline at genesis (its own
 * registration key, a quote signed by the genesis authority, node0's enclave encrypting the
 * seed to it, its enclave sealing it under its own sealing key); then one genesis with all
 * validators goes to every Shroud home and, as `app_state`, into every CometBFT genesis.
 * @throws {NodeError} HOME_EXISTS if `out/node0/shroud` already holds a node.
 */
export async function createCometTestnet(options: CometTestnetOptions): Promise<CometTestnet> {
  const out = resolve(options.out);
  const host = options.host ?? '127.0.0.1';
  const count = options.validators;
  const genesisTime = options.genesisTime ?? rfc3339Now();
  const names = Array.from({ length: count }, (_, i) => `node${i}`);
  const shroudHomes = names.map((name) => join(out, name, 'shroud'));
  const cometHomes = names.map((name) => join(out, name, 'cometbft'));
  const ports =
    options.ports ??
    names.map((_, i) => {
      const base = (options.basePort ?? 26600) + 10 * i;
      return { p2p: base, rpc: base + 1, abci: base + 2 };
    });

  const first = await initHome(shroudHomes[0]!, {
    chainId: options.chainId,
    accounts: options.accounts ?? 4,
    ...(options.extraAccounts === undefined ? {} : { extraAccounts: options.extraAccounts }),
    moniker: names[0]!,
    genesisTime,
  });
  const genesis = JSON.parse(
    readFileSync(join(shroudHomes[0]!, HOME_FILES.genesis), 'utf8'),
  ) as GenesisDocument;
  const validatorSeeds = [loadValidatorKey(shroudHomes[0]!).seed];
  const firstValidator = genesis.validators[0];
  if (firstValidator === undefined) throw new Error('initHome wrote no validator');
  firstValidator.self_bond = SELF_BOND.toString();
  for (let i = 1; i < count; i += 1) {
    const seed = randomBytes(32);
    validatorSeeds.push(seed);
    const mnemonic = generateMnemonic(24);
    const operator = accountKeyFromMnemonic(mnemonic).address;
    mkdirSync(shroudHomes[i]!, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(shroudHomes[i]!, HOME_FILES.accounts),
      JSON.stringify([{ name: 'validator', address: operator, mnemonic }], null, 2),
      { mode: 0o600 },
    );
    writeFileSync(
      join(shroudHomes[i]!, HOME_FILES.validatorKey),
      JSON.stringify({ seed: bytesToHex(seed) }),
      {
        mode: 0o600,
      },
    );
    genesis.accounts.push({
      address: operator,
      coins: [{ denom: genesis.params.fee_denom, amount: '1000000000000' }],
    });
    genesis.validators.push({
      operator_address: operator,
      consensus_public_key: bytesToHex(ed25519KeyPairFromSeed(seed).publicKey),
      self_bond: SELF_BOND.toString(),
      moniker: names[i]!,
    });
  }
  const genesisText = `${JSON.stringify(genesis, null, 2)}\n`;
  for (const home of shroudHomes) writeFileSync(join(home, HOME_FILES.genesis), genesisText);
  await shareSeed(shroudHomes, genesisText);

  const nodeKeys = names.map(() => nodeKeyJson(randomBytes(32)));
  const abciAddresses = names.map((_, i) =>
    options.abciTransport === 'unix'
      ? `unix://${join(shroudHomes[i]!, 'abci.sock')}`
      : `tcp://${host}:${ports[i]!.abci}`,
  );
  const cometGenesis = cometGenesisJson({
    chainId: options.chainId,
    genesisTime,
    validators: validatorSeeds.map((seed, i) => ({
      publicKey: ed25519KeyPairFromSeed(seed).publicKey,
      power: SELF_BOND / POWER_REDUCTION,
      name: names[i]!,
    })),
    appState: JSON.parse(genesisText) as unknown,
    maxBlockBytes: BigInt(genesis.params.max_block_bytes),
  });
  const nodes: CometTestnetNode[] = [];
  for (const [i, name] of names.entries()) {
    const cometHome = cometHomes[i]!;
    mkdirSync(join(cometHome, 'config'), { recursive: true, mode: 0o700 });
    mkdirSync(join(cometHome, 'data'), { recursive: true, mode: 0o700 });
    const peers = names
      .map((_, j) => (j === i ? null : `${nodeKeys[j]!.nodeId}@${host}:${ports[j]!.p2p}`))
      .filter((peer): peer is string => peer !== null)
      .join(',');
    writeFileSync(join(cometHome, 'config', 'genesis.json'), cometGenesis);
    writeFileSync(
      join(cometHome, 'config', 'config.toml'),
      cometConfigToml({
        moniker: name,
        proxyApp: abciAddresses[i]!,
        rpcAddress: `tcp://${host}:${ports[i]!.rpc}`,
        p2pAddress: `tcp://${host}:${ports[i]!.p2p}`,
        persistentPeers: peers,
        localNetwork: host === '127.0.0.1' || host === 'localhost',
        maxTxBytes: BigInt(genesis.params.max_tx_bytes),
        ...(options.timeoutCommitMs === undefined ? {} : { timeoutCommitMs: options.timeoutCommitMs }),
        ...(options.timeoutProposeMs === undefined ? {} : { timeoutProposeMs: options.timeoutProposeMs }),
        ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
      }),
    );
    writeFileSync(
      join(cometHome, 'config', 'priv_validator_key.json'),
      privValidatorKeyJson(validatorSeeds[i]!),
      {
        mode: 0o600,
      },
    );
    writeFileSync(join(cometHome, 'config', 'node_key.json'), nodeKeys[i]!.json, { mode: 0o600 });
    writeFileSync(join(cometHome, 'data', 'priv_validator_state.json'), privValidatorStateJson(), {
      mode: 0o600,
    });
    const publicKey = ed25519KeyPairFromSeed(validatorSeeds[i]!).publicKey;
    nodes.push({
      name,
      shroudHome: shroudHomes[i]!,
      cometHome,
      abciAddress: abciAddresses[i]!,
      rpcUrl: `http://${host}:${ports[i]!.rpc}`,
      p2pAddress: `${host}:${ports[i]!.p2p}`,
      nodeId: nodeKeys[i]!.nodeId,
      validatorAddress: bytesToHex(sha256(publicKey).subarray(0, 20)).toUpperCase(),
    });
  }
  const testnet: CometTestnet = {
    chainId: options.chainId,
    nodes,
    accounts: first.accounts,
  };
  writeFileSync(join(out, 'testnet.json'), `${JSON.stringify(testnet, null, 2)}\n`, { mode: 0o600 });
  return testnet;
}

const NO_SERVICES = {
  readState: () => null,
  getCode: () => null,
  contractInfo: () => null,
  queryChain: () => new Uint8Array(0),
};

/**
 * The genesis registration ceremony (DESIGN.md §4, run offline): node0's enclave verifies a
 * quote for each other node's enclave and encrypts the master seed to it; that enclave seals it
 * under its own sealing key. The seed never leaves an enclave in plaintext.
 */
async function shareSeed(homes: string[], genesisText: string): Promise<void> {
  const genesis = parseGenesis(genesisText);
  const policy = enclavePolicy(genesis);
  const authoritySeed = hexToBytes(readFileSync(join(homes[0]!, HOME_FILES.authoritySeed), 'utf8').trim());
  const genesisSeconds = genesis.genesisTimeNanos / 1_000_000_000n;
  const validator = await Enclave.start({ home: homes[0]!, genesisPolicy: policy, services: NO_SERVICES });
  try {
    await validator.start(new Uint8Array(readFileSync(join(homes[0]!, HOME_FILES.sealedSeed))));
    for (const [i, home] of homes.entries()) {
      if (i === 0) continue;
      const joining = await Enclave.start({ home, genesisPolicy: policy, services: NO_SERVICES });
      try {
        const key = await joining.newRegistrationKey();
        const quote = signQuote(
          {
            measurement: key.measurement,
            registrationPublicKey: key.registrationPublicKey,
            platformId: sha256(utf8Encode(`shroud/cometbft-genesis/platform/${i}`)),
            timestampSeconds: genesisSeconds,
          },
          authoritySeed,
        );
        const registered = await validator.registerNode({
          quote: encodeQuote(quote),
          blockTimeSeconds: genesisSeconds,
        });
        const sealed = await joining.acceptSeed({
          encryptedSeed: registered.encryptedSeed,
          seedExchangePublicKey: genesis.network.seedExchangePublicKey,
        });
        writeFileSync(join(home, HOME_FILES.sealedSeed), sealed.sealedSeed, { mode: 0o600 });
      } finally {
        await joining.stop();
      }
    }
  } finally {
    await validator.stop();
  }
}

/** Adds `shroud abci` and `shroud cometbft-genesis` to the program. */
export function registerAbciCommands(program: Command): void {
  program
    .command('abci')
    .description('serve the app to CometBFT v0.38 over an ABCI 2.0 socket (CometBFT makes the blocks)')
    .requiredOption('--home <dir>', 'Shroud home (genesis.json, sealed-seed, data/)')
    .option('--address <addr>', 'listen address: tcp://HOST:PORT or unix://PATH', 'tcp://127.0.0.1:26658')
    .option('--log-level <level>', 'pino level of <home>/node.log', 'info')
    .action(async (opts: { home: string; address: string; logLevel: string }) => {
      await runAbci(opts);
    });

  program
    .command('cometbft-genesis')
    .description(
      'create the Shroud and CometBFT homes of an N-validator network (genesis, keys, config.toml)',
    )
    .requiredOption('--out <dir>', 'directory for node<i>/shroud, node<i>/cometbft and testnet.json')
    .option('--validators <n>', 'number of validators', '4')
    .option('--chain-id <id>', 'chain id', 'shroud-cometbft')
    .option('--accounts <n>', 'funded test accounts (in node0/shroud/accounts.json)', '4')
    .option('--host <ip>', 'IP every node listens on and peers dial', '127.0.0.1')
    .option('--base-port <port>', 'node i uses base+10i (p2p), +1 (RPC), +2 (ABCI)', '26600')
    .option('--abci <transport>', 'tcp or unix', 'tcp')
    .option('--timeout-commit <ms>', 'CometBFT consensus.timeout_commit', '1000')
    .action(
      async (opts: {
        out: string;
        validators: string;
        chainId: string;
        accounts: string;
        host: string;
        basePort: string;
        abci: string;
        timeoutCommit: string;
      }) => {
        if (opts.abci !== 'tcp' && opts.abci !== 'unix') fail('--abci must be tcp or unix', EXIT.USAGE);
        const validators = boundedInt(opts.validators, '--validators', 1, 100);
        const basePort = boundedInt(opts.basePort, '--base-port', 1024, 65535 - 10 * validators);
        try {
          const testnet = await createCometTestnet({
            out: opts.out,
            validators,
            chainId: opts.chainId,
            accounts: boundedInt(opts.accounts, '--accounts', 0, 100),
            host: opts.host,
            basePort,
            abciTransport: opts.abci,
            timeoutCommitMs: boundedInt(opts.timeoutCommit, '--timeout-commit', 1, 600_000),
          });
          console.log(
            `created ${testnet.nodes.length} validators of chain ${testnet.chainId} in ${resolve(opts.out)}`,
          );
          for (const node of testnet.nodes) {
            console.log(
              `  ${node.name}: shroud abci --home ${node.shroudHome} --address ${node.abciAddress}`,
            );
            console.log(
              `  ${' '.repeat(node.name.length)}  cometbft start --home ${node.cometHome}   (RPC ${node.rpcUrl})`,
            );
          }
          console.log(`network description: ${join(resolve(opts.out), 'testnet.json')}`);
        } catch (error) {
          fail(describe(error));
        }
      },
    );
}
