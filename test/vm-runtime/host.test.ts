// Every host import of CONTRACT_ABI §2: good input, each error path / return code, gas.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  ed25519KeyPairFromSeed,
  ed25519Sign,
  fromBech32,
  secp256k1PublicKey,
  secp256k1Sign,
  sha256,
  toBech32,
} from '../../src/crypto/index.js';
import { HOST_GAS } from '../../src/vm/index.js';
import { ContractVm } from '../../src/vm/index.js';
import { expectVmError, run, text, writesOf } from './helpers.js';
import { buildContract, u32le, u64le } from './wat.js';

const R = 82; // key 'R' holds a result, 'S' the Region text/bytes that came with it

async function call32(
  fn: string,
  blobs: (Uint8Array | string)[],
  extraArgs = '',
): Promise<{ code: number; region?: Uint8Array }> {
  const args = blobs.map((_b, i) => `(call $blob${i + 1})`).join(' ');
  const code = await buildContract({
    execute: `(call $save_result32 (i32.const ${R}) (call $${fn} ${args} ${extraArgs})) (call $ok)`,
    blobs,
  });
  const w = writesOf(run(code));
  const region = w.get('S');
  return region === undefined || region === null
    ? { code: u32le(w.get('R')) }
    : { code: u32le(w.get('R')), region };
}

/** Plain return code (no Region) of a 3-arg crypto verify. */
async function code32(fn: string, blobs: (Uint8Array | string)[]): Promise<number> {
  const args = blobs.map((_b, i) => `(call $blob${i + 1})`).join(' ');
  const code = await buildContract({
    execute: `(call $save_i32 (i32.const ${R}) (call $${fn} ${args})) (call $ok)`,
    blobs,
  });
  return u32le(writesOf(run(code)).get('R'));
}

async function call64(
  fn: string,
  blobs: (Uint8Array | string)[],
  extraArgs = '',
): Promise<{ high: number; bytes?: Uint8Array }> {
  const args = blobs.map((_b, i) => `(call $blob${i + 1})`).join(' ');
  const code = await buildContract({
    execute: `(call $save_result64 (i32.const ${R}) (call $${fn} ${args} ${extraArgs})) (call $ok)`,
    blobs,
  });
  const w = writesOf(run(code));
  const value = u64le(w.get('R'));
  const bytes = w.get('S');
  return bytes === undefined || bytes === null
    ? { high: Number(value >> 32n) }
    : { high: Number(value >> 32n), bytes };
}

const ADDRESS_DATA = new Uint8Array(20).map((_v, i) => i + 1);
const ADDRESS = toBech32('shroud', ADDRESS_DATA);

describe('storage host functions', () => {
  it('db_read returns 0 for a missing key and a Region of the value otherwise', async () => {
    const code = await buildContract({
      execute: `(call $save_i32 (i32.const ${R}) (call $db_read (call $blob1)))
                (call $save (i32.const 83) (call $db_read (call $blob2))) (call $ok)`,
      blobs: ['missing', 'k'],
    });
    const w = writesOf(run(code, { storage: new Map([['k', new TextEncoder().encode('value!')]]) }));
    assert.equal(u32le(w.get('R')), 0);
    assert.equal(text(w.get('S')), 'value!');
  });

  it('db_write costs 2000 + 5000 × len(value) and db_remove 0; db_read 1000 (exact)', async () => {
    const write = await buildContract({
      instantiate: '(call $db_write (call $blob1) (call $blob2)) (call $ok)',
      blobs: ['key', 'abc'],
    });
    assert.equal(run(write, { entry: 'instantiate' }).gasUsed, 2_000n + 5_000n * 3n);
    const remove = await buildContract({
      instantiate: '(call $db_remove (call $blob1)) (call $ok)',
      blobs: ['key'],
    });
    assert.equal(run(remove, { entry: 'instantiate' }).gasUsed, 0n);
    const read = await buildContract({
      instantiate: '(drop (call $db_read (call $blob1))) (call $ok)',
      blobs: ['key'],
    });
    assert.equal(run(read, { entry: 'instantiate' }).gasUsed, 1_000n);
  });

  it('refunds the per-byte db_write gas after a successful execute only (observed quirk)', async () => {
    const body = '(call $db_write (call $blob1) (call $blob2)) (call $ok)';
    const code = await buildContract({
      instantiate: body,
      execute: body,
      migrate: body,
      blobs: ['key', 'abcd'],
    });
    assert.equal(run(code, { entry: 'execute' }).gasUsed, 2_000n);
    assert.equal(run(code, { entry: 'instantiate' }).gasUsed, 22_000n);
    assert.equal(run(code, { entry: 'migrate' }).gasUsed, 22_000n);
  });
});

