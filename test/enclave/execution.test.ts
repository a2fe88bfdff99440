// The enclave's execution ECALLs end to end through a real worker: encrypted calls and queries,
// determinism across enclaves with the same seed, refusals (each with its own code, no writes),
// contract-to-contract callbacks, block random and gas evaporation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serialize } from 'node:v8';
import { buildTx } from '../../src/codec/index.js';
import {
  bytesToHex,
  decryptTxOutput,
  secp256k1Sign,
  sha256,
  deriveTxKey,
  utf8Decode,
  x25519SharedSecret,
} from '../../src/crypto/index.js';
import {
  Enclave,
  EnclaveCallError,
  type RunContractRequest,
  type RunContractResult,
  type SealedNetworkKeys,
} from '../../src/enclave/index.js';
import { contractWat, wat2wasm } from '../vm-runtime/wat.js';
import {
  callbacksOf,
  CHAIN_ID,
  contractAddress,
  contractWasm,
  makeUser,
  MemoryHost,
  openOutput,
  openPolicy,
  refusedWith,
  tempHome,
  userCall,
  userQuery,
} from './helpers.js';
import { tokenInitMsg } from '../helpers/token.js';

const alice = makeUser(1);
const bob = makeUser(2);

interface Node {
  host: MemoryHost;
  enclave: Enclave;
  keys: SealedNetworkKeys;
  home: string;
}

async function bootstrapNode(): Promise<Node> {
  const home = tempHome();
  const host = new MemoryHost();
  const enclave = await Enclave.start({ home, genesisPolicy: openPolicy, services: host });
  const keys = await enclave.bootstrap();
  return { host, enclave, keys, home };
}

/** A second enclave holding the same seed (same home, so the same sealing key). */
async function sameSeedNode(of: Node): Promise<Node> {
  const host = new MemoryHost();
  const enclave = await Enclave.start({ home: of.home, genesisPolicy: openPolicy, services: host });
  const keys = { ...(await enclave.start(of.keys.sealedSeed)), sealedSeed: of.keys.sealedSeed };
  return { host, enclave, keys, home: of.home };
}

const codes = {
  counter: contractWasm('counter'),
  token: contractWasm('token'),
  receiver: contractWasm('receiver'),
};

function install(host: MemoryHost) {
  return {
    counter: host.addCode(codes.counter),
    token: host.addCode(codes.token),
    receiver: host.addCode(codes.receiver),
  };
}

async function run(node: Node, request: RunContractRequest): Promise<RunContractResult> {
  const result = await node.enclave.runContract(request);
  node.host.apply(request.contract, result);
  return result;
}

function snapshot(host: MemoryHost): string {
  return bytesToHex(
    serialize(
      [...host.state].map(([contract, slots]) => [contract, [...slots].sort(([a], [b]) => (a < b ? -1 : 1))]),
    ),
  );
}

