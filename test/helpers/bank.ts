// Consecutive signed bank sends of one genesis account (sequences 0, 1, …), for node tests that
// need many small valid txs without an RPC round trip per tx.
import { Wallet, buildSendTx, type BuiltTx } from '../../src/client/index.js';

export interface BankSendsOptions {
  /** Mnemonic of the sender (a funded test account). */
  mnemonic: string;
  chainId: string;
  /** The sender's account number (0 for the first genesis account). */
  accountNumber: bigint;
  to: string;
  count: number;
}

/** `count` 1-ushd sends with sequences 0…count-1, gas 200,000, fee 20,000 ushd. */
export function bankSends(options: BankSendsOptions): BuiltTx[] {
  const sender = Wallet.fromMnemonic(options.mnemonic);
  return Array.from({ length: options.count }, (_, i) =>
    buildSendTx({
      sender,
      chainId: options.chainId,
      accountNumber: options.accountNumber,
      sequence: BigInt(i),
      gasLimit: 200_000n,
      fee: [{ denom: 'ushd', amount: '20000' }],
      to: options.to,
      amount: [{ denom: 'ushd', amount: '1' }],
    }),
  );
}
