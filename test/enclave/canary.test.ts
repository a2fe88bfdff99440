// Canary test (DESIGN.md §4): plaintext planted in contract inputs, contract state and outputs,
// and every secret of the network, must never appear outside the enclave — not in any frame
// crossing the boundary (seen through `tap`), not in what the host stores or logs, not on disk.
// The seed is known to the test (it seals it itself) so every derived secret can be searched for.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bytesToHex,
  concatBytes,
  decodeBech32WithPrefix,
  deriveTxKey,
  hkdfSha256,
  sha256,
  utf8Encode,
  x25519SharedSecret,
} from '../../src/crypto/index.js';
import type { Crossing, RunContractResult } from '../../src/enclave/index.js';
import { contractStateKey } from '../../src/enclave/secrets/state-encryption.js';
import { LABELS, SEED_KDF_SALT } from '../../src/enclave/secrets/labels.js';
import {
  callbacksOf,
  contractAddress,
  contractWasm,
  knownSeedEnclave,
  makeUser,
  userCall,
  userQuery,
} from './helpers.js';

const CANARY_MEMO = 'canary-memo-5e1f09d2c7a4';
const CANARY_VIEWING_KEY = 'canary-vk-b83a61f0e92d';
const CANARY_CALLBACK = 'canary-callback-0d4c7e19a5b3';