describe('enclave execution', () => {
  let node: Node;
  let hashes: ReturnType<typeof install>;
  const counter = contractAddress('counter-main');

  /** Alice instantiates the counter code at `contract` with `count`. */
  const instantiateCounter = (contract: string, count: number, label: string) =>
    userCall(alice, node.keys.ioPublicKey, {
      entry: 'instantiate',
      contract,
      codeHash: hashes.counter,
      msg: { count },
      label,
    });
  /** `user` (alice unless told) executes `msg` (an increment unless told) on the main counter. */
  const execute = (user = alice, msg: unknown = { increment: {} }) =>
    userCall(user, node.keys.ioPublicKey, {
      entry: 'execute',
      contract: counter,
      codeHash: hashes.counter,
      msg,
    });

  before(async () => {
    node = await bootstrapNode();
    hashes = install(node.host);
    node.host.addContract(counter, hashes.counter);
    const result = await run(node, instantiateCounter(counter, 5, 'main').request);
    assert.ok(result.ok, 'counter instantiates');
  });
  after(() => node.enclave.stop());

  it('runs an encrypted execute and an encrypted query; outputs open only with the tx key', async () => {
    const call = execute();
    const result = await run(node, call.request);
    assert.ok(result.ok);
    assert.equal(result.writes.length, 1, 'increment writes the count');
    assert.deepEqual(result.attributes, [{ encrypted: false, key: 'method', value: 'increment' }]);
    const query = userQuery(alice, node.keys.ioPublicKey, counter, hashes.counter, { get_count: {} });
    const answer = await node.enclave.query(query.request);
    assert.ok(answer.ok);
    assert.deepEqual(JSON.parse(query.open(answer.sealed)), { count: 6 });
    assert.throws(() => query.open(answer.sealed, 'query/error'), 'another label does not open the answer');
  });

  it('encrypts attributes the contract did not mark plaintext, under per-output labels', async () => {
    const other = contractAddress('counter-attrs');
    node.host.addContract(other, hashes.counter);
    const call = instantiateCounter(other, 1, 'attrs');
    const result = await run(node, call.request);
    assert.ok(result.ok);
    const [plain, secret] = result.attributes;
    assert.deepEqual(plain, { encrypted: false, key: 'method', value: 'instantiate' });
    assert.ok(secret?.encrypted === true);
    assert.deepEqual(JSON.parse(openOutput(call.txKey, result.txHash, 'attr/1', secret.sealed)), {
      key: 'owner',
      value: alice.address,
    });
  });

  it('returns a contract Err encrypted for the user, with no writes; the host sees only ok:false', async () => {
    const call = execute(bob, { reset: { count: 0 } });
    const result = await node.enclave.runContract(call.request);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.error.kind === 'contract');
    assert.equal(openOutput(call.txKey, result.txHash, 'error', result.error.sealed), 'Unauthorized');
    assert.ok(result.gasUsed > 0n);
    assert.equal('writes' in result, false);
  });

  it('reports VM failures as a public code with the gas used', async () => {
    const call = execute();
    const result = await node.enclave.runContract({ ...call.request, gasLimit: 10_000n });
    assert.deepEqual(result.ok ? null : result.error, { kind: 'vm', code: 'OUT_OF_GAS' });
    assert.equal(result.gasUsed, 10_000n);
  });

  describe('refusals: each its own code, no writes, state unchanged', () => {
    async function refused(request: RunContractRequest, code: string, message?: string) {
      const before = snapshot(node.host);
      await assert.rejects(node.enclave.runContract(request), refusedWith(code), message);
      assert.equal(snapshot(node.host), before, `state unchanged after ${code}`);
    }

    it('any changed byte of the envelope (re-signed by the sender) fails to decrypt', async () => {
      const call = execute();
      const envelope = call.request.envelope;
      for (let i = 0; i < envelope.length; i++) {
        const tampered = Uint8Array.from(envelope);
        tampered[i]! ^= 0x01;
        await refused(call.signedBy(alice, tampered), 'ENVELOPE_DECRYPT_FAILED', `byte ${i}`);
      }
    });

    it('a wrong code-hash prefix is refused', async () => {
      const call = userCall(alice, node.keys.ioPublicKey, {
        entry: 'execute',
        contract: counter,
        codeHash: hashes.token,
        msg: { increment: {} },
      });
      await refused({ ...call.request, codeHash: hashes.counter }, 'CODE_HASH_MISMATCH');
      // And a host claiming the contract runs the prefix's code gets the code whose hash it named:
      // the token's code does not match the counter's state shape, but the call is the user's choice.
    });

    it("a ciphertext copied into another sender's transaction (re-signed by them) fails to decrypt", async () => {
      const call = execute(alice);
      await refused(call.signedBy(bob, call.request.envelope), 'ENVELOPE_DECRYPT_FAILED');
    });

    it('a signature that does not verify, a wrong signer, or the wrong message index is refused', async () => {
      const call = execute();
      const auth = call.request.auth;
      assert.ok(auth.kind === 'user');
      const badSignature = Uint8Array.from(auth.signature);
      badSignature[10]! ^= 0x01;
      await refused({ ...call.request, auth: { ...auth, signature: badSignature } }, 'SIGNATURE_INVALID');
      await refused({ ...call.request, auth: { ...auth, accountNumber: 99n } }, 'SIGNATURE_INVALID');
      await refused(
        { ...call.request, block: { ...call.request.block, chainId: 'other-chain' } },
        'SIGNATURE_INVALID',
      );
      await refused({ ...call.request, auth: { ...auth, messageIndex: 1 } }, 'MESSAGE_MISMATCH');
      await refused({ ...call.request, funds: [{ denom: 'ushd', amount: '1' }] }, 'MESSAGE_MISMATCH');
      await refused({ ...call.request, contract: contractAddress('elsewhere') }, 'MESSAGE_MISMATCH');
      await refused({ ...call.request, sender: bob.address }, 'SENDER_MISMATCH');
      // A signed body whose message does not carry this envelope.
      const second = execute(alice, { reset: { count: 1 } });
      await refused({ ...second.request, envelope: call.request.envelope }, 'MESSAGE_MISMATCH');
    });

    it('a message index pointing at another message of the same transaction is refused', async () => {
      const first = execute(alice);
      const second = execute(alice, { reset: { count: 7 } });
      const message = (envelope: Uint8Array) => ({
        sum: {
          case: 'executeContract' as const,
          value: { sender: alice.address, contract: counter, msg: envelope, sentFunds: [] },
        },
      });
      const unsigned = buildTx({
        messages: [message(first.request.envelope), message(second.request.envelope)],
        publicKey: alice.publicKey,
        sequence: 0n,
        fee: { amount: [{ denom: 'ushd', amount: '5000' }], gasLimit: 200_000n },
        chainId: CHAIN_ID,
        accountNumber: alice.accountNumber,
      });
      const auth = {
        kind: 'user' as const,
        bodyBytes: unsigned.bodyBytes,
        authInfoBytes: unsigned.authInfoBytes,
        accountNumber: alice.accountNumber,
        signature: secp256k1Sign(sha256(unsigned.signBytes), alice.privateKey),
        messageIndex: 1,
      };
      await refused({ ...first.request, auth }, 'MESSAGE_MISMATCH');
      await refused({ ...second.request, auth: { ...auth, messageIndex: 0 } }, 'MESSAGE_MISMATCH');
      await refused({ ...second.request, auth: { ...auth, messageIndex: 2 } }, 'MESSAGE_MISMATCH');
      const ran = await node.enclave.runContract({ ...second.request, auth });
      assert.ok(ran.ok, 'the right index runs');
    });

    it('a state value moved to another key or another contract is refused', async () => {
      const slots = node.host.state.get(counter);
      assert.ok(slots && slots.size === 2, 'the counter has two slots (count, owner)');
      const [[keyA, blobA], [keyB, blobB]] = [...slots] as [[string, Uint8Array], [string, Uint8Array]];
      slots.set(keyA, blobB);
      slots.set(keyB, blobA);
      try {
        await refused(execute().request, 'STATE_VALUE_TAMPERED', 'swapped slots');
      } finally {
        slots.set(keyA, blobA);
        slots.set(keyB, blobB);
      }
      // Another counter; give it the main counter's blobs under its own slots.
      const other = contractAddress('counter-victim');
      node.host.addContract(other, hashes.counter);
      const init = await run(node, instantiateCounter(other, 100, 'victim').request);
      assert.ok(init.ok);
      const victim = node.host.state.get(other)!;
      const saved = new Map(victim);
      for (const key of victim.keys()) victim.set(key, blobA);
      try {
        const call = userCall(alice, node.keys.ioPublicKey, {
          entry: 'execute',
          contract: other,
          codeHash: hashes.counter,
          msg: { increment: {} },
        });
        await refused(call.request, 'STATE_VALUE_TAMPERED', 'value from another contract');
      } finally {
        for (const [key, blob] of saved) victim.set(key, blob);
      }
      // After the host stops cheating, the counter runs again from its true state.
      const ok = await run(node, execute().request);
      assert.ok(ok.ok, 'a clean store works again');
    });

    it('a host that substitutes the code is refused', async () => {
      const evil = new MemoryHost();
      const enclave = await Enclave.start({ home: node.home, genesisPolicy: openPolicy, services: evil });
      try {
        const keys = await enclave.start(node.keys.sealedSeed);
        evil.codes.set(hashes.counter, codes.receiver);
        const call = userCall(alice, keys.ioPublicKey, {
          entry: 'execute',
          contract: counter,
          codeHash: hashes.counter,
          msg: { increment: {} },
        });
        await assert.rejects(enclave.runContract(call.request), refusedWith('CODE_TAMPERED'));
        evil.codes.delete(hashes.counter);
        await assert.rejects(enclave.runContract(call.request), refusedWith('CODE_NOT_FOUND'));
      } finally {
        await enclave.stop();
      }
    });
  });
});