describe('address host functions', () => {
  it('addr_validate: 0 for a normalized address, error Regions otherwise', async () => {
    assert.deepEqual(await call32('addr_validate', [ADDRESS]), { code: 0 });
    const cases: [Uint8Array | string, string | RegExp][] = [
      ['', 'Input is empty'],
      [new Uint8Array([0xff, 0xfe]), 'Input is not valid UTF-8'],
      ['shroud1notbech32', /bech32|character|checksum|invalid/i],
      [ADDRESS.toUpperCase(), 'Address is not normalized'],
      [toBech32('cosmos', ADDRESS_DATA), 'Address is not normalized'],
    ];
    for (const [input, expected] of cases) {
      const result = await call32('addr_validate', [input]);
      assert.notEqual(result.code, 0, `addr_validate(${String(input)}) must fail`);
      if (typeof expected === 'string')
        assert.equal(text(result.region), expected, `addr_validate(${String(input)})`);
      else assert.match(text(result.region), expected, `addr_validate(${String(input)})`);
    }
  });

  it('addr_canonicalize writes the raw bytes into the output Region', async () => {
    const code = await buildContract({
      execute: `(global.set $g0 (call $allocate (i32.const 64)))
                (call $save_result32 (i32.const ${R}) (call $addr_canonicalize (call $blob1) (global.get $g0)))
                (call $save (i32.const 79) (global.get $g0)) (call $ok)`,
      blobs: [ADDRESS],
    });
    const w = writesOf(run(code));
    assert.equal(u32le(w.get('R')), 0);
    assert.deepEqual(w.get('O'), ADDRESS_DATA);
  });

  it('addr_canonicalize errors: empty, UTF-8, bech32, wrong prefix with Debug quotes; no trimming', async () => {
    const cases: [Uint8Array | string, string | RegExp][] = [
      ['', 'Input is empty'],
      [new Uint8Array([0xc3]), 'input is not valid UTF-8'],
      ['nope', /bech32|invalid/i],
      [toBech32('cosmos', ADDRESS_DATA), 'wrong address prefix: "cosmos"'],
      [` ${ADDRESS}`, /bech32|invalid|character/i],
    ];
    for (const [input, expected] of cases) {
      const code = await buildContract({
        execute: `(call $save_result32 (i32.const ${R}) (call $addr_canonicalize (call $blob1) (call $allocate (i32.const 64)))) (call $ok)`,
        blobs: [input],
      });
      const w = writesOf(run(code));
      assert.notEqual(u32le(w.get('R')), 0, `canonicalize(${JSON.stringify(String(input))}) must fail`);
      if (typeof expected === 'string')
        assert.equal(text(w.get('S')), expected, `canonicalize(${String(input)})`);
      else assert.match(text(w.get('S')), expected, `canonicalize(${String(input)})`);
    }
  });

  it('addr_humanize writes bech32(shroud, bytes) and charges 8192', async () => {
    const code = await buildContract({
      execute: `(global.set $g0 (call $allocate (i32.const 90)))
                (call $save_result32 (i32.const ${R}) (call $addr_humanize (call $blob1) (global.get $g0)))
                (call $save (i32.const 79) (global.get $g0)) (call $ok)`,
      blobs: [ADDRESS_DATA],
    });
    const outcome = run(code);
    const w = writesOf(outcome);
    assert.equal(u32le(w.get('R')), 0);
    assert.equal(text(w.get('O')), ADDRESS);
    assert.equal(
      outcome.gasUsed,
      HOST_GAS.address + 2n * 2_000n,
      'humanize + two db_writes (per-byte refunded)',
    );
  });

  it('addr_humanize of data too long for bech32 returns an error Region', async () => {
    const result = await call32('addr_humanize', [new Uint8Array(100)], '(call $allocate (i32.const 300))');
    assert.notEqual(result.code, 0);
    assert.match(text(result.region), /characters|long|length/i);
  });

  it('v0.10 canonicalize_address trims whitespace and says "input is empty"; humanize_address works', async () => {
    const body = (input: number) => `(global.set $g0 (call $allocate (i32.const 64)))
      (call $save_result32 (i32.const ${R}) (call $canonicalize_address (call $blob${input}) (global.get $g0)))
      (call $save (i32.const 79) (global.get $g0))
      (global.set $g1 (call $allocate (i32.const 90)))
      (drop (call $humanize_address (global.get $g0) (global.get $g1)))
      (call $save (i32.const 72) (global.get $g1)) (call $ok)`;
    const ok = await buildContract({ v010: true, execute: body(1), blobs: [`  ${ADDRESS}\n`] });
    const w = writesOf(run(ok));
    assert.equal(u32le(w.get('R')), 0);
    assert.deepEqual(w.get('O'), ADDRESS_DATA);
    assert.equal(text(w.get('H')), ADDRESS);
    const empty = await buildContract({
      v010: true,
      execute: `(call $save_result32 (i32.const ${R}) (call $canonicalize_address (call $blob1) (call $allocate (i32.const 64)))) (call $ok)`,
      blobs: ['   '],
    });
    assert.equal(text(writesOf(run(empty)).get('S')), 'input is empty');
  });

  it('the canonical form round-trips through fromBech32', () => {
    assert.deepEqual(fromBech32(ADDRESS).data, ADDRESS_DATA);
  });
});

