// The AssemblyScript SDK (contracts/sdk) checked through the real VM with the selftest
// contract: its JSON parser, base64, Uint128 and SHA-256 against Node's own implementations
// (fast-check properties), and the ABI glue (Env, MessageInfo, attributes, events, storage,
// submessages and reply, queries to the chain, traps).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { ContractSandbox, VmError } from '../../src/vm/testing/index.js';
import { contractWasm, dataJson, rejectsWithContractError } from './helpers.js';

async function setup() {
  const messages: string[] = [];
  const sb = await ContractSandbox.create({ debug: (m) => messages.push(m) });
  const user = sb.address('user');
  const { codeId, codeHash } = await sb.upload(contractWasm('selftest'));
  const { address } = await sb.instantiate(codeId, { sender: user, msg: {}, label: 'selftest' });
  const query = async <T>(msg: unknown) => (await sb.query(address, msg)) as T;
  return { sb, user, codeId, codeHash, address, query, messages };
}

const U128_MAX = 2n ** 128n - 1n;

describe('SDK: JSON', () => {
  it('re-serialises valid JSON to what JSON.stringify gives (numbers kept as text)', async () => {
    const { query } = await setup();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        const text = JSON.stringify(value);
        const answer = await query<{ ok: boolean; json?: string; error?: string }>({ parse: { text } });
        assert.equal(answer.ok, true, `parses ${text}: ${answer.error ?? ''}`);
        assert.deepEqual(JSON.parse(answer.json ?? ''), JSON.parse(text), `round trip of ${text}`);
      }),
      { numRuns: 60 },
    );
  });

  it('accepts exactly what JSON.parse accepts on mutated input', async () => {
    const { query } = await setup();
    const pieces = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      'a',
      '1',
      '-',
      '.',
      'e',
      ' ',
      'null',
      'tru',
      'true',
      '\\u00',
      '0',
      '\u00e9',
      '\n',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { maxLength: 12 }), async (parts) => {
        const text = parts.join('');
        let expected = true;
        try {
          JSON.parse(text);
        } catch {
          expected = false;
        }
        const answer = await query<{ ok: boolean; error?: string }>({ parse: { text } });
        // The SDK also refuses duplicate keys, which JSON.parse accepts.
        const duplicate = expected && !answer.ok && /^duplicate key/.test(answer.error ?? '');
        assert.equal(
          answer.ok || duplicate,
          expected,
          `JSON.parse and the SDK agree on ${JSON.stringify(text)}`,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('handles escapes, surrogate pairs and deep nesting', async () => {
    const { query } = await setup();
    const valid = [
      '"\\ud83d\\ude00 \\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9"',
      '{"a":{"b":[1,-2,3.5e-7,true,null]}}',
      ' [ ] ',
    ];
    for (const text of valid) {
      const answer = await query<{ ok: boolean; json: string }>({ parse: { text } });
      assert.equal(answer.ok, true, `parses ${text}`);
      assert.deepEqual(JSON.parse(answer.json), JSON.parse(text), `same value for ${text}`);
    }
    const invalid = [
      '"\\ud83d"',
      '"\\ude00"',
      '"\\x"',
      '01',
      '1.',
      '-',
      '[1,]',
      '{"a":1,"a":2}',
      '{"b":{"a":1,"a":1}}',
      '{"a" 1}',
      '"a\u0001"',
      '['.repeat(65) + ']'.repeat(65),
    ];
    for (const text of invalid) {
      const answer = await query<{ ok: boolean }>({ parse: { text } });
      assert.equal(answer.ok, false, `refuses ${JSON.stringify(text)}`);
    }
    const deepOk = '['.repeat(64) + ']'.repeat(64);
    assert.equal((await query<{ ok: boolean }>({ parse: { text: deepOk } })).ok, true, '64 levels are fine');
  });

  it('accepts valid UTF-8 and refuses invalid UTF-8 in raw messages', async () => {
    const { sb, user, address } = await setup();
    const prefix = new TextEncoder().encode('{"storage":{"key":"k","value":"');
    const suffix = new TextEncoder().encode('"}}');
    const message = (middle: number[]) => new Uint8Array([...prefix, ...middle, ...suffix]);
    const text = 'é€😀';
    const { response } = await sb.execute(address, {
      sender: user,
      msg: message([...new TextEncoder().encode(text)]),
    });
    assert.deepEqual(dataJson(response.data), { before: null, after: text });
    const invalid: [string, number[]][] = [
      ['lone continuation byte', [0x80]],
      ['0xff', [0xff]],
      ['overlong slash', [0xc0, 0xaf]],
      ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
      ['UTF-16 surrogate', [0xed, 0xa0, 0x80]],
      ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
      ['truncated', [0xe2, 0x82]],
    ];
    for (const [label, bytes] of invalid) {
      await rejectsWithContractError(
        () => sb.execute(address, { sender: user, msg: message(bytes) }),
        /^Error parsing into type ExecuteMsg: invalid UTF-8 at byte 31$/,
        label,
      );
    }
  });

  it('parses u64 text strictly', async () => {
    const { query } = await setup();
    const cases: [string, boolean, string][] = [
      ['0', true, '0'],
      ['18446744073709551615', true, '18446744073709551615'],
      ['18446744073709551616', false, '0'],
      ['007', false, '0'],
      ['', false, '0'],
      ['-1', false, '0'],
      ['1e3', false, '0'],
    ];
    for (const [text, ok, value] of cases) {
      assert.deepEqual(await query({ u64: { text } }), { ok, value }, `u64 ${text}`);
    }
  });
});

describe('SDK: Uint128, base64, sha256', () => {
  it('Uint128 add/sub/compare agree with BigInt', async () => {
    const { query } = await setup();
    const u128 = fc.oneof(
      fc.bigInt({ min: 0n, max: U128_MAX }),
      fc.constantFrom(0n, 1n, 2n ** 64n - 1n, 2n ** 64n, U128_MAX, U128_MAX - 1n),
    );
    await fc.assert(
      fc.asyncProperty(u128, u128, async (a, b) => {
        const answer = await query({ u128: { a: a.toString(), b: b.toString() } });
        assert.deepEqual(
          answer,
          {
            a: a.toString(),
            b: b.toString(),
            sum: a + b <= U128_MAX ? (a + b).toString() : null,
            diff: a >= b ? (a - b).toString() : null,
            cmp: a < b ? -1 : a > b ? 1 : 0,
            bytes_round_trip: true,
          },
          `u128 ${a} ${b}`,
        );
      }),
      { numRuns: 80 },
    );
  });

  it('Uint128 refuses non-canonical text', async () => {
    const { query } = await setup();
    const accepted = await query<{ a: string | null }>({ u128: { a: '0'.repeat(60) + '12', b: '0' } });
    assert.equal(accepted.a, '12', 'leading zeros are accepted like u128::from_str');
    for (const text of [
      '',
      '-1',
      '+1',
      '1.0',
      ' 1',
      (U128_MAX + 1n).toString(),
      '9'.repeat(40),
      '1'.repeat(80),
    ]) {
      const answer = await query<{ a: string | null }>({ u128: { a: text, b: '0' } });
      assert.equal(answer.a, null, `refuses ${JSON.stringify(text)}`);
    }
  });

  it('sha256 matches node:crypto for all padding boundaries', async () => {
    const { query } = await setup();
    const lengths = [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000];
    for (const length of lengths) {
      const data = Buffer.from(Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff));
      const answer = await query<{ hex: string }>({ sha256: { data: data.toString('base64') } });
      assert.equal(answer.hex, createHash('sha256').update(data).digest('hex'), `sha256 of ${length} bytes`);
    }
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const answer = await query<{ hex: string }>({
          sha256: { data: Buffer.from(bytes).toString('base64') },
        });
        assert.equal(answer.hex, createHash('sha256').update(bytes).digest('hex'));
      }),
      { numRuns: 40 },
    );
  });

  it('base64 round-trips and refuses non-canonical text', async () => {
    const { query } = await setup();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), async (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        const answer = await query({ base64: { text } });
        assert.deepEqual(answer, { ok: true, hex: Buffer.from(bytes).toString('hex'), again: text }, text);
      }),
      { numRuns: 40 },
    );
    for (const text of ['A', 'AB=', 'AB==C', 'AR==', 'ABC!', 'A===', '====', 'QUJD\n']) {
      assert.deepEqual(await query({ base64: { text } }), { ok: false }, `refuses ${JSON.stringify(text)}`);
    }
  });
});

