import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { decodeBase64, encodeEnv } from './json.js';
import type { ContractEnv } from './types.js';

/** The decoding before the JS fast path: Node's own decoder. */
const nodeDecode = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

describe('decodeBase64', () => {
  it('matches Node for every encoding of random bytes, padded or not, short and long', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.boolean(), (bytes, stripPadding) => {
        let text = Buffer.from(bytes).toString('base64');
        if (stripPadding) text = text.replace(/=+$/, '');
        assert.deepEqual(decodeBase64(text), new Uint8Array(bytes), `decodes ${text.slice(0, 40)}`);
      }),
      { numRuns: 500 },
    );
  });

  it('matches Node on non-canonical trailing bits (ignored, as Buffer does)', () => {
    for (const text of ['QR==', 'QUJ=', 'QUJD', 'QUI', 'QR', '////', '+/+/+w==', 'AAAB']) {
      assert.deepEqual(decodeBase64(text), nodeDecode(text), `decodes ${text}`);
    }
  });

  it('rejects what is not strict standard base64', () => {
    for (const text of ['A', 'A===', 'QQ=A', 'QQ==QQ==', 'Q Q=', 'QQ-_', 'QQ=', 'é']) {
      assert.equal(decodeBase64(text), undefined, `rejects ${JSON.stringify(text)}`);
    }
    assert.deepEqual(decodeBase64(''), new Uint8Array(0), 'empty is empty');
  });
});

/** encodeEnv as it was written before the templates (JSON.stringify of objects). */
function referenceEnv(env: ContractEnv, withRandom: boolean): string {
  const random =
    withRandom && env.block.random !== undefined && env.block.random !== null
      ? `,"random":${JSON.stringify(Buffer.from(env.block.random).toString('base64'))}`
      : '';
  const block =
    `{"height":${BigInt(env.block.height).toString()},"time":"${env.block.time.toString()}",` +
    `"chain_id":${JSON.stringify(env.block.chainId)}${random}}`;
  const contract = JSON.stringify({ address: env.contract.address, code_hash: env.contract.codeHash });
  const tx = env.transaction ?? null;
  const transaction = tx === null ? 'null' : JSON.stringify({ index: tx.index, hash: tx.hash });
  return `{"block":${block},"contract":${contract},"transaction":${transaction}}`;
}

describe('encodeEnv', () => {
  it('gives the same bytes as JSON.stringify of the objects, for any strings and indices', () => {
    const env = fc.record({
      block: fc.record({
        height: fc.oneof(fc.nat(), fc.maxSafeNat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
        time: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        chainId: fc.string(),
        random: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 })),
      }),
      contract: fc.record({ address: fc.string({ unit: 'binary' }), codeHash: fc.string() }),
      transaction: fc.option(fc.record({ index: fc.nat(), hash: fc.string({ unit: 'binary' }) })),
    });
    fc.assert(
      fc.property(env, fc.boolean(), (e, withRandom) => {
        assert.equal(encodeEnv(e, withRandom), referenceEnv(e, withRandom));
      }),
      { numRuns: 500 },
    );
  });

  it('encodes values the types forbid as before too (missing or odd fields)', () => {
    const odd = {
      block: { height: 1, time: 2n, chainId: 'c' },
      contract: { address: undefined, codeHash: 'h' },
      transaction: { index: undefined, hash: 'x' },
    } as unknown as ContractEnv;
    assert.equal(encodeEnv(odd, false), referenceEnv(odd, false));
  });
});
