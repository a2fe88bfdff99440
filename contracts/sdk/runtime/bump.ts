// A bump allocator used as the AssemblyScript runtime (`--runtime ./contracts/sdk/runtime/bump.ts`).
//
// Why a bump allocator: Secret's host creates a fresh wasm instance (fresh memory) for every
// call and throws it away afterwards (CONTRACT_ABI §1.2), so nothing ever needs to be freed
// or collected. Never freeing is also the cheapest choice under per-instruction metering
// (CONTRACT_ABI §6): no free lists, no GC marking.
//
// Why not AssemblyScript's own `stub` runtime: it initialises its heap pointer from
// `__heap_base` in a start function, and a start section makes the upload fail (CONTRACT_ABI
// §6). Here the pointer starts at 0 and is set on the first allocation instead, so the module
// has no start function as long as contracts keep to constant top-level initialisers.
import { AL_MASK, BLOCK, BLOCK_OVERHEAD, BLOCK_MAXSIZE, OBJECT, OBJECT_OVERHEAD, OBJECT_MAXSIZE } from 'rt/common';

/** Next free byte (aligned block header address); 0 until the first allocation. */
let bumpOffset: usize = 0;

function heapStart(): usize {
  return ((__heap_base + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
}

function blockSize(size: usize): usize {
  return ((size + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
}

/** Grows memory so `end` is addressable; traps when the host's page limit is reached. */
function ensureMemory(end: usize): void {
  const available = <usize>memory.size() << 16;
  if (end > available) {
    const pages = <i32>((end - available + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) unreachable(); // out of memory (192 pages, CONTRACT_ABI §6)
  }
}

// @ts-ignore: decorator
@unsafe @global
export function __alloc(size: usize): usize {
  if (size > BLOCK_MAXSIZE) unreachable();
  if (bumpOffset == 0) bumpOffset = heapStart();
  const block = changetype<BLOCK>(bumpOffset);
  const ptr = bumpOffset + BLOCK_OVERHEAD;
  const payload = blockSize(size);
  ensureMemory(ptr + payload);
  block.mmInfo = payload;
  bumpOffset = ptr + payload;
  return ptr;
}

// @ts-ignore: decorator
@unsafe @global
export function __realloc(ptr: usize, size: usize): usize {
  const block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  const actual = block.mmInfo;
  if (size <= actual) return ptr;
  const payload = blockSize(size);
  if (ptr + actual == bumpOffset) {
    // The last block can grow in place.
    ensureMemory(ptr + payload);
    block.mmInfo = payload;
    bumpOffset = ptr + payload;
    return ptr;
  }
  const fresh = __alloc(max<usize>(payload, actual << 1));
  memory.copy(fresh, ptr, actual);
  return fresh;
}

// @ts-ignore: decorator
@unsafe @global
export function __free(ptr: usize): void {
  // Never frees: the instance is discarded after the call.
}

// @ts-ignore: decorator
@unsafe @global
export function __reset(): void {
  bumpOffset = 0;
}

// @ts-ignore: decorator
@unsafe @global
export function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) unreachable();
  const ptr = __alloc(OBJECT_OVERHEAD + size);
  const object = changetype<OBJECT>(ptr - BLOCK_OVERHEAD);
  object.gcInfo = 0;
  object.gcInfo2 = 0;
  object.rtId = id;
  object.rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) unreachable();
  const ptr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(ptr - BLOCK_OVERHEAD).rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize {
  return ptr;
}

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {}
