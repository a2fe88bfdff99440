// Deterministic blocks for the app crash test: the txs of height h depend only on h (fixed
// envelope nonces, RFC 6979 signatures), so a child restarted after a kill rebuilds exactly the
// block it was executing, and the parent can replay 1..h on a reference node.
import { bytesToHex, sha256, utf8Encode } from '../../src/crypto/index.js';
import { instantiateTarget } from '../../src/codec/index.js';
import { contractAddressOf } from '../../src/app/index.js';
import {
  contractWasm,
  encryptMsg,
  executeMsg,
  makeUser,
  sendMsg,
  signTx,
  storeCodeMsg,
  type User,
} from './helpers.js';

export const crashUsers = (): User[] => [makeUser('crash alice', 0n), makeUser('crash bob', 1n)];

const wasm = contractWasm('token');
const codeHash = bytesToHex(sha256(wasm));
const token = contractAddressOf(1n, 'crash-token');

function nonce(height: bigint): Uint8Array {
  return sha256(utf8Encode(`crash nonce ${height}`));
}

/** The txs of block `height` (alice and bob each send one tx per block: sequence = height - 1). */
export function crashBlockTxs(height: bigint, io: Uint8Array): Uint8Array[] {
  const [alice, bob] = crashUsers() as [User, User];
  const sequence = height - 1n;
  let aliceTx: Uint8Array;
  if (height === 1n) {
    aliceTx = signTx(alice, [storeCodeMsg(alice, wasm)], { sequence, gasLimit: 5_000_000n });
  } else if (height === 2n) {
    const e = encryptMsg(alice, io, {
      kind: 'instantiate',
      target: instantiateTarget(1n, 'crash-token'),
      codeHash,
      msg: {
        name: 'Crash',
        symbol: 'CRS',
        decimals: 0,
        initial_balances: [{ address: alice.address, amount: '1000000' }],
      },
      nonce: nonce(height),
    });
    aliceTx = signTx(
      alice,
      [
        {
          sum: {
            case: 'instantiateContract',
            value: {
              sender: alice.address,
              codeId: 1n,
              label: 'crash-token',
              initMsg: e.envelope,
              initFunds: [],
              admin: '',
            },
          },
        },
      ],
      { sequence },
    );
  } else {
    const m = executeMsg(
      alice,
      io,
      token,
      codeHash,
      { transfer: { recipient: bob.address, amount: '1' } },
      [],
      nonce(height),
    );
    aliceTx = signTx(alice, [m.message], { sequence });
  }
  const bobTx = signTx(bob, [sendMsg(bob, alice.address, height)], { sequence });
  return [aliceTx, bobTx];
}
