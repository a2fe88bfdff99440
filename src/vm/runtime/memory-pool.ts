// Reusing linear memories across calls without the contract being able to tell.
//
// Why: creating a WebAssembly.Memory is most of the cost of `new WebAssembly.Instance`
// (V8 reserves the address space plus guard regions and the GC tracks the external bytes):
// ~45 of ~60 µs for a 2-page module, measured in bench/vm.ts' setup. Secret gives every call
// a fresh instance with fresh memory (CONTRACT_ABI §1.2, §6); we keep that observable
// behaviour: the compiled module *imports* its memory instead of defining it, and a memory
// is reused only if it still has exactly its initial size, after being zero-filled. Active
// data segments are (re)written by instantiation itself, so the contract starts from the same
// bytes, the same memory.size and the same maximum as with a brand-new memory.
// Since ADR 010 most calls run on a reused, reset instance (instance-pool.ts); this pool serves
// the fresh instances: the first of each module, nested calls, modules that cannot be reset.

/** Limits of the module's single memory (pages). */
export interface MemoryShape {
  initial: number;
  maximum: number | undefined;
}

const PAGE_BYTES = 65_536;
const IMPORT_SECTION = 2;
const MEMORY_SECTION = 5;
const TYPE_SECTION = 1;

function readU32(bytes: Uint8Array, start: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let pos = start;
  for (;;) {
    if (pos >= bytes.length || shift > 28)
      throw new RangeError('memory-pool: malformed LEB128 in a validated module');
    const byte = bytes[pos++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: pos };
    shift += 7;
  }
}

function writeU32(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

interface Section {
  id: number;
  content: Uint8Array;
}

function splitSections(wasm: Uint8Array): Section[] {
  const sections: Section[] = [];
  let pos = 8;
  while (pos < wasm.length) {
    const id = wasm[pos] as number;
    const { value: size, next } = readU32(wasm, pos + 1);
    if (next + size > wasm.length)
      throw new RangeError('memory-pool: section runs past the end of the module');
    sections.push({ id, content: wasm.subarray(next, next + size) });
    pos = next + size;
  }
  return sections;
}

/**
 * Rewrites a module that defines exactly one memory so that it imports it as `env.memory`
 * with the same limits. Function, memory and global index spaces are unchanged (an imported
 * memory takes index 0 just as the defined one did; no function or global imports are added).
 * @returns the new bytes and the memory's limits.
 * @throws {RangeError} if the module does not define exactly one memory (upload validation
 *   guarantees it does, so this is a programmer error).
 */
export function importMemory(wasm: Uint8Array): { wasm: Uint8Array; shape: MemoryShape } {
  const sections = splitSections(wasm);
  const memoryIndex = sections.findIndex((s) => s.id === MEMORY_SECTION);
  const memory = sections[memoryIndex];
  if (memory === undefined) throw new RangeError('memory-pool: the module defines no memory');
  const count = readU32(memory.content, 0);
  if (count.value !== 1) throw new RangeError('memory-pool: the module must define exactly one memory');
  const limits = memory.content.subarray(count.next);
  const flags = limits[0];
  if (flags !== 0 && flags !== 1)
    throw new RangeError(`memory-pool: unsupported memory flags ${String(flags)}`);
  const initial = readU32(limits, 1);
  const maximum = flags === 1 ? readU32(limits, initial.next).value : undefined;
  const entry = [
    ...writeU32(3),
    ...new TextEncoder().encode('env'),
    ...writeU32(6),
    ...new TextEncoder().encode('memory'),
    0x02,
    ...limits,
  ];

  const out: Section[] = [];
  let importDone = false;
  for (const section of sections) {
    if (section.id === MEMORY_SECTION) continue;
    if (section.id === IMPORT_SECTION) {
      const imports = readU32(section.content, 0);
      const body = [...writeU32(imports.value + 1), ...section.content.subarray(imports.next), ...entry];
      out.push({ id: IMPORT_SECTION, content: Uint8Array.from(body) });
      importDone = true;
      continue;
    }
    // No import section: insert one right after the type section (or before the first
    // non-custom section that must follow imports).
    if (!importDone && section.id !== 0 && section.id !== TYPE_SECTION) {
      out.push({ id: IMPORT_SECTION, content: Uint8Array.from([...writeU32(1), ...entry]) });
      importDone = true;
    }
    out.push(section);
  }
  if (!importDone) out.push({ id: IMPORT_SECTION, content: Uint8Array.from([...writeU32(1), ...entry]) });

  const parts: number[] = [...wasm.subarray(0, 8)];
  const chunks: Uint8Array[] = [];
  for (const section of out) {
    chunks.push(Uint8Array.from([section.id, ...writeU32(section.content.length)]), section.content);
  }
  const total = parts.length + chunks.reduce((n, c) => n + c.length, 0);
  const result = new Uint8Array(total);
  result.set(parts, 0);
  let offset = parts.length;
  for (const chunk of chunks) {
    result.set(chunk, offset);
    offset += chunk.length;
  }
  return { wasm: result, shape: { initial: initial.value, maximum } };
}

/** A bounded pool of zeroed memories per shape. */
export class MemoryPool {
  private readonly free = new Map<string, WebAssembly.Memory[]>();

  /** @param perShape max idle memories kept per (initial, maximum). */
  constructor(private readonly perShape = 4) {}

  private static key(shape: MemoryShape): string {
    return `${shape.initial}/${shape.maximum ?? ''}`;
  }

  /** A zeroed memory of exactly `shape.initial` pages. */
  acquire(shape: MemoryShape): WebAssembly.Memory {
    const idle = this.free.get(MemoryPool.key(shape))?.pop();
    if (idle !== undefined) return idle;
    return new WebAssembly.Memory(
      shape.maximum === undefined
        ? { initial: shape.initial }
        : { initial: shape.initial, maximum: shape.maximum },
    );
  }

  /** Returns a memory after a call: kept (zeroed) only if it never grew. */
  release(shape: MemoryShape, memory: WebAssembly.Memory): void {
    if (memory.buffer.byteLength !== shape.initial * PAGE_BYTES) return; // grew: drop it
    const key = MemoryPool.key(shape);
    let idle = this.free.get(key);
    if (idle === undefined) {
      idle = [];
      this.free.set(key, idle);
    }
    if (idle.length >= this.perShape) return;
    new Uint8Array(memory.buffer).fill(0);
    idle.push(memory);
  }
}
