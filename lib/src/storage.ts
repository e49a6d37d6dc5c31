// Where tensors' storage comes from. A training step makes the same arrays step after
// step; fresh typed arrays count as V8 external memory, and tens of MB of it a step make
// V8 run a full mark-compact every step or two, which in a notebook kernel also walks the
// TypeScript compiler's heap. So arrays come back to a pool when they are provably dead:
// the autograd engine hands back what it made and dropped (gradients it consumed, buffers
// only a released backward read), and the garbage collector reports arrays whose tensors
// are all gone. The next request of the same length takes one instead of a new array.
import type { DType, TypedArray } from "./backend/types";

/** From this many floats (64 KB) on, Node gives a Buffer an ArrayBuffer of its own. */
const UNZEROED_MIN = 1 << 14;
/** Smaller arrays are cheap for V8 (they live on its heap) and are not pooled. */
const POOL_MIN = 1 << 10;
/** The pool keeps at most this many bytes; what does not fit is left to the garbage collector. */
const POOL_MAX_BYTES = 256 * 2 ** 20;

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;

/**
 * Pooled-size arrays the allocator handed out: how many tensors view each now, and which
 * hand-out this is, so that a tensor of an earlier use dying late changes nothing.
 */
interface Use { gen: number; views: number }
const uses = new WeakMap<Float32Array, Use>();
let nextGen = 0;

/**
 * The registry keeps each registered array alive until its callback has run, and the
 * callbacks wait for the loop to yield: a loop that never awaits would pile up dead steps.
 * So at most this many bytes are registered at a time; past it an array is left to the
 * garbage collector alone (no longer tracked, so that it never comes back).
 */
const HELD_MAX_BYTES = 256 * 2 ** 20;
let heldBytes = 0;

/**
 * An array also goes back to the pool once every tensor viewing it has been collected (the
 * garbage collector proves that; the callbacks run between tasks, e.g. at an await). Ops
 * keep no raw array past its tensors: what a backward reads belongs to its node's inputs.
 * Code that keeps `t.storage` itself must keep `t` (or a view of it) too.
 */
const registry = typeof FinalizationRegistry === "undefined" ? null
  : new FinalizationRegistry<{ a: Float32Array; gen: number }>(({ a, gen }) => {
    if (unreported.length) unreported.length = unreportedBytes = 0; // the loop yields
    heldBytes -= a.length * 4;
    const u = uses.get(a);
    if (u && u.gen === gen && --u.views === 0) {
      stats.collected++;
      recycle(a);
    }
  });

/**
 * Arrays registered since the registry last reported, oldest first. With native memory, a
 * loop that does not yield keeps only the newest UNREPORTED_MAX_BYTES of them registered:
 * older ones are unregistered, so that the collector frees them and their memory goes back
 * to the native side, where the next array of the size finds it.
 */
const unreported: { a: Float32Array; u: Use }[] = [];
let unreportedBytes = 0;
const UNREPORTED_MAX_BYTES = 128 * 2 ** 20;

function forgetOldest(): void {
  let k = 0;
  while (unreportedBytes > UNREPORTED_MAX_BYTES && k < unreported.length) {
    const { a, u } = unreported[k++];
    unreportedBytes -= a.length * 4;
    if (uses.get(a) !== u) continue; // already back in the pool, or handed out again
    registry!.unregister(u);
    heldBytes -= a.length * 4 * u.views;
    uses.delete(a);
  }
  unreported.splice(0, k);
}

/** Arrays made while the engine watches (during backward); only these may come back. */
let watched: Set<Float32Array> | null = null;

const stats = { allocatedBytes: 0, allocations: 0, reusedBytes: 0, reuses: 0, collected: 0 };

/**
 * Memory for arrays from a native allocator whose deleter V8 calls when it frees an array
 * (backend/blas.ts installs the addon's): the memory comes back at the collection that
 * finds the array dead, loop yielding or not, without faulting its pages in again. The
 * registry below still brings arrays back whole where the loop yields, which makes fewer
 * new arrays, and so fewer collections, than memory alone does.
 */
export interface NativeArrays {
  alloc(bytes: number, zeroed: boolean): ArrayBuffer;
  /** Free what the native side keeps and give the C library's free memory back. */
  trim(): void;
  /** Arrays (and bytes) made of new memory, of reused memory, and arrays V8 freed. */
  stats(): { made: number; madeBytes: number; reused: number; reusedBytes: number; returned: number; freeBytes: number };
}
let native: NativeArrays | null = null;

