// Signature verification on a worker thread, for checkTx batches (ADR 007 "checkTx"): the
// main thread decodes and checks the next transactions while the worker verifies signatures,
// so checkTx of a batch costs about max(main work, verification) instead of their sum.
// Results only fill the app's verified-signature cache; checkTx still decides every tx.
//
// Item layout (packed, one transfer per chunk): 32-byte digest ‖ 64-byte signature ‖ u8 key
// length ‖ public key.
import { Worker } from 'node:worker_threads';
import { siblingModule, workerSource } from '../util/index.js';

/** One signature to verify: sha256 of the sign bytes, compact signature, signer key. */
export interface VerifyItem {
  readonly digest: Uint8Array;
  readonly signature: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A request to the worker. */
export interface VerifyRequest {
  readonly id: number;
  readonly packed: ArrayBuffer;
}

const DIGEST_BYTES = 32;
const SIGNATURE_BYTES = 64;

/** True for an item the packed layout can carry (others are left to checkTx itself). */
export function packable(item: VerifyItem): boolean {
  return (
    item.digest.length === DIGEST_BYTES &&
    item.signature.length === SIGNATURE_BYTES &&
    item.publicKey.length > 0 &&
    item.publicKey.length < 256
  );
}

export function packVerifyItems(items: readonly VerifyItem[]): ArrayBuffer {
  let size = 0;
  for (const item of items) size += DIGEST_BYTES + SIGNATURE_BYTES + 1 + item.publicKey.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const item of items) {
    out.set(item.digest, at);
    out.set(item.signature, at + DIGEST_BYTES);
    out[at + DIGEST_BYTES + SIGNATURE_BYTES] = item.publicKey.length;
    out.set(item.publicKey, at + DIGEST_BYTES + SIGNATURE_BYTES + 1);
    at += DIGEST_BYTES + SIGNATURE_BYTES + 1 + item.publicKey.length;
  }
  return out.buffer;
}

export function unpackVerifyItems(packed: ArrayBuffer): VerifyItem[] {
  const bytes = new Uint8Array(packed);
  const out: VerifyItem[] = [];
  let at = 0;
  while (at < bytes.length) {
    const keyLength = bytes[at + DIGEST_BYTES + SIGNATURE_BYTES] as number;
    out.push({
      digest: bytes.subarray(at, at + DIGEST_BYTES),
      signature: bytes.subarray(at + DIGEST_BYTES, at + DIGEST_BYTES + SIGNATURE_BYTES),
      publicKey: bytes.subarray(
        at + DIGEST_BYTES + SIGNATURE_BYTES + 1,
        at + DIGEST_BYTES + SIGNATURE_BYTES + 1 + keyLength,
      ),
    });
    at += DIGEST_BYTES + SIGNATURE_BYTES + 1 + keyLength;
  }
  return out;
}

export class SignatureVerifier {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (results: Uint8Array | null) => void>();
  private nextId = 1;
  private alive = false;
  /** Resolves true once the worker is up (false if it failed to start). */
  readonly ready: Promise<boolean>;

  constructor() {
    const [source, options] = workerSource(siblingModule(import.meta.url, 'verifier-worker'));
    this.worker = new Worker(source, { ...options, stdout: false, stderr: false });
    const stopped = (): void => {
      this.alive = false;
      for (const resolve of this.waiting.values()) resolve(null);
      this.waiting.clear();
    };
    this.ready = new Promise<boolean>((resolve) => {
      this.worker.on('message', (message: unknown) => {
        if (message === 'ready') {
          this.alive = true;
          this.worker.unref(); // never keeps a process alive on its own
          resolve(true);
          return;
        }
        const answer = message as { id: number; results: Uint8Array };
        this.waiting.get(answer.id)?.(answer.results);
        this.waiting.delete(answer.id);
      });
      this.worker.once('error', () => {
        stopped();
        resolve(false);
      });
      this.worker.once('exit', () => {
        stopped();
        resolve(false);
      });
    });
  }

  /** True while the worker can take requests. */
  get usable(): boolean {
    return this.alive;
  }

  /**
   * Verifies `items` on the worker: 1 = valid, 0 = not; null if the worker is not running
   * (the caller then verifies on its own thread).
   */
  verify(items: readonly VerifyItem[]): Promise<Uint8Array | null> {
    if (!this.alive) return Promise.resolve(null);
    const id = this.nextId++;
    const packed = packVerifyItems(items);
    const answer = new Promise<Uint8Array | null>((resolve) => this.waiting.set(id, resolve));
    // Pending requests keep the event loop alive until answered.
    this.worker.ref();
    void answer.then(() => {
      if (this.waiting.size === 0 && this.alive) this.worker.unref();
    });
    this.worker.postMessage({ id, packed } satisfies VerifyRequest, [packed]);
    return answer;
  }

  async close(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }
}
