// Encrypted token transfers through the enclave vs the same transfers through the bare VM.
// Enclave path (per transfer): an ECALL across the SharedArrayBuffer channel, sign-doc decode
// and secp256k1 verification of the user's signature, X25519 + HKDF + AES-GCM envelope
// decryption, the token contract in the metered VM over encrypted state (readState OCALLs, state
// values decrypted and re-encrypted), the data output encrypted for the user, and the host
// applying the encrypted writes to its map. Bare path: ContractVm.call with the plaintext JSON
// and a plaintext in-memory Map. Transactions are built and signed before timing (that is the
// client's work). Rounds alternate between the two paths; each keeps its best round.
// "Encryption switched off" is measured two ways: the same paths (worker and core) with the
// executor's null cipher (every encryption step the identity; signature checks stay;
// src/enclave/core/executor.ts ExecutorCipher), and the bare VM.
// Usage: npx tsx bench/enclave.ts [--n 1500] [--rounds 3] [--no-spin]
import { cpus, loadavg } from 'node:os';
import { ContractVm, validateContractCode, type ContractEnv, type MessageInfo } from '../src/vm/index.js';
import { Enclave, type RunContractRequest, type RunContractResult } from '../src/enclave/index.js';
// Only to split the cost: the same execution core in this thread, without the worker boundary,
// and the worker with the null cipher (bench/enclave-null-worker.ts).
import { KeyVault } from '../src/enclave/core/keys.js';
import { Executor, type ExecutorCipher } from '../src/enclave/core/executor.js';
import { EnclaveWorker } from '../src/enclave/boundary/host-side.js';
import { serveOcall } from '../src/enclave/client.js';
import { decodeMessage, ECALL, encodeMessage, type SealedNetworkKeys } from '../src/enclave/protocol.js';
import { concatBytes, utf8Encode } from '../src/crypto/index.js';
import {
  block,
  contractAddress,
  contractWasm,
  makeUser,
  MemoryHost,
  openPolicy,
  tempHome,
  userCall,
} from '../test/enclave/helpers.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const N = option('n', 1500);
const ROUNDS = option('rounds', 3);
const SPIN = !args.includes('--no-spin');

const alice = makeUser(1);
const bob = makeUser(2);
const tokenWasm = contractWasm('token');
const initMsg = {
  name: 'Bench Token',
  symbol: 'BNCH',
  decimals: 6,
  initial_balances: [
    { address: alice.address, amount: '1000000000000' },
    { address: bob.address, amount: '1000000000000' },
  ],
  prng_seed: Buffer.from('seed').toString('base64'),
};
const transferMsg = (i: number) => ({
  transfer: { recipient: i % 2 === 0 ? bob.address : alice.address, amount: '1' },
});
const senderOf = (i: number) => (i % 2 === 0 ? alice : bob);

/** A user call; with the null cipher the envelope carries the plaintext (still signed). */
function buildCall(
  cipher: ExecutorCipher,
  user: typeof alice,
  ioKey: Uint8Array,
  spec: Parameters<typeof userCall>[2],
): RunContractRequest {
  const built = userCall(user, ioKey, spec);
  if (cipher === 'aes-gcm') return built.request;
  const plaintext = concatBytes(utf8Encode(spec.codeHash), utf8Encode(JSON.stringify(spec.msg)));
  const envelope = concatBytes(built.request.envelope.subarray(0, 64), plaintext);
  return built.signedBy(user, envelope);
}