describe('enclave determinism and seed isolation', () => {
  it('two enclaves with the same seed give byte-identical results; another seed decrypts nothing', async () => {
    const a = await bootstrapNode();
    const b = await sameSeedNode(a);
    const c = await bootstrapNode();
    try {
      assert.deepEqual(b.keys.ioPublicKey, a.keys.ioPublicKey);
      const token = contractAddress('token-det');
      const calls: RunContractRequest[] = [];
      const hashesA = install(a.host);
      install(b.host);
      install(c.host);
      for (const node of [a, b, c]) node.host.addContract(token, hashesA.token);
      calls.push(
        userCall(alice, a.keys.ioPublicKey, {
          entry: 'instantiate',
          contract: token,
          codeHash: hashesA.token,
          msg: tokenInitMsg([{ address: alice.address, amount: '1000' }]),
          label: 'token',
          nonce: new Uint8Array(32).fill(1),
        }).request,
      );
      for (let i = 0; i < 3; i++) {
        calls.push(
          userCall(alice, a.keys.ioPublicKey, {
            entry: 'execute',
            contract: token,
            codeHash: hashesA.token,
            msg: { transfer: { recipient: bob.address, amount: String(10 + i), memo: `payment ${i}` } },
            nonce: new Uint8Array(32).fill(2 + i),
            callIndex: i + 1,
          }).request,
        );
      }
      for (const node of [a, b, c]) {
        await node.enclave.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32).fill(9) });
      }
      for (const [i, request] of calls.entries()) {
        const resultA = await run(a, request);
        const resultB = await run(b, request);
        assert.ok(resultA.ok, `call ${i} succeeds`);
        assert.equal(
          bytesToHex(serialize(resultB)),
          bytesToHex(serialize(resultA)),
          `call ${i}: identical output`,
        );
        await assert.rejects(
          c.enclave.runContract(request),
          refusedWith('ENVELOPE_DECRYPT_FAILED'),
          `call ${i}`,
        );
      }
      assert.equal(snapshot(b.host), snapshot(a.host), 'identical state');
      assert.equal(c.host.state.size, 0, 'the other network wrote nothing');
      // The other network cannot read the state either: give it A's store and ask it to run.
      for (const [contract, slots] of a.host.state) c.host.state.set(contract, new Map(slots));
      const probe = userCall(alice, c.keys.ioPublicKey, {
        entry: 'execute',
        contract: token,
        codeHash: hashesA.token,
        msg: { transfer: { recipient: bob.address, amount: '1' } },
      });
      const outcome = await c.enclave.runContract(probe.request).catch((error: unknown) => error);
      assert.ok(
        outcome instanceof EnclaveCallError || (outcome as RunContractResult).ok === false,
        'another seed cannot use the state: its disk keys miss, so alice has no balance there',
      );
    } finally {
      await Promise.all([a.enclave.stop(), b.enclave.stop(), c.enclave.stop()]);
    }
  });
});

