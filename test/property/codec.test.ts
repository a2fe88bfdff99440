// Property tests of the tx codec: random valid txs of every message type round-trip
// byte-exactly at every level, and no byte string (random, or a mutated valid tx) makes the
// decoder throw anything but CodecError, or accept bytes that are not canonical.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { equals } from '@bufbuild/protobuf';
import {
  AuthInfoSchema,
  CodecError,
  TxBodySchema,
  buildTx,
  decodeTx,
  encodeAuthInfo,
  encodeTx,
  encodeTxBody,
  tryDecodeTx,
} from '../../src/codec/index.js';
import type { Msg, TxBodyInit } from '../../src/codec/index.js';
import { varint } from '../helpers/protobuf.js';

type MsgInit = NonNullable<TxBodyInit['messages']>[number];
type MsgCase = NonNullable<Msg['sum']['case']>;

const UINT64_MAX = (1n << 64n) - 1n;
const uint64 = fc.bigInt({ min: 0n, max: UINT64_MAX });
const positiveUint64 = fc.bigInt({ min: 1n, max: UINT64_MAX });
const address = fc.stringMatching(/^shroud1[02-9ac-hj-np-z]{8,58}$/);
const optionalText = fc.string({ unit: 'grapheme', maxLength: 40 });
const requiredText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
const someBytes = fc.uint8Array({ minLength: 1, maxLength: 200 });
const optionalBytes = fc.uint8Array({ maxLength: 200 });
const coin = fc.record({
  denom: fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9/:._-]{2,30}$/),
  amount: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }).map(String),
});
const coins = fc.array(coin, { maxLength: 4 });

/** One arbitrary per Msg case: every field random, within the structural rules. */
const messageArbitraries: Record<MsgCase, fc.Arbitrary<MsgInit>> = {
  send: fc
    .record({ fromAddress: address, toAddress: address, amount: coins })
    .map((value) => ({ sum: { case: 'send', value } })),
  storeCode: fc
    .record({ sender: address, wasmByteCode: someBytes, source: optionalText, builder: optionalText })
    .map((value) => ({ sum: { case: 'storeCode', value } })),
  instantiateContract: fc
    .record({
      sender: address,
      codeId: positiveUint64,
      label: requiredText,
      initMsg: someBytes,
      initFunds: coins,
      admin: fc.option(address, { nil: '' }),
    })
    .map((value) => ({ sum: { case: 'instantiateContract', value } })),
  executeContract: fc
    .record({ sender: address, contract: address, msg: someBytes, sentFunds: coins })
    .map((value) => ({ sum: { case: 'executeContract', value } })),
  migrateContract: fc
    .record({ sender: address, contract: address, codeId: positiveUint64, msg: optionalBytes })
    .map((value) => ({ sum: { case: 'migrateContract', value } })),
  registerNode: fc
    .record({ sender: address, quote: someBytes })
    .map((value) => ({ sum: { case: 'registerNode', value } })),
  createValidator: fc
    .record({
      operatorAddress: address,
      consensusPublicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      selfBond: coin,
      moniker: optionalText,
    })
    .map((value) => ({ sum: { case: 'createValidator', value } })),
  delegate: fc
    .record({ delegatorAddress: address, validatorAddress: address, amount: coin })
    .map((value) => ({ sum: { case: 'delegate', value } })),
  undelegate: fc
    .record({ delegatorAddress: address, validatorAddress: address, amount: coin })
    .map((value) => ({ sum: { case: 'undelegate', value } })),
};
const anyMessage = fc.oneof(...Object.values(messageArbitraries));

const publicKey = fc
  .tuple(fc.constantFrom(0x02, 0x03), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([prefix, x]) => new Uint8Array([prefix, ...x]));