describe('SDK: ABI glue', () => {
  it('reads Env and MessageInfo and writes attributes, events and data', async () => {
    const { sb, user, address, codeHash } = await setup();
    sb.setBalance(user, [{ denom: 'ushd', amount: 500 }]);
    const { response } = await sb.execute(address, {
      sender: user,
      msg: { context: {} },
      funds: [{ denom: 'ushd', amount: 123 }],
    });
    const data = dataJson(response.data) as { env: Record<string, unknown>; sender: string; funds: unknown };
    assert.equal(data.sender, user);
    assert.deepEqual(data.funds, [{ denom: 'ushd', amount: '123' }]);
    assert.equal(data.env['height'], sb.block.height);
    assert.equal(data.env['time'], sb.block.time.toString());
    assert.equal(data.env['chain_id'], sb.chainId);
    assert.equal(
      data.env['random'],
      Buffer.from(sb.block.random).toString('hex'),
      'requires_random gives block.random',
    );
    assert.equal(data.env['address'], address);
    assert.equal(data.env['code_hash'], codeHash);
    assert.match((data.env['transaction'] as { hash: string }).hash, /^[0-9A-F]{64}$/);
    assert.deepEqual(
      response.attributes.map((a) => [a.key, a.value, a.encrypted]),
      [
        ['enc', 'x', true],
        ['plain', 'y', false],
      ],
    );
    assert.deepEqual(response.events, [
      {
        type: 'selftest',
        attributes: [
          { key: 'secret', value: 'a', encrypted: true },
          { key: 'public', value: 'b', encrypted: false },
        ],
      },
    ]);
  });

  it('reads, writes and removes storage; a failed call leaves it untouched', async () => {
    const { sb, user, address } = await setup();
    const store = async (msg: object) =>
      dataJson(
        (await sb.execute(address, { sender: user, msg: { storage: { key: 'k', ...msg } } })).response.data,
      );
    assert.deepEqual(await store({ value: 'v1' }), { before: null, after: 'v1' });
    assert.deepEqual(await store({ value: '' }), { before: 'v1', after: '' }, 'empty values are values');
    assert.deepEqual(await store({ remove: true }), { before: '', after: null });
    await rejectsWithContractError(
      () => sb.execute(address, { sender: user, msg: { fail: { message: 'nope' } } }),
      'nope',
    );
    assert.equal(
      sb.getStorage(address, 'written_before_failure'),
      undefined,
      'writes of a failed call are dropped',
    );
  });

  it('keeps an append store readable by index', async () => {
    const { sb, user, address, query } = await setup();
    for (const [i, item] of ['a', 'b', 'c'].entries()) {
      const { response } = await sb.execute(address, { sender: user, msg: { append: { item } } });
      assert.deepEqual(dataJson(response.data), { index: i, length: i + 1 }, `append ${item}`);
    }
    assert.deepEqual(await query({ list: {} }), { length: 3, items: ['a', 'b', 'c'] });
  });

  it('sends submessages and receives replies in the §3.5 shape', async () => {
    const { sb, user, address, codeHash, query } = await setup();
    const { address: other } = await sb.instantiate(1, { sender: user, msg: {}, label: 'other' });
    const inner = JSON.stringify({ storage: { key: 'x', value: 'y' } });
    await sb.execute(address, {
      sender: user,
      msg: { call: { contract: other, code_hash: codeHash, msg: inner, reply_on: 'always', id: 7 } },
    });
    const { reply } = await query<{ reply: string }>({ last_reply: {} });
    const parsed = JSON.parse(reply) as { id: number; result: { ok?: { data: string | null } } };
    assert.equal(parsed.id, 7);
    assert.ok(parsed.result.ok, `success reply: ${reply}`);
    const failing = JSON.stringify({ fail: { message: 'inner failed' } });
    await sb.execute(address, {
      sender: user,
      msg: { call: { contract: other, code_hash: codeHash, msg: failing, reply_on: 'error', id: 8 } },
    });
    const second = JSON.parse((await query<{ reply: string }>({ last_reply: {} })).reply) as {
      id: number;
      result: { error?: string };
    };
    assert.equal(second.id, 8);
    assert.match(second.result.error ?? '', /inner failed/);
    await rejectsWithContractError(
      () =>
        sb.execute(address, {
          sender: user,
          msg: { call: { contract: other, code_hash: codeHash, msg: failing, reply_on: 'success', id: 9 } },
        }),
      /inner failed/,
    );
  });

  it('runs migrate with its message (no MessageInfo)', async () => {
    const { sb, user, codeId } = await setup();
    const { address } = await sb.instantiate(codeId, {
      sender: user,
      msg: {},
      label: 'migratable',
      admin: user,
    });
    const { response } = await sb.migrate(address, { sender: user, codeId, msg: { note: 'v2' } });
    assert.deepEqual(dataJson(response.data), { migrated: true });
    assert.deepEqual(await sb.query(address, { migrated: {} }), { note: 'v2' });
    await rejectsWithContractError(
      () => sb.migrate(address, { sender: user, codeId, msg: {} }),
      'Error parsing into type MigrateMsg: missing field `note`',
    );
  });

  it('validates, canonicalises and humanises addresses through the host', async () => {
    const { user, query } = await setup();
    const good = await query<Record<string, unknown>>({ address: { address: user } });
    assert.equal(good['valid_error'], null);
    assert.equal(good['human'], user);
    assert.equal((good['canonical'] as string).length, 40, '20 bytes');
    const upper = await query<Record<string, unknown>>({ address: { address: user.toUpperCase() } });
    assert.match(String(upper['valid_error']), /not normalized/, 'validate wants the normalised form');
    assert.equal(upper['human'], user, 'canonicalize accepts upper case bech32 (CONTRACT_ABI §2)');
    for (const bad of ['', 'cosmos1qqqsyqcyq5rqwzqfpg9scrgwpugpzysn7hzdtn', 'shroud1xyz', 'x'.repeat(300)]) {
      const answer = await query<Record<string, unknown>>({ address: { address: bad } });
      assert.match(
        String(answer['valid_error']),
        /^Generic error: (addr_validate errored: |Input too long)/,
        `bad ${bad}`,
      );
      assert.match(String(answer['canonical_error']), /^Generic error: /, `bad ${bad}`);
    }
  });

  it('queries the bank and other contracts through query_chain', async () => {
    const { sb, user, address, codeHash, query } = await setup();
    sb.setBalance(user, [{ denom: 'ushd', amount: 77 }]);
    assert.deepEqual(await query({ balance: { address: user, denom: 'ushd' } }), { amount: '77' });
    const answer = await query<{ answer: string }>({
      smart: { contract: address, code_hash: codeHash, msg: JSON.stringify({ u64: { text: '5' } }) },
    });
    assert.deepEqual(JSON.parse(answer.answer), { ok: true, value: '5' });
    await rejectsWithContractError(
      () => query({ smart: { contract: address, code_hash: codeHash, msg: '{"nope":{}}' } }),
      /unknown variant `nope`/,
    );
  });

  it('turns a panic and a write in a query into VM failures, with a debug log', async () => {
    const { sb, user, address, query, messages } = await setup();
    await assert.rejects(async () => sb.execute(address, { sender: user, msg: { panic: {} } }), VmError);
    assert.ok(
      messages.some((m) => m.includes('panic: selftest panic')),
      `abort logs through debug: ${JSON.stringify(messages)}`,
    );
    await assert.rejects(async () => query({ storage: {} }), VmError);
  });

  it('reports malformed messages as contract errors', async () => {
    const { sb, user, address } = await setup();
    await rejectsWithContractError(
      () => sb.execute(address, { sender: user, msg: [] }),
      /^Error parsing into type ExecuteMsg/,
    );
    await rejectsWithContractError(
      () => sb.execute(address, { sender: user, msg: 42 }),
      /^Error parsing into type ExecuteMsg: invalid type/,
    );
  });
});
