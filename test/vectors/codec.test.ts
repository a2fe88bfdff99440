// Golden vector of the transaction format (docs/adr/002-transaction-format.md): a fixed tx
// carrying one message of every type, built from fixed keys and values, must encode to
// exactly these bytes, sign bytes and hash. Any schema change that moves a byte (a field
// renumbered, a type changed, a message added to the oneof at a used number) fails here;
// if the change is intended, it is a new wire format: bump the package version (v2).
//
// The signature is a real one: secp256k1 (RFC 6979, low-S) with private key 0x11 × 32
// over SHA-256 of the sign bytes; the test verifies it independently with @noble/curves.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { buildTx, decodeTx, encodeTx, txHash, txHashHex } from '../../src/codec/index.js';
import type { BuildTxInput } from '../../src/codec/index.js';
import { varint } from '../helpers/protobuf.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

// Keys: account private key 0x11 × 32; its compressed public key and address.
const PUBLIC_KEY = '034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa';
const SENDER = 'shroud1l3e9pgs3mmwuwrh95fecme0s0qtn2880uz89sh'; // bech32(ripemd160(sha256(PUBLIC_KEY)))
const RECIPIENT = 'shroud1yg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zmg86rk'; // 0x22 × 20
const VALIDATOR = 'shroud1xvenxvenxvenxvenxvenxvenxvenxvenfks8ky'; // 0x33 × 20
const CONTRACT = 'shroud1g3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zqwyhc2d'; // 0x44 × 32
/** An envelope shape: nonce(32) || user_pub(32) || ciphertext || tag(16) (DESIGN.md §3). */
const ENVELOPE = new Uint8Array([
  ...new Uint8Array(32).fill(0xa1),
  ...new Uint8Array(32).fill(0xb2),
  ...new TextEncoder().encode('ciphertext'),
  ...new Uint8Array(16).fill(0xc3),
]);
const WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]); // empty module
const ushr = (amount: string): { denom: string; amount: string } => ({ denom: 'ushr', amount });

const GOLDEN_INPUT: BuildTxInput = {
  messages: [
    {
      sum: { case: 'send', value: { fromAddress: SENDER, toAddress: RECIPIENT, amount: [ushr('1000000')] } },
    },
    {
      sum: {
        case: 'storeCode',
        value: { sender: SENDER, wasmByteCode: WASM, source: 'https://example.org/src', builder: 'asc:0.28' },
      },
    },
    {
      sum: {
        case: 'instantiateContract',
        value: {
          sender: SENDER,
          codeId: 1n,
          label: 'counter',
          initMsg: ENVELOPE,
          initFunds: [ushr('5')],
          admin: SENDER,
        },
      },
    },
    {
      sum: {
        case: 'executeContract',
        value: {
          sender: SENDER,
          contract: CONTRACT,
          msg: ENVELOPE,
          sentFunds: [ushr('7'), { denom: 'uatom', amount: '1' }],
        },
      },
    },
    {
      sum: {
        case: 'migrateContract',
        value: { sender: SENDER, contract: CONTRACT, codeId: 2n, msg: ENVELOPE },
      },
    },
    { sum: { case: 'registerNode', value: { sender: SENDER, quote: new Uint8Array(48).fill(0x5e) } } },
    {
      sum: {
        case: 'createValidator',
        value: {
          operatorAddress: VALIDATOR,
          consensusPublicKey: new Uint8Array(32).fill(0xed),
          selfBond: ushr('1000000000'),
          moniker: 'golden',
        },
      },
    },
    {
      sum: {
        case: 'delegate',
        value: { delegatorAddress: SENDER, validatorAddress: VALIDATOR, amount: ushr('300') },
      },
    },
    {
      sum: {
        case: 'undelegate',
        value: { delegatorAddress: SENDER, validatorAddress: VALIDATOR, amount: ushr('100') },
      },
    },
  ],
  memo: 'golden vector ✓',
  timeoutHeight: 1_000_000n,
  publicKey: fromHex(PUBLIC_KEY),
  sequence: 3n,
  fee: { amount: [ushr('5000')], gasLimit: 200_000n },
  chainId: 'shroud-golden-1',
  accountNumber: 42n,
};

