// `shroud devnet` (what `npm start` runs; issue #7 "Local network", issue #6): creates or
// reuses N validator homes under one directory (src/node/network.ts), runs one
// `shroud start --home nodeI` process per validator, shows progress until a block is
// committed, writes devnet.json (chain id, nodes with pid/RPC/p2p, test accounts) and stops
// every child on Ctrl-C. Children also stop when this process dies however it dies: each gets
// an IPC channel and a preloaded watcher that sends the child SIGTERM when the channel
// closes, so no validator outlives its devnet.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  HOME_FILES,
  NETWORK_FILES,
  addNode,
  initNetwork,
  loadConfig,
  loadNetwork,
  loadTestAccounts,
  type NetworkDescription,
  type NetworkNode,
} from '../node/index.js';
import { EXIT, describeFailure, fail, integerOption } from './exit.js';

const BIN = new URL('../../bin/shroud.js', import.meta.url).pathname;
/** Each child's stdout and stderr (its structured log is node.log, written by the node). */
const PROCESS_LOG = 'process.log';
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;

// Preloaded into every child (`node --import`): the IPC channel must not keep the child alive,
// and when it closes (the devnet exited, was killed, or crashed) the child stops as on Ctrl-C.
const PARENT_WATCH = `data:text/javascript,${encodeURIComponent(
  "if (process.channel) { process.channel.unref(); process.once('disconnect', () => process.kill(process.pid, 'SIGTERM')); }",
)}`;

interface DevnetOptions {
  home: string;
  validators: string;
  blockTime: string;
  portBase?: string;
  rpcPort?: string;
  reset?: boolean;
}

interface RunningNode {
  node: NetworkNode;
  rpcUrl: string;
  child: ChildProcess;
  exit: Promise<number | null>;
}

/** Resolves false if something already listens on host:port. */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, host, () => server.close(() => resolvePort(true)));
  });
}

async function checkPorts(network: NetworkDescription, nodes: NetworkNode[]): Promise<void> {
  for (const node of nodes) {
    const config = loadConfig(node.home);
    for (const [what, port] of [
      ['RPC', config.rpc.port],
      ['p2p', config.p2p.port],
    ] as const) {
      if (!(await portFree(network.host, port))) {
        fail(
          `${node.name}'s ${what} port ${port} is in use: stop what holds it, or start fresh with --reset --port-base P`,
        );
      }
    }
  }
}

function tail(path: string, lines: number): string {
  if (!existsSync(path)) return '(no output)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** A validator process; its output goes to <home>/process.log. */
function spawnNode(node: NetworkNode): RunningNode {
  const out = openSync(join(node.home, PROCESS_LOG), 'a', 0o600);
  // SHROUD_DEVNET_NODE_ARGS: extra Node flags for the nodes (e.g. `--cpu-prof --cpu-prof-dir=D`,
  // which NODE_OPTIONS does not accept), used by bench/consensus.ts to profile.
  const nodeArgs = (process.env['SHROUD_DEVNET_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', PARENT_WATCH, BIN, 'start', '--home', node.home],
    {
      stdio: ['ignore', out, out, 'ipc'],
    },
  );
  closeSync(out);
  // The parent must not stay alive for the channel either (it lives until Ctrl-C anyway).
  child.channel?.unref();
  const exit = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit(code ?? (signal === null ? null : -1)));
  });
  const config = loadConfig(node.home);
  return { node, rpcUrl: `http://${config.rpc.host}:${config.rpc.port}`, child, exit };
}

interface StatusResult {
  result?: { sync_info?: { latest_block_height?: string } };
}