describe('secp256k1 host functions', () => {
  const privateKey = sha256(new TextEncoder().encode('secp key'));
  const publicKey = secp256k1PublicKey(privateKey, true);
  const uncompressed = secp256k1PublicKey(privateKey, false);
  const hash = sha256(new TextEncoder().encode('message'));
  const signature = secp256k1Sign(hash, privateKey);

  it('secp256k1_verify returns 0, 1, 3, 4, 5 and 10 as the table says', async () => {
    const badSig = signature.slice();
    badSig[5] = (badSig[5] as number) ^ 1;
    const overflow = new Uint8Array(64).fill(0xff);
    const notOnCurve = new Uint8Array(33).fill(0x02);
    notOnCurve.fill(0xff, 1);
    const hybrid = uncompressed.slice();
    hybrid[0] = ((uncompressed[64] as number) & 1) === 1 ? 0x07 : 0x06;
    const wrongHybrid = hybrid.slice();
    wrongHybrid[0] = hybrid[0] === 0x07 ? 0x06 : 0x07;
    const cases: [string, Uint8Array[], number][] = [
      ['valid compressed', [hash, signature, publicKey], 0],
      ['valid uncompressed', [hash, signature, uncompressed], 0],
      ['valid hybrid', [hash, signature, hybrid], 0],
      ['tampered signature', [hash, badSig, publicKey], 1],
      ['other message', [sha256(hash), signature, publicKey], 1],
      ['hash 31 bytes', [hash.subarray(1), signature, publicKey], 3],
      ['signature 65 bytes', [hash, new Uint8Array([...signature, 1]), publicKey], 4],
      ['key wrong prefix', [hash, signature, new Uint8Array([0x05, ...publicKey.subarray(1)])], 5],
      ['compressed key 65 bytes', [hash, signature, new Uint8Array([0x02, ...uncompressed.subarray(1)])], 5],
      ['empty key', [hash, signature, new Uint8Array()], 5],
      ['r, s ≥ n', [hash, overflow, publicKey], 10],
      ['key not on the curve', [hash, signature, notOnCurve], 10],
      ['hybrid key with the wrong parity', [hash, signature, wrongHybrid], 10],
    ];
    for (const [name, blobs, expected] of cases) {
      assert.equal(await code32('secp256k1_verify', blobs), expected, name);
    }
  });

  it('secp256k1_verify returns 1 for a high-S signature', async () => {
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt('0x' + Buffer.from(signature.subarray(32)).toString('hex'));
    const high = signature.slice();
    high.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
    assert.equal(await code32('secp256k1_verify', [hash, high, publicKey]), 1);
  });

  it('secp256k1_recover_pubkey returns the 33-byte compressed key; errors 3, 4, 10 in the high half', async () => {
    let found = false;
    for (const recid of [0, 1]) {
      const result = await call64('secp256k1_recover_pubkey', [hash, signature], `(i32.const ${recid})`);
      assert.equal(result.high, 0, `recid ${recid} recovers something`);
      assert.equal(result.bytes?.length, 33, `recid ${recid}: compressed key`);
      if (result.bytes !== undefined && Buffer.from(result.bytes).equals(Buffer.from(publicKey)))
        found = true;
    }
    assert.ok(found, 'one recovery id gives the signer key');
    assert.deepEqual(
      await call64('secp256k1_recover_pubkey', [hash.subarray(2), signature], '(i32.const 0)'),
      { high: 3 },
    );
    assert.deepEqual(
      await call64('secp256k1_recover_pubkey', [hash, signature.subarray(1)], '(i32.const 0)'),
      { high: 4 },
    );
    assert.deepEqual(await call64('secp256k1_recover_pubkey', [hash, signature], '(i32.const 4)'), {
      high: 10,
    });
    assert.deepEqual(await call64('secp256k1_recover_pubkey', [hash, signature], '(i32.const -1)'), {
      high: 10,
    });
    assert.deepEqual(
      await call64('secp256k1_recover_pubkey', [hash, new Uint8Array(64).fill(0xff)], '(i32.const 0)'),
      { high: 10 },
    );
  });

  it('secp256k1_sign hashes the message with SHA-256 first; bad keys give 1000', async () => {
    const message = new TextEncoder().encode('sign me');
    const result = await call64('secp256k1_sign', [message, privateKey]);
    assert.equal(result.high, 0);
    assert.deepEqual(result.bytes, secp256k1Sign(sha256(message), privateKey));
    assert.equal(await code32('secp256k1_verify', [sha256(message), result.bytes, publicKey]), 0);
    assert.deepEqual(await call64('secp256k1_sign', [message, privateKey.subarray(1)]), { high: 1000 });
    assert.deepEqual(await call64('secp256k1_sign', [message, new Uint8Array(32)]), { high: 1000 });
    assert.deepEqual(await call64('secp256k1_sign', [message, new Uint8Array(32).fill(0xff)]), {
      high: 1000,
    });
  });
});