/** The worker path: Enclave.start (aes-gcm), or the same worker with the null cipher. */
async function enclaveSetup(cipher: ExecutorCipher) {
  const host = new MemoryHost();
  host.log.push = () => 0; // the test host records OCALLs for audits; not wanted here
  let runContract: (request: RunContractRequest) => Promise<RunContractResult>;
  let stop: () => Promise<void>;
  let keys: SealedNetworkKeys;
  if (cipher === 'aes-gcm') {
    const enclave = await Enclave.start({
      home: tempHome(),
      genesisPolicy: openPolicy,
      services: host,
      spin: SPIN,
    });
    keys = await enclave.bootstrap();
    await enclave.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
    runContract = (request) => enclave.runContract(request);
    stop = () => enclave.stop();
  } else {
    const worker = await EnclaveWorker.start({
      entry: new URL('./enclave-null-worker.ts', import.meta.url),
      init: { home: tempHome(), policy: openPolicy },
      ocall: (tag, payload) => serveOcall(host, tag, payload),
      spin: SPIN,
    });
    const call = async <T>(tag: number, request: unknown) =>
      decodeMessage<T>(await worker.ecall(tag, encodeMessage(request)));
    keys = await call<SealedNetworkKeys>(ECALL.bootstrap, null);
    await worker.ecall(ECALL.blockRandom, encodeMessage({ height: 1n, previousAppHash: new Uint8Array(32) }));
    runContract = (request) => call<RunContractResult>(ECALL.runContract, request);
    stop = () => worker.stop();
  }
  const codeHash = host.addCode(tokenWasm);
  const token = contractAddress('bench-token');
  host.addContract(token, codeHash);
  const init = await runContract(
    buildCall(cipher, alice, keys.ioPublicKey, {
      entry: 'instantiate',
      contract: token,
      codeHash,
      msg: initMsg,
      label: 'b',
    }),
  );
  if (!init.ok)
    throw new Error(
      `instantiate failed: ${JSON.stringify(init.error, (_k, v: unknown) => (v instanceof Uint8Array ? 'bytes' : v))}`,
    );
  host.apply(token, init);
  let built = 0;
  const build = (count: number): RunContractRequest[] =>
    Array.from({ length: count }, () => {
      const i = built++;
      return buildCall(cipher, senderOf(i), keys.ioPublicKey, {
        entry: 'execute',
        contract: token,
        codeHash,
        msg: transferMsg(i),
        callIndex: i + 1,
      });
    });
  const run = async (requests: RunContractRequest[]) => {
    let gas = 0n;
    for (const request of requests) {
      const result = await runContract(request);
      if (!result.ok) throw new Error(`a ${cipher} transfer failed through the worker`);
      gas = result.gasUsed;
      host.apply(token, result);
    }
    return gas;
  };
  return { build, run, stop };
}

/** The enclave's execution core called directly (no worker, no serialization, no OCALL crossings). */
function coreSetup(cipher: ExecutorCipher) {
  const host = new MemoryHost();
  host.log.push = () => 0;
  const vault = new KeyVault(() => new Uint8Array(32).fill(1), openPolicy, new Uint8Array(32));
  const executor = new Executor(vault, host, 'shroud', { cipher });
  const keys = vault.bootstrap();
  const codeHash = host.addCode(tokenWasm);
  const token = contractAddress('bench-token');
  host.addContract(token, codeHash);
  vault.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
  host.apply(
    token,
    executor.runContract(
      buildCall(cipher, alice, keys.ioPublicKey, {
        entry: 'instantiate',
        contract: token,
        codeHash,
        msg: initMsg,
        label: 'b',
      }),
    ),
  );
  let built = 0;
  return {
    build: (count: number) =>
      Array.from({ length: count }, () => {
        const i = built++;
        return buildCall(cipher, senderOf(i), keys.ioPublicKey, {
          entry: 'execute',
          contract: token,
          codeHash,
          msg: transferMsg(i),
          callIndex: i + 1,
        });
      }),
    run: (requests: RunContractRequest[]) => {
      for (const request of requests) {
        const result = executor.runContract(request);
        if (!result.ok) throw new Error('an encrypted transfer failed in the core');
        host.apply(token, result);
      }
    },
  };
}

function bareSetup() {
  const vm = new ContractVm();
  const code = validateContractCode(tokenWasm);
  const store = new Map<string, Uint8Array>();
  const storage = { get: (key: Uint8Array) => store.get(Buffer.from(key).toString('latin1')) };
  const querier = { query: () => new TextEncoder().encode('{"Err":{"unknown":{}}}') };
  const b = block(1n);
  const env: ContractEnv = {
    block: { height: b.height, time: b.timeNanos, chainId: b.chainId, random: new Uint8Array(32).fill(9) },
    contract: { address: contractAddress('bench-token'), codeHash: code.codeHash },
    transaction: { index: 0, hash: 'AB'.repeat(32) },
  };
  const call = (entry: 'instantiate' | 'execute', msg: unknown, info: MessageInfo) => {
    const outcome = vm.call({
      code,
      entry,
      env,
      info,
      msg: new TextEncoder().encode(JSON.stringify(msg)),
      storage,
      querier,
      gasLimit: 10_000_000_000n,
    });
    if (!outcome.ok) throw new Error(outcome.error);
    for (const write of outcome.writes) {
      const key = Buffer.from(write.key).toString('latin1');
      if (write.value === null) store.delete(key);
      else store.set(key, write.value);
    }
    return outcome;
  };
  call('instantiate', initMsg, { sender: alice.address, funds: [] });
  let done = 0;
  return (count: number) => {
    for (let k = 0; k < count; k++) {
      const i = done++;
      call('execute', transferMsg(i), { sender: senderOf(i).address, funds: [] });
    }
  };
}

