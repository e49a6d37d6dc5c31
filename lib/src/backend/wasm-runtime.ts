// The WebAssembly runtime: one instance of the kernels on a shared memory, an arena that
// operands are copied into for each call, and the worker threads a job is shared with. How
// the module's bytes are found and compiled, and how threads start, is the host's part
// (wasm-node.ts in Node, wasm-web.ts in a browser).
import { C_CLAIM, C_COUNT, C_DONE, C_ERROR, C_READY, C_SCRATCH0, C_TABLE, C_WAKE, claimShares } from "./wasm-protocol";

// The compiler settings (ES2022, no DOM library) declare no WebAssembly types; these are
// the parts used here.
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
export type WasmModule = object;
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: object) => { exports: unknown };
}
export const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface Kernels {
  heapBase(): number;
  gemmScratchBytes(): number;
  gemmMR(): number;
  runProducts(list: number, count: number, scratch: number): void;
  runShare(table: number, i: number, scratch: number): void;
  unary(op: number, x: number, out: number, n: number): void;
  binary(op: number, nd: number, shape: number, sa: number, sb: number, a: number, b: number, out: number, idx: number): void;
  reduce(op: number, x: number, outer: number, size: number, inner: number, out: number, tmp: number): void;
  softmax(x: number, rows: number, cols: number, out: number, log: number): void;
  softmaxBackward(y: number, g: number, rows: number, cols: number, out: number, log: number): void;
  layerNorm(x: number, rows: number, cols: number, eps: number, out: number, mean: number, rstd: number): void;
  adam(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, decoupledDecay: number, bc1: number, bc2: number): void;
}

/** What a worker thread starts with. */
export interface ThreadData {
  module: WasmModule;
  memory: WasmMemory;
  ctrl: ArrayBufferLike;
  id: number;
}

/** A started worker thread. */
export interface ThreadHandle {
  terminate(): unknown;
}

/** Starts a worker thread on the runtime's module and memory; throws where threads cannot start. */
export type SpawnThread = (data: ThreadData, onError: () => void) => ThreadHandle;

