// The load of the network benches: a `token` contract with a balance for every sender, and
// encrypted, signed `transfer` txs built before timing (that is the clients' work).
import { ShroudClient, Wallet, buildExecuteTx, type BuiltTx } from '../../src/client/index.js';
import { deployToken, transferMsg } from '../../test/helpers/token.js';

/** Gas and fee of one bench transfer (a token transfer uses ~200,000 gas). */
const GAS_LIMIT = 300_000n;
const FEE = [{ denom: 'ushd', amount: '30000' }];
/** Client options of the deploying account: the devnets' minimum gas price, fast polling. */
const BENCH_CLIENT_OPTIONS = { gasPrice: { denom: 'ushd', amount: '0.1' }, pollIntervalMs: 100 };

export interface BenchToken {
  contract: string;
  codeHash: string;
  /** The chain's network public key (transfers are encrypted to it). */
  networkPublicKey: Uint8Array;
  chainId: string;
}

/** A sender's signing state: its wallet, account number and next sequence. */
export interface BenchSender {
  wallet: Wallet;
  accountNumber: bigint;
  sequence: bigint;
}

/**
 * Deploys `token` from `ownerMnemonic`'s account through `rpcUrl` with 1,000,000,000 for each
 * sender, and reads each sender's account.
 * @throws when a tx fails, the code never becomes queryable, or a sender is not in genesis.
 */
export async function setUpTransfers(
  rpcUrl: string,
  ownerMnemonic: string,
  wallets: readonly Wallet[],
): Promise<{ token: BenchToken; senders: BenchSender[] }> {
  const client = await ShroudClient.connect(rpcUrl, Wallet.fromMnemonic(ownerMnemonic), BENCH_CLIENT_OPTIONS);
  const { contractAddress, codeHash } = await deployToken(client, {
    label: 'bench-token',
    holders: wallets.map((w) => ({ address: w.address, amount: '1000000000' })),
    name: 'Bench',
    symbol: 'BNC',
    decimals: 0,
    seed: 'bench',
    instantiateGasLimit: 200_000_000n,
    // Under load the node may answer `tx` just before its app commit makes the code readable.
    awaitCodeMs: 10_000,
  });
  const senders: BenchSender[] = [];
  for (const wallet of wallets) {
    const account = await client.getAccount(wallet.address);
    if (account === null) throw new Error(`sender ${wallet.address} missing from genesis`);
    senders.push({ wallet, accountNumber: account.accountNumber, sequence: account.sequence });
  }
  const token = {
    contract: contractAddress,
    codeHash,
    networkPublicKey: await client.networkPublicKey(),
    chainId: client.chainId,
  };
  return { token, senders };
}

/** One transfer of 1 from `sender` (at its current sequence, then advanced) to `recipient`. */
export function buildTransfer(token: BenchToken, sender: BenchSender, recipient: string): BuiltTx {
  const tx = buildExecuteTx({
    sender: sender.wallet,
    chainId: token.chainId,
    accountNumber: sender.accountNumber,
    sequence: sender.sequence,
    gasLimit: GAS_LIMIT,
    fee: FEE,
    networkPublicKey: token.networkPublicKey,
    contract: token.contract,
    codeHash: token.codeHash,
    msg: transferMsg(recipient, 1n),
  });
  sender.sequence += 1n;
  return tx;
}
