// Unit tests of the strict tx codec: what it accepts, and that every way of bending the
// wire format is rejected with the right CodecError code. Bad bytes are written by hand
// with a tiny protobuf writer, independent of the encoder under test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError,
  buildTx,
  decodeAuthInfo,
  decodeTx,
  decodeTxBody,
  encodeAuthInfo,
  encodeTx,
  encodeTxBody,
  isCanonicalAmount,
  signBytes,
  tryDecodeTx,
  txHash,
  txHashHex,
} from './index.js';
import type { CodecErrorCode, TxBodyInit } from './index.js';
import { varint } from '../../test/helpers/protobuf.js';

// ---- a minimal protobuf writer (wire format: protobuf.dev/programming-guides/encoding) ----

const tag = (fieldNumber: number, wireType: number): number[] => varint((fieldNumber << 3) | wireType);
const lengthDelimited = (fieldNumber: number, payload: Uint8Array | number[]): number[] => [
  ...tag(fieldNumber, 2),
  ...varint(payload.length),
  ...payload,
];
const varintField = (fieldNumber: number, value: number | bigint): number[] => [
  ...tag(fieldNumber, 0),
  ...varint(value),
];
const text = (value: string): number[] => [...new TextEncoder().encode(value)];
const bytes = (...parts: number[][]): Uint8Array => new Uint8Array(parts.flat());

// ---- a valid transaction, written by hand ----

const PUBLIC_KEY = new Uint8Array(33).fill(7);
PUBLIC_KEY[0] = 0x02;
const SIGNATURE = new Uint8Array(64).fill(9);

/** A string field as proto3 writes it: omitted when empty. */
const stringField = (fieldNumber: number, value: string): number[] =>
  value === '' ? [] : lengthDelimited(fieldNumber, text(value));
const coin = (denom: string, amount: string): number[] => [
  ...stringField(1, denom),
  ...stringField(2, amount),
];
const msgSend = [
  ...lengthDelimited(1, text('shroud1from')),
  ...lengthDelimited(2, text('shroud1to')),
  ...lengthDelimited(3, coin('ushr', '1000')),
];
const msg = lengthDelimited(1, msgSend); // Msg.send = 1
const bodyBytes = bytes(lengthDelimited(1, msg), lengthDelimited(2, text('hi')), varintField(3, 100));
const signerInfo = [...lengthDelimited(1, PUBLIC_KEY), ...varintField(2, 5)];
const fee = [...lengthDelimited(1, coin('ushr', '5000')), ...varintField(2, 200_000)];
const authInfoBytes = bytes(lengthDelimited(1, signerInfo), lengthDelimited(2, fee));

function txFrom(body: Uint8Array, authInfo: Uint8Array, signatures: Uint8Array[] = [SIGNATURE]): Uint8Array {
  // proto3 omits empty bytes fields; repeated elements are always written.
  const bodyField = body.length === 0 ? [] : lengthDelimited(1, body);
  return bytes(bodyField, lengthDelimited(2, authInfo), ...signatures.map((s) => lengthDelimited(3, s)));
}
const validTx = txFrom(bodyBytes, authInfoBytes);

/** Asserts `run` throws a CodecError with `code` (and returns it for more checks). */
function expectCodecError(run: () => unknown, code: CodecErrorCode, context: string): CodecError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof CodecError, `${context}: expected CodecError, got ${String(error)}`);
    assert.equal(error.code, code, `${context}: ${error.message}`);
    return error;
  }
  assert.fail(`${context}: expected CodecError ${code}, but it was accepted`);
}

const sendBody: TxBodyInit = {
  messages: [
    {
      sum: {
        case: 'send',
        value: {
          fromAddress: 'shroud1from',
          toAddress: 'shroud1to',
          amount: [{ denom: 'ushr', amount: '1000' }],
        },
      },
    },
  ],
  memo: 'hi',
  timeoutHeight: 100n,
};
const authInfoInit = {
  signer: { publicKey: PUBLIC_KEY, sequence: 5n },
  fee: { amount: [{ denom: 'ushr', amount: '5000' }], gasLimit: 200_000n },
};

