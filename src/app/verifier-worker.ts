// The app's signature worker (verifier.ts): secp256k1 verification of checkTx batches on the
// second core. Same function as the app's own check (crypto layer secp256k1Verify; anything
// that throws is invalid), so a result here only ever saves the main thread a verification.
import { parentPort } from 'node:worker_threads';
import { secp256k1Verify } from '../crypto/index.js';
import { unpackVerifyItems, type VerifyRequest } from './verifier.js';

parentPort?.on('message', (request: VerifyRequest) => {
  const items = unpackVerifyItems(request.packed);
  const results = new Uint8Array(items.length);
  items.forEach((item, i) => {
    try {
      results[i] = secp256k1Verify(item.digest, item.signature, item.publicKey) ? 1 : 0;
    } catch {
      results[i] = 0;
    }
  });
  parentPort?.postMessage({ id: request.id, results }, [results.buffer]);
});
parentPort?.postMessage('ready');
