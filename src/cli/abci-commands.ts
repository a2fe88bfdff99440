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
import type { AbciServer as AbciServerType } from '../abci/index.js';
import type { TestAccount } from '../node/index.js';
import { EXIT, describeFailure, fail, integerOption } from './exit.js';

// The node, enclave, store and protobuf modules load only when an abci command runs: every
// other `shroud` command starts without them (as register.ts does for the node layer).
const loadAbci = () => import('../abci/index.js');
const loadNode = () => import('../node/index.js');

/** Node's EADDRINUSE, said as what to do. */
const ADDRESS_IN_USE = 'the ABCI address is in use: pass --address with a free port or socket path';

/**
 * Takes `<home>/node.lock` for this process (the solo node uses the same file, so `shroud start`
 * and `shroud abci` never open one store together). A lock left by a dead process is replaced.
 */
function lockHome(home: string, lockFile: string): () => void {
  const path = join(home, lockFile);
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
  const { AbciServer, openApp } = await loadAbci();
  const { HOME_FILES } = await loadNode();
  const { pino } = await import('pino');
  const home = resolve(opts.home);
  for (const file of [HOME_FILES.genesis, HOME_FILES.sealedSeed]) {
    if (!existsSync(join(home, file)))
      fail(`${join(home, file)} is missing: create the homes with \`shroud cometbft-genesis\``);
  }
  const unlock = lockHome(home, HOME_FILES.lock);
  const log = pino(
    { level: opts.logLevel, base: { service: 'abci' } },
    pino.destination({ dest: join(home, HOME_FILES.log), sync: false, mkdir: true }),
  );
  let opened: Awaited<ReturnType<typeof openApp>>;
  let server: AbciServerType;
  try {
    opened = await openApp({
      home,
      genesisPath: join(home, HOME_FILES.genesis),
      sealedSeedPath: join(home, HOME_FILES.sealedSeed),
      statePath: join(home, HOME_FILES.state),
    });
  } catch (error) {
    unlock();
    fail(`cannot open the app: ${describeFailure(error, ADDRESS_IN_USE)}`);
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
      log.error({ err: describeFailure(error, ADDRESS_IN_USE) }, 'shutdown step failed');
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
        console.error(
          `error: ${describeFailure(error, ADDRESS_IN_USE)}; stopped (restart shroud abci and CometBFT to resync)`,
        );
        void shutdown(EXIT.FAILED, error.code);
      },
    });
  } catch (error) {
    await opened.close();
    unlock();
    fail(describeFailure(error, ADDRESS_IN_USE));
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
  /** Directory that receives the Shroud homes `node<i>` (+ network.json) and `cometbft/node<i>`, `cometbft/testnet.json`. */
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
  /** CometBFT log_level. */
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

/**
 * Creates a network of `validators` nodes for CometBFT: the Shroud homes come from the node
 * layer's `initNetwork` (node0's bootstrap enclave makes the master seed; every other
 * validator's enclave receives it through the attestation join and seals it under its own
 * sealing key; one genesis lists every validator), then each node gets a CometBFT home
 * (`<out>/cometbft/node<i>`) whose genesis embeds that Shroud genesis as `app_state`, whose
 * priv_validator_key.json is the node's validator key, and whose config.toml points
 * `proxy_app` at the node's `shroud abci` and `persistent_peers` at the other nodes.
 * @throws {NodeError} HOME_EXISTS if `out` already holds a network.
 */
export async function createCometTestnet(options: CometTestnetOptions): Promise<CometTestnet> {
  const {
    cometAddress,
    cometConfigToml,
    cometGenesisJson,
    nodeKeyJson,
    privValidatorKeyJson,
    privValidatorStateJson,
  } = await loadAbci();
  const { HOME_FILES, initNetwork, loadValidatorKey } = await loadNode();
  const { POWER_REDUCTION, parseGenesis } = await import('../app/index.js');
  const { bytesToHex, ed25519KeyPairFromSeed, randomBytes } = await import('../crypto/index.js');
  const out = resolve(options.out);
  const host = options.host ?? '127.0.0.1';
  const count = options.validators;
  const ports =
    options.ports ??
    Array.from({ length: count }, (_, i) => {
      const base = (options.basePort ?? 26600) + 10 * i;
      return { p2p: base, rpc: base + 1, abci: base + 2 };
    });
  const network = await initNetwork(out, {
    validators: count,
    chainId: options.chainId,
    accounts: options.accounts ?? 4,
    host,
    ...(options.extraAccounts === undefined ? {} : { extraAccounts: options.extraAccounts }),
    ...(options.genesisTime === undefined ? {} : { genesisTime: options.genesisTime }),
  });
  const shroudHomes = network.nodes.map((node) => node.home);
  const genesisText = readFileSync(join(shroudHomes[0]!, HOME_FILES.genesis), 'utf8');
  const genesis = parseGenesis(genesisText);
  const validatorSeeds = shroudHomes.map((home) => loadValidatorKey(home).seed);
  const nodeKeys = network.nodes.map(() => nodeKeyJson(randomBytes(32)));
  const abciAddresses = network.nodes.map((node, i) =>
    options.abciTransport === 'unix'
      ? `unix://${join(node.home, 'abci.sock')}`
      : `tcp://${host}:${ports[i]!.abci}`,
  );
  const cometGenesis = cometGenesisJson({
    chainId: genesis.chainId,
    genesisTime: (JSON.parse(genesisText) as { genesis_time: string }).genesis_time,
    validators: genesis.validators.map((validator) => ({
      publicKey: validator.consensusPublicKey,
      power: validator.selfBond / POWER_REDUCTION,
      name: validator.moniker,
    })),
    appState: JSON.parse(genesisText) as unknown,
    maxBlockBytes: genesis.params.maxBlockBytes,
    initialHeight: genesis.initialHeight,
  });
  const nodes: CometTestnetNode[] = [];
  for (const [i, node] of network.nodes.entries()) {
    const cometHome = join(out, 'cometbft', node.name);
    mkdirSync(join(cometHome, 'config'), { recursive: true, mode: 0o700 });
    mkdirSync(join(cometHome, 'data'), { recursive: true, mode: 0o700 });
    const peers = network.nodes
      .flatMap((_, j) => (j === i ? [] : [`${nodeKeys[j]!.nodeId}@${host}:${ports[j]!.p2p}`]))
      .join(',');
    const secret = { mode: 0o600 } as const;
    writeFileSync(join(cometHome, 'config', 'genesis.json'), cometGenesis);
    writeFileSync(
      join(cometHome, 'config', 'config.toml'),
      cometConfigToml({
        moniker: node.name,
        proxyApp: abciAddresses[i]!,
        rpcAddress: `tcp://${host}:${ports[i]!.rpc}`,
        p2pAddress: `tcp://${host}:${ports[i]!.p2p}`,
        persistentPeers: peers,
        localNetwork: host === '127.0.0.1' || host === 'localhost',
        maxTxBytes: BigInt(genesis.params.maxTxBytes),
        ...(options.timeoutCommitMs === undefined ? {} : { timeoutCommitMs: options.timeoutCommitMs }),
        ...(options.timeoutProposeMs === undefined ? {} : { timeoutProposeMs: options.timeoutProposeMs }),
        ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
      }),
    );
    writeFileSync(
      join(cometHome, 'config', 'priv_validator_key.json'),
      privValidatorKeyJson(validatorSeeds[i]!),
      secret,
    );
    writeFileSync(join(cometHome, 'config', 'node_key.json'), nodeKeys[i]!.json, secret);
    writeFileSync(join(cometHome, 'data', 'priv_validator_state.json'), privValidatorStateJson(), secret);
    nodes.push({
      name: node.name,
      shroudHome: node.home,
      cometHome,
      abciAddress: abciAddresses[i]!,
      rpcUrl: `http://${host}:${ports[i]!.rpc}`,
      p2pAddress: `${host}:${ports[i]!.p2p}`,
      nodeId: nodeKeys[i]!.nodeId,
      validatorAddress: bytesToHex(
        cometAddress(ed25519KeyPairFromSeed(validatorSeeds[i]!).publicKey),
      ).toUpperCase(),
    });
  }
  const testnet: CometTestnet = { chainId: genesis.chainId, nodes, accounts: network.accounts };
  writeFileSync(join(out, 'cometbft', 'testnet.json'), `${JSON.stringify(testnet, null, 2)}\n`, {
    mode: 0o600,
  });
  return testnet;
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
    .requiredOption(
      '--out <dir>',
      'directory for the Shroud homes node<i> and the CometBFT homes cometbft/node<i>',
    )
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
        const validators = integerOption(opts.validators, '--validators', 1, 100);
        const basePort = integerOption(opts.basePort, '--base-port', 1024, 65535 - 10 * validators);
        try {
          const testnet = await createCometTestnet({
            out: opts.out,
            validators,
            chainId: opts.chainId,
            accounts: integerOption(opts.accounts, '--accounts', 0, 100),
            host: opts.host,
            basePort,
            abciTransport: opts.abci,
            timeoutCommitMs: integerOption(opts.timeoutCommit, '--timeout-commit', 1, 600_000),
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
          console.log(`network description: ${join(resolve(opts.out), 'cometbft', 'testnet.json')}`);
        } catch (error) {
          fail(describeFailure(error, ADDRESS_IN_USE));
        }
      },
    );
}
