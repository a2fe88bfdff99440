// `shroud init`, `shroud start` and `shroud status` (issue #7); `shroud devnet` (N validator
// processes) lives in devnet.ts.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { initHome, loadConfig, startConsensusNode, startSoloNode, type SoloNode } from '../node/index.js';
import { startRpcServer } from '../rpc/index.js';
import { EXIT, describeFailure, fail, integerOption } from './exit.js';
import { registerDevnetCommand } from './devnet.js';

/** Node's EADDRINUSE, said as what to do. */
const RPC_PORT_IN_USE = 'the RPC port is in use: pass --rpc-port with a free port';

async function run(
  home: string,
  blockTimeMs: number | undefined,
  rpcPort: number | undefined,
): Promise<SoloNode> {
  const config = loadConfig(home);
  if (config.consensus.engine === 'tendermint') {
    // A node of a multi-validator network (config.json consensus.engine); the block time is
    // consensus.timeoutCommitMs there, so --block-time does not apply.
    if (blockTimeMs !== undefined)
      fail('--block-time applies to the solo engine only: set consensus.timeoutCommitMs', EXIT.USAGE);
    return startConsensusNode(home, {
      ...(rpcPort === undefined ? {} : { rpcPort }),
      // The node stopped itself (see node.log): exit non-zero so a supervisor restarts it.
      onFatal: () => {
        console.error('error: a decided block could not be executed; the node stopped (see node.log)');
        process.exitCode = 1;
      },
      serve: (node) => startRpcServer(node, { ...config.rpc, port: rpcPort ?? config.rpc.port }),
    });
  }
  return startSoloNode(home, {
    ...(blockTimeMs === undefined ? {} : { blockTimeMs }),
    ...(rpcPort === undefined ? {} : { rpcPort }),
    serve: (node) => startRpcServer(node, { ...config.rpc, port: rpcPort ?? config.rpc.port }),
  });
}

/** Stops the node on SIGINT/SIGTERM and exits 0 once it is closed. */
function stopOnSignals(node: SoloNode, after?: () => void): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the node…`);
    node
      .stop()
      .then(() => {
        after?.();
        console.log('stopped cleanly');
        process.exit(EXIT.OK);
      })
      .catch((error: unknown) => fail(`shutdown failed: ${describeFailure(error, RPC_PORT_IN_USE)}`));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

export function registerNodeCommands(program: Command): void {
  program
    .command('init')
    .description('create a node home: enclave seed (sealed), validator key, genesis, config')
    .requiredOption('--home <dir>', 'node home directory')
    .option('--chain-id <id>', 'chain id', 'shroud-devnet')
    .option('--accounts <n>', 'funded test accounts', '4')
    .option('--rpc-port <port>', 'RPC port', '26657')
    .action(async (opts: { home: string; chainId: string; accounts: string; rpcPort: string }) => {
      try {
        const result = await initHome(resolve(opts.home), {
          chainId: opts.chainId,
          accounts: integerOption(opts.accounts, '--accounts', 1, 100),
          rpcPort: integerOption(opts.rpcPort, '--rpc-port', 1, 65535),
        });
        console.log(
          `initialized ${result.home} (chain ${result.chainId}, ${result.accounts.length} test accounts)`,
        );
        console.log(`test account mnemonics are in ${join(result.home, 'accounts.json')} (0600)`);
      } catch (error) {
        fail(describeFailure(error, RPC_PORT_IN_USE));
      }
    });

  program
    .command('start')
    .description('run the node of a home (solo validator, or Tendermint network node per config.json)')
    .requiredOption('--home <dir>', 'node home directory')
    .option('--block-time <ms>', 'block interval in milliseconds')
    .option('--rpc-port <port>', 'RPC port (default: from config.json)')
    .action(async (opts: { home: string; blockTime?: string; rpcPort?: string }) => {
      try {
        const node = await run(
          resolve(opts.home),
          opts.blockTime === undefined
            ? undefined
            : integerOption(opts.blockTime, '--block-time', 1, 600_000),
          opts.rpcPort === undefined ? undefined : integerOption(opts.rpcPort, '--rpc-port', 1, 65535),
        );
        stopOnSignals(node);
        console.log(`node running: RPC ${node.rpcUrl}, log ${join(node.home, 'node.log')}`);
      } catch (error) {
        fail(describeFailure(error, RPC_PORT_IN_USE));
      }
    });

  registerDevnetCommand(program);

  program
    .command('status')
    .description("show a node's chain id, height and latest block")
    .option('--node <url>', 'RPC URL', 'http://127.0.0.1:26657')
    .option('--output <format>', 'json or text', 'text')
    .action(async (opts: { node: string; output: string }) => {
      if (opts.output !== 'json' && opts.output !== 'text') fail('--output must be json or text', EXIT.USAGE);
      let body: {
        result?: {
          node_info: { network: string; moniker: string };
          sync_info: Record<string, string | boolean>;
        };
      };
      try {
        const response = await fetch(`${opts.node.replace(/\/$/, '')}/status`, {
          signal: AbortSignal.timeout(5000),
        });
        body = (await response.json()) as typeof body;
      } catch {
        fail(`cannot reach a node at ${opts.node}: is it running? (start one with \`npm start\`)`);
      }
      const result = body.result;
      if (result === undefined) fail(`${opts.node} did not answer a CometBFT status`);
      if (opts.output === 'json') {
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      const sync = result.sync_info;
      console.log(`chain id       ${result.node_info.network}`);
      console.log(`moniker        ${result.node_info.moniker}`);
      console.log(`height         ${String(sync['latest_block_height'])}`);
      console.log(`block hash     ${String(sync['latest_block_hash'])}`);
      console.log(`block time     ${String(sync['latest_block_time'])}`);
      console.log(`catching up    ${String(sync['catching_up'])}`);
    });
}
