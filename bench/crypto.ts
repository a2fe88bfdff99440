// Throughput of the crypto layer's hot operations through the public API (argument checks
// included), native and pure backends side by side in one run (DESIGN.md §3; results in
// bench/RESULTS.md, section "crypto"). "native" uses the shroud_aead key-handle addon for
// AES-GCM/HMAC when it is built (the header says whether it loaded); "node:crypto" is the same
// backend without it (createNativeBackend(null)): the addon's gain per operation.
//
//   npx tsx bench/crypto.ts            table
//   npx tsx bench/crypto.ts --json     machine-readable
//   npx tsx bench/crypto.ts --ms 300   CPU time per measurement (default 300 ms)
//   npx tsx bench/crypto.ts --rounds 5 measurements per case and backend, best kept (default 3):
//                                      the machine is shared, and the best round is the one
//                                      least disturbed by other processes
import './lib/args.js'; // --help prints the usage comment above
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { createCryptoApi, type CryptoApi } from '../src/crypto/index.js';
import { aeadAddonStatus, createNativeBackend, nativeBackend } from '../src/crypto/native.js';
import { pureBackend } from '../src/crypto/pure.js';

interface Case {
  name: string;
  /** Builds the operation for one backend (setup is not timed). */
  prepare(api: CryptoApi): () => unknown;
}

const args = process.argv.slice(2);
const json = args.includes('--json');
function numberOption(name: string, fallback: number): number {
  const index = args.indexOf(name);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}
const caseMs = numberOption('--ms', 300);
const rounds = numberOption('--rounds', 3);

function envelopeCases(size: number, label: string): Case[] {
  const setup = (api: CryptoApi) => {
    const network = api.x25519KeyPairFromSeed(api.sha256(new Uint8Array([1])));
    const userKeyPair = api.x25519KeyPairFromSeed(api.sha256(new Uint8Array([2])));
    const plaintext = api.randomBytes(size);
    const associatedData = api.randomBytes(80); // sender + contract + funds
    return { network, userKeyPair, plaintext, associatedData };
  };
  return [
    {
      name: `envelope encrypt ${label}`,
      prepare(api) {
        const { network, userKeyPair, plaintext, associatedData } = setup(api);
        return () =>
          api.encryptTxInput({ networkPublicKey: network.publicKey, userKeyPair, plaintext, associatedData });
      },
    },
    {
      name: `envelope decrypt ${label}`,
      prepare(api) {
        const { network, userKeyPair, plaintext, associatedData } = setup(api);
        const { envelope } = api.encryptTxInput({
          networkPublicKey: network.publicKey,
          userKeyPair,
          plaintext,
          associatedData,
        });
        return () => api.decryptTxInput({ networkPrivateKey: network.privateKey, envelope, associatedData });
      },
    },
  ];
}

const cases: Case[] = [
  {
    name: 'X25519 agreement',
    prepare(api) {
      const a = api.generateX25519KeyPair();
      const b = api.generateX25519KeyPair();
      return () => api.x25519SharedSecret(a.privateKey, b.publicKey);
    },
  },
  {
    name: 'HKDF-SHA256 (64 B ikm, 32 B out)',
    prepare(api) {
      const ikm = api.randomBytes(64);
      const salt = api.randomBytes(32);
      const info = new TextEncoder().encode('shroud/v1/tx-key');
      return () => api.hkdfSha256(ikm, salt, info, 32);
    },
  },
  // The enclave's per-transfer mix (counted in a token transfer, issue #4): ~12 HMACs of ~114 B
  // (synthetic state IVs, tx IVs), 2 SHA-256 of ~460 B (sign doc, tx hash), 9 AES-GCM of ~160 B.
  ...[32, 114, 460, 4096].map((size): Case => ({
    name: `SHA-256 ${size} B`,
    prepare(api) {
      const data = api.randomBytes(size);
      return () => api.sha256(data);
    },
  })),
  ...[114, 1024].map((size): Case => ({
    name: `HMAC-SHA256 ${size} B`,
    prepare(api) {
      const key = api.randomBytes(32);
      const data = api.randomBytes(size);
      return () => api.hmacSha256(key, data);
    },
  })),
  {
    name: 'AES-256-GCM encrypt 100 B (+80 B AAD)',
    prepare(api) {
      const key = api.randomBytes(32);
      const iv = api.randomBytes(12);
      const plaintext = api.randomBytes(100);
      const aad = api.randomBytes(80);
      return () => api.aesGcmEncrypt(key, iv, plaintext, aad);
    },
  },
  {
    name: 'AES-256-GCM decrypt 100 B (+80 B AAD)',
    prepare(api) {
      const key = api.randomBytes(32);
      const iv = api.randomBytes(12);
      const aad = api.randomBytes(80);
      const sealed = api.aesGcmEncrypt(key, iv, api.randomBytes(100), aad);
      return () => api.aesGcmDecrypt(key, iv, sealed, aad);
    },
  },
  // One contract state value as the enclave writes it (src/enclave/secrets/state-encryption.ts):
  // HMAC synthetic IV over label + 32 B slot + 16 B salt + value, then AES-GCM with 53 B of AAD.
  ...[40, 1024].map((size): Case => ({
    name: `state value seal ${size} B (sivSeal)`,
    prepare(api) {
      const [key, label, slot, salt, value, contract] = [32, 24, 32, 16, size, 20].map((n) =>
        api.randomBytes(n),
      );
      return () => api.sivSeal(key!, 1, label!, slot!, salt!, value!, contract!, slot!);
    },
  })),
  {
    name: 'state value open 40 B (sivOpen)',
    prepare(api) {
      const [key, label, slot, salt, value, contract] = [32, 24, 32, 16, 40, 20].map((n) =>
        api.randomBytes(n),
      );
      const blob = api.sivSeal(key!, 1, label!, slot!, salt!, value!, contract!, slot!);
      return () => api.sivOpen(key!, 1, contract!, slot!, blob);
    },
  },
  ...envelopeCases(200, '200 B'),
  ...envelopeCases(10 * 1024, '10 KiB'),
  {
    name: 'output encrypt 200 B',
    prepare(api) {
      const txKey = api.randomBytes(32);
      const txHash = api.randomBytes(32);
      const plaintext = api.randomBytes(200);
      return () => api.encryptTxOutput(txKey, txHash, 'data', plaintext);
    },
  },
  {
    name: 'secp256k1 verify',
    prepare(api) {
      const privateKey = api.sha256(new Uint8Array([3]));
      const publicKey = api.secp256k1PublicKey(privateKey);
      const hash = api.sha256(new Uint8Array([4]));
      const signature = api.secp256k1Sign(hash, privateKey);
      return () => {
        if (!api.secp256k1Verify(hash, signature, publicKey)) throw new Error('bench: verify failed');
      };
    },
  },
  {
    name: 'secp256k1 sign',
    prepare(api) {
      const privateKey = api.sha256(new Uint8Array([3]));
      const hash = api.sha256(new Uint8Array([4]));
      return () => api.secp256k1Sign(hash, privateKey);
    },
  },
  {
    name: 'ed25519 verify (100 B)',
    prepare(api) {
      const pair = api.ed25519KeyPairFromSeed(api.sha256(new Uint8Array([5])));
      const message = api.randomBytes(100);
      const signature = api.ed25519Sign(message, pair.seed);
      return () => {
        if (!api.ed25519Verify(message, signature, pair.publicKey)) throw new Error('bench: verify failed');
      };
    },
  },
];

