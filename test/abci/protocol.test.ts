// The ABCI server against a scripted client (no CometBFT): answers in order per connection,
// checkTx not blocked by a block in progress, and every malformed or out-of-order input →
// an `exception` naming the problem, then a clean close of that connection, or of the whole
// server when the consensus order is broken — never a silent wrong state (the app is not
// called). The app here is an in-memory fake that records its calls.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Request, Response } from 'cosmjs-types/tendermint/abci/types';
import {
  AbciServer,
  FrameDecoder,
  encodeFrame,
  parseListenAddress,
  type AbciServerOptions,
} from '../../src/abci/index.js';
import type { AbciApplication, RequestFinalizeBlock, ResponseFinalizeBlock } from '../../src/app/index.js';
import type { ShroudError } from '../../src/errors.js';

const TIME = { seconds: 1_800_000_000n, nanos: 5 };
const GENESIS = new TextEncoder().encode('{"chain_id":"fake","accounts":[]}');

/** An in-memory app: height, a pending block, and the list of calls it saw. */
class FakeApp implements AbciApplication {
  height = 0n;
  calls: string[] = [];
  pending: bigint | null = null;
  /** When set, finalizeBlock waits for it (a slow block). */
  gate: Promise<void> | null = null;
  failFinalize = false;

  info() {
    this.calls.push('info');
    return Promise.resolve({
      data: 'fake',
      version: '1',
      appVersion: 1n,
      lastBlockHeight: this.height,
      lastBlockAppHash: Uint8Array.of(Number(this.height)),
    });
  }
  initChain() {
    this.calls.push('initChain');
    return Promise.resolve({
      validators: [{ pubKey: new Uint8Array(32).fill(7), power: 10n }],
      appHash: Uint8Array.of(0),
    });
  }
  checkTx(request: { tx: Uint8Array }) {
    this.calls.push('checkTx');
    const ok = request.tx[0] !== 0xff;
    return {
      code: ok ? 0 : 2,
      data: new Uint8Array(0),
      log: ok ? '' : 'bad tx',
      gasWanted: 1n,
      gasUsed: 0n,
      events: [],
      codespace: ok ? '' : 'sdk',
      sender: 'x',
      priority: 5n,
    };
  }
  prepareProposal(request: { txs: Uint8Array[] }) {
    this.calls.push('prepareProposal');
    return Promise.resolve({ txs: request.txs });
  }
  processProposal() {
    this.calls.push('processProposal');
    return Promise.resolve({ status: 'accept' as const });
  }
  async finalizeBlock(request: RequestFinalizeBlock): Promise<ResponseFinalizeBlock> {
    this.calls.push('finalizeBlock');
    if (this.gate !== null) await this.gate;
    if (this.failFinalize) throw new Error('enclave crashed');
    this.pending = request.height;
    return {
      events: [],
      txResults: request.txs.map(() => ({
        code: 0,
        data: Uint8Array.of(1),
        log: '',
        gasWanted: 1n,
        gasUsed: 1n,
        events: [{ type: 'transfer', attributes: [{ key: 'amount', value: '5', index: true }] }],
        codespace: '',
      })),
      validatorUpdates: [],
      appHash: Uint8Array.of(Number(request.height)),
    };
  }
  commit() {
    this.calls.push('commit');
    if (this.pending === null) throw new Error('fake: commit without block');
    this.height = this.pending;
    this.pending = null;
    return Promise.resolve({ retainHeight: 0n });
  }
  query() {
    this.calls.push('query');
    return Promise.resolve({
      code: 0,
      log: '',
      key: new Uint8Array(0),
      value: Uint8Array.of(42),
      height: this.height,
      codespace: '',
    });
  }
}