const EXPECTED_BODY_BYTES = [
  '0a710a6f0a2d7368726f7564316c336539706773336d6d777577726839356665636d6530733071746e32383830757a38',
  '397368122d7368726f7564317967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a6d673836',
  '726b1a0f0a04757368721207313030303030300a5e525c0a2d7368726f7564316c336539706773336d6d777577726839',
  '356665636d6530733071746e32383830757a3839736812080061736d010000001a1768747470733a2f2f6578616d706c',
  '652e6f72672f73726322086173633a302e32380ad3015ad0010a2d7368726f7564316c336539706773336d6d77757772',
  '6839356665636d6530733071746e32383830757a3839736810011a07636f756e746572225aa1a1a1a1a1a1a1a1a1a1a1',
  'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2',
  'b2b2b2b2b263697068657274657874c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c32a090a0475736872120135322d7368726f',
  '7564316c336539706773336d6d777577726839356665636d6530733071746e32383830757a383973680ae80162e5010a',
  '2d7368726f7564316c336539706773336d6d777577726839356665636d6530733071746e32383830757a383973681241',
  '7368726f75643167337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a7967',
  '337a7967337a7967337a717779686332641a5aa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1',
  'a1a1a1b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b263697068657274657874c3c3c3',
  'c3c3c3c3c3c3c3c3c3c3c3c3c322090a0475736872120137220a0a057561746f6d1201310ad3016ad0010a2d7368726f',
  '7564316c336539706773336d6d777577726839356665636d6530733071746e32383830757a3839736812417368726f75',
  '643167337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a796733',
  '7a7967337a717779686332641802225aa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1',
  'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b263697068657274657874c3c3c3c3c3c3',
  'c3c3c3c3c3c3c3c3c3c30a64a201610a2d7368726f7564316c336539706773336d6d777577726839356665636d653073',
  '3071746e32383830757a3839736812305e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e',
  '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e0a70f2016d0a2d7368726f7564317876656e7876656e7876656e7876656e7876',
  '656e7876656e7876656e7876656e666b73386b791220edededededededededededededededededededededededededed',
  'edededededed1a120a0475736872120a313030303030303030302206676f6c64656e0a6efa016b0a2d7368726f756431',
  '6c336539706773336d6d777577726839356665636d6530733071746e32383830757a38397368122d7368726f75643178',
  '76656e7876656e7876656e7876656e7876656e7876656e7876656e7876656e666b73386b791a0b0a0475736872120333',
  '30300a6e82026b0a2d7368726f7564316c336539706773336d6d777577726839356665636d6530733071746e32383830',
  '757a38397368122d7368726f7564317876656e7876656e7876656e7876656e7876656e7876656e7876656e7876656e66',
  '6b73386b791a0b0a047573687212033130301211676f6c64656e20766563746f7220e29c9318c0843d',
].join('');
const EXPECTED_AUTH_INFO_BYTES = [
  '0a250a21034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa100312120a0c0a04757368',
  '7212043530303010c09a0c',
].join('');
const EXPECTED_SIGN_BYTES_SHA256 = '6c81982f56024ce09e3a735c07707db1da04391ac2837820fd47d0d46a843da2';
const EXPECTED_SIGNATURE = [
  '0d7dfd7b72480ad8d8ad4190264fe453bdf799e5ce239abd98af1456ad3dfbfb409513ea06a05bb9cecc3bd22e1f97c3',
  'ca14728758de095a39c9678947f2cf20',
].join('');
const EXPECTED_TX_BYTES = [
  '0ab90a0a710a6f0a2d7368726f7564316c336539706773336d6d777577726839356665636d6530733071746e32383830',
  '757a38397368122d7368726f7564317967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a6d',
  '673836726b1a0f0a04757368721207313030303030300a5e525c0a2d7368726f7564316c336539706773336d6d777577',
  '726839356665636d6530733071746e32383830757a3839736812080061736d010000001a1768747470733a2f2f657861',
  '6d706c652e6f72672f73726322086173633a302e32380ad3015ad0010a2d7368726f7564316c336539706773336d6d77',
  '7577726839356665636d6530733071746e32383830757a3839736810011a07636f756e746572225aa1a1a1a1a1a1a1a1',
  'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2',
  'b2b2b2b2b2b2b2b263697068657274657874c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c32a090a0475736872120135322d73',
  '68726f7564316c336539706773336d6d777577726839356665636d6530733071746e32383830757a383973680ae80162',
  'e5010a2d7368726f7564316c336539706773336d6d777577726839356665636d6530733071746e32383830757a383973',
  '6812417368726f75643167337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a796733',
  '7a7967337a7967337a7967337a717779686332641a5aa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1',
  'a1a1a1a1a1a1b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b263697068657274657874',
  'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c322090a0475736872120137220a0a057561746f6d1201310ad3016ad0010a2d73',
  '68726f7564316c336539706773336d6d777577726839356665636d6530733071746e32383830757a3839736812417368',
  '726f75643167337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a7967337a',
  '7967337a7967337a717779686332641802225aa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1',
  'a1a1a1b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b263697068657274657874c3c3c3',
  'c3c3c3c3c3c3c3c3c3c3c3c3c30a64a201610a2d7368726f7564316c336539706773336d6d777577726839356665636d',
  '6530733071746e32383830757a3839736812305e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e',
  '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e0a70f2016d0a2d7368726f7564317876656e7876656e7876656e787665',
  '6e7876656e7876656e7876656e7876656e666b73386b791220ededededededededededededededededededededededed',
  'ededededededededed1a120a0475736872120a313030303030303030302206676f6c64656e0a6efa016b0a2d7368726f',
  '7564316c336539706773336d6d777577726839356665636d6530733071746e32383830757a38397368122d7368726f75',
  '64317876656e7876656e7876656e7876656e7876656e7876656e7876656e7876656e666b73386b791a0b0a0475736872',
  '12033330300a6e82026b0a2d7368726f7564316c336539706773336d6d777577726839356665636d6530733071746e32',
  '383830757a38397368122d7368726f7564317876656e7876656e7876656e7876656e7876656e7876656e7876656e7876',
  '656e666b73386b791a0b0a047573687212033130301211676f6c64656e20766563746f7220e29c9318c0843d123b0a25',
  '0a21034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa100312120a0c0a047573687212',
  '043530303010c09a0c1a400d7dfd7b72480ad8d8ad4190264fe453bdf799e5ce239abd98af1456ad3dfbfb409513ea06',
  'a05bb9cecc3bd22e1f97c3ca14728758de095a39c9678947f2cf20',
].join('');
const EXPECTED_TX_HASH = '4EB3A9875CF663A2C360EB7FBF9559A3DB9CD604DC9D96D8CF474941B5DD8F06';

