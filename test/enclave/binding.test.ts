// envelopeAssociatedData (src/codec/binding.ts): the one encoding of (kind, sender, target,
// funds) that client and enclave both bind an envelope to (DESIGN.md §3).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesToHex,
  decryptTxInput,
  encryptTxInput,
  generateX25519KeyPair,
  utf8Encode,
} from '../../src/crypto/index.js';
import {
  CodecError,
  envelopeAssociatedData,
  instantiateTarget,
  type EnvelopeBinding,
} from '../../src/codec/index.js';

const base: EnvelopeBinding = {
  kind: 'execute',
  sender: 'shroud1sender',
  target: 'shroud1contract',
  funds: [
    { denom: 'ushd', amount: '10' },
    { denom: 'uatom', amount: 5n },
  ],
};

describe('envelopeAssociatedData', () => {
  it('has a fixed layout: domain label, then length-prefixed fields, funds in the order given', () => {
    const bytes = envelopeAssociatedData({
      kind: 'query',
      sender: '',
      target: 'ab',
      funds: [{ denom: 'x', amount: '7' }],
    });
    const expected =
      bytesToHex(utf8Encode('shroud/v1/envelope-ad\u0000')) +
      '00000005' +
      bytesToHex(utf8Encode('query')) +
      '00000000' +
      '00000002' +
      bytesToHex(utf8Encode('ab')) +
      '00000001' +
      '00000001' +
      bytesToHex(utf8Encode('x')) +
      '00000001' +
      bytesToHex(utf8Encode('7'));
    assert.equal(bytesToHex(bytes), expected);
  });

  it('changes with every field, field boundaries and the order of funds', () => {
    const variants: EnvelopeBinding[] = [
      base,
      { ...base, kind: 'callback' },
      { ...base, sender: 'shroud1sende', target: 'rshroud1contract' },
      { ...base, target: 'shroud1other' },
      { ...base, funds: [...base.funds].reverse() },
      { ...base, funds: base.funds.slice(0, 1) },
      {
        ...base,
        funds: [
          { denom: 'ushd', amount: '100' },
          { denom: 'uatom', amount: '5' },
        ],
      },
      {
        ...base,
        funds: [
          { denom: 'ushd1', amount: '0' },
          { denom: 'uatom', amount: '5' },
        ],
      },
      { ...base, kind: 'instantiate', target: instantiateTarget(3n, 'my label') },
    ];
    const seen = new Set(variants.map((binding) => bytesToHex(envelopeAssociatedData(binding))));
    assert.equal(seen.size, variants.length);
    assert.deepEqual(
      envelopeAssociatedData({
        ...base,
        funds: [
          { denom: 'ushd', amount: 10n },
          { denom: 'uatom', amount: '5' },
        ],
      }),
      envelopeAssociatedData(base),
      'a bigint amount encodes like its decimal string',
    );
    assert.equal(instantiateTarget(3n, 'my label'), 'code:3/my label');
  });

  it('refuses unknown kinds and non-canonical amounts', () => {
    const bad: unknown[] = [
      { ...base, kind: 'transfer' },
      { ...base, funds: [{ denom: 'ushd', amount: '-1' }] },
      { ...base, funds: [{ denom: 'ushd', amount: '010' }] },
      { ...base, funds: [{ denom: 'ushd', amount: '1.5' }] },
      { ...base, funds: [{ denom: 'ushd', amount: -1n }] },
      { ...base, sender: 5 },
    ];
    for (const [i, binding] of bad.entries()) {
      assert.throws(() => envelopeAssociatedData(binding as EnvelopeBinding), CodecError, `case ${i}`);
    }
  });

  it('binds the envelope: decrypting with any other binding fails', () => {
    const network = generateX25519KeyPair();
    const { envelope } = encryptTxInput({
      networkPublicKey: network.publicKey,
      userKeyPair: generateX25519KeyPair(),
      plaintext: utf8Encode('{"increment":{}}'),
      associatedData: envelopeAssociatedData(base),
    });
    const open = (binding: EnvelopeBinding) =>
      decryptTxInput({
        networkPrivateKey: network.privateKey,
        envelope,
        associatedData: envelopeAssociatedData(binding),
      });
    assert.deepEqual(open(base).plaintext, utf8Encode('{"increment":{}}'));
    for (const other of [
      { ...base, sender: 'shroud1thief' },
      { ...base, target: 'shroud1x' },
      { ...base, funds: [] },
    ]) {
      assert.throws(
        () => open(other),
        /DECRYPT|authenticat/i,
        JSON.stringify(other, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      );
    }
  });
});