describe('ed25519 host functions', () => {
  const keys = [1, 2, 3].map((i) => ed25519KeyPairFromSeed(new Uint8Array(32).fill(i)));
  const messages = ['one', 'two', 'three'].map((m) => new TextEncoder().encode(m));
  const signatures = keys.map((k, i) => ed25519Sign(messages[i] as Uint8Array, k.seed));
  const key0 = keys[0] as { seed: Uint8Array; publicKey: Uint8Array };
  const msg0 = messages[0] as Uint8Array;
  const sig0 = signatures[0] as Uint8Array;

  it('ed25519_verify returns 0, 1, 4 and 5', async () => {
    const tampered = sig0.slice();
    tampered[0] = (tampered[0] as number) ^ 1;
    const notAPoint = new Uint8Array(32);
    notAPoint[0] = 2; // y = 2 is not on the curve
    const cases: [string, Uint8Array[], number][] = [
      ['valid', [msg0, sig0, key0.publicKey], 0],
      ['tampered', [msg0, tampered, key0.publicKey], 1],
      ['other message', [messages[1] as Uint8Array, sig0, key0.publicKey], 1],
      ['signature 63 bytes', [msg0, sig0.subarray(1), key0.publicKey], 4],
      ['key 31 bytes', [msg0, sig0, key0.publicKey.subarray(1)], 5],
      ['key not a point', [msg0, sig0, notAPoint], 5],
    ];
    for (const [name, blobs, expected] of cases)
      assert.equal(await code32('ed25519_verify', blobs), expected, name);
  });

  const sections = (items: Uint8Array[]): Uint8Array => {
    const parts: number[] = [];
    for (const item of items) {
      parts.push(...item);
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, item.length, false);
      parts.push(...len);
    }
    return Uint8Array.from(parts);
  };

  it('ed25519_batch_verify: the three count rules, n = 0, code 7, bad encodings', async () => {
    const pks = keys.map((k) => k.publicKey);
    const sameMessageSigs = keys.map((k) => ed25519Sign(msg0, k.seed));
    const sameKeySigs = messages.map((m) => ed25519Sign(m, key0.seed));
    const bad = signatures.slice();
    bad[2] = sig0;
    const cases: [string, Uint8Array[][], number][] = [
      ['m = s = p', [messages, signatures, pks], 0],
      ['m = 1, s = p', [[msg0], sameMessageSigs, pks], 0],
      ['m = s, p = 1', [messages, sameKeySigs, [key0.publicKey]], 0],
      ['one invalid', [messages, bad, pks], 1],
      ['n = 0', [[], [], []], 0],
      ['mismatched counts', [messages, signatures, pks.slice(0, 2)], 7],
      ['m = 2, s = 3', [messages.slice(0, 2), signatures, pks], 7],
      ['bad signature length', [messages, [sig0.subarray(1), ...signatures.slice(1)], pks], 4],
      ['bad key length', [messages, signatures, [new Uint8Array(31), ...pks.slice(1)]], 5],
    ];
    for (const [name, lists, expected] of cases) {
      assert.equal(await code32('ed25519_batch_verify', lists.map(sections)), expected, name);
    }
  });

  it('ed25519_batch_verify charges 5000 + 70000 × n after the count check', async () => {
    const pks = keys.map((k) => k.publicKey);
    const body = '(drop (call $ed25519_batch_verify (call $blob1) (call $blob2) (call $blob3))) (call $ok)';
    const three = await buildContract({
      instantiate: body,
      blobs: [sections(messages), sections(signatures), sections(pks)],
    });
    assert.equal(run(three, { entry: 'instantiate' }).gasUsed, 5_000n + 70_000n * 3n);
    const mismatch = await buildContract({
      instantiate: body,
      blobs: [sections(messages), sections(signatures), sections([])],
    });
    assert.equal(run(mismatch, { entry: 'instantiate' }).gasUsed, 0n, 'code 7 is free');
  });

  it('ed25519_batch_verify traps on a section length pointing before the start', async () => {
    const code = await buildContract({
      execute: '(drop (call $ed25519_batch_verify (call $blob1) (call $blob1) (call $blob1))) (call $ok)',
      blobs: [new Uint8Array([0, 0, 0, 9])],
    });
    expectVmError('INVALID_HOST_INPUT', () => run(code));
  });

  it('ed25519_sign signs with the 32-byte seed; a bad seed gives 1000', async () => {
    const result = await call64('ed25519_sign', [msg0, key0.seed]);
    assert.equal(result.high, 0);
    assert.deepEqual(result.bytes, sig0);
    assert.deepEqual(await call64('ed25519_sign', [msg0, key0.seed.subarray(2)]), { high: 1000 });
  });
});