describe('codec golden vector', () => {
  const unsigned = buildTx(GOLDEN_INPUT);

  it('body and auth info encode to the recorded bytes', () => {
    assert.equal(hex(unsigned.bodyBytes), EXPECTED_BODY_BYTES);
    assert.equal(hex(unsigned.authInfoBytes), EXPECTED_AUTH_INFO_BYTES);
  });

  it('sign bytes are SignDoc{body, auth info, chain id, account number}', () => {
    const expected = new Uint8Array([
      0x0a,
      ...varint(unsigned.bodyBytes.length),
      ...unsigned.bodyBytes,
      0x12,
      ...varint(unsigned.authInfoBytes.length),
      ...unsigned.authInfoBytes,
      0x1a,
      15,
      ...new TextEncoder().encode('shroud-golden-1'),
      0x20,
      42,
    ]);
    assert.equal(hex(unsigned.signBytes), hex(expected));
    assert.equal(hex(sha256(unsigned.signBytes)), EXPECTED_SIGN_BYTES_SHA256);
  });

  it('the recorded signature is valid for the public key over sha256(sign bytes)', () => {
    const digest = sha256(unsigned.signBytes);
    const signature = fromHex(EXPECTED_SIGNATURE);
    assert.equal(hex(secp256k1.getPublicKey(new Uint8Array(32).fill(0x11), true)), PUBLIC_KEY);
    assert.ok(secp256k1.verify(signature, digest, fromHex(PUBLIC_KEY), { prehash: false, lowS: true }));
    // RFC 6979 is deterministic: signing again gives the same bytes.
    assert.equal(
      hex(secp256k1.sign(digest, new Uint8Array(32).fill(0x11), { prehash: false })),
      EXPECTED_SIGNATURE,
    );
  });

  it('the signed tx encodes to the recorded bytes and hash, and decodes back', () => {
    const txBytes = encodeTx({
      bodyBytes: unsigned.bodyBytes,
      authInfoBytes: unsigned.authInfoBytes,
      signatures: [fromHex(EXPECTED_SIGNATURE)],
    });
    assert.equal(hex(txBytes), EXPECTED_TX_BYTES);
    assert.equal(txHashHex(txBytes), EXPECTED_TX_HASH);
    assert.equal(hex(txHash(txBytes)), EXPECTED_TX_HASH.toLowerCase());
    const decoded = decodeTx(fromHex(EXPECTED_TX_BYTES));
    assert.equal(decoded.body.messages.length, 9);
    assert.deepEqual(
      decoded.body.messages.map((message) => message.sum.case),
      [
        'send',
        'storeCode',
        'instantiateContract',
        'executeContract',
        'migrateContract',
        'registerNode',
        'createValidator',
        'delegate',
        'undelegate',
      ],
    );
    assert.equal(decoded.body.memo, 'golden vector ✓');
    assert.equal(decoded.authInfo.signer?.sequence, 3n);
  });
});

