// Submessage replies (CONTRACT_ABI §0, §3.5; ADR 006 "as built"): a caller's submessage with
// reply_on carries a REPLY01 header to the callee; the callee's enclave answers with an
// authenticated reply envelope; the host delivers it to the caller's `reply` entry and cannot
// forge it, alter it, or redirect it. The caller stores the Reply JSON it receives; the test
// reads it back from the encrypted store with secrets derived from a seed it chose itself.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { utf8Decode } from '../../src/crypto/index.js';
import type { RunContractRequest, RunContractResult } from '../../src/enclave/index.js';
import { replyCallerWasm } from '../helpers/reply-caller.js';
import {
  block,
  callbacksOf,
  contractAddress,
  contractWasm,
  GAS,
  knownSeedEnclave,
  makeUser,
  refusedWith,
  userCall,
} from './helpers.js';

const alice = makeUser(31);

describe('submessage replies', () => {
  it('deliver the callee outcome (success or error) to the caller, authenticated', async () => {
    const { enclave, host, keys, plainState } = await knownSeedEnclave('reply test');
    try {
      const counter = contractAddress('reply-counter');
      const caller = contractAddress('reply-caller');
      const counterHash = host.addCode(contractWasm('counter'));
      const callerHash = host.addCode(await replyCallerWasm(counter, counterHash));
      host.addContract(counter, counterHash);
      host.addContract(caller, callerHash);
      const run = async (request: RunContractRequest): Promise<RunContractResult> => {
        const result = await enclave.runContract(request);
        host.apply(request.contract, result);
        return result;
      };
      const init = (contract: string, codeHash: string, msg: unknown, label: string) =>
        run(
          userCall(alice, keys.ioPublicKey, { entry: 'instantiate', contract, codeHash, msg, label }).request,
        );
      /** Alice executes the caller: `{ a: … }` makes it ask the counter to increment, else to reset. */
      const callCaller = (msg: unknown) =>
        run(
          userCall(alice, keys.ioPublicKey, { entry: 'execute', contract: caller, codeHash: callerHash, msg })
            .request,
        );
      assert.ok((await init(counter, counterHash, { count: 1 }, 'counter')).ok);
      assert.ok((await init(caller, callerHash, {}, 'caller')).ok);

      const storedReply = (): unknown => {
        const blob = plainState(caller, Uint8Array.of(82));
        assert.ok(blob, 'the caller stored a reply');
        return JSON.parse(utf8Decode(blob));
      };
      const replyRequest = (callee: RunContractResult, parent: RunContractResult): RunContractRequest => {
        assert.ok(callee.reply, 'the callee answered with a reply envelope');
        return {
          entry: 'reply',
          contract: callee.reply.contract,
          codeHash: callerHash,
          sender: counter,
          funds: [],
          envelope: callee.reply.envelope,
          auth: {
            kind: 'callback',
            callbackSignature: callee.reply.callbackSignature,
            txHash: parent.txHash,
          },
          block: block(1n),
          txIndex: 0,
          callIndex: 9,
          gasLimit: GAS,
        };
      };

      // Success: the counter increments, its reply reaches the caller.
      const first = await callCaller({ a: 1 });
      assert.ok(first.ok);
      assert.ok(first.messages[0]?.kind === 'wasm' && first.messages[0].replyOn === 'always');
      const [callback] = callbacksOf(first, caller);
      const callee = await run(callback!);
      assert.ok(callee.ok, 'the counter increments');
      assert.equal(callee.reply?.contract, caller);
      const delivered = await run(replyRequest(callee, first));
      assert.ok(delivered.ok, 'the caller runs its reply entry');
      assert.deepEqual(storedReply(), {
        id: 7,
        result: {
          ok: {
            events: [
              {
                type: 'wasm',
                attributes: [
                  { key: 'contract_address', value: counter },
                  { key: 'method', value: 'increment' },
                ],
              },
            ],
            data: null,
          },
        },
      });

      // The host cannot alter, forge or redirect a reply.
      const genuine = replyRequest(callee, first);
      assert.ok(genuine.auth.kind === 'callback');
      const flipped = Uint8Array.from(genuine.auth.callbackSignature);
      flipped[3]! ^= 0x10;
      const tamperedEnvelope = Uint8Array.from(genuine.envelope);
      tamperedEnvelope[tamperedEnvelope.length - 1]! ^= 0x01;
      const refusals: [string, RunContractRequest, string][] = [
        [
          'forged signature',
          { ...genuine, auth: { ...genuine.auth, callbackSignature: flipped } },
          'CALLBACK_SIGNATURE_INVALID',
        ],
        ['altered envelope', { ...genuine, envelope: tamperedEnvelope }, 'CALLBACK_SIGNATURE_INVALID'],
        [
          'to another contract',
          { ...genuine, contract: counter, codeHash: counterHash },
          'CALLBACK_SIGNATURE_INVALID',
        ],
        ['from another callee', { ...genuine, sender: alice.address }, 'CALLBACK_SIGNATURE_INVALID'],
        ['run as execute', { ...genuine, entry: 'execute' }, 'CALLBACK_SIGNATURE_INVALID'],
        ['with funds', { ...genuine, funds: [{ denom: 'ushd', amount: '1' }] }, 'BAD_REQUEST'],
      ];
      for (const [name, request, code] of refusals) {
        await assert.rejects(enclave.runContract(request), refusedWith(code), name);
      }

      // Error: the counter refuses a reset from the caller; the error reaches the caller.
      const second = await callCaller({ b: 1 });
      const [refusedCallback] = callbacksOf(second, caller);
      const refused = await enclave.runContract(refusedCallback!);
      assert.equal(refused.ok, false, 'the counter refuses');
      assert.ok((await run(replyRequest(refused, second))).ok);
      assert.deepEqual(storedReply(), { id: 7, result: { error: 'Unauthorized' } });
    } finally {
      await enclave.stop();
    }
  });
});