describe('contract-to-contract callbacks', () => {
  let node: Node;
  let hashes: ReturnType<typeof install>;
  const token = contractAddress('token-cb');
  const receiver = contractAddress('receiver-cb');

  before(async () => {
    node = await bootstrapNode();
    hashes = install(node.host);
    node.host.addContract(token, hashes.token);
    node.host.addContract(receiver, hashes.receiver);
    await node.enclave.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
    const init = await run(
      node,
      userCall(alice, node.keys.ioPublicKey, {
        entry: 'instantiate',
        contract: token,
        codeHash: hashes.token,
        msg: {
          name: 'Tok',
          symbol: 'TOK',
          decimals: 0,
          initial_balances: [{ address: alice.address, amount: '50' }],
        },
        label: 'tok',
      }).request,
    );
    assert.ok(init.ok);
    const initReceiver = await run(
      node,
      userCall(alice, node.keys.ioPublicKey, {
        entry: 'instantiate',
        contract: receiver,
        codeHash: hashes.receiver,
        msg: {},
        label: 'rcv',
        codeId: 3n,
      }).request,
    );
    assert.ok(initReceiver.ok);
  });
  after(() => node.enclave.stop());

  function send(msg: string) {
    return userCall(alice, node.keys.ioPublicKey, {
      entry: 'execute',
      contract: token,
      codeHash: hashes.token,
      msg: {
        send: {
          recipient: receiver,
          recipient_code_hash: hashes.receiver,
          amount: '5',
          msg: Buffer.from(msg).toString('base64'),
        },
      },
    });
  }

  it('turns a wasm message into an envelope + callback signature that the callee accepts', async () => {
    const call = send('hello receiver');
    const result = await run(node, call.request);
    assert.ok(result.ok);
    assert.equal(result.messages.length, 1);
    const message = result.messages[0]!;
    assert.ok(message.kind === 'wasm');
    assert.equal(message.contract, receiver);
    assert.equal(message.replyOn, 'never');
    const [callback] = callbacksOf(result, token);
    const answer = await run(node, callback!);
    assert.ok(answer.ok, 'the callee runs');
    assert.equal(answer.reply, undefined, 'no reply was asked for (reply_on never)');
    // The user decrypts the callee's outputs: its key comes from the new envelope's nonce.
    const nonce = message.envelope.subarray(0, 32);
    const calleeKey = deriveTxKey(
      x25519SharedSecret(alice.txKeyPair.privateKey, node.keys.ioPublicKey),
      nonce,
    );
    const attribute = answer.attributes[0];
    assert.ok(attribute?.encrypted === true);
    assert.deepEqual(
      JSON.parse(utf8Decode(decryptTxOutput(calleeKey, result.txHash, 'attr/0', attribute.sealed))),
      {
        key: 'received',
        value: '5',
      },
    );
    const query = userQuery(alice, node.keys.ioPublicKey, receiver, hashes.receiver, { last_receive: {} });
    const last = await node.enclave.query(query.request);
    assert.ok(last.ok);
    assert.equal((JSON.parse(query.open(last.sealed)) as { msg: string }).msg, 'hello receiver');
  });

  it('refuses a forged or re-targeted callback', async () => {
    const result = await node.enclave.runContract(send('second').request);
    const [callback] = callbacksOf(result, token);
    assert.ok(callback && callback.auth.kind === 'callback');
    const forged = Uint8Array.from(callback.auth.callbackSignature);
    forged[0]! ^= 0x80;
    const cases: [string, RunContractRequest][] = [
      ['flipped signature', { ...callback, auth: { ...callback.auth, callbackSignature: forged } }],
      ['another caller', { ...callback, sender: alice.address }],
      ['other funds', { ...callback, funds: [{ denom: 'ushd', amount: '1' }] }],
      ['another transaction', { ...callback, auth: { ...callback.auth, txHash: new Uint8Array(32) } }],
      ['run as migrate', { ...callback, entry: 'migrate' }],
    ];
    for (const [name, request] of cases) {
      await assert.rejects(
        node.enclave.runContract(request),
        refusedWith('CALLBACK_SIGNATURE_INVALID'),
        name,
      );
    }
    // A user-signed request cannot pose as a callback either: no callback signature to show.
    const user = send('third').request;
    await assert.rejects(
      node.enclave.runContract({
        ...user,
        auth: { kind: 'callback', callbackSignature: new Uint8Array(32), txHash: new Uint8Array(32) },
      }),
      refusedWith('CALLBACK_SIGNATURE_INVALID'),
    );
  });
});