describe('proto:check (scripts/check-proto.mjs)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));

  /** Copies what the script needs into a temp repo (node_modules linked) and runs it there. */
  function runCheck(edit: (tempRoot: string) => void): { status: number | null; output: string } {
    const temp = mkdtempSync(join(tmpdir(), 'shroud-proto-check-test-'));
    try {
      for (const path of ['proto', 'buf.yaml', 'buf.gen.yaml', 'scripts/check-proto.mjs', 'src/codec/gen']) {
        cpSync(join(root, path), join(temp, path), { recursive: true });
      }
      symlinkSync(join(root, 'node_modules'), join(temp, 'node_modules'), 'dir');
      edit(temp);
      const result = spawnSync(process.execPath, [join(temp, 'scripts/check-proto.mjs')], {
        encoding: 'utf8',
      });
      return { status: result.status, output: result.stdout + result.stderr };
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }

  it('passes on the committed generated code', () => {
    const { status, output } = runCheck(() => undefined);
    assert.equal(status, 0, output);
  });

  it('fails and names the file when a generated file is edited', () => {
    const file = 'src/codec/gen/shroud/bank/v1/tx_pb.ts';
    const { status, output } = runCheck((temp) => {
      writeFileSync(join(temp, file), readFileSync(join(temp, file), 'utf8').replace('MsgSend', 'MsgSendX'));
    });
    assert.equal(status, 1, output);
    assert.match(output, /differs: src\/codec\/gen\/shroud\/bank\/v1\/tx_pb\.ts/);
  });

  it('fails when a schema changes without regeneration', () => {
    const { status, output } = runCheck((temp) => {
      const proto = join(temp, 'proto/shroud/base/v1/coin.proto');
      writeFileSync(proto, readFileSync(proto, 'utf8').replace('string amount = 2;', 'string amount = 3;'));
    });
    assert.equal(status, 1, output);
    assert.match(output, /differs: src\/codec\/gen\/shroud\/base\/v1\/coin_pb\.ts/);
  });
});
