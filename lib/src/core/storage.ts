// Where tensors' storage comes from. A training step makes the same arrays step after
// step; fresh typed arrays count as V8 external memory, and tens of MB of it a step make
// V8 run a full mark-compact every step or two, which in a notebook kernel also walks the
// TypeScript compiler's heap. So arrays come back to a pool when they are provably dead:
// the autograd engine hands back what it made and dropped (gradients it consumed, buffers
// only a released backward read), and the garbage collector reports arrays whose tensors
// are all gone. The next request of the same length takes one instead of a new array.
import type { DType, TypedArray } from "../backend/types";
import { collectYoung } from "./collect-young";

/** From this many floats (64 KB) on, Node gives a Buffer an ArrayBuffer of its own. */
const UNZEROED_MIN = 1 << 14;
/** Smaller arrays are cheap for V8 (they live on its heap) and are not pooled. */
const POOL_MIN = 1 << 10;
/** The pool keeps at most this many bytes; what does not fit is left to the garbage collector. */
const POOL_MAX_BYTES = 256 * 2 ** 20;

/**
 * Past this many bytes handed out since the last collection, a request that no free or
 * watched array serves asks for a young collection rather than new memory. The tensors of
 * a training step die young, so a scavenge (a millisecond or less) finds them; new memory
 * instead would grow V8's external memory until it runs a full mark-compact. A step hands
 * out tens of MB, so this is about one scavenge a step: rarer would pile up steps, more
 * often would find the current step's tensors alive twice, which moves them to the old
 * space, where only a full collection finds them dead.
 */
const YOUNG_GC_AFTER_BYTES = 32 * 2 ** 20;
let takenSinceGc = 0;

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;

/**
 * Pooled-size arrays the allocator handed out: how many tensors view each now, and which
 * hand-out this is, so that a tensor of an earlier use dying late changes nothing.
 */
interface Use { gen: number; views: number; watched?: Watched }
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
    heldBytes -= a.length * 4;
    const u = uses.get(a);
    if (u && u.gen === gen && --u.views === 0) {
      stats.collected++;
      recycle(a);
    }
  });

/** Arrays made during a backward pass (see BackwardArrays); only these may come back from it. */
let madeInWalk: Set<Float32Array> | null = null;

const stats = { allocatedBytes: 0, allocations: 0, reusedBytes: 0, reuses: 0, collected: 0, youngCollections: 0 };

/**
 * Native help (backend/blas.ts installs the addon's): memory for arrays whose deleter V8
 * calls when it frees an array, so that the memory comes back at the collection that finds
 * the array dead, loop yielding or not, without faulting its pages in again; and weak
 * references the pool tests to see arrays' tensors gone (see `watching`), in place of the
 * registry.
 */