const fmt = (value: number) => Math.round(value).toLocaleString('en-US');

const enclave = await enclaveSetup('aes-gcm');
const enclaveNull = await enclaveSetup('null');
const bare = bareSetup();
const core = coreSetup('aes-gcm');
const coreNull = coreSetup('null');
try {
  // Warm-up all paths (module compile, TurboFan).
  await enclave.run(enclave.build(300));
  await enclaveNull.run(enclaveNull.build(300));
  bare(300);
  core.run(core.build(300));
  coreNull.run(coreNull.build(300));
  const paths = ['enclave', 'enclaveNull', 'core', 'coreNull', 'bare'] as const;
  type Path = (typeof paths)[number];
  const wall = Object.fromEntries(paths.map((p) => [p, 0])) as Record<Path, number>;
  // Also transfers per CPU-second (user + system of the whole process; both threads for the
  // worker paths): on a shared machine the wall-clock rate mostly measures the other processes.
  const cpu = Object.fromEntries(paths.map((p) => [p, 0])) as Record<Path, number>;
  let gasEnclave = 0n;
  const timed = async (key: Path, work: () => unknown): Promise<void> => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await work();
    wall[key] = Math.max(wall[key], N / ((performance.now() - start) / 1000));
    const used = process.cpuUsage(cpuStart);
    cpu[key] = Math.max(cpu[key], N / ((used.user + used.system) / 1e6));
  };
  for (let round = 0; round < ROUNDS; round++) {
    const requests = enclave.build(N);
    await timed('enclave', async () => {
      gasEnclave = await enclave.run(requests);
    });
    const nullRequests = enclaveNull.build(N);
    await timed('enclaveNull', () => enclaveNull.run(nullRequests));
    await timed('bare', () => bare(N));
    const coreRequests = core.build(N);
    await timed('core', () => core.run(coreRequests));
    const coreNullRequests = coreNull.build(N);
    await timed('coreNull', () => coreNull.run(coreNullRequests));
  }
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, load ${load}, spin ${SPIN}`,
  );
  console.log(
    `transfers per round: ${N}, rounds: ${ROUNDS} (best round kept); wall clock, per CPU-second in ()`,
  );
  const line = (label: string, key: Path) =>
    console.log(`${label.padEnd(48)} ${fmt(wall[key]).padStart(6)}/s (${fmt(cpu[key])})`);
  line(`enclave worker, AES-GCM (gas ${gasEnclave}):`, 'enclave');
  line('enclave worker, null cipher:', 'enclaveNull');
  line('core in this thread, AES-GCM (no boundary):', 'core');
  line('core in this thread, null cipher:', 'coreNull');
  line('bare VM (plaintext, in-memory map):', 'bare');
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    `encryption overhead, worker null/AES-GCM: wall ${ratio(wall.enclaveNull, wall.enclave)}×, CPU ${ratio(cpu.enclaveNull, cpu.enclave)}×; ` +
      `core: CPU ${ratio(cpu.coreNull, cpu.core)}×`,
  );
  console.log(
    `vs bare VM, bare/worker AES-GCM: wall ${ratio(wall.bare, wall.enclave)}×, CPU ${ratio(cpu.bare, cpu.enclave)}×; ` +
      `bare/core: CPU ${ratio(cpu.bare, cpu.core)}× (goals: ≤ 1.3×, ≥ 2,500 encrypted transfers/s)`,
  );
} finally {
  await enclave.stop();
  await enclaveNull.stop();
}