/** @internal */
export function setNativeArrays(n: NativeArrays | null): void {
  native = n;
}

function fresh32(n: number, zeroed: boolean): Float32Array {
  if (native && n >= POOL_MIN) return new Float32Array(native.alloc(n * 4, zeroed)); // counted natively
  stats.allocations++;
  stats.allocatedBytes += n * 4;
  if (!zeroed && n >= UNZEROED_MIN && typeof Buffer !== "undefined") {
    // Under Node, not zeroed first: for the large outputs of a training step zeroing costs
    // about as much as the elementwise kernel that then fills the array
    const b = Buffer.allocUnsafeSlow(n * 4);
    return new Float32Array(b.buffer, b.byteOffset, n);
  }
  return new Float32Array(n);
}

/** A Float32Array of n elements: from the pool when one of that length is free, else new. */
export function takeFloat32(n: number, zeroed: boolean): Float32Array {
  const list = n >= POOL_MIN ? free.get(n) : undefined;
  let a = list?.pop();
  if (a) {
    pooledBytes -= n * 4;
    stats.reuses++;
    stats.reusedBytes += n * 4;
    if (zeroed) a.fill(0);
  } else {
    a = fresh32(n, zeroed);
  }
  if (n >= POOL_MIN) uses.set(a, { gen: nextGen++, views: 0 });
  watched?.add(a);
  return a;
}

/** A tensor now views a (its constructor says so). @internal */
export function adopt(tensor: object, a: ArrayLike<number>): void {
  const u = uses.get(a as Float32Array);
  if (!u || !registry) return;
  if (heldBytes + a.length * 4 > HELD_MAX_BYTES) return void uses.delete(a as Float32Array);
  heldBytes += a.length * 4;
  if (u.views++ === 0 && native) {
    unreported.push({ a: a as Float32Array, u });
    unreportedBytes += a.length * 4;
    if (unreportedBytes > UNREPORTED_MAX_BYTES) forgetOldest();
  }
  registry.register(tensor, { a: a as Float32Array, gen: u.gen }, u);
}

export function allocate(dtype: DType, n: number): TypedArray {
  return dtype === "int32" ? new Int32Array(n) : takeFloat32(n, true);
}

/** A Float32Array of n elements for a kernel that overwrites every one of them. */
export function uninitialized(n: number): Float32Array {
  return takeFloat32(n, false);
}

/**
 * Watch the arrays made from now on (the engine does, for one backward pass) and return
 * the set; stop with unwatch(). Only watched arrays are accepted by recycle().
 * @internal
 */
export function watch(): Set<Float32Array> {
  return (watched = new Set());
}

/** @internal */
export function unwatch(): void {
  watched = null;
}

/**
 * Give back an array nothing references any more. The caller must be sure: the next
 * takeFloat32 of its length hands it out again and overwrites it.
 * @internal
 */
export function recycle(a: Float32Array): void {
  const n = a.length;
  uses.delete(a); // tensors of this use that die later must not give it back a second time
  if (n < POOL_MIN || a.byteOffset % 4 !== 0 || pooledBytes + n * 4 > POOL_MAX_BYTES) return;
  let list = free.get(n);
  if (!list) free.set(n, (list = []));
  list.push(a);
  pooledBytes += n * 4;
}

/** Drop every pooled array (they go to the garbage collector). */
export function emptyCache(): void {
  free.clear();
  pooledBytes = 0;
  native?.trim();
}

/**
 * Counters since the process started: float32 storage made of new memory (allocations,
 * bytes), storage handed out again (reuses, bytes: from the pool, or memory of a native
 * array the collector freed), arrays that came back because all their tensors were
 * collected, and what the pool holds now (the native side's free blocks included).
 */
export function storageStats(): {
  allocatedBytes: number; allocations: number; reusedBytes: number; reuses: number; collected: number; pooledBytes: number;
} {
  const n = native?.stats();
  if (!n) return { ...stats, pooledBytes };
  return {
    allocatedBytes: stats.allocatedBytes + n.madeBytes,
    allocations: stats.allocations + n.made,
    reusedBytes: stats.reusedBytes + n.reusedBytes,
    reuses: stats.reuses + n.reused,
    collected: stats.collected + n.returned,
    pooledBytes: pooledBytes + n.freeBytes,
  };
}