export interface NativeArrays {
  alloc(bytes: number, zeroed: boolean): ArrayBuffer;
  /** Free what the native side keeps and give the C library's free memory back. */
  trim(): void;
  /** Arrays (and bytes) made of new memory, of reused memory, and arrays V8 freed. */
  stats(): { made: number; madeBytes: number; reused: number; reusedBytes: number; returned: number; freeBytes: number };
  /** A weak reference to o that the collection freeing o clears at once; its id. */
  weak(o: object): number;
  alive(id: number): boolean;
  release(id: number): void;
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

/**
 * With native weak references, arrays whose views are all tensors are watched instead of
 * registered: per length, each with a weak reference to every tensor viewing it. When the
 * pool has no array of a length, the watched ones are tested, and one whose tensors the
 * collector has all freed is handed out again, in a loop that yields or not; the array
 * itself (old, already accounted for by V8) is reused, not only its memory. A tensor can
 * only be found gone by a collection, so between two collections each entry is tested
 * once: the first `checked` entries of a list were still viewed when tested.
 */
interface Watched { a: Float32Array; weak: number[]; slot: number }
interface WatchList { entries: Watched[]; checked: number; epoch: number }
const watching = new Map<number, WatchList>();
let watchingBytes = 0;
const WATCH_MAX_BYTES = 128 * 2 ** 20;

/** Counts collections: a weak reference to a new object, which the next collection clears. */
let epoch = 0;
let sentinel = -1;
function currentEpoch(): number {
  if (sentinel < 0 || !native!.alive(sentinel)) {
    if (sentinel >= 0) native!.release(sentinel);
    sentinel = native!.weak({});
    epoch++;
    takenSinceGc = 0;
  }
  return epoch;
}

function moveEntry(entries: Watched[], from: number, to: number): void {
  if (from === to) return;
  entries[to] = entries[from];
  entries[to].slot = to;
}

/** Stop watching u's array: drop its entry and its weak references. */
function stopWatching(u: Use): void {
  const w = u.watched!;
  u.watched = undefined;
  for (const id of w.weak) native!.release(id);
  watchingBytes -= w.a.length * 4;
  const list = watching.get(w.a.length)!;
  const { entries } = list;
  let k = w.slot;
  if (k < list.checked) {
    // keep the tested entries together: the last tested one fills the hole
    moveEntry(entries, --list.checked, k);
    k = list.checked;
  }
  moveEntry(entries, entries.length - 1, k);
  entries.pop();
}

/** A watched array of n floats whose tensors are all gone, no longer watched; or undefined. */
function takeCollected(n: number): Float32Array | undefined {
  const now = currentEpoch();
  const list = watching.get(n);
  if (!list) return undefined;
  if (list.epoch !== now) {
    list.epoch = now;
    list.checked = 0;
  }
  const { entries } = list;
  while (list.checked < entries.length) {
    const w = entries[list.checked];
    if (w.weak.some((id) => native!.alive(id))) {
      list.checked++;
      continue;
    }
    stopWatching(uses.get(w.a)!);
    stats.collected++;
    return w.a;
  }
  return undefined;
}

/** An array of n floats that nothing uses any more, from the pool or the watch list; or undefined. */
function takePooled(n: number): Float32Array | undefined {
  const a = free.get(n)?.pop();
  if (a) {
    pooledBytes -= n * 4;
    return a;
  }
  return native ? takeCollected(n) : undefined;
}

/** A Float32Array of n elements: from the pool when one of that length is free, else new. */
export function takeFloat32(n: number, zeroed: boolean): Float32Array {
  let a: Float32Array | undefined;
  if (n >= POOL_MIN) {
    a = takePooled(n);
    // only the watch list sees at once what a scavenge found; the registry's callbacks wait
    // for the loop to yield (measured: asking for one there saved nothing)
    if (!a && native && takenSinceGc >= YOUNG_GC_AFTER_BYTES) {
      takenSinceGc = 0;
      if (collectYoung()) {
        stats.youngCollections++;
        a = takeCollected(n);
      }
    }
    takenSinceGc += n * 4;
  }
  if (a) {
    stats.reuses++;
    stats.reusedBytes += n * 4;
    if (zeroed) a.fill(0);
  } else {
    a = fresh32(n, zeroed);
  }
  if (n >= POOL_MIN) uses.set(a, { gen: nextGen++, views: 0 });
  madeInWalk?.add(a);
  return a;
}

/** A tensor now views a (its constructor says so). @internal */
export function adopt(tensor: object, a: ArrayLike<number>): void {
  const u = uses.get(a as Float32Array);
  if (!u) return;
  // An array whose first tensors were registered before the native addon loaded stays with
  // the registry: a watch list started now would hold only the later views, and find the
  // array dead when they die while those first tensors (a model's weights) still use it.
  if (native && u.views === 0) {
    let w = u.watched;
    if (!w) {
      if (watchingBytes + a.length * 4 > WATCH_MAX_BYTES) return void uses.delete(a as Float32Array);
      let list = watching.get(a.length);
      if (!list) watching.set(a.length, (list = { entries: [], checked: 0, epoch: 0 }));
      w = u.watched = { a: a as Float32Array, weak: [], slot: list.entries.length };
      list.entries.push(w);
      watchingBytes += a.length * 4;
    }
    // views made again and again of a long-lived array (a parameter's reshape each step)
    // would pile up: the ones already collected view nothing any more
    if (w.weak.length >= 8) w.weak = w.weak.filter((id) => native!.alive(id) || void native!.release(id));
    w.weak.push(native.weak(tensor));
    return;
  }
  if (!registry) return;
  if (heldBytes + a.length * 4 > HELD_MAX_BYTES) return void uses.delete(a as Float32Array);
  heldBytes += a.length * 4;
  u.views++;
  registry.register(tensor, { a: a as Float32Array, gen: u.gen });
}

/**
 * The array of n floats an op writes a result or a gradient into, from the pool: zeroed
 * when the op adds into it (a scatter-add, a sum, a GEMM with nothing to sum), else every
 * element must be written by the op.
 */
export function floats(n: number, zeroed: boolean): Float32Array {
  return takeFloat32(n, zeroed);
}

export function allocate(dtype: DType, n: number, zeroed = true): TypedArray {
  return dtype === "int32" ? new Int32Array(n) : takeFloat32(n, zeroed);
}

/** What the pool needs to know of a gradient: the array it views and whether it is all of it. */
interface GradView {
  readonly store: unknown;
  readonly offset: number;
  numel(): number;
  isContiguous(): boolean;
}

/**
 * The arrays of one backward pass, given back to the pool as soon as the walk is done with
 * them. The walk holds each gradient while it waits for its tensor and releases it once
 * used; an array the walk made goes back when no held gradient views it any more, unless
 * something outside the walk may still hold it: a .grad, or user code that saw it (a hook,
 * a defineOp backward), which the walk says with keep().
 */
export class BackwardArrays {
  /** Arrays handed out since the walk began: only these may go back. */
  private readonly made = new Set<Float32Array>();
  /** How many held gradients view each array. */
  private readonly held = new Map<unknown, number>();
  private readonly kept = new Set<unknown>();
  private readonly outer = madeInWalk;