/** A signed random tx (the signature is random bytes: the codec does not verify it). */
function txArbitrary(messages: fc.Arbitrary<MsgInit[]>): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      messages,
      memo: fc.string({ unit: 'grapheme', maxLength: 60 }),
      timeoutHeight: uint64,
      publicKey,
      sequence: uint64,
      fee: fc.record({ amount: coins, gasLimit: positiveUint64 }),
      chainId: fc.stringMatching(/^[a-z0-9-]{1,50}$/),
      accountNumber: uint64,
      signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
    })
    .filter((input) => new TextEncoder().encode(input.memo).length <= 256)
    .map((input) => {
      const unsigned = buildTx(input);
      return encodeTx({
        bodyBytes: unsigned.bodyBytes,
        authInfoBytes: unsigned.authInfoBytes,
        signatures: [input.signature],
      });
    });
}

/** decode → encode gives the same bytes at every level (Tx, body, auth info). */
function assertRoundTrip(bytes: Uint8Array): void {
  const { tx, body, authInfo } = decodeTx(bytes);
  assert.deepEqual(encodeTx(tx), bytes, 'tx bytes');
  assert.deepEqual(encodeTxBody(body), tx.bodyBytes, 'body bytes');
  assert.deepEqual(encodeAuthInfo(authInfo), tx.authInfoBytes, 'auth info bytes');
}

/** Decoding never throws anything but CodecError; what it accepts is canonical. */
function assertStrictDecode(bytes: Uint8Array): void {
  const result = tryDecodeTx(bytes); // rethrows anything that is not a CodecError
  if (result.ok) {
    const { tx, body, authInfo } = result.value;
    assert.deepEqual(encodeTx(tx), bytes, 'accepted tx bytes must be the canonical encoding');
    assert.deepEqual(encodeTxBody(body), tx.bodyBytes, 'accepted body bytes must be canonical');
    assert.deepEqual(
      encodeAuthInfo(authInfo),
      tx.authInfoBytes,
      'accepted auth info bytes must be canonical',
    );
  } else {
    assert.ok(result.error instanceof CodecError);
  }
}

