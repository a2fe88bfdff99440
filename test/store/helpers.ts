// Shared helpers of the store tests: temporary store directories and byte shorthands.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, type StoreOptions } from '../../src/store/index.js';
import type { StateModel } from './reference.js';

/** A fresh empty directory under the OS temp dir; remove it with removeDir. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'shroud-store-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** UTF-8 bytes of `text`. */
export function b(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Runs `body` with a store in a fresh directory, closing it and removing the directory. */
export async function withStore(
  body: (store: Store, dir: string) => void | Promise<void>,
  options: StoreOptions = { durable: false },
): Promise<void> {
  const dir = tempDir();
  const store = Store.open(dir, options);
  try {
    await body(store, dir);
  } finally {
    await store.close();
    removeDir(dir);
  }
}

/** Every committed (key, value) of `store` as a model (hex key -> value). */
export function stateOf(store: Store): StateModel {
  const model: StateModel = new Map();
  for (const { key, value } of store.entries()) model.set(hex(key), value);
  return model;
}
