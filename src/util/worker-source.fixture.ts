// Worker body for worker-source.test.ts: a type annotation, so only a tsx-loaded entry runs.
import { parentPort } from 'node:worker_threads';

const answer: string = 'typescript ran';
parentPort?.postMessage(answer);