describe('block random and gas evaporation', () => {
  it('a random-requiring contract needs blockRandom for its height', async () => {
    const node = await bootstrapNode();
    try {
      const hashes = install(node.host);
      const token = contractAddress('token-random');
      const call = userCall(alice, node.keys.ioPublicKey, {
        entry: 'instantiate',
        contract: token,
        codeHash: hashes.token,
        msg: { name: 'Tok', symbol: 'TOK', decimals: 0 },
        label: 'r',
        height: 7n,
      });
      await assert.rejects(node.enclave.runContract(call.request), refusedWith('BLOCK_RANDOM_MISSING'));
      await node.enclave.blockRandom({ height: 6n, previousAppHash: new Uint8Array(32) });
      await assert.rejects(node.enclave.runContract(call.request), refusedWith('BLOCK_RANDOM_MISSING'));
      await node.enclave.blockRandom({ height: 7n, previousAppHash: new Uint8Array(32) });
      assert.ok((await node.enclave.runContract(call.request)).ok);
    } finally {
      await node.enclave.stop();
    }
  });

  it('gas used is the same on both branches of a contract that evaporates to a fixed amount', async () => {
    // execute: loop 3000 times if msg[2] == 'a' else 10 times; then (optionally) burn gas up to
    // 300 SDK gas with check_gas/gas_evaporate (CONTRACT_ABI §2).
    const evaporate =
      '(drop (call $gas_evaporate (i32.wrap_i64 (i64.sub (i64.const 300) (call $check_gas)))))';
    const body = (burn: boolean) => `(local $i i32) (local $n i32)
      (local.set $n (select (i32.const 3000) (i32.const 10)
        (i32.eq (i32.load8_u offset=2 (i32.load (local.get $msg))) (i32.const 97))))
      (block $done (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
      ${burn ? evaporate : ''}
      (call $ok)`;
    const node = await bootstrapNode();
    try {
      const gasOf = async (burn: boolean) => {
        const wasm = await wat2wasm(contractWat({ execute: body(burn) }));
        const codeHash = node.host.addCode(wasm);
        const contract = contractAddress(`evaporate-${burn}`);
        node.host.addContract(contract, codeHash);
        const used: bigint[] = [];
        for (const branch of ['a', 'b']) {
          const call = userCall(alice, node.keys.ioPublicKey, {
            entry: 'execute',
            contract,
            codeHash,
            msg: { [branch]: 1 },
          });
          const result = await node.enclave.runContract(call.request);
          assert.ok(result.ok, `branch ${branch} runs`);
          used.push(result.gasUsed);
        }
        return used as [bigint, bigint];
      };
      const [plainA, plainB] = await gasOf(false);
      assert.ok(
        plainA - plainB > 20_000n,
        `without evaporation the branches differ (${plainA} vs ${plainB})`,
      );
      const [burnA, burnB] = await gasOf(true);
      // check_gas reports whole SDK units (1000 wasm gas), so the two may differ below one unit.
      assert.equal(burnA / 1000n, burnB / 1000n, `same SDK gas on both branches (${burnA} vs ${burnB})`);
      assert.ok(burnA >= 300_000n, 'evaporated up to the fixed amount');
    } finally {
      await node.enclave.stop();
    }
  });
});

