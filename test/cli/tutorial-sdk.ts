// The SDK half of docs/tutorial.md, run as a process by test/cli/tutorial.test.ts. The text
// between the `tutorial:start` and `tutorial:end` markers is in the tutorial word for word
// (the test checks it); the tutorial imports from 'shroud/client' where this file uses the source.
// Usage: npx tsx test/cli/tutorial-sdk.ts [path/to/devnet.json]
import { readFileSync } from 'node:fs';
import { ShroudClient, Wallet } from '../../src/client/index.js';

// tutorial:start
interface Devnet {
  nodes: { rpc_url: string }[];
  accounts: { name: string; mnemonic: string }[];
}
const devnet = JSON.parse(readFileSync(process.argv[2] ?? '.shroud/devnet/devnet.json', 'utf8')) as Devnet;
const node = devnet.nodes[0]!.rpc_url;
const alice = Wallet.fromMnemonic(devnet.accounts[0]!.mnemonic);
const bob = Wallet.fromMnemonic(devnet.accounts[1]!.mnemonic);
const gasPrice = { denom: 'ushd', amount: '0.1' }; // the devnet's minimum gas price
const asAlice = await ShroudClient.connect(node, alice, { gasPrice });
const asBob = await ShroudClient.connect(node, bob, { gasPrice });

const wasm = readFileSync('contracts/build/token.wasm');
const { codeId } = await asAlice.storeCode(wasm, { gasLimit: 1_000_000n });
const { contractAddress } = await asAlice.instantiate({
  codeId,
  label: `sdk-token-${Date.now()}`,
  msg: {
    name: 'Shroud Token',
    symbol: 'SHT',
    decimals: 6,
    initial_balances: [{ address: alice.address, amount: '1000000' }],
    prng_seed: 'c2VlZA==',
  },
});
const sent = await asAlice.execute({
  contract: contractAddress,
  msg: { transfer: { recipient: bob.address, amount: '250', memo: 'sdk rent for June' } },
});
console.log('transfer', sent.txHash, new TextDecoder().decode(sent.data[0] ?? new Uint8Array()));
await asBob.execute({ contract: contractAddress, msg: { set_viewing_key: { key: 'bob-sdk-key' } } });
const answer = await asBob.query(contractAddress, {
  balance: { address: bob.address, key: 'bob-sdk-key' },
});
console.log(JSON.stringify(answer)); // {"balance":{"amount":"250"}}
// tutorial:end
