// The stack bound of nested contract-to-contract queries inside the enclave thread
// (client.ts ENCLAVE_STACK_SIZE_MB, docs/adr/003-gas-metering.md): smart queries nest wasm
// instances on one native stack, at most MAX_QUERY_DEPTH below the outer call. With every level
// recursing as deep as its own stack meter allows before it queries the next, the chain still
// reaches the depth limit and stops there deterministically: no level runs into V8's own,
// machine-dependent stack limit. The gas of the outer query (which includes every nested
// query's gas) shows how deep the chain went. Sensitivity, checked by hand (03:36 UTC): with the
// enclave stack set to 0.3 MB this test fails (V8's limit stops the chain at level 2); this
// workload needs under 1 MB, the meter's worst case is ≈ 222 KB per level (client.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeAssociatedData } from '../../src/codec/index.js';
import { concatBytes, encryptTxInput, utf8Encode } from '../../src/crypto/index.js';
import { MAX_QUERY_DEPTH } from '../../src/vm/index.js';
import { contractWat, wat2wasm } from '../vm-runtime/wat.js';
import { block, contractAddress, knownSeedEnclave, makeUser } from './helpers.js';

const alice = makeUser(93);

/**
 * query(msg): the first 4 bytes of msg (decimal digits) give a recursion depth n; recurse n
 * frames (each with locals, to use native stack), then run query_chain on the rest of msg and
 * return its answer as the query result.
 */
const recursiveQuerier = contractWat({
  query: `
    (local $n i32) (local $i i32) (local $p i32)
    (local.set $p (i32.load (local.get $msg)))
    (loop $digits
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
        (i32.sub (i32.load8_u (i32.add (local.get $p) (local.get $i))) (i32.const 48))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $digits (i32.lt_u (local.get $i) (i32.const 4))))
    (i32.store (local.get $msg) (i32.add (local.get $p) (i32.const 4)))
    (i32.store offset=4 (local.get $msg) (i32.sub (i32.load offset=4 (local.get $msg)) (i32.const 4)))
    (i32.store offset=8 (local.get $msg) (i32.sub (i32.load offset=8 (local.get $msg)) (i32.const 4)))
    (call $deep (local.get $n) (local.get $msg))`,
  extra: `
  (func $deep (param $n i32) (param $request i32) (result i32)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64) (local $e i64) (local $f i64)
    (local.set $a (i64.extend_i32_u (local.get $n)))
    (local.set $f (i64.add (local.get $a) (i64.const 1)))
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $query_chain (local.get $request)))
      (else
        (call $deep (i32.sub (local.get $n) (i32.const 1)) (local.get $request))
        (local.set $b (i64.add (local.get $f) (local.get $a)))
        (drop (i64.add (local.get $b) (i64.add (local.get $c) (i64.add (local.get $d) (local.get $e))))))))`,
});

describe('nested contract-to-contract queries in the enclave thread', () => {
  it('reach the depth limit deterministically with every level as deep as its stack meter allows', async () => {
    const { enclave, host, keys } = await knownSeedEnclave('query stack');
    try {
      const wasm = await wat2wasm(recursiveQuerier);
      const contract = contractAddress('query-stack');
      const codeHash = host.addCode(wasm);
      host.addContract(contract, codeHash);
      const frames = (depth: number) => depth.toString().padStart(4, '0');
      /** The message for `levels` nested queries, each level recursing `depth` frames first. */
      const nested = (depth: number, levels: number): string => {
        let request = '{}'; // the innermost query_chain: not a query request, answered at once
        for (let level = 0; level < levels; level++) {
          request = JSON.stringify({
            wasm: {
              smart: {
                contract_addr: contract,
                callback_code_hash: codeHash,
                msg: Buffer.from(frames(depth) + request).toString('base64'),
              },
            },
          });
        }
        return frames(depth) + request;
      };
      const run = async (depth: number, levels: number) => {
        // As userQuery, but the message is raw bytes (4 digits, then a query request).
        const { envelope } = encryptTxInput({
          networkPublicKey: keys.ioPublicKey,
          userKeyPair: alice.txKeyPair,
          plaintext: concatBytes(utf8Encode(codeHash), utf8Encode(nested(depth, levels))),
          associatedData: envelopeAssociatedData({ kind: 'query', sender: '', target: contract, funds: [] }),
        });
        const answer = await enclave.query({
          contract,
          codeHash,
          envelope,
          block: block(1n),
          gasLimit: 50_000_000_000n,
        });
        return {
          code: answer.ok ? 'ok' : answer.error.kind === 'vm' ? answer.error.code : 'contract',
          gas: answer.gasUsed,
        };
      };
      // The deepest recursion one level survives: binary search on the stack meter's trap.
      let low = 0;
      let high = 9_999;
      assert.equal((await run(high, 0)).code, 'STACK_OVERFLOW', 'unbounded recursion trips the stack meter');
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        if ((await run(middle, 0)).code === 'STACK_OVERFLOW') high = middle;
        else low = middle;
      }
      const deepest = low;
      assert.ok(deepest > 100, `a level recurses ${deepest} frames before its meter trips`);
      const gas: bigint[] = [];
      for (let levels = 0; levels <= MAX_QUERY_DEPTH + 2; levels++) {
        const outcome = await run(deepest, levels);
        assert.notEqual(outcome.code, 'STACK_OVERFLOW', `${levels} nested levels of ${deepest} frames`);
        gas.push(outcome.gas);
      }
      for (let levels = 1; levels <= MAX_QUERY_DEPTH; levels++) {
        assert.ok(
          (gas[levels] as bigint) > (gas[levels - 1] as bigint),
          `level ${levels} ran (gas ${gas[levels]} after ${gas[levels - 1]})`,
        );
      }
      assert.equal(gas[MAX_QUERY_DEPTH + 1], gas[MAX_QUERY_DEPTH + 2], 'nothing runs past the depth limit');
      // Deterministic: the same query again costs exactly the same.
      assert.deepEqual(await run(deepest, MAX_QUERY_DEPTH + 2), {
        code: (await run(deepest, MAX_QUERY_DEPTH + 2)).code,
        gas: gas[MAX_QUERY_DEPTH + 2],
      });
    } finally {
      await enclave.stop();
    }
  });
});