/** The node's latest height, or null if its RPC does not answer yet. */
async function latestHeight(rpcUrl: string): Promise<number | null> {
  try {
    const response = await fetch(`${rpcUrl}/status`, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as StatusResult;
    const height = Number(body.result?.sync_info?.latest_block_height);
    return Number.isSafeInteger(height) ? height : null;
  } catch {
    return null;
  }
}

const pause = (ms: number) => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

/** SIGTERM to every child still running, then SIGKILL whoever has not exited in time. */
async function stopAll(running: RunningNode[]): Promise<boolean> {
  for (const r of running)
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  let clean = true;
  await Promise.all(
    running.map(async (r) => {
      const timer = setTimeout(() => {
        clean = false;
        r.child.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      const code = await r.exit;
      clearTimeout(timer);
      if (code !== 0) clean = false;
    }),
  );
  return clean;
}

function writeDevnetFile(
  root: string,
  network: NetworkDescription,
  running: RunningNode[],
  mode: string,
): string {
  const path = join(root, 'devnet.json');
  const body = {
    chain_id: network.chainId,
    mode,
    nodes: running.map((r) => ({
      name: r.node.name,
      home: r.node.home,
      pid: r.child.pid,
      rpc_url: r.rpcUrl,
      p2p_port: r.node.p2pPort,
      node_id: r.node.nodeId,
      validator: r.node.validator,
      log: join(r.node.home, HOME_FILES.log),
    })),
    accounts: network.accounts,
  };
  writeFileSync(path, JSON.stringify(body, null, 2), { mode: 0o600 });
  return path;
}

/** Creates the network or reuses it; refuses a session-1 layout (node0 without network.json). */
async function prepare(
  root: string,
  opts: DevnetOptions,
  step: (text: string) => void,
): Promise<NetworkDescription> {
  const validators = integerOption(opts.validators, '--validators', 1, 20);
  const blockTimeMs = integerOption(opts.blockTime, '--block-time', 1, 600_000);
  const portText = opts.portBase ?? opts.rpcPort;
  const portBase = portText === undefined ? 26657 : integerOption(portText, '--port-base', 1, 65535);
  if (opts.reset === true && existsSync(root)) {
    step(`--reset: deleting ${root}`);
    rmSync(root, { recursive: true, force: true });
  }
  mkdirSync(root, { recursive: true, mode: 0o700 });
  if (existsSync(join(root, NETWORK_FILES.network))) {
    const network = loadNetwork(root);
    const count = network.nodes.filter((n) => n.validator).length;
    step(`reusing the ${count}-validator network in ${root} (pass --reset to start fresh)`);
    if (count !== validators && opts.validators !== DEFAULT_VALIDATORS) {
      step(`note: --validators ${validators} ignored for an existing network; pass --reset to change it`);
    }
    return network;
  }
  if (existsSync(join(root, 'node0', HOME_FILES.genesis))) {
    fail(`${root} holds a devnet from an older version (no network.json): start fresh with --reset`);
  }
  step(
    `creating the chain: ${validators} validator home(s), bootstrap enclave and master seed, ` +
      'the seed to every other enclave through attestation, test accounts…',
  );
  return initNetwork(root, {
    validators,
    blockTimeMs,
    portBase,
    // One validator needs no votes: the app's solo driver makes its blocks.
    engine: validators === 1 ? 'solo' : 'tendermint',
  });
}

const DEFAULT_VALIDATORS = '4';

async function runDevnet(opts: DevnetOptions): Promise<void> {
  const started = Date.now();
  const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);
  const root = resolve(opts.home);
  let network: NetworkDescription;
  try {
    network = await prepare(root, opts, step);
  } catch (error) {
    fail(describeFailure(error));
  }
  const validators = network.nodes.filter((n) => n.validator);
  let mode: string;
  let running: RunningNode[];
  try {
    // A hand-edited config.json fails here, with the file named, before anything starts.
    const engine = loadConfig(validators[0]!.home).consensus.engine;
    mode =
      engine === 'solo'
        ? 'solo (a single validator; the solo driver makes the blocks)'
        : `tendermint (${validators.length} validator processes, BFT consensus over p2p)`;
    console.log(`Shroud devnet — ${mode}`);
    await checkPorts(network, validators);
    step(`starting ${validators.length} validator process(es): shroud start --home <root>/nodeI …`);
    running = validators.map(spawnNode);
  } catch (error) {
    fail(describeFailure(error));
  }
  const devnetFile = writeDevnetFile(root, network, running, mode);

  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${reason}: stopping ${running.length} node(s)…`);
    const clean = await stopAll(running);
    rmSync(devnetFile, { force: true });
    console.log(
      clean ? 'stopped cleanly' : 'stopped (some nodes did not exit cleanly: see their process.log)',
    );
    process.exit(code === EXIT.OK && !clean ? EXIT.FAILED : code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT', EXIT.OK));
  process.on('SIGTERM', () => void shutdown('SIGTERM', EXIT.OK));
  for (const r of running) {
    void r.exit.then((code) => {
      if (stopping) return;
      console.log(
        `${r.node.name} (pid ${r.child.pid}) exited with ${code}; log: ${join(r.node.home, PROCESS_LOG)}`,
      );
    });
  }

  // Progress: each node's RPC comes up, then the first block commits.
  const up = new Set<string>();
  let baseline: number | null = null;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (stopping) return;
    const dead = running.find((r) => r.child.exitCode !== null && !up.has(r.node.name));
    if (dead !== undefined) {
      console.error(
        `${dead.node.name} exited during startup; the end of ${join(dead.node.home, PROCESS_LOG)}:`,
      );
      console.error(tail(join(dead.node.home, PROCESS_LOG), 15));
      await shutdown('startup failed', EXIT.FAILED);
      return;
    }
    const heights = await Promise.all(running.map((r) => latestHeight(r.rpcUrl)));
    for (const [i, height] of heights.entries()) {
      const r = running[i]!;
      if (height !== null && !up.has(r.node.name)) {
        up.add(r.node.name);
        step(`${r.node.name} up (pid ${r.child.pid}, RPC ${r.rpcUrl}, height ${height})`);
      }
    }
    const first = heights[0];
    if (first !== null && first !== undefined) {
      baseline ??= first;
      if (up.size === running.length && first > baseline) {
        printSummary(network, running, devnetFile);
        step(`ready — block ${first} committed. Ctrl-C to stop.`);
        return;
      }
    }
    if (Date.now() > deadline) {
      console.error(
        `no committed block within ${READY_TIMEOUT_MS / 1000} s; see each node's process.log and node.log`,
      );
      await shutdown('startup timed out', EXIT.FAILED);
      return;
    }
    await pause(250);
  }
}

