// Test-only (ATSYNCD_TEST_HOOKS=1): what a worker's memory holds, for bench/memory.ts and
// bench/scale.ts. A thread's V8 heap is its own isolate's, while process.memoryUsage().rss is the
// whole process's; SQLite's page cache and TLS buffers are native and show only in that RSS, so
// the store reports its cache's limit and its file's size, of which the cache holds at most the
// smaller once a sync has read every page.
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import type { WorkerContext } from "../WorkerContext.js";

export const DEBUG_MEMORY_METHOD = "debug.memory";

/** One thread's V8 heap, in bytes. */
export interface ThreadHeap {
  /** Committed by the heap's spaces, and resident of that; used by objects (live or not yet collected). */
  total: number;
  physical: number;
  used: number;
  /** V8's own malloc outside the spaces (compiler zones, handles). */
  malloced: number;
  /** Memory V8 is told about from outside (Buffers, external strings), and of it the ArrayBuffers'. */
  external: number;
  arrayBuffers: number;
  /** Each space's committed size, by V8's name (new_space, old_space, code_space, ...); empty ones left out. */
  spaces: Record<string, number>;
}

export interface WorkerMemory {
  atSign: string;
  heap: ThreadHeap;
  store: { pageSize: number; pages: number; cacheLimitBytes: number } | null;
  plaintextCache: { entries: number; bytes: number } | null;
  /** The whole process's RSS at the same moment (every thread). */
  processRss: number;
}

/** The calling thread's heap. */
export function threadHeap(): ThreadHeap {
  const hs = getHeapStatistics();
  const mu = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const s of getHeapSpaceStatistics()) if (s.space_size > 0) spaces[s.space_name] = s.space_size;
  return {
    total: hs.total_heap_size, physical: hs.total_physical_size, used: hs.used_heap_size, malloced: hs.malloced_memory,
    external: mu.external, arrayBuffers: mu.arrayBuffers, spaces,
  };
}

export function debugMemory(ctx: WorkerContext): WorkerMemory {
  return {
    atSign: ctx.atSign,
    heap: threadHeap(),
    store: ctx.storeCache?.() ?? null,
    plaintextCache: ctx.plain ? { entries: ctx.plain.size, bytes: ctx.plain.bytesHeld } : null,
    processRss: process.memoryUsage.rss(),
  };
}
