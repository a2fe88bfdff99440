// A bounded set of strings that forgets the least recently used entry first. A JS Map keeps
// insertion order, so "touch" is delete + set and the oldest entry is the first key.

export class LruSet {
  private readonly entries = new Map<string, true>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Adds `key` (or marks it most recently used), forgetting the oldest key beyond capacity. */
  add(key: string): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, true);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
