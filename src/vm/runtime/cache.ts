// Bounded LRU cache of compiled (instrumented) modules keyed by code hash (DESIGN §5).
// A WebAssembly.Module is immutable and shareable, so one compile serves every later call;
// the bound keeps memory in check when many contracts are live (STYLE: a limit on everything).

export interface ModuleCacheStats {
  /** Modules compiled (cache misses). */
  compilations: number;
  /** Lookups served from the cache. */
  hits: number;
  /** Modules dropped to respect the bound. */
  evictions: number;
}

export class ModuleCache<T = WebAssembly.Module> {
  private readonly entries = new Map<string, T>();
  readonly stats: ModuleCacheStats = { compilations: 0, hits: 0, evictions: 0 };

  /**
   * @param capacity max modules kept (≥ 1).
   * @param onEvict told about each module dropped to respect the bound.
   */
  constructor(
    readonly capacity: number,
    private readonly onEvict?: (value: T) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`cacheSize must be an integer ≥ 1, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  has(codeHash: string): boolean {
    return this.entries.has(codeHash);
  }

  /** The cached module for `codeHash`, without counting a hit or refreshing its recency. */
  peek(codeHash: string): T | undefined {
    return this.entries.get(codeHash);
  }

  /** Returns the cached module for `codeHash`, compiling it with `compile` on a miss. */
  getOrCompile(codeHash: string, compile: () => T): T {
    const cached = this.entries.get(codeHash);
    if (cached !== undefined) {
      // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
      this.entries.delete(codeHash);
      this.entries.set(codeHash, cached);
      this.stats.hits++;
      return cached;
    }
    const compiled = compile();
    this.stats.compilations++;
    this.entries.set(codeHash, compiled);
    while (this.entries.size > this.capacity) {
      const [oldest, value] = this.entries.entries().next().value as [string, T];
      this.entries.delete(oldest);
      this.stats.evictions++;
      this.onEvict?.(value);
    }
    return compiled;
  }
}