describe('gas and misc host functions', () => {
  it('charges the table figures exactly (uninstrumented module: host gas only)', async () => {
    const figures: [string, string, (Uint8Array | string)[], bigint][] = [
      [
        'secp256k1_verify',
        '(drop (call $secp256k1_verify (call $blob1) (call $blob1) (call $blob1)))',
        ['x'],
        98_304n,
      ],
      [
        'secp256k1_recover_pubkey',
        '(drop (call $secp256k1_recover_pubkey (call $blob1) (call $blob1) (i32.const 0)))',
        ['x'],
        98_304n,
      ],
      [
        'ed25519_verify',
        '(drop (call $ed25519_verify (call $blob1) (call $blob1) (call $blob1)))',
        ['x'],
        73_728n,
      ],
      ['secp256k1_sign', '(drop (call $secp256k1_sign (call $blob1) (call $blob1)))', ['x'], 100_000n],
      ['ed25519_sign', '(drop (call $ed25519_sign (call $blob1) (call $blob1)))', ['x'], 75_000n],
      ['addr_validate', '(drop (call $addr_validate (call $blob1)))', [ADDRESS], 8_192n],
      ['check_gas', '(drop (call $check_gas))', [], 8_192n],
      ['gas_evaporate(3)', '(drop (call $gas_evaporate (i32.const 3)))', [], 8_000n],
      ['gas_evaporate(20)', '(drop (call $gas_evaporate (i32.const 20)))', [], 20_000n],
      ['dcap_quote_verify', '(drop (call $dcap_quote_verify (call $blob1) (call $blob1)))', ['q'], 100_000n],
      ['debug', '(call $debug (call $blob1))', ['hello'], 0n],
    ];
    for (const [name, body, blobs, expected] of figures) {
      const code = await buildContract({ instantiate: `${body} (call $ok)`, blobs });
      assert.equal(run(code, { entry: 'instantiate' }).gasUsed, expected, name);
    }
  });

  it('check_gas returns (limit − remaining) / 1000 after its own charge', async () => {
    const code = await buildContract({
      instantiate: '(call $save_i64 (i32.const 82) (call $check_gas)) (call $ok)',
    });
    const outcome = run(code, { entry: 'instantiate' });
    assert.equal(u64le(writesOf(outcome).get('R')), 8n, '8192 / 1000');
  });

  it('gas_evaporate returns 0; a host charge beyond the limit is OUT_OF_GAS with the limit as gasUsed', async () => {
    const code = await buildContract({
      execute: '(call $save_i32 (i32.const 82) (call $gas_evaporate (i32.const 50))) (call $ok)',
    });
    assert.equal(u32le(writesOf(run(code)).get('R')), 0);
    const error = expectVmError('OUT_OF_GAS', () => run(code, { gasLimit: 49_999n }));
    assert.equal(error.gasUsed, 49_999n);
  });

  it('dcap_quote_verify is unsupported: error 10 in the high half', async () => {
    assert.deepEqual(await call64('dcap_quote_verify', ['quote', 'collateral']), { high: 10 });
  });

  it('debug and debug_print go to the sink (and nowhere without one)', async () => {
    const seen: string[] = [];
    const vm = new ContractVm({ instrument: false, debug: (m) => seen.push(m) });
    const v1 = await buildContract({
      execute: '(call $debug (call $blob1)) (call $ok)',
      blobs: ['hello v1'],
    });
    const v010 = await buildContract({
      v010: true,
      execute: '(call $debug_print (call $blob1)) (call $ok)',
      blobs: ['hello v0.10'],
    });
    run(v1, { vm });
    run(v010, { vm });
    run(v1); // no sink: silently dropped
    assert.deepEqual(seen, ['hello v1', 'hello v0.10']);
  });
});

