// Queries through the enclave: a user's encrypted query (answer and contract error encrypted
// under its own labels, VM failures public), and contract-to-contract smart queries, which run
// inside the enclave against the callee's encrypted state (bank queries go to the host).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { utf8Decode, utf8Encode } from '../../src/crypto/index.js';
import { type RunContractRequest } from '../../src/enclave/index.js';
import { contractWat, wat2wasm } from '../vm-runtime/wat.js';
import {
  contractAddress,
  contractWasm,
  knownSeedEnclave,
  makeUser,
  refusedWith,
  userCall,
  userQuery,
} from './helpers.js';

const alice = makeUser(41);

/** execute: runs query_chain on blob 1 and stores the SystemResult under key "Q". */
function querierWasm(request: unknown): Promise<Uint8Array> {
  return wat2wasm(
    contractWat({
      execute: '(call $save (i32.const 81) (call $query_chain (call $blob1))) (call $ok)',
      blobs: [JSON.stringify(request)],
    }),
  );
}

describe('enclave queries', () => {
  it('user queries: answer and contract error encrypted under their labels, VM failure public', async () => {
    const { enclave, host, keys } = await knownSeedEnclave('user queries');
    try {
      const counter = contractAddress('q-counter');
      const codeHash = host.addCode(contractWasm('counter'));
      host.addContract(counter, codeHash);
      const init = await enclave.runContract(
        userCall(alice, keys.ioPublicKey, {
          entry: 'instantiate',
          contract: counter,
          codeHash,
          msg: { count: 3 },
          label: 'q',
        }).request,
      );
      host.apply(counter, init);
      const good = userQuery(alice, keys.ioPublicKey, counter, codeHash, { get_count: {} });
      const answer = await enclave.query(good.request);
      assert.ok(answer.ok);
      assert.deepEqual(JSON.parse(good.open(answer.sealed)), { count: 3 });

      const bad = userQuery(alice, keys.ioPublicKey, counter, codeHash, { no_such_query: {} });
      const refused = await enclave.query(bad.request);
      assert.ok(!refused.ok && refused.error.kind === 'contract');
      assert.match(bad.open(refused.error.sealed, 'query/error'), /no_such_query|unknown variant/);
      assert.throws(() =>
        bad.open(refused.error.kind === 'contract' ? refused.error.sealed : new Uint8Array(0)),
      );

      const starved = await enclave.query({ ...good.request, gasLimit: 1_000n });
      assert.deepEqual(starved.ok ? null : starved.error, { kind: 'vm', code: 'OUT_OF_GAS' });

      // A query envelope is bound to kind `query` and its contract.
      const elsewhere = contractAddress('q-elsewhere');
      host.addContract(elsewhere, codeHash);
      await assert.rejects(
        enclave.query({ ...good.request, contract: elsewhere }),
        refusedWith('ENVELOPE_DECRYPT_FAILED'),
      );
      const asExecute = userCall(alice, keys.ioPublicKey, {
        entry: 'execute',
        contract: counter,
        codeHash,
        msg: { get_count: {} },
      });
      await assert.rejects(
        enclave.query({ ...good.request, envelope: asExecute.request.envelope }),
        refusedWith('ENVELOPE_DECRYPT_FAILED'),
      );
    } finally {
      await enclave.stop();
    }
  });

  it('contract-to-contract smart queries run inside against encrypted state; bank queries go to the host', async () => {
    const { enclave, host, keys, plainState } = await knownSeedEnclave('smart queries');
    try {
      const counter = contractAddress('sq-counter');
      const counterHash = host.addCode(contractWasm('counter'));
      host.addContract(counter, counterHash);
      host.apply(
        counter,
        await enclave.runContract(
          userCall(alice, keys.ioPublicKey, {
            entry: 'instantiate',
            contract: counter,
            codeHash: counterHash,
            msg: { count: 12 },
            label: 'sq',
          }).request,
        ),
      );
      const smart = (addr: string, hash: string) => ({
        wasm: {
          smart: {
            contract_addr: addr,
            callback_code_hash: hash,
            msg: Buffer.from('{"get_count":{}}').toString('base64'),
          },
        },
      });
      host.balances.set(`${alice.address}/ushd`, 77n);
      const cases: [string, unknown][] = [
        ['smart', smart(counter, counterHash)],
        ['wrong hash', smart(counter, 'ab'.repeat(32))],
        ['no contract', smart(contractAddress('nobody'), counterHash)],
        ['bank', { bank: { balance: { address: alice.address, denom: 'ushd' } } }],
      ];
      const stored: Record<string, unknown> = {};
      const gas: Record<string, bigint> = {};
      for (const [name, request] of cases) {
        const contract = contractAddress(`sq-${name}`);
        const hash = host.addCode(await querierWasm(request));
        host.addContract(contract, hash);
        const call = userCall(alice, keys.ioPublicKey, {
          entry: 'execute',
          contract,
          codeHash: hash,
          msg: {},
        });
        const result = await enclave.runContract(call.request);
        assert.ok(result.ok, `${name}: the querier runs`);
        host.apply(contract, result);
        gas[name] = result.gasUsed;
        stored[name] = JSON.parse(utf8Decode(plainState(contract, utf8Encode('Q'))!)) as unknown;
      }
      const answer = stored.smart as { Ok: { Ok: string } };
      assert.deepEqual(JSON.parse(Buffer.from(answer.Ok.Ok, 'base64').toString()), { count: 12 });
      assert.ok(gas.smart! > gas.bank! + 10_000n, 'the nested query gas is added to the caller');
      assert.match(JSON.stringify(stored['wrong hash']), /"Ok":\{"Err":"callback_code_hash/);
      assert.deepEqual(stored['no contract'], {
        Err: { no_such_contract: { addr: contractAddress('nobody') } },
      });
      const bank = stored.bank as { Ok: { Ok: string } };
      assert.deepEqual(JSON.parse(Buffer.from(bank.Ok.Ok, 'base64').toString()), {
        amount: { denom: 'ushd', amount: '77' },
      });
      assert.ok(
        host.log.some((line) => line.startsWith('queryChain') && line.includes('"bank"')),
        'the bank query crossed',
      );
      assert.ok(
        !host.log.some((line) => line.startsWith('queryChain') && line.includes('smart')),
        'smart never did',
      );

      // Tampered callee state stops the caller with the state error, not a contract error.
      const slots = host.state.get(counter)!;
      const [[keyA, blobA], [keyB, blobB]] = [...slots] as [[string, Uint8Array], [string, Uint8Array]];
      slots.set(keyA, blobB);
      slots.set(keyB, blobA);
      const querier = contractAddress('sq-smart');
      const request: RunContractRequest = userCall(alice, keys.ioPublicKey, {
        entry: 'execute',
        contract: querier,
        codeHash: host.contracts.get(querier)
          ? Buffer.from(host.contracts.get(querier)!).toString('hex')
          : '',
        msg: {},
      }).request;
      await assert.rejects(enclave.runContract(request), refusedWith('STATE_VALUE_TAMPERED'));
    } finally {
      await enclave.stop();
    }
  });
});