/** An environment variable, or undefined where there is no process (a browser). */
export function envVar(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

const PAGE = 65536;

export class Runtime {
  readonly k: Kernels;
  readonly memory: WasmMemory;
  /** Rows of the micro-kernel's block of C (6 with relaxed SIMD, else 4). */
  readonly mr: number;
  readonly relaxed: boolean;
  // views of a SharedArrayBuffer: typed with the default ArrayBufferLike, not ArrayBuffer
  private f32: Float32Array = new Float32Array(0);
  private i32: Int32Array = new Int32Array(0);
  private readonly scratch: number[] = [];
  private readonly arenaBase: number;
  private top = 0;
  private readonly ctrl: Int32Array;
  private readonly workers: ThreadHandle[] = [];
  private job = 0;
  /** Multiply-adds from which a GEMM is split across threads. */
  threadWork = 1 << 20;
  /**
   * Blocks of C per thread when one product is split: a thread the OS deschedules in the
   * middle of a block holds up the others by what is left of it, so blocks are small.
   */
  sharesPerThread = 8;
  maxThreads: number;

  /**
   * `spawn` starts the worker threads (Node's worker_threads or Web Workers); without it, or
   * where it throws, GEMM runs on the calling thread alone.
   */
  constructor(module: WasmModule, threads: number, relaxed: boolean, spawn?: SpawnThread) {
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
    this.memory = memory;
    this.k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
    this.mr = this.k.gemmMR();
    this.relaxed = relaxed;
    const align = (x: number) => Math.ceil(x / 64) * 64;
    let at = align(this.k.heapBase());
    for (let t = 0; t < threads; t++) {
      this.scratch.push(at);
      at = align(at + this.k.gemmScratchBytes());
    }
    this.arenaBase = at;
    this.maxThreads = threads;
    // a page that is not cross-origin isolated has no SharedArrayBuffer: one thread, plain words
    const Shared = (globalThis as { SharedArrayBuffer?: SharedArrayBufferConstructor }).SharedArrayBuffer;
    if (!Shared) threads = 1;
    this.maxThreads = threads;
    this.ctrl = new Int32Array(Shared ? new Shared(4 * (C_SCRATCH0 + threads)) : new ArrayBuffer(4 * (C_SCRATCH0 + threads)));
    for (let w = 0; w < threads - 1; w++) this.ctrl[C_SCRATCH0 + w] = this.scratch[w + 1];
    for (let w = 0; w < threads - 1; w++) {
      try {
        if (!spawn) throw new Error("no threads here");
        this.workers.push(spawn({ module, memory, ctrl: this.ctrl.buffer, id: w }, () => { this.maxThreads = 1; }));
      } catch {
        this.maxThreads = 1;
        break;
      }
    }
    this.ensure(this.arenaBase + PAGE);
  }

  // Whether the other threads pay is measured, not assumed. On a quiet machine they make a
  // mid-sized GEMM up to half again faster; on a busy one the OS may run a worker on the
  // caller's core or deschedule it holding a block, and the median product then ran
  // slower than on one thread. So for each kind of call and size (a power of 2 of work)
  // the runtime keeps the recent time per unit of work on one thread and on all of them,
  // takes the faster, and tries the other every 16th call.
  private readonly timing = new Map<number, [number, number, number]>();

  /**
   * Whether `choose` measures; off (the default: on an idle machine the measuring costs more
   * than it saves), it always takes every thread that is up. CHAINLAB_ADAPTIVE_THREADS=1 turns it on.
   */
  adaptive = envVar("CHAINLAB_ADAPTIVE_THREADS") === "1";

  /** Threads for a call of this kind and work: 1 or all that are up. */
  choose(kind: number, work: number): number {
    const all = this.threads();
    if (all <= 1 || !this.adaptive) return all;
    const key = kind * 64 + Math.floor(Math.log2(work));
    let t = this.timing.get(key);
    if (!t) this.timing.set(key, (t = [NaN, NaN, 0]));
    t[2]++;
    if (Number.isNaN(t[1])) return all;
    if (Number.isNaN(t[0])) return 1;
    const faster = t[0] <= t[1] ? 1 : all;
    return t[2] % 16 === 0 ? (faster === 1 ? all : 1) : faster;
  }

  /** Records how long a call chosen by `choose` took (ms), as ms per unit of work. */
  record(kind: number, work: number, threads: number, ms: number): void {
    const t = this.timing.get(kind * 64 + Math.floor(Math.log2(work)));
    if (!t) return;
    const i = threads > 1 ? 1 : 0, x = ms / work;
    // an average that one descheduled call (ten times the usual) moves only a little
    t[i] = Number.isNaN(t[i]) ? x : 0.8 * t[i] + 0.2 * Math.min(x, 3 * t[i]);
  }

  /** Threads usable now: workers report ready a few milliseconds after loading. */
  threads(): number {
    if (this.maxThreads <= 1) return 1;
    return Atomics.load(this.ctrl, C_READY) >= this.workers.length ? Math.min(this.maxThreads, this.workers.length + 1) : 1;
  }

  close(): void {
    this.maxThreads = 1;
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }

  private ensure(bytes: number): void {
    const mem = this.memory;
    if (bytes > mem.buffer.byteLength) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / PAGE));
    if (this.f32.buffer !== mem.buffer || this.f32.length * 4 !== mem.buffer.byteLength) {
      this.f32 = new Float32Array(mem.buffer);
      this.i32 = new Int32Array(mem.buffer);
    }
  }

  /** Starts a fresh call: every pointer handed out before is free again. */
  reset(): void {
    this.top = this.arenaBase;
  }

  /** Reserves bytes (16-byte aligned) in the arena; views stay valid until the next reset. */
  alloc(bytes: number): number {
    const p = this.top;
    this.top = Math.ceil((p + bytes) / 16) * 16;
    this.ensure(this.top);
    return p;
  }

  floats(): Float32Array { return this.f32; }
  ints(): Int32Array { return this.i32; }

  /** Copies n floats of x (from `from`) into the arena. */
  stage(x: Float32Array, n: number, from = 0): number {
    const p = this.alloc(n * 4);
    this.f32.set(from === 0 && n === x.length ? x : x.subarray(from, from + n), p >> 2);
    return p;
  }

  /**
   * Runs a share table (pairs: product list pointer, product count) on every thread that
   * is up; returns when all its shares are done.
   */
  runTable(table: number, count: number): void {
    const c = this.ctrl;
    if (count === 1 || this.threads() === 1) {
      for (let i = 0; i < count; i++) this.k.runShare(table, i, this.scratch[0]);
      return;
    }
    this.job = (this.job + 1) & 0x7fff;
    c[C_TABLE] = table;
    c[C_COUNT] = count;
    c[C_DONE] = 0;
    Atomics.store(c, C_CLAIM, this.job << 16);
    Atomics.add(c, C_WAKE, 1);
    Atomics.notify(c, C_WAKE);
    claimShares(c, this.k.runShare, this.scratch[0]);
    // shares a worker claimed may still be running; they end within microseconds, and
    // sleeping would add the wake-up (tens of microseconds, a third of a 128^3 product)
    let spin = 0, done: number;
    while ((done = Atomics.load(c, C_DONE)) < count) {
      if (spin++ > 50000) Atomics.wait(c, C_DONE, done, 5);
    }
    if (Atomics.exchange(c, C_ERROR, 0)) throw new Error("gemm: a WebAssembly worker thread failed");
  }
}