describe('codec properties: round trip', () => {
  for (const [name, message] of Object.entries(messageArbitraries)) {
    it(`decode → encode gives back the same bytes (${name})`, () => {
      fc.assert(
        fc.property(txArbitrary(fc.array(message, { minLength: 1, maxLength: 3 })), assertRoundTrip),
        { numRuns: 60 },
      );
    });
  }

  it('decode → encode gives back the same bytes (mixed message types)', () => {
    fc.assert(
      fc.property(txArbitrary(fc.array(anyMessage, { minLength: 1, maxLength: 6 })), assertRoundTrip),
      { numRuns: 150 },
    );
  });

  it('decoded body and auth info equal what was built', () => {
    fc.assert(
      fc.property(
        fc.array(anyMessage, { minLength: 1, maxLength: 4 }),
        coins,
        positiveUint64,
        publicKey,
        (messages, feeAmount, gasLimit, key) => {
          const unsigned = buildTx({
            messages,
            publicKey: key,
            sequence: 1n,
            fee: { amount: feeAmount, gasLimit },
            chainId: 'shroud-test',
            accountNumber: 0n,
          });
          const bytes = encodeTx({
            bodyBytes: unsigned.bodyBytes,
            authInfoBytes: unsigned.authInfoBytes,
            signatures: [new Uint8Array(64)],
          });
          const decoded = decodeTx(bytes);
          assert.ok(equals(TxBodySchema, decoded.body, unsigned.body), 'body');
          assert.ok(equals(AuthInfoSchema, decoded.authInfo, unsigned.authInfo), 'auth info');
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('codec properties: hostile bytes', () => {
  it('random byte strings never throw anything but CodecError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), assertStrictDecode), { numRuns: 3000 });
  });

  it('random bytes that look like protobuf (valid tags) never throw anything but CodecError', () => {
    // Build streams of (tag, payload) records over the field numbers the schemas use, so the
    // decoder gets past the first byte more often than with uniform noise.
    const record = fc.tuple(
      fc.integer({ min: 1, max: 40 }),
      fc.constantFrom(0, 1, 2, 5),
      fc.uint8Array({ maxLength: 12 }),
    );
    const stream = fc.array(record, { maxLength: 12 }).map((records) =>
      Uint8Array.from(
        records.flatMap(([field, wireType, payload]) => {
          const head = [(field << 3) | wireType];
          if (wireType === 2) return [...head, payload.length, ...payload];
          if (wireType === 0) return [...head, (payload[0] ?? 0) & 0x7f];
          return [...head, ...new Uint8Array(wireType === 1 ? 8 : 4)];
        }),
      ),
    );
    fc.assert(fc.property(stream, assertStrictDecode), { numRuns: 3000 });
  });

  it('mutated valid txs (flip, insert, delete, truncate) are rejected or still canonical', () => {
    const mutation = fc.record({
      kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate'),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(txArbitrary(fc.array(anyMessage, { minLength: 1, maxLength: 2 })), mutation, (bytes, m) => {
        const at = m.at % bytes.length;
        const mutated = Array.from(bytes);
        if (m.kind === 'flip') mutated[at] = (mutated[at] ?? 0) ^ (m.byte | 1);
        if (m.kind === 'insert') mutated.splice(at, 0, m.byte);
        if (m.kind === 'delete') mutated.splice(at, 1);
        if (m.kind === 'truncate') mutated.length = at;
        assertStrictDecode(Uint8Array.from(mutated));
      }),
      { numRuns: 1500 },
    );
  });

  it('non-canonical spellings of random valid txs are rejected as NON_CANONICAL', () => {
    const spelling = fc.constantFrom('swap body and auth info', 'duplicate body', 'pad a length varint');
    fc.assert(
      fc.property(
        txArbitrary(fc.array(anyMessage, { minLength: 1, maxLength: 2 })),
        spelling,
        (bytes, how) => {
          const [body, auth, signature] = splitRecords(bytes);
          assert.ok(body && auth && signature, 'a valid tx has three top-level records');
          const variant =
            how === 'swap body and auth info'
              ? [auth, body, signature]
              : how === 'duplicate body'
                ? [body, body, auth, signature]
                : [body, padLength(auth), signature];
          const result = tryDecodeTx(Uint8Array.from(variant.flatMap((record) => [...record])));
          assert.equal(result.ok ? 'accepted' : result.error.code, 'NON_CANONICAL', how);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random body bytes inside an otherwise valid tx never throw anything but CodecError', () => {
    const authInfoBytes = encodeAuthInfo({
      signer: { publicKey: new Uint8Array([2, ...new Uint8Array(32).fill(1)]), sequence: 0n },
      fee: { amount: [], gasLimit: 1n },
    });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (body) => {
        const head = [0x0a, ...varint(body.length)];
        const auth = [0x12, ...varint(authInfoBytes.length), ...authInfoBytes];
        const signature = [0x1a, 64, ...new Uint8Array(64)];
        assertStrictDecode(Uint8Array.from([...head, ...body, ...auth, ...signature]));
      }),
      { numRuns: 2000 },
    );
  });
});

/** Splits a byte string of length-delimited records with one-byte tags (as Tx is). */
function splitRecords(bytes: Uint8Array): Uint8Array[] {
  const records: Uint8Array[] = [];
  let position = 0;
  while (position < bytes.length) {
    let length = 0;
    let shift = 0;
    let cursor = position + 1; // skip the one-byte tag
    for (;;) {
      const byte = bytes[cursor++] ?? 0;
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    records.push(bytes.subarray(position, cursor + length));
    position = cursor + length;
  }
  return records;
}

/** The same record with its length varint one byte longer than needed (0x80 … 0x00). */
function padLength(record: Uint8Array): Uint8Array {
  let end = 1;
  while (((record[end] ?? 0) & 0x80) !== 0) end++;
  const prefix = Array.from(record.subarray(0, end + 1));
  prefix[end] = (prefix[end] ?? 0) | 0x80;
  return Uint8Array.from([...prefix, 0x00, ...record.subarray(end + 1)]);
}