/** CPU time this process has used, in microseconds (user + system, all threads). */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Runs `operation` for about caseMs of CPU time after a short warm-up; returns operations per
 * CPU-second. CPU time rather than wall time: the machine is shared with other builds, and
 * wall time would count the time this process spent waiting for a core. (GC helper threads
 * are counted too, which makes the figure slightly pessimistic.)
 */
function measure(operation: () => unknown): number {
  for (let i = 0; i < 20; i++) operation();
  let iterations = 0;
  let batch = 1;
  const budget = caseMs * 1000;
  const start = cpuMicros();
  let elapsed = 0;
  while (elapsed < budget) {
    for (let i = 0; i < batch; i++) operation();
    iterations += batch;
    elapsed = cpuMicros() - start;
    if (elapsed < budget / 10) batch *= 2;
  }
  return (iterations * 1e6) / elapsed;
}

function nativeSecp256k1Loaded(): boolean {
  // The `secp256k1` package silently falls back to pure-JS `elliptic` when its addon fails to load.
  try {
    createRequire(import.meta.url)('secp256k1/bindings');
    return true;
  } catch {
    return false;
  }
}

const backends = [
  createCryptoApi(nativeBackend),
  createCryptoApi(createNativeBackend(null)),
  createCryptoApi(pureBackend),
];
const results = cases.map((benchCase) => {
  const operations = backends.map((api) => benchCase.prepare(api));
  const best = [0, 0, 0];
  for (let round = 0; round < rounds; round++) {
    operations.forEach((operation, index) => {
      best[index] = Math.max(best[index]!, measure(operation));
    });
  }
  return { name: benchCase.name, native: best[0]!, nodeCrypto: best[1]!, pure: best[2]! };
});

if (json) {
  console.log(
    JSON.stringify(
      {
        node: process.version,
        cpu: cpus()[0]?.model,
        caseMs,
        secp256k1Native: nativeSecp256k1Loaded(),
        aeadAddon: aeadAddonStatus(),
        results,
      },
      null,
      2,
    ),
  );
} else {
  const format = (value: number): string => Math.round(value).toLocaleString('en-US');
  const rows = results.map((r) => [
    r.name,
    format(r.native),
    format(r.nodeCrypto),
    format(r.pure),
    `${(r.native / r.nodeCrypto).toFixed(2)}×`,
    `${(r.native / r.pure).toFixed(1)}×`,
  ]);
  const header = [
    'operation (ops per CPU-second)',
    'native',
    'node:crypto',
    'pure JS',
    'native/node:crypto',
    'native/pure',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    '| ' +
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ') +
    ' |';
  console.log(line(header));
  console.log(
    '|' +
      widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|') +
      '|',
  );
  for (const row of rows) console.log(line(row));
  console.log(
    `\nnode ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, best of ${rounds} × ${caseMs} ms per case, ` +
      `secp256k1 addon ${nativeSecp256k1Loaded() ? 'loaded' : 'NOT loaded (elliptic fallback)'}, ` +
      `shroud_aead addon ${aeadAddonStatus()}`,
  );
}
