// Wallet and transaction building: known-mnemonic addresses, strict decoding of every message
// kind the client builds, signatures over the SignDoc rebuilt from the received bytes, and the
// envelope bound to (kind, sender, target, funds) exactly as the enclave rebuilds it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeTx,
  envelopeAssociatedData,
  instantiateTarget,
  signBytes,
  txHashHex,
} from '../../src/codec/index.js';
import {
  accountKeyFromMnemonic,
  bytesToHex,
  CryptoError,
  decryptTxInput,
  generateX25519KeyPair,
  secp256k1Verify,
  sha256,
  txEncryptionKeyPair,
  utf8Decode,
} from '../../src/crypto/index.js';
import {
  ClientError,
  Wallet,
  buildCreateValidatorTx,
  buildDelegateTx,
  buildExecuteTx,
  buildInstantiateTx,
  buildMigrateTx,
  buildRegisterNodeTx,
  buildSendTx,
  buildStoreCodeTx,
  buildUndelegateTx,
  type BuiltTx,
} from '../../src/client/index.js';

const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
// Pinned in test/vectors/crypto.test.ts, where it is checked against an independent @cosmjs derivation.
const COSMJS_ADDRESS = 'shroud1gkle2qetd47g4qlruxu8kx4m97875t66haf5tn';
const network = generateX25519KeyPair();
const wallet = Wallet.fromMnemonic(MNEMONIC);
const other = Wallet.fromMnemonic('zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
const CODE_HASH = 'ab'.repeat(32);
const contract = other.address; // any valid shroud1 address

const base = () => ({
  sender: wallet,
  chainId: 'shroud-1',
  accountNumber: 7n,
  sequence: 3n,
  gasLimit: 250_000n,
  fee: [{ denom: 'ushd', amount: '6250' }],
  memo: 'hello',
  timeoutHeight: 99n,
  networkPublicKey: network.publicKey,
});

const invalidArgument = (error: unknown) => error instanceof ClientError && error.code === 'INVALID_ARGUMENT';

function verifies(built: BuiltTx, chainId = 'shroud-1', accountNumber = 7n): boolean {
  const { tx, authInfo } = decodeTx(built.txBytes);
  const doc = signBytes({ bodyBytes: tx.bodyBytes, authInfoBytes: tx.authInfoBytes, chainId, accountNumber });
  return secp256k1Verify(sha256(doc), tx.signatures[0]!, authInfo.signer!.publicKey);
}

describe('Wallet', () => {
  it('derives the known address of a known mnemonic (the cosmjs vector) and its tx key', () => {
    assert.equal(wallet.address, COSMJS_ADDRESS);
    const key = accountKeyFromMnemonic(MNEMONIC);
    assert.equal(bytesToHex(wallet.publicKey), bytesToHex(key.publicKey));
    assert.equal(
      bytesToHex(wallet.txEncryptionPublicKey),
      bytesToHex(txEncryptionKeyPair(key.privateKey).publicKey),
      'the X25519 tx key is the crypto layer’s deterministic derivation',
    );
    assert.equal(
      bytesToHex(Wallet.fromMnemonic(MNEMONIC).txEncryptionPublicKey),
      bytesToHex(wallet.txEncryptionPublicKey),
    );
  });

  it("account and index options move along m/44'/529'/account'/0/index", () => {
    for (const [account, index] of [
      [0, 1],
      [1, 0],
      [3, 5],
    ] as const) {
      const expected = accountKeyFromMnemonic(MNEMONIC, { account, index }).address;
      assert.equal(
        Wallet.fromMnemonic(MNEMONIC, { account, index }).address,
        expected,
        `${account}/${index}`,
      );
      assert.notEqual(expected, COSMJS_ADDRESS, `${account}/${index} differs from 0/0`);
    }
  });

  it('generate gives a fresh 24-word wallet that round-trips through its mnemonic', () => {
    const a = Wallet.generate();
    const b = Wallet.generate();
    assert.notEqual(a.address, b.address);
    assert.equal(a.mnemonic!.split(' ').length, 24);
    assert.equal(Wallet.fromMnemonic(a.mnemonic!).address, a.address);
  });

  it('signs sign bytes verifiably; refuses bad input', () => {
    const message = new TextEncoder().encode('sign doc');
    const signature = wallet.sign(message);
    assert.equal(signature.length, 64);
    assert.equal(secp256k1Verify(sha256(message), signature, wallet.publicKey), true);
    assert.equal(secp256k1Verify(sha256(message), signature, other.publicKey), false);
    assert.throws(() => wallet.sign('text' as unknown as Uint8Array), invalidArgument);
    assert.throws(
      () => Wallet.fromMnemonic('abandon abandon abandon'),
      (e: unknown) => e instanceof CryptoError && e.code === 'INVALID_MNEMONIC',
    );
    assert.throws(() => Wallet.fromMnemonic(MNEMONIC, { index: -1 }), CryptoError);
  });

  it('keeps private keys out of its enumerable state and JSON', () => {
    const text = JSON.stringify(wallet) + Object.keys(wallet).join();
    const key = accountKeyFromMnemonic(MNEMONIC);
    assert.equal(text.includes(bytesToHex(key.privateKey)), false);
    assert.equal(text.includes('abandon'), false, 'nor the mnemonic');
    assert.equal(wallet.mnemonic, MNEMONIC, 'which stays readable on purpose');
    assert.equal(
      Object.keys(wallet).some((k) => /private/i.test(k)),
      false,
    );
  });
});

describe('transaction building', () => {
  it('an execute tx decodes strictly, verifies, and its envelope opens with the enclave binding', () => {
    const funds = [{ denom: 'ushd', amount: 12n }];
    const built = buildExecuteTx({
      ...base(),
      contract,
      codeHash: CODE_HASH,
      msg: { increment: { by: 2 } },
      funds,
    });
    const { body, authInfo } = decodeTx(built.txBytes);
    assert.equal(built.hashHex, txHashHex(built.txBytes));
    assert.equal(bytesToHex(built.hash), bytesToHex(sha256(built.txBytes)));
    assert.equal(body.memo, 'hello');
    assert.equal(body.timeoutHeight, 99n);
    assert.equal(authInfo.signer!.sequence, 3n);
    assert.equal(authInfo.fee!.gasLimit, 250_000n);
    assert.ok(verifies(built), 'signature verifies over the rebuilt SignDoc');
    assert.equal(verifies(built, 'shroud-2'), false, 'bound to the chain id');
    assert.equal(verifies(built, 'shroud-1', 8n), false, 'bound to the account number');
    const sum = body.messages[0]!.sum;
    assert.ok(sum.case === 'executeContract');
    assert.equal(sum.value.sender, wallet.address);
    assert.deepEqual(
      sum.value.sentFunds.map((c) => [c.denom, c.amount]),
      [['ushd', '12']],
    );
    const binding = {
      kind: 'execute' as const,
      sender: wallet.address,
      target: contract,
      funds: [{ denom: 'ushd', amount: '12' }],
    };
    const opened = decryptTxInput({
      networkPrivateKey: network.privateKey,
      envelope: sum.value.msg,
      associatedData: envelopeAssociatedData(binding),
    });
    assert.equal(utf8Decode(opened.plaintext), `${CODE_HASH}{"increment":{"by":2}}`);
    assert.equal(bytesToHex(opened.txKey), bytesToHex(built.txKey!), 'the client keeps the enclave’s tx key');
    for (const changed of [
      { ...binding, sender: other.address },
      { ...binding, target: wallet.address },
      { ...binding, funds: [] },
      { ...binding, kind: 'migrate' as const },
    ]) {
      assert.throws(
        () =>
          decryptTxInput({
            networkPrivateKey: network.privateKey,
            envelope: sum.value.msg,
            associatedData: envelopeAssociatedData(changed),
          }),
        (e: unknown) => e instanceof CryptoError && e.code === 'DECRYPT_FAILED',
        `binding ${JSON.stringify(changed)}`,
      );
    }
  });

  it('instantiate binds code:<id>/<label>; migrate binds the contract; both decode and verify', () => {
    const init = buildInstantiateTx({
      ...base(),
      codeId: 4n,
      codeHash: CODE_HASH,
      label: 'my counter',
      msg: { count: 1 },
      admin: wallet.address,
    });
    const initSum = decodeTx(init.txBytes).body.messages[0]!.sum;
    assert.ok(initSum.case === 'instantiateContract');
    assert.equal(initSum.value.admin, wallet.address);
    const ad = envelopeAssociatedData({
      kind: 'instantiate',
      sender: wallet.address,
      target: instantiateTarget(4n, 'my counter'),
      funds: [],
    });
    assert.doesNotThrow(() =>
      decryptTxInput({
        networkPrivateKey: network.privateKey,
        envelope: initSum.value.initMsg,
        associatedData: ad,
      }),
    );
    assert.ok(verifies(init));

    const migrate = buildMigrateTx({ ...base(), contract, codeId: 5n, codeHash: CODE_HASH, msg: {} });
    const migrateSum = decodeTx(migrate.txBytes).body.messages[0]!.sum;
    assert.ok(migrateSum.case === 'migrateContract');
    const migrateAd = envelopeAssociatedData({
      kind: 'migrate',
      sender: wallet.address,
      target: contract,
      funds: [],
    });
    assert.doesNotThrow(() =>
      decryptTxInput({
        networkPrivateKey: network.privateKey,
        envelope: migrateSum.value.msg,
        associatedData: migrateAd,
      }),
    );
    assert.ok(verifies(migrate));
  });

  it('public messages (store code, send, staking, register) decode strictly and carry no tx key', () => {
    const built = [
      buildStoreCodeTx({
        ...base(),
        wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]),
        source: 'https://example.org',
      }),
      buildSendTx({ ...base(), to: other.address, amount: [{ denom: 'ushd', amount: '5' }] }),
      buildDelegateTx({ ...base(), validator: other.address, amount: { denom: 'ushd', amount: 100n } }),
      buildUndelegateTx({ ...base(), validator: other.address, amount: { denom: 'ushd', amount: '1' } }),
      buildCreateValidatorTx({
        ...base(),
        consensusPublicKey: new Uint8Array(32).fill(7),
        selfBond: { denom: 'ushd', amount: '1000' },
        moniker: 'v1',
      }),
      buildRegisterNodeTx({ ...base(), quote: new Uint8Array(201).fill(1) }),
    ];
    const cases = built.map((b) => decodeTx(b.txBytes).body.messages[0]!.sum.case);
    assert.deepEqual(cases, [
      'storeCode',
      'send',
      'delegate',
      'undelegate',
      'createValidator',
      'registerNode',
    ]);
    for (const [i, b] of built.entries()) {
      assert.equal(b.txKey, null, `message ${cases[i]} has no tx key`);
      assert.ok(verifies(b), `message ${cases[i]} verifies`);
    }
    // No network key is needed for public messages.
    const { networkPublicKey: _unused, ...withoutKey } = base();
    assert.doesNotThrow(() => buildSendTx({ ...withoutKey, to: other.address, amount: [] }));
  });

  it('refuses bad input with typed errors before signing', () => {
    const exec = (patch: Record<string, unknown>) => () =>
      buildExecuteTx({ ...base(), contract, codeHash: CODE_HASH, msg: {}, ...patch });
    const { networkPublicKey: _unused, ...withoutKey } = base();
    const bad: [string, () => unknown][] = [
      ['bad contract', exec({ contract: 'shroud1notanaddress' })],
      ['other prefix', exec({ contract: 'cosmos1gkle2qetd47g4qlruxu8kx4m97875t66hxyzab' })],
      ['short code hash', exec({ codeHash: 'abcd' })],
      ['non-hex code hash', exec({ codeHash: 'zz'.repeat(32) })],
      ['negative funds', exec({ funds: [{ denom: 'ushd', amount: -1n }] })],
      ['decimal funds', exec({ funds: [{ denom: 'ushd', amount: '1.5' }] })],
      ['leading zero', exec({ funds: [{ denom: 'ushd', amount: '01' }] })],
      ['bad denom', exec({ funds: [{ denom: '1x', amount: '1' }] })],
      ['bigint in msg', exec({ msg: { n: 1n } })],
      ['undefined msg', exec({ msg: undefined })],
      ['zero gas', exec({ gasLimit: 0n })],
      ['short network key', exec({ networkPublicKey: new Uint8Array(31) })],
      ['no network key', () => buildExecuteTx({ ...withoutKey, contract, codeHash: CODE_HASH, msg: {} })],
      [
        'empty label',
        () => buildInstantiateTx({ ...base(), codeId: 1n, codeHash: CODE_HASH, label: '', msg: {} }),
      ],
      ['empty wasm', () => buildStoreCodeTx({ ...base(), wasm: new Uint8Array(0) })],
      ['bad recipient', () => buildSendTx({ ...base(), to: 'nobody', amount: [] })],
    ];
    for (const [name, build] of bad) assert.throws(build, invalidArgument, name);
    // Content the codec refuses surfaces as its CodecError (not a partial tx).
    assert.throws(
      exec({ memo: 'x'.repeat(300) }),
      (e: unknown) => e instanceof Error && e.name === 'CodecError',
      'memo',
    );
    assert.throws(
      exec({ chainId: '' }),
      (e: unknown) => e instanceof Error && e.name === 'CodecError',
      'chain id',
    );
  });

  it('fresh nonces: the same call twice gives different envelopes, keys and hashes', () => {
    const a = buildExecuteTx({ ...base(), contract, codeHash: CODE_HASH, msg: {} });
    const b = buildExecuteTx({ ...base(), contract, codeHash: CODE_HASH, msg: {} });
    assert.notEqual(a.hashHex, b.hashHex);
    assert.notEqual(bytesToHex(a.txKey!), bytesToHex(b.txKey!));
    assert.equal(
      bytesToHex(wallet.txKeyOfEnvelope(a.envelopes[0]!, network.publicKey)),
      bytesToHex(a.txKey!),
      'the wallet re-derives the key from the envelope later',
    );
  });
});