/** A client connection: send requests or raw bytes, read decoded responses. */
class Client {
  private readonly decoder = new FrameDecoder();
  private readonly received: Response[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.received.push(Response.decode(frame));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }
  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
  static open(address: string): Promise<Client> {
    const where = parseListenAddress(address);
    return new Promise((resolve, reject) => {
      const socket =
        where.kind === 'unix' ? connect(where.path) : connect({ host: where.host, port: where.port });
      socket.once('connect', () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }
  send(...requests: Request[]): void {
    this.raw(Buffer.concat(requests.map((r) => encodeFrame(Request.encode(r).finish()))));
  }
  raw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }
  /** The next `count` responses (fails after 10 s). */
  async take(count: number): Promise<Response[]> {
    const deadline = Date.now() + 10_000;
    while (this.received.length < count) {
      if (this.closed)
        throw new Error(`connection closed after ${this.received.length} of ${count} responses`);
      if (Date.now() > deadline) throw new Error(`only ${this.received.length} of ${count} responses`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return this.received.splice(0, count);
  }
  /** Resolves once the server closed the connection. */
  async closedByServer(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server did not close the connection');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
  end(): void {
    this.socket.destroy();
  }
}

const finalize = (height: bigint, txs: Uint8Array[] = []): Request => ({
  finalizeBlock: {
    txs,
    decidedLastCommit: { round: 0, votes: [] },
    misbehavior: [],
    hash: new Uint8Array(32),
    height,
    time: TIME,
    nextValidatorsHash: new Uint8Array(32),
    proposerAddress: new Uint8Array(20).fill(3),
  },
});
const initChain = (appState: Uint8Array = GENESIS, initialHeight = 1n): Request => ({
  initChain: { time: TIME, chainId: 'fake', validators: [], appStateBytes: appState, initialHeight },
});
const commit: Request = { commit: {} };
const flush: Request = { flush: {} };

let server: AbciServer | null = null;
const clients: Client[] = [];
let fatal: ShroudError | null = null;

async function start(app: FakeApp, options: Partial<AbciServerOptions> = {}): Promise<AbciServer> {
  fatal = null;
  server = await AbciServer.listen('tcp://127.0.0.1:0', {
    app,
    genesisAppState: GENESIS,
    onFatal: (error) => (fatal = error),
    ...options,
  });
  return server;
}
async function client(): Promise<Client> {
  if (server === null) throw new Error('no server');
  const c = await Client.open(server.address);
  clients.push(c);
  return c;
}

function exceptionOf(response: Response | undefined): string {
  assert.ok(
    response?.exception !== undefined,
    `an exception response, got ${JSON.stringify(Object.keys(response ?? {}))}`,
  );
  return response.exception.error;
}

async function expectFatal(code: string): Promise<void> {
  assert.ok(server !== null);
  await server.closed;
  assert.equal(server.fatal?.code, code, 'the server stopped with this code');
  // onFatal runs after the close completes.
  for (let i = 0; i < 50 && fatal === null; i += 1) await new Promise((r) => setTimeout(r, 10));
  assert.equal(fatal?.code, code, 'onFatal was told');
}

describe('ABCI server protocol', () => {
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end();
    await server?.close();
    server = null;
  });

  it('answers echo, flush, info, query and checkTx in request order on one connection', async () => {
    const app = new FakeApp();
    await start(app);
    const c = await client();
    const txs = Array.from({ length: 100 }, (_, i) => Uint8Array.of(i % 2 === 0 ? 1 : 0xff, i));
    c.send(
      { echo: { message: 'hello' } },
      { info: { version: '0.38.19', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' } },
      ...txs.map((tx): Request => ({ checkTx: { tx, type: 0 } })),
      { query: { path: '/network/keys', data: new Uint8Array(0), height: 0n, prove: false } },
      flush,
    );
    const responses = await c.take(104);
    assert.equal(responses[0]?.echo?.message, 'hello');
    assert.equal(responses[1]?.info?.lastBlockHeight, 0n);
    assert.equal(responses[1]?.info?.data, 'fake');
    for (let i = 0; i < 100; i += 1) {
      const check = responses[2 + i]?.checkTx;
      assert.ok(check !== undefined, `response ${2 + i} is a checkTx`);
      assert.equal(check.code, i % 2 === 0 ? 0 : 2, `checkTx ${i} answered in order`);
    }
    assert.deepEqual(responses[102]?.query?.value, Uint8Array.of(42));
    assert.ok(responses[103]?.flush !== undefined, 'flush answered last');
  });

  it('runs a block: initChain, prepare, process, finalize, commit; info then reports height 1', async () => {
    const app = new FakeApp();
    await start(app);
    const c = await client();
    const tx = Uint8Array.of(1, 2, 3);
    c.send(
      initChain(),
      {
        prepareProposal: {
          maxTxBytes: 1000n,
          txs: [tx],
          localLastCommit: { round: 0, votes: [] },
          misbehavior: [],
          height: 1n,
          time: TIME,
          nextValidatorsHash: new Uint8Array(0),
          proposerAddress: new Uint8Array(20),
        },
      },
      {
        processProposal: {
          txs: [tx],
          proposedLastCommit: { round: 0, votes: [] },
          misbehavior: [],
          hash: new Uint8Array(32),
          height: 1n,
          time: TIME,
          nextValidatorsHash: new Uint8Array(0),
          proposerAddress: new Uint8Array(20),
        },
      },
      finalize(1n, [tx]),
      commit,
      { info: { version: '', blockVersion: 0n, p2pVersion: 0n, abciVersion: '' } },
    );
    const [init, prepare, process, final, committed, info] = await c.take(6);
    assert.equal(init?.initChain?.validators[0]?.power, 10n);
    assert.deepEqual(init?.initChain?.validators[0]?.pubKey.ed25519, new Uint8Array(32).fill(7));
    assert.deepEqual(prepare?.prepareProposal?.txs, [tx]);
    assert.equal(process?.processProposal?.status, 1, 'ACCEPT');
    assert.deepEqual(final?.finalizeBlock?.appHash, Uint8Array.of(1));
    assert.equal(final?.finalizeBlock?.txResults[0]?.events[0]?.attributes[0]?.value, '5');
    assert.ok(committed?.commit !== undefined);
    assert.equal(info?.info?.lastBlockHeight, 1n);
    assert.equal(server?.lastHeight, 1n);
    assert.deepEqual(app.calls.slice(-6), [
      'initChain',
      'prepareProposal',
      'processProposal',
      'finalizeBlock',
      'commit',
      'info',
    ]);
  });

  it('checkTx on the mempool connection is answered while a block is still executing', async () => {
    const app = new FakeApp();
    await start(app);
    const consensus = await client();
    const mempool = await client();
    let release!: () => void;
    app.gate = new Promise((resolve) => (release = resolve));
    consensus.send(initChain(), finalize(1n));
    await consensus.take(1); // initChain
    mempool.send({ checkTx: { tx: Uint8Array.of(1), type: 0 } }, flush);
    const [check] = await mempool.take(2);
    assert.equal(check?.checkTx?.code, 0, 'checkTx answered during finalizeBlock');
    assert.equal(app.pending, null, 'the block is still executing');
    release();
    const [final] = await consensus.take(1);
    assert.ok(final?.finalizeBlock !== undefined);
  });

  it('a malformed length prefix → exception, that connection closes, others keep working', async () => {
    const app = new FakeApp();
    await start(app);
    const bad = await client();
    const good = await client();
    // A good request and 11 continuation bytes in one write.
    bad.raw(
      Buffer.concat([
        encodeFrame(Request.encode({ echo: { message: 'before' } }).finish()),
        Uint8Array.from(new Array<number>(11).fill(0x80)),
      ]),
    );
    const [echo, error] = await bad.take(2);
    assert.equal(echo?.echo?.message, 'before', 'requests before the bad frame are answered');
    assert.match(exceptionOf(error), /FRAME_MALFORMED/);
    await bad.closedByServer();
    good.send({ echo: { message: 'still here' } });
    assert.equal((await good.take(1))[0]?.echo?.message, 'still here');
    assert.equal(server?.fatal, null, 'a mempool/query-side protocol error does not stop the server');
  });

  it('an oversize length → FRAME_TOO_LARGE before the body arrives, connection closed', async () => {
    await start(new FakeApp(), { maxFrameBytes: 1024 });
    const c = await client();
    c.raw(encodeFrame(new Uint8Array(5000)).subarray(0, 2));
    assert.match(exceptionOf((await c.take(1))[0]), /FRAME_TOO_LARGE/);
    await c.closedByServer();
  });

  it('an unknown request kind → UNKNOWN_REQUEST; a frame that is not protobuf → DECODE_FAILED', async () => {
    await start(new FakeApp());
    // Field 30 (length-delimited, empty): not a kind of tendermint.abci.Request in v0.38.
    const unknown = await client();
    unknown.raw(encodeFrame(Uint8Array.of(0xf2, 0x01, 0))); // tag (30 << 3) | 2 as a varint
    assert.match(exceptionOf((await unknown.take(1))[0]), /UNKNOWN_REQUEST/);
    await unknown.closedByServer();
    // An empty frame: a Request with no kind at all.
    const empty = await client();
    empty.raw(encodeFrame(new Uint8Array(0)));
    assert.match(exceptionOf((await empty.take(1))[0]), /UNKNOWN_REQUEST/);
    await empty.closedByServer();
    // Wire type 7 does not exist.
    const garbage = await client();
    garbage.raw(encodeFrame(Uint8Array.of(0x0f, 0x01, 0x02)));
    assert.match(exceptionOf((await garbage.take(1))[0]), /DECODE_FAILED/);
    await garbage.closedByServer();
  });

  const outOfOrder: [string, (app: FakeApp) => Request[], RegExp, string[]][] = [
    ['finalizeBlock before initChain', () => [finalize(1n)], /FinalizeBlock before InitChain/, []],
    [
      'commit without finalizeBlock',
      () => [initChain(), commit],
      /Commit without FinalizeBlock/,
      ['initChain'],
    ],
    [
      'finalizeBlock for the wrong height',
      () => [initChain(), finalize(2n)],
      /height 2, expected 1/,
      ['initChain'],
    ],
    [
      'finalizeBlock twice',
      () => [initChain(), finalize(1n), finalize(1n)],
      /while block 1 awaits Commit/,
      ['initChain', 'finalizeBlock'],
    ],
    ['initChain twice', () => [initChain(), initChain()], /InitChain on an initialized chain/, ['initChain']],
    [
      'processProposal before initChain',
      () => [
        {
          processProposal: {
            txs: [],
            proposedLastCommit: { round: 0, votes: [] },
            misbehavior: [],
            hash: new Uint8Array(0),
            height: 1n,
            time: TIME,
            nextValidatorsHash: new Uint8Array(0),
            proposerAddress: new Uint8Array(0),
          },
        },
      ],
      /ProcessProposal before InitChain/,
      [],
    ],
  ];
  for (const [name, requests, message, expectedCalls] of outOfOrder) {
    it(`out of order: ${name} → OUT_OF_ORDER, the app is not called, the server stops`, async () => {
      const app = new FakeApp();
      await start(app);
      const c = await client();
      const sent = requests(app);
      c.send(...sent);
      const responses = await c.take(sent.length);
      const error = exceptionOf(responses[sent.length - 1]);
      assert.match(error, /OUT_OF_ORDER/, name);
      assert.match(error, message, name);
      await c.closedByServer();
      await expectFatal('OUT_OF_ORDER');
      assert.deepEqual(
        app.calls.filter((call) => call !== 'info'),
        expectedCalls,
        `${name}: the app saw only the valid calls`,
      );
    });
  }

  it('a server restarted on an app at height 5 expects block 6 (the handshake replays from there)', async () => {
    const app = new FakeApp();
    app.height = 5n;
    await start(app);
    const c = await client();
    c.send(initChain());
    assert.match(
      exceptionOf((await c.take(1))[0]),
      /InitChain on an initialized chain \(last committed height 5\)/,
    );
    await expectFatal('OUT_OF_ORDER');
    const again = new FakeApp();
    again.height = 5n;
    await start(again);
    const d = await client();
    d.send(finalize(6n), commit);
    const [final, done] = await d.take(2);
    assert.deepEqual(final?.finalizeBlock?.appHash, Uint8Array.of(6));
    assert.ok(done?.commit !== undefined);
  });

  it('InitChain with initial_height 100: the first block is 100', async () => {
    const app = new FakeApp();
    await start(app);
    const c = await client();
    c.send(initChain(GENESIS, 100n), finalize(1n));
    const [init, refused] = await c.take(2);
    assert.ok(init?.initChain !== undefined);
    assert.match(exceptionOf(refused), /height 1, expected 100/);
    await expectFatal('OUT_OF_ORDER');
    const again = new FakeApp();
    await start(again);
    const d = await client();
    d.send(initChain(GENESIS, 100n), finalize(100n), commit);
    const [, final, done] = await d.take(3);
    assert.ok(final?.finalizeBlock !== undefined && done?.commit !== undefined);
    assert.equal(server?.lastHeight, 100n);
  });

  it('InitChain with another app_state than this home’s genesis → INVALID_REQUEST, app not called', async () => {
    const app = new FakeApp();
    await start(app);
    const c = await client();
    c.send(initChain(new TextEncoder().encode('{"chain_id":"other","accounts":[]}')));
    assert.match(exceptionOf((await c.take(1))[0]), /INVALID_REQUEST.*not this node's genesis/);
    await expectFatal('INVALID_REQUEST');
    assert.ok(!app.calls.includes('initChain'));
    // The same JSON with other whitespace is the same genesis.
    const ok = new FakeApp();
    await start(ok);
    const d = await client();
    d.send(initChain(new TextEncoder().encode('{ "chain_id": "fake",\n "accounts": [] }')));
    assert.ok((await d.take(1))[0]?.initChain !== undefined);
  });

  it('an app failure in finalizeBlock → APP_FAILED exception and the server stops', async () => {
    const app = new FakeApp();
    app.failFinalize = true;
    await start(app);
    const c = await client();
    c.send(initChain(), finalize(1n));
    const [, failed] = await c.take(2);
    assert.match(exceptionOf(failed), /APP_FAILED.*enclave crashed/);
    await expectFatal('APP_FAILED');
  });

  it('the consensus connection closing between finalizeBlock and commit stops the server', async () => {
    const app = new FakeApp();
    await start(app);
    const c = await client();
    c.send(initChain(), finalize(1n));
    await c.take(2);
    c.end();
    await expectFatal('OUT_OF_ORDER');
    assert.match(server?.fatal?.message ?? '', /between FinalizeBlock and Commit of block 1/);
  });

  it('a second client sending consensus calls is refused without disturbing the engine', async () => {
    const app = new FakeApp();
    await start(app);
    const engine = await client();
    engine.send(initChain());
    await engine.take(1);
    const intruder = await client();
    intruder.send(finalize(1n));
    assert.match(exceptionOf((await intruder.take(1))[0]), /second consensus connection/);
    await intruder.closedByServer();
    engine.send(finalize(1n), commit);
    const [final, done] = await engine.take(2);
    assert.ok(final?.finalizeBlock !== undefined && done?.commit !== undefined);
    assert.equal(server?.fatal, null);
  });

  it('a query at a past height is refused (the app keeps only its latest state); height 0 and latest are served', async () => {
    const app = new FakeApp();
    app.height = 7n;
    await start(app);
    const c = await client();
    const query = (height: bigint): Request => ({
      query: { path: '/network/keys', data: new Uint8Array(0), height, prove: false },
    });
    c.send(query(3n), query(0n), query(7n));
    const [past, zero, latest] = await c.take(3);
    assert.equal(past?.query?.code, 18);
    assert.match(past?.query?.log ?? '', /height 3 is not available/);
    assert.deepEqual(zero?.query?.value, Uint8Array.of(42));
    assert.deepEqual(latest?.query?.value, Uint8Array.of(42));
    assert.equal(
      app.calls.filter((call) => call === 'query').length,
      2,
      'the past-height query never reached the app',
    );
  });

  it('state-sync requests are declined; vote extensions are empty and accepted', async () => {
    await start(new FakeApp());
    const c = await client();
    c.send(
      { listSnapshots: {} },
      { offerSnapshot: { appHash: new Uint8Array(0) } },
      initChain(),
      {
        extendVote: {
          hash: new Uint8Array(0),
          height: 1n,
          time: TIME,
          txs: [],
          proposedLastCommit: { round: 0, votes: [] },
          misbehavior: [],
          nextValidatorsHash: new Uint8Array(0),
          proposerAddress: new Uint8Array(0),
        },
      },
      {
        verifyVoteExtension: {
          hash: new Uint8Array(0),
          validatorAddress: new Uint8Array(0),
          height: 1n,
          voteExtension: new Uint8Array(0),
        },
      },
    );
    const [list, offer, , extend, verify] = await c.take(5);
    assert.deepEqual(list?.listSnapshots?.snapshots, []);
    assert.equal(offer?.offerSnapshot?.result, 2, 'ABORT');
    assert.equal(extend?.extendVote?.voteExtension.length, 0);
    assert.equal(verify?.verifyVoteExtension?.status, 1, 'ACCEPT');
  });

  it('listens on a unix socket and replaces a stale socket file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shroud-abci-unix-'));
    try {
      const path = join(dir, 'abci.sock');
      const first = await AbciServer.listen(`unix://${path}`, { app: new FakeApp() });
      // A second server on a live socket is refused.
      await assert.rejects(AbciServer.listen(`unix://${path}`, { app: new FakeApp() }), /in use/);
      await first.close();
      server = await AbciServer.listen(`unix://${path}`, { app: new FakeApp() });
      const c = await client();
      c.send({ echo: { message: 'unix' } });
      assert.equal((await c.take(1))[0]?.echo?.message, 'unix');
    } finally {
      await server?.close();
      server = null;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses listen addresses and refuses bad ones', () => {
    assert.deepEqual(parseListenAddress('tcp://127.0.0.1:26658'), {
      kind: 'tcp',
      host: '127.0.0.1',
      port: 26658,
    });
    assert.deepEqual(parseListenAddress('0.0.0.0:1'), { kind: 'tcp', host: '0.0.0.0', port: 1 });
    assert.deepEqual(parseListenAddress('tcp://[::1]:5'), { kind: 'tcp', host: '::1', port: 5 });
    assert.deepEqual(parseListenAddress('unix:///tmp/a.sock'), { kind: 'unix', path: '/tmp/a.sock' });
    for (const bad of [
      '',
      'tcp://',
      'tcp://host',
      'tcp://host:99999',
      'unix://',
      'http://x:1',
      'grpc://1.2.3.4:5',
    ]) {
      assert.throws(
        () => parseListenAddress(bad),
        /ADDRESS|bad ABCI address|unix:\/\/ needs/,
        `refused: "${bad}"`,
      );
    }
  });
});