describe('query_chain', () => {
  const body = `(call $save (i32.const ${R}) (call $query_chain (call $blob1))) (call $ok)`;

  it('passes the request and depth + 1 to the querier and returns its bytes', async () => {
    const code = await buildContract({
      execute: body,
      blobs: ['{"bank":{"balance":{"address":"a","denom":"d"}}}'],
    });
    const seen: [string, number][] = [];
    const querier = {
      query: (request: Uint8Array, depth: number) => {
        seen.push([text(request), depth]);
        return new TextEncoder().encode('{"Ok":{"Ok":"e30="}}');
      },
    };
    const w = writesOf(run(code, { querier, queryDepth: 2 }));
    assert.equal(text(w.get('R')), '{"Ok":{"Ok":"e30="}}');
    assert.deepEqual(seen, [['{"bank":{"balance":{"address":"a","denom":"d"}}}', 3]]);
  });

  it('depth ≥ 10 gives exceeded_recursion_limit without asking the querier', async () => {
    const code = await buildContract({ execute: body, blobs: ['{}'] });
    const w = writesOf(run(code, { queryDepth: 10 }));
    assert.equal(text(w.get('R')), '{"Err":{"exceeded_recursion_limit":{}}}');
  });

  it('an unparseable request gives invalid_request', async () => {
    const code = await buildContract({ execute: body, blobs: ['{not json'] });
    const answer = JSON.parse(text(writesOf(run(code)).get('R'))) as {
      Err: { invalid_request: { request: string } };
    };
    assert.equal(Buffer.from(answer.Err.invalid_request.request, 'base64').toString(), '{not json');
  });

  it('a querier that throws is a typed QUERIER_FAILED failure', async () => {
    const code = await buildContract({ execute: body, blobs: ['{}'] });
    expectVmError('QUERIER_FAILED', () => run(code));
  });
});

describe('debug sink isolation', () => {
  it('a throwing debug sink does not change the outcome', async () => {
    const vm = new ContractVm({
      instrument: false,
      debug: () => {
        throw new Error('log disk full');
      },
    });
    const code = await buildContract({ execute: '(call $debug (call $blob1)) (call $ok)', blobs: ['x'] });
    assert.equal(run(code, { vm }).ok, true);
  });
});