describe('codec: accepting valid transactions', () => {
  it('decodes the hand-written tx and reads every field', () => {
    const { tx, body, authInfo } = decodeTx(validTx);
    assert.deepEqual(tx.signatures, [SIGNATURE]);
    assert.equal(body.memo, 'hi');
    assert.equal(body.timeoutHeight, 100n);
    const sum = body.messages[0]?.sum;
    assert.equal(sum?.case, 'send');
    assert.equal(sum.value.toAddress, 'shroud1to');
    assert.deepEqual(
      sum.value.amount.map((c) => [c.denom, c.amount]),
      [['ushr', '1000']],
    );
    assert.deepEqual(authInfo.signer?.publicKey, PUBLIC_KEY);
    assert.equal(authInfo.signer?.sequence, 5n);
    assert.equal(authInfo.fee?.gasLimit, 200_000n);
  });

  it('the encoder produces exactly the hand-written bytes', () => {
    assert.deepEqual(encodeTxBody(sendBody), bodyBytes);
    assert.deepEqual(encodeAuthInfo(authInfoInit), authInfoBytes);
    assert.deepEqual(encodeTx({ bodyBytes, authInfoBytes, signatures: [SIGNATURE] }), validTx);
  });

  it('buildTx gives the body, auth info and SignDoc bytes', () => {
    const unsigned = buildTx({
      messages: sendBody.messages ?? [],
      memo: 'hi',
      timeoutHeight: 100n,
      publicKey: PUBLIC_KEY,
      sequence: 5n,
      fee: { amount: [{ denom: 'ushr', amount: '5000' }], gasLimit: 200_000n },
      chainId: 'shroud-1',
      accountNumber: 3n,
    });
    assert.deepEqual(unsigned.bodyBytes, bodyBytes);
    assert.deepEqual(unsigned.authInfoBytes, authInfoBytes);
    const expectedSignDoc = bytes(
      lengthDelimited(1, bodyBytes),
      lengthDelimited(2, authInfoBytes),
      lengthDelimited(3, text('shroud-1')),
      varintField(4, 3),
    );
    assert.deepEqual(unsigned.signBytes, expectedSignDoc);
    assert.deepEqual(
      signBytes({ bodyBytes, authInfoBytes, chainId: 'shroud-1', accountNumber: 3n }),
      expectedSignDoc,
    );
  });

  it('sign bytes change with chain id and account number', () => {
    const base = { bodyBytes, authInfoBytes, chainId: 'shroud-1', accountNumber: 3n };
    const reference = signBytes(base);
    assert.notDeepEqual(signBytes({ ...base, chainId: 'shroud-2' }), reference);
    assert.notDeepEqual(signBytes({ ...base, accountNumber: 4n }), reference);
  });

  it('signBytes rejects an empty or too long chain id', () => {
    for (const chainId of ['', 'x'.repeat(51)]) {
      expectCodecError(
        () => signBytes({ bodyBytes, authInfoBytes, chainId, accountNumber: 0n }),
        'INVALID_FIELD',
        `chain id of length ${chainId.length}`,
      );
    }
    expectCodecError(
      () => signBytes({ bodyBytes, authInfoBytes, chainId: 'c', accountNumber: -1n }),
      'INVALID_FIELD',
      'negative account number',
    );
  });

  it('txHash is SHA-256 of the bytes, txHashHex the uppercase hex', () => {
    // FIPS 180-2 test vector: SHA-256("abc").
    const abc = new TextEncoder().encode('abc');
    assert.equal(txHashHex(abc), 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD');
    assert.equal(txHash(abc).length, 32);
    assert.notEqual(txHashHex(validTx), txHashHex(validTx.subarray(1)));
  });

  it('tryDecodeTx returns results instead of throwing', () => {
    const good = tryDecodeTx(validTx);
    assert.equal(good.ok, true);
    const bad = tryDecodeTx(new Uint8Array([0xff]));
    assert.equal(bad.ok, false);
    assert.equal(bad.ok ? undefined : bad.error.code, 'MALFORMED');
  });
});

describe('codec: rejecting malformed and non-canonical bytes', () => {
  it('trailing garbage', () => {
    expectCodecError(
      () => decodeTx(bytes([...validTx], [0xff, 0xff, 0xff])),
      'MALFORMED',
      'incomplete varint tag',
    );
    expectCodecError(() => decodeTx(bytes([...validTx], [0x00])), 'MALFORMED', 'field number 0');
    expectCodecError(() => decodeTx(bytes([...validTx], [0x0f])), 'MALFORMED', 'wire type 7');
  });

  it('an unknown field inside body_bytes (signed bytes)', () => {
    const body = bytes([...bodyBytes], varintField(99, 1));
    const error = expectCodecError(
      () => decodeTx(txFrom(body, authInfoBytes)),
      'UNKNOWN_FIELD',
      'body field 99',
    );
    assert.equal(error.field, 'body');
    expectCodecError(() => decodeTxBody(body), 'UNKNOWN_FIELD', 'decodeTxBody');
  });

  it('an unknown field deep inside a message in the body', () => {
    const deepSend = [...msgSend, ...lengthDelimited(9, text('x'))];
    const body = bytes(lengthDelimited(1, lengthDelimited(1, deepSend)));
    const error = expectCodecError(
      () => decodeTx(txFrom(body, authInfoBytes)),
      'UNKNOWN_FIELD',
      'MsgSend field 9',
    );
    assert.equal(error.field, 'body.messages[0].send');
    // An unknown Msg case (a message type this version does not know).
    const unknownCase = bytes(lengthDelimited(1, lengthDelimited(40, msgSend)));
    expectCodecError(() => decodeTx(txFrom(unknownCase, authInfoBytes)), 'UNKNOWN_FIELD', 'Msg case 40');
  });

  it('an unknown field inside auth_info and inside the outer tx', () => {
    const authInfo = bytes([...authInfoBytes], lengthDelimited(3, [1, 2, 3]));
    expectCodecError(() => decodeTx(txFrom(bodyBytes, authInfo)), 'UNKNOWN_FIELD', 'auth_info field 3');
    expectCodecError(() => decodeAuthInfo(authInfo), 'UNKNOWN_FIELD', 'decodeAuthInfo');
    const signer = bytes(lengthDelimited(1, [...signerInfo, ...varintField(7, 1)]), lengthDelimited(2, fee));
    expectCodecError(() => decodeTx(txFrom(bodyBytes, signer)), 'UNKNOWN_FIELD', 'signer field 7');
    expectCodecError(() => decodeTx(bytes([...validTx], varintField(4, 1))), 'UNKNOWN_FIELD', 'tx field 4');
  });

  it('non-minimal varints (a value and a length prefix)', () => {
    // timeout_height = 100 as 0xe4 0x80 0x00 instead of 0x64.
    const paddedValue = bytes(
      lengthDelimited(1, msg),
      lengthDelimited(2, text('hi')),
      tag(3, 0),
      [0xe4, 0x80, 0x00],
    );
    expectCodecError(
      () => decodeTx(txFrom(paddedValue, authInfoBytes)),
      'NON_CANONICAL',
      'padded timeout_height',
    );
    // body_bytes length written with one redundant continuation byte.
    const paddedLength = bytes(
      tag(1, 2),
      [(bodyBytes.length & 0x7f) | 0x80, bodyBytes.length >> 7],
      [...bodyBytes],
      lengthDelimited(2, authInfoBytes),
      lengthDelimited(3, SIGNATURE),
    );
    assert.ok(bodyBytes.length < 128, 'the test needs a one-byte length to pad');
    expectCodecError(() => decodeTx(paddedLength), 'NON_CANONICAL', 'padded length prefix');
  });

  it('reordered fields', () => {
    const swapped = bytes(
      lengthDelimited(2, authInfoBytes),
      lengthDelimited(1, bodyBytes),
      lengthDelimited(3, SIGNATURE),
    );
    expectCodecError(() => decodeTx(swapped), 'NON_CANONICAL', 'auth_info before body');
    const body = bytes(lengthDelimited(2, text('hi')), lengthDelimited(1, msg), varintField(3, 100));
    expectCodecError(() => decodeTx(txFrom(body, authInfoBytes)), 'NON_CANONICAL', 'memo before messages');
    const coinSwapped = bytes(
      lengthDelimited(
        1,
        lengthDelimited(1, [...lengthDelimited(2, text('shroud1to')), ...lengthDelimited(1, text('a'))]),
      ),
    );
    expectCodecError(() => decodeTxBody(coinSwapped), 'NON_CANONICAL', 'to_address before from_address');
  });

  it('duplicated singular fields (last-one-wins in protobuf)', () => {
    const twice = bytes(lengthDelimited(1, bodyBytes), [...validTx]);
    expectCodecError(() => decodeTx(twice), 'NON_CANONICAL', 'body_bytes twice');
    const memoTwice = bytes([...bodyBytes], lengthDelimited(2, text('hi')));
    expectCodecError(() => decodeTxBody(memoTwice), 'NON_CANONICAL', 'memo twice');
    // Two cases of the Msg oneof in one Msg: protobuf keeps the last, the bytes carried both.
    const twoCases = bytes(
      lengthDelimited(1, [...msg, ...lengthDelimited(20, lengthDelimited(1, text('a')))]),
    );
    expectCodecError(() => decodeTxBody(twoCases), 'NON_CANONICAL', 'send and register_node in one Msg');
  });

  it('a default value explicitly encoded', () => {
    const emptyMemo = bytes(lengthDelimited(1, msg), lengthDelimited(2, []), varintField(3, 100));
    expectCodecError(() => decodeTx(txFrom(emptyMemo, authInfoBytes)), 'NON_CANONICAL', 'memo ""');
    const zeroTimeout = bytes(lengthDelimited(1, msg), lengthDelimited(2, text('hi')), varintField(3, 0));
    expectCodecError(() => decodeTx(txFrom(zeroTimeout, authInfoBytes)), 'NON_CANONICAL', 'timeout_height 0');
    const zeroSequence = bytes(
      lengthDelimited(1, [...lengthDelimited(1, PUBLIC_KEY), ...varintField(2, 0)]),
      lengthDelimited(2, fee),
    );
    expectCodecError(() => decodeTx(txFrom(bodyBytes, zeroSequence)), 'NON_CANONICAL', 'sequence 0');
  });

  it('a scalar written with the wrong wire type', () => {
    // memo (string, wire type 2) written as a varint.
    const body = bytes(lengthDelimited(1, msg), varintField(2, 5));
    const result = tryDecodeTx(txFrom(body, authInfoBytes));
    assert.equal(result.ok, false, 'must be rejected');
  });

  it('truncated bytes: every strict prefix is rejected, mid-field cuts as MALFORMED', () => {
    for (let length = 0; length < validTx.length; length++) {
      const result = tryDecodeTx(validTx.subarray(0, length));
      assert.equal(result.ok, false, `prefix of ${length} bytes was accepted`);
    }
    expectCodecError(() => decodeTx(validTx.subarray(0, validTx.length - 1)), 'MALFORMED', 'last byte cut');
    expectCodecError(() => decodeTx(validTx.subarray(0, 10)), 'MALFORMED', 'cut inside body_bytes');
    // Truncation inside body_bytes with a consistent outer length.
    expectCodecError(
      () => decodeTx(txFrom(bodyBytes.subarray(0, 20), authInfoBytes)),
      'MALFORMED',
      'body cut',
    );
  });

  it('invalid UTF-8 in a string field', () => {
    const body = bytes(lengthDelimited(1, msg), lengthDelimited(2, [0xc3, 0x28]));
    expectCodecError(() => decodeTx(txFrom(body, authInfoBytes)), 'MALFORMED', 'invalid UTF-8 memo');
  });

  it('deeply nested groups do not overflow the stack', () => {
    const nested = new Uint8Array(100_000).fill(0x0b); // field 1, StartGroup, over and over
    expectCodecError(() => decodeTx(nested), 'MALFORMED', 'nested groups');
    expectCodecError(() => decodeTx(txFrom(nested.subarray(0, 5000), authInfoBytes)), 'MALFORMED', 'in body');
  });

  it('empty messages', () => {
    const body = bytes(lengthDelimited(2, text('no messages')));
    expectCodecError(() => decodeTx(txFrom(body, authInfoBytes)), 'EMPTY_MESSAGES', 'memo only');
    expectCodecError(
      () => decodeTx(txFrom(new Uint8Array(0), authInfoBytes)),
      'EMPTY_MESSAGES',
      'empty body',
    );
    expectCodecError(() => encodeTxBody({ messages: [] }), 'EMPTY_MESSAGES', 'encodeTxBody');
  });

  it('oversize tx (default 1 MiB and an explicit limit)', () => {
    const big = new Uint8Array(1024 * 1024 + 1);
    expectCodecError(() => decodeTx(big), 'TOO_LARGE', 'default limit');
    expectCodecError(
      () => decodeTx(validTx, { maxTxBytes: validTx.length - 1 }),
      'TOO_LARGE',
      'explicit limit',
    );
    assert.equal(decodeTx(validTx, { maxTxBytes: validTx.length }).body.memo, 'hi', 'exactly at the limit');
    expectCodecError(() => decodeTxBody(bodyBytes, { maxTxBytes: 10 }), 'TOO_LARGE', 'body limit');
  });

  it('too many messages, counted before the body is decoded', () => {
    const many = (count: number): Uint8Array =>
      bytes(...Array.from({ length: count }, () => lengthDelimited(1, msg)));
    expectCodecError(() => decodeTx(txFrom(many(257), authInfoBytes)), 'TOO_LARGE', '257 messages');
    assert.equal(decodeTx(txFrom(many(256), authInfoBytes)).body.messages.length, 256, '256 messages');
    assert.equal(decodeTx(txFrom(many(300), authInfoBytes), { maxMessages: 300 }).body.messages.length, 300);
    expectCodecError(() => decodeTxBody(many(3), { maxMessages: 2 }), 'TOO_LARGE', 'decodeTxBody limit');
    expectCodecError(
      () =>
        encodeTxBody(
          { messages: Array.from({ length: 3 }, () => (sendBody.messages ?? [])[0] ?? {}) },
          { maxMessages: 2 },
        ),
      'TOO_LARGE',
      'encodeTxBody limit',
    );
    // A body whose records do not parse is still reported as MALFORMED, not TOO_LARGE.
    expectCodecError(() => decodeTxBody(bytes([...many(2)], [0x0a, 0x7f])), 'MALFORMED', 'cut record');
  });

  it('a too long memo', () => {
    const body = bytes(lengthDelimited(1, msg), lengthDelimited(2, text('m'.repeat(257))));
    expectCodecError(() => decodeTx(txFrom(body, authInfoBytes)), 'TOO_LARGE', 'memo of 257 bytes');
    assert.equal(decodeTx(txFrom(body, authInfoBytes), { maxMemoBytes: 257 }).body.memo.length, 257);
  });
});

describe('codec: structural validation', () => {
  it('exactly one signature of 64 bytes', () => {
    const cases: [string, Uint8Array[]][] = [
      ['no signature', []],
      ['two signatures', [SIGNATURE, SIGNATURE]],
      ['63 bytes', [SIGNATURE.subarray(0, 63)]],
      ['65 bytes', [new Uint8Array(65)]],
      ['empty', [new Uint8Array(0)]],
    ];
    for (const [name, signatures] of cases) {
      expectCodecError(() => decodeTx(txFrom(bodyBytes, authInfoBytes, signatures)), 'INVALID_FIELD', name);
      expectCodecError(
        () => encodeTx({ bodyBytes, authInfoBytes, signatures }),
        'INVALID_FIELD',
        `encode ${name}`,
      );
    }
  });

  it('a 33-byte compressed public key', () => {
    const uncompressed = new Uint8Array(65).fill(1);
    uncompressed[0] = 0x04;
    const badPrefix = PUBLIC_KEY.slice();
    badPrefix[0] = 0x04;
    for (const [name, key] of [
      ['32 bytes', PUBLIC_KEY.subarray(0, 32)],
      ['65 bytes uncompressed', uncompressed],
      ['prefix 0x04', badPrefix],
      ['empty', new Uint8Array(0)],
    ] as const) {
      expectCodecError(
        () => encodeAuthInfo({ ...authInfoInit, signer: { publicKey: key, sequence: 1n } }),
        'INVALID_FIELD',
        name,
      );
    }
  });

  it('signer and fee are required, gas limit > 0', () => {
    expectCodecError(() => encodeAuthInfo({ fee: authInfoInit.fee }), 'INVALID_FIELD', 'no signer');
    expectCodecError(() => encodeAuthInfo({ signer: authInfoInit.signer }), 'INVALID_FIELD', 'no fee');
    const zeroGas = bytes(lengthDelimited(1, signerInfo), lengthDelimited(2, []));
    expectCodecError(() => decodeTx(txFrom(bodyBytes, zeroGas)), 'INVALID_FIELD', 'empty fee (gas 0)');
    expectCodecError(
      () => encodeAuthInfo({ ...authInfoInit, fee: { amount: [], gasLimit: 0n } }),
      'INVALID_FIELD',
      'gas 0',
    );
  });

  it('amounts are canonical decimal strings', () => {
    const good = ['0', '1', '10', '1000000', '9'.repeat(78)];
    const bad = ['', '01', '00', '-1', '+1', '1.0', ' 1', '1 ', '1e3', '0x10', '１', '9'.repeat(79)];
    for (const amount of good)
      assert.ok(isCanonicalAmount(amount), `should accept ${JSON.stringify(amount)}`);
    for (const amount of bad) {
      assert.ok(!isCanonicalAmount(amount), `should reject ${JSON.stringify(amount)}`);
      const body = bytes(
        lengthDelimited(
          1,
          lengthDelimited(1, [
            ...lengthDelimited(1, text('a')),
            ...lengthDelimited(2, text('b')),
            ...lengthDelimited(3, coin('ushr', amount)),
          ]),
        ),
      );
      expectCodecError(
        () => decodeTx(txFrom(body, authInfoBytes)),
        'INVALID_FIELD',
        `amount ${JSON.stringify(amount)}`,
      );
    }
    expectCodecError(
      () =>
        encodeAuthInfo({
          ...authInfoInit,
          fee: { amount: [{ denom: 'ushr', amount: '007' }], gasLimit: 1n },
        }),
      'INVALID_FIELD',
      'fee amount 007',
    );
  });

  it('denoms follow the Cosmos rule', () => {
    for (const denom of ['', 'u', '1abc', 'ab cd', 'x'.repeat(129)]) {
      expectCodecError(
        () => encodeAuthInfo({ ...authInfoInit, fee: { amount: [{ denom, amount: '1' }], gasLimit: 1n } }),
        'INVALID_FIELD',
        `denom ${JSON.stringify(denom)}`,
      );
    }
  });

  it('encoders reject values the schema cannot hold, as INVALID_FIELD', () => {
    const send = sendBody.messages ?? [];
    expectCodecError(
      () => encodeTxBody({ messages: send, timeoutHeight: 1n << 64n }),
      'INVALID_FIELD',
      'timeout_height 2^64',
    );
    expectCodecError(
      () => encodeAuthInfo({ ...authInfoInit, signer: { publicKey: PUBLIC_KEY, sequence: -1n } }),
      'INVALID_FIELD',
      'sequence -1',
    );
    const error = expectCodecError(
      () => encodeTxBody({ messages: send, memo: 'lone \ud800 surrogate' }),
      'INVALID_FIELD',
      'lone surrogate in memo',
    );
    assert.equal(error.field, 'body');
    expectCodecError(
      () => signBytes({ bodyBytes, authInfoBytes, chainId: 'c', accountNumber: 1n << 64n }),
      'INVALID_FIELD',
      'account number 2^64',
    );
  });

  it('a Msg must have its oneof set, and each message its required fields', () => {
    const unset = bytes(lengthDelimited(1, []));
    const error = expectCodecError(
      () => decodeTx(txFrom(unset, authInfoBytes)),
      'INVALID_FIELD',
      'unset oneof',
    );
    assert.equal(error.field, 'body.messages[0]');
    const funds = [{ denom: 'ushr', amount: '1' }];
    const cases: [string, TxBodyInit['messages']][] = [
      ['send without to', [{ sum: { case: 'send', value: { fromAddress: 'a', amount: funds } } }]],
      ['store code without wasm', [{ sum: { case: 'storeCode', value: { sender: 'a' } } }]],
      [
        'instantiate with code id 0',
        [
          {
            sum: {
              case: 'instantiateContract',
              value: { sender: 'a', label: 'l', initMsg: new Uint8Array(1) },
            },
          },
        ],
      ],
      ['execute without msg', [{ sum: { case: 'executeContract', value: { sender: 'a', contract: 'c' } } }]],
      [
        'migrate without contract',
        [{ sum: { case: 'migrateContract', value: { sender: 'a', codeId: 1n } } }],
      ],
      ['register without quote', [{ sum: { case: 'registerNode', value: { sender: 'a' } } }]],
      [
        'create validator with a 31-byte key',
        [
          {
            sum: {
              case: 'createValidator',
              value: { operatorAddress: 'v', consensusPublicKey: new Uint8Array(31), selfBond: funds[0] },
            },
          },
        ],
      ],
      [
        'delegate without amount',
        [{ sum: { case: 'delegate', value: { delegatorAddress: 'd', validatorAddress: 'v' } } }],
      ],
      [
        'undelegate with a bad amount',
        [
          {
            sum: {
              case: 'undelegate',
              value: {
                delegatorAddress: 'd',
                validatorAddress: 'v',
                amount: { denom: 'ushr', amount: '-5' },
              },
            },
          },
        ],
      ],
    ];
    for (const [name, messages] of cases) {
      expectCodecError(() => encodeTxBody({ messages }), 'INVALID_FIELD', name);
    }
  });
});