  constructor() {
    madeInWalk = this.made;
  }

  /** g waits in the walk for its tensor. */
  hold(g: GradView): void {
    this.held.set(g.store, (this.held.get(g.store) ?? 0) + 1);
  }

  /** The walk is done with g: its array goes back if it made it and nothing else holds it. */
  release(g: GradView): void {
    const a = g.store;
    const n = (this.held.get(a) ?? 1) - 1;
    if (n > 0) return void this.held.set(a, n);
    this.held.delete(a);
    // each array once: delete() is false the second time
    if (!this.kept.has(a) && this.made.delete(a as Float32Array)) recycle(a as Float32Array);
  }

  /** g may be held outside the walk from now on: its array never goes back. */
  keep(g: GradView): void {
    this.kept.add(g.store);
  }

  /**
   * Whether a .grad may take g's array as it is: the walk made it, g views all of it, and
   * no other gradient and no user code has it (optimisers write into .grad in place).
   */
  owns(g: GradView): boolean {
    const a = g.store as Float32Array;
    return this.made.has(a) && !this.kept.has(a) && (this.held.get(a) ?? 0) <= 1 &&
      g.offset === 0 && a.length === g.numel() && g.isContiguous();
  }

  /** The walk is over: arrays made from now on are not this walk's. */
  close(): void {
    madeInWalk = this.outer;
  }
}

/**
 * Give back an array nothing references any more. The caller must be sure: the next
 * takeFloat32 of its length hands it out again and overwrites it.
 * @internal
 */
export function recycle(a: Float32Array): void {
  const n = a.length;
  const u = uses.get(a);
  if (u?.watched) stopWatching(u);
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
  for (const { entries } of watching.values()) {
    for (const w of entries) {
      for (const id of w.weak) native!.release(id);
      uses.delete(w.a); // left to the collector: it never comes back
    }
  }
  watching.clear();
  watchingBytes = 0;
  native?.trim();
}

/**
 * Counters since the process started: float32 storage made of new memory (allocations,
 * bytes), storage handed out again (reuses, bytes: from the pool, or memory of a native
 * array the collector freed), arrays that came back because all their tensors were
 * collected, the young collections the pool asked for, and what the pool holds now (the
 * native side's free blocks included).
 */
export function storageStats(): {
  allocatedBytes: number; allocations: number; reusedBytes: number; reuses: number; collected: number;
  youngCollections: number; pooledBytes: number;
} {
  const n = native?.stats();
  if (!n) return { ...stats, pooledBytes };
  return {
    allocatedBytes: stats.allocatedBytes + n.madeBytes,
    allocations: stats.allocations + n.made,
    reusedBytes: stats.reusedBytes + n.reusedBytes,
    reuses: stats.reuses + n.reused,
    collected: stats.collected + n.returned,
    youngCollections: stats.youngCollections,
    pooledBytes: pooledBytes + n.freeBytes,
  };
}