function printSummary(network: NetworkDescription, running: RunningNode[], devnetFile: string): void {
  console.log('');
  console.log(`  chain id      ${network.chainId}`);
  for (const r of running) {
    console.log(
      `  ${r.node.name.padEnd(13)} RPC ${r.rpcUrl}  p2p ${network.host}:${r.node.p2pPort}  pid ${r.child.pid}  home ${r.node.home}`,
    );
  }
  const first = running[0]!;
  console.log(`  WebSocket     ${first.rpcUrl.replace('http', 'ws')}/websocket (CometBFT 0.38 JSON-RPC)`);
  console.log(`  REST          ${first.rpcUrl}/shroud/v1/...`);
  console.log(`  logs          <home>/node.log (pino JSON), <home>/${PROCESS_LOG} (stdout/stderr)`);
  console.log(`  devnet.json   ${devnetFile}   (chain id, nodes, test accounts with mnemonics)`);
  for (const account of network.accounts) console.log(`  ${account.name.padEnd(13)} ${account.address}`);
  console.log('');
}

/** `shroud devnet add-node`: a home for a node that joins the devnet later (src/node addNode). */
async function runAddNode(opts: { home: string; name?: string }): Promise<void> {
  const root = resolve(opts.home);
  try {
    const added = await addNode(root, opts.name === undefined ? {} : { name: opts.name });
    const operator = loadTestAccounts(added.home).find((a) => a.name === 'validator');
    console.log(
      `created ${added.home} — a full node of ${loadNetwork(root).chainId}, not registered, no seed yet`,
    );
    console.log(`  RPC ${added.rpcPort}, p2p ${added.p2pPort}, node id ${added.nodeId}`);
    console.log(`  consensus key   ${added.consensusPublicKey}`);
    console.log(
      `  operator        ${added.operatorAddress} (mnemonic in ${join(added.home, HOME_FILES.accounts)}, 0600)`,
    );
    console.log(
      `  quote           ${join(added.home, NETWORK_FILES.registrationQuote)} (devnet attestation authority)`,
    );
    console.log('next: fund the operator, `shroud tx register --node-home …`, `shroud start --home …`,');
    console.log('      `shroud tx staking create-validator --node-home …` (docs/validators.md)');
    if (operator === undefined) fail(`${added.home} has no operator account`);
  } catch (error) {
    fail(describeFailure(error));
  }
}

/** Registers `shroud devnet` and `shroud devnet add-node`. */
export function registerDevnetCommand(program: Command): void {
  const devnet = program
    .command('devnet')
    .description('run a local network (what `npm start` runs): N validator processes on loopback')
    .option('--home <dir>', 'devnet directory', './.shroud/devnet')
    .option('--validators <n>', 'number of validator processes (new network only)', DEFAULT_VALIDATORS)
    .option('--block-time <ms>', 'target block interval in milliseconds (new network only)', '1000')
    .option('--port-base <port>', 'node i: RPC on P+10i, p2p on P+10i+1 (new network only)', '26657')
    .option('--rpc-port <port>', 'same as --port-base (node0 RPC port)')
    .option('--reset', 'delete the devnet directory and start fresh')
    .action(async (opts: DevnetOptions) => {
      if (opts.rpcPort !== undefined && opts.portBase === '26657') opts.portBase = opts.rpcPort;
      await runDevnet(opts);
    });
  devnet
    .command('add-node')
    .description('create the home of a node that joins the devnet later (own keys, quote, no seed)')
    .option('--name <name>', 'home name under the devnet directory (default node<N>)')
    // --home belongs to `devnet` (commander parses it there wherever it appears).
    .action((opts: { name?: string }) => runAddNode({ ...opts, home: devnet.opts<{ home: string }>().home }));
}