/** The needle's raw bytes, its hex (both cases) and base64 at each of the three alignments. */
function forms(secret: Uint8Array): Uint8Array[] {
  const out = [secret, utf8Encode(bytesToHex(secret)), utf8Encode(bytesToHex(secret).toUpperCase())];
  for (let skip = 0; skip < 3; skip++) {
    const tail = secret.subarray(skip);
    const whole = Math.floor(tail.length / 3) * 4;
    const text = Buffer.from(tail).toString('base64').slice(0, whole);
    out.push(utf8Encode(text), utf8Encode(text.replace(/\+/g, '-').replace(/\//g, '_')));
  }
  return out;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle) !== -1;
}

function filesUnder(dir: string): Uint8Array[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(join(dir, entry.name))
      : [utf8Encode(entry.name), new Uint8Array(readFileSync(join(dir, entry.name)))],
  );
}

describe('canaries never leave the enclave', () => {
  it('self-check: the search finds a needle in raw, hex and base64 form at any alignment', () => {
    const needle = utf8Encode(CANARY_MEMO);
    for (let pad = 0; pad < 3; pad++) {
      const embedded = concatBytes(new Uint8Array(pad).fill(0x41), needle, Uint8Array.of(1, 2));
      const encodings = [
        embedded,
        utf8Encode(bytesToHex(embedded)),
        utf8Encode(Buffer.from(embedded).toString('base64')),
      ];
      for (const haystack of encodings) {
        assert.ok(
          forms(needle).some((form) => contains(haystack, form)),
          `found with ${pad} bytes of padding`,
        );
      }
    }
  });

  it('across every frame, the host store and log, and the node home', async () => {
    const frames: Crossing[] = [];
    const results: RunContractResult[] = [];
    const alice = makeUser(11);
    const bob = makeUser(12);
    const { enclave, host, home, keys, seed, sealingKey, secrets } = await knownSeedEnclave('canary test', {
      tap: (crossing) => frames.push({ ...crossing, payload: crossing.payload.slice() }),
    });
    const txKeys: Uint8Array[] = [];
    const plaintextsSeen: string[] = [];
    const token = contractAddress('canary-token');
    const receiver = contractAddress('canary-receiver');
    const previousAppHash = sha256(utf8Encode('previous app hash'));
    try {
      assert.deepEqual(keys.ioPublicKey, secrets.ioKeyPair.publicKey, 'the enclave runs the test seed');
      const tokenHash = host.addCode(contractWasm('token'));
      const receiverHash = host.addCode(contractWasm('receiver'));
      host.addContract(token, tokenHash);
      host.addContract(receiver, receiverHash);
      await enclave.blockRandom({ height: 1n, previousAppHash });

      const call = async (request: ReturnType<typeof userCall>) => {
        txKeys.push(request.txKey);
        const result = await enclave.runContract(request.request);
        assert.ok(result.ok, `${request.request.entry} succeeds`);
        host.apply(request.request.contract, result);
        results.push(result);
        return result;
      };
      await call(
        userCall(alice, keys.ioPublicKey, {
          entry: 'instantiate',
          contract: token,
          codeHash: tokenHash,
          msg: {
            name: 'Canary',
            symbol: 'CAN',
            decimals: 0,
            initial_balances: [{ address: alice.address, amount: '1000' }],
          },
          label: 'canary',
        }),
      );
      await call(
        userCall(alice, keys.ioPublicKey, {
          entry: 'instantiate',
          contract: receiver,
          codeHash: receiverHash,
          msg: {},
          label: 'receiver',
          codeId: 2n,
        }),
      );
      await call(
        userCall(alice, keys.ioPublicKey, {
          entry: 'execute',
          contract: token,
          codeHash: tokenHash,
          msg: { set_viewing_key: { key: CANARY_VIEWING_KEY } },
        }),
      );
      await call(
        userCall(alice, keys.ioPublicKey, {
          entry: 'execute',
          contract: token,
          codeHash: tokenHash,
          msg: { transfer: { recipient: bob.address, amount: '7', memo: CANARY_MEMO } },
        }),
      );
      const send = await call(
        userCall(alice, keys.ioPublicKey, {
          entry: 'execute',
          contract: token,
          codeHash: tokenHash,
          msg: {
            send: {
              recipient: receiver,
              recipient_code_hash: receiverHash,
              amount: '3',
              msg: Buffer.from(CANARY_CALLBACK).toString('base64'),
            },
          },
        }),
      );
      const [callback] = callbacksOf(send, token);
      assert.ok(callback, 'the send produced a callback');
      const callbackResult = await enclave.runContract(callback);
      assert.ok(callbackResult.ok, 'the receiver accepts the callback');
      host.apply(receiver, callbackResult);
      results.push(callbackResult);
      txKeys.push(
        deriveTxKey(
          x25519SharedSecret(secrets.ioKeyPair.privateKey, alice.txKeyPair.publicKey),
          callback.envelope.subarray(0, 32),
        ),
      );

      // Outputs carrying the canaries: they are there, encrypted (positive control).
      const history = userQuery(alice, keys.ioPublicKey, token, tokenHash, {
        transfer_history: { address: alice.address, key: CANARY_VIEWING_KEY, page_size: 10 },
      });
      const historyAnswer = await enclave.query(history.request);
      assert.ok(historyAnswer.ok);
      plaintextsSeen.push(history.open(historyAnswer.sealed));
      const last = userQuery(alice, keys.ioPublicKey, receiver, receiverHash, { last_receive: {} });
      const lastAnswer = await enclave.query(last.request);
      assert.ok(lastAnswer.ok);
      plaintextsSeen.push(last.open(lastAnswer.sealed));
      assert.ok(plaintextsSeen[0]!.includes(CANARY_MEMO), 'the memo is in the (decrypted) history');
      assert.ok(plaintextsSeen[1]!.includes(CANARY_CALLBACK), 'the callback payload reached the receiver');
    } finally {
      await enclave.stop();
    }

    const contractKeys = [token, receiver].map((address) =>
      contractStateKey(secrets.stateKeyMaterial, decodeBech32WithPrefix(address, 'shroud')),
    );
    const heightOne = new Uint8Array(8);
    heightOne[7] = 1;
    const blockRandom = hkdfSha256(
      secrets.randomnessSecret,
      SEED_KDF_SALT,
      concatBytes(LABELS.blockRandom, heightOne, previousAppHash),
      32,
    );
    const needles: [string, Uint8Array][] = [
      ['memo canary', utf8Encode(CANARY_MEMO)],
      ['viewing key canary', utf8Encode(CANARY_VIEWING_KEY)],
      ['callback canary', utf8Encode(CANARY_CALLBACK)],
      ['master seed', seed],
      ['sealing key', sealingKey],
      ['IO private key', secrets.ioKeyPair.privateKey],
      ['state key material', secrets.stateKeyMaterial],
      ['callback secret', secrets.callbackSecret],
      ['randomness secret', secrets.randomnessSecret],
      ['seed-exchange private key', secrets.seedExchangeKeyPair.privateKey],
      ['block random', blockRandom],
      ...contractKeys.map((key, i): [string, Uint8Array] => [`contract state key ${i}`, key]),
      ...txKeys.map((key, i): [string, Uint8Array] => [`tx key ${i}`, key]),
    ];
    const places: [string, Uint8Array][] = [
      ...frames.map((frame, i): [string, Uint8Array] => [
        `frame ${i} (${frame.direction}, tag ${frame.tag})`,
        frame.payload,
      ]),
      ...host.everything().map((bytes, i): [string, Uint8Array] => [`host record ${i}`, bytes]),
      // The sealing key file holds the sealing key by design; it is scanned for everything else.
      ...filesUnder(home)
        .filter((bytes) => !(bytes.length === 32 && contains(bytes, sealingKey)))
        .map((bytes, i): [string, Uint8Array] => [`home file ${i}`, bytes]),
    ];
    assert.ok(frames.length > 20, `the tap saw the traffic (${frames.length} frames)`);
    for (const [needle, secret] of needles) {
      for (const form of forms(secret)) {
        for (const [place, bytes] of places) {
          assert.ok(!contains(bytes, form), `${needle} found in ${place}`);
        }
      }
    }
  });
});