describe('runContract by block position', () => {
  it('salts state writes with height, time and call index (equal values look different on disk)', async () => {
    const node = await bootstrapNode();
    try {
      const hashes = install(node.host);
      const counter = contractAddress('salted');
      const init = (height: bigint, callIndex: number) =>
        node.enclave.runContract(
          userCall(alice, node.keys.ioPublicKey, {
            entry: 'instantiate',
            contract: counter,
            codeHash: hashes.counter,
            msg: { count: 1 },
            label: 's',
            height,
            callIndex,
            nonce: new Uint8Array(32).fill(3),
          }).request,
        );
      const first = await init(1n, 0);
      const again = await init(1n, 0);
      const later = await init(2n, 0);
      const other = await init(1n, 1);
      assert.ok(first.ok && again.ok && later.ok && other.ok);
      assert.deepEqual(again.writes, first.writes, 'same position, same bytes');
      assert.deepEqual(later.writes[0]!.diskKey, first.writes[0]!.diskKey, 'disk keys do not depend on time');
      assert.notDeepEqual(later.writes[0]!.blob, first.writes[0]!.blob, 'another height, another blob');
      assert.notDeepEqual(other.writes[0]!.blob, first.writes[0]!.blob, 'another call index, another blob');
    } finally {
      await node.enclave.stop();
    }
  });
});
