// The WebAssembly backend: SIMD kernels compiled from lib/wasm/assembly (AssemblyScript)
// into one shared memory. Operands are copied into that memory and results copied back:
// O(n^2) copies around an O(n^3) GEMM cost little, and elementwise kernels still win where
// they compute (exp, tanh, GELU). Large GEMMs are split across worker threads that run the
// same module on the same memory; the caller stays synchronous and waits with Atomics.
//
// This file holds the ops; wasm-runtime.ts the memory, arena and threads; wasm-protocol.ts
// how threads share a job; wasm-node.ts and wasm-web.ts where the module comes from.
import { JsBackend } from "./js";
import {
  BINARY_CODES, REDUCE_CODES, UNARY_CODES, gemmInBounds, inBounds, isF32, simplify, stridedCopy,
} from "./layout";
import { numel } from "../core/shape";
import type { AdamArgs, Backend, BinaryOp, GemmArgs, ReduceOp, Strided, TypedArray, UnaryOp } from "./types";
import { MAX_SHARES } from "./wasm-protocol";
import { envVar, Runtime, type SpawnThread, type WasmModule } from "./wasm-runtime";
import { nodeWasmHost } from "./wasm-node";

export { wasmPath } from "./wasm-node";

const NR = 8;
// Bytes of one product-list entry: 16 i32, as runProducts in lib/wasm/assembly/gemm.ts reads them
const ENTRY = 64;
const GEMM = 0, GEMM_SHARED = 1, PACK_SHARED = 2, UNARY = 3, BINARY_RUN = 4, SOFTMAX = 5;
// Elementwise ops worth a second thread: the ones that evaluate polynomials or call libm
// (the rest are as fast as the copies in and out of wasm memory, which the caller does)
const COSTLY_UNARY = new Set<UnaryOp>(["exp", "log", "sin", "cos", "tanh", "sigmoid", "gelu", "geluTanh"]);
const COSTLY_BINARY = new Set<BinaryOp>(["pow", "geluGrad", "geluTanhGrad"]);
// kinds of call whose time on one thread and on all is kept apart (Runtime.choose)
const KIND_GEMM = 0, KIND_UNARY = 1, KIND_BINARY = 16, KIND_SOFTMAX = 32;
/** Elements from which a costly elementwise op is split across threads. */
const ELEMENTWISE_WORK = 1 << 15;

/**
 * Where the backend's module comes from and how its threads start: Node's files and
 * worker_threads by default; a browser host (wasm-web.ts) hands over bytes it fetched.
 */
export interface WasmHost {
  /** The relaxed-SIMD or the plain build's bytes, or null where that build is missing. */
  bytes(relaxed: boolean): Uint8Array | null;
  compile(bytes: Uint8Array, relaxed: boolean): WasmModule;
  /** Threads to run GEMM on (the caller's included). */
  threads(): number;
  spawn?: SpawnThread;
}

let host: WasmHost | undefined;
let runtime: Runtime | null | undefined;

/** Makes the backend load from `h` from now on (a browser's); undefined goes back to Node's files. */
export function setWasmHost(h: WasmHost | undefined): void {
  host = h;
  runtime = undefined;
}

/** Whether a host other than Node's files was given (the native backend is then not expected). */
export function wasmHostGiven(): boolean {
  return host !== undefined;
}

/** [start, length] of `parts` nearly equal pieces of n, each (but the last) a multiple of `unit`. */
function chunks(n: number, parts: number, unit = 16): [number, number][] {
  const size = Math.max(unit, Math.ceil(n / parts / unit) * unit);
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(size, n - s)]);
  return out;
}

/** Smallest and one-past-largest element of op(X) over all batch offsets. */
function span(trans: boolean, rows: number, cols: number, ld: number, offs: ArrayLike<number>, batch: number): [number, number] {
  const rs = trans ? 1 : ld, cs = trans ? ld : 1;
  const reach = rows > 0 && cols > 0 ? (rows - 1) * rs + (cols - 1) * cs : 0;
  let lo = Infinity, hi = -Infinity;
  for (let t = 0; t < batch; t++) {
    const o = offs[t];
    if (o < lo) lo = o;
    if (o + reach > hi) hi = o + reach;
  }
  return [lo, hi + 1];
}

interface Product {
  m: number; n: number; k: number;
  a: number; rsA: number; csA: number;
  b: number; rsB: number; csB: number;
  c: number; ldc: number; acc: number;
}

export class WasmBackend extends JsBackend implements Backend {
  override readonly name = "wasm" as const;

  constructor(private readonly rt: Runtime) {
    super();
  }

  /**
   * Threads GEMM may use and the multiply-adds from which it splits work; `adaptive` false
   * makes every split call use all threads instead of whichever has been faster lately.
   */
  configureThreads(threadWork: number, maxThreads?: number, adaptive?: boolean): void {
    this.rt.threadWork = threadWork;
    if (maxThreads !== undefined) this.rt.maxThreads = maxThreads;
    if (adaptive !== undefined) this.rt.adaptive = adaptive;
  }

  threads(): number {
    return this.rt.threads();
  }

  /** Threads a large GEMM is split over once the workers are up (threads() is 1 until they are). */
  maxThreads(): number {
    return this.rt.maxThreads;
  }

  /** Whether this backend runs the relaxed-SIMD build (fused multiply-add in GEMM). */
  relaxedSimd(): boolean {
    return this.rt.relaxed;
  }

  /** Ends the worker threads; GEMM then runs on the calling thread alone. */
  close(): void {
    this.rt.close();
  }

  override gemm(g: GemmArgs): void {
    const { batch, m, n, k } = g;
    if (batch === 0 || m === 0 || n === 0) return;
    if (!gemmInBounds(g)) return super.gemm(g);
    const rt = this.rt;
    const work = batch * m * n * k;
    const threads = work >= rt.threadWork ? rt.choose(KIND_GEMM, work) : 1;
    const start = work >= rt.threadWork ? performance.now() : 0;
    rt.reset();
    const [aLo, aHi] = k > 0 ? span(g.transA, m, k, g.lda, g.aOffsets, batch) : [0, 0];
    const [bLo, bHi] = k > 0 ? span(g.transB, k, n, g.ldb, g.bOffsets, batch) : [0, 0];
    const [cLo, cHi] = span(false, m, n, g.ldc, g.cOffsets, batch);
    // operands in one array (attention's q, k and v are views of one projection) come in once
    const same = g.a === g.b && k > 0 && aLo < bHi && bLo < aHi;
    const aPtr = same ? rt.stage(g.a, Math.max(aHi, bHi) - Math.min(aLo, bLo), Math.min(aLo, bLo)) + (aLo - Math.min(aLo, bLo)) * 4
      : rt.stage(g.a, aHi - aLo, aLo);
    const bPtr = same ? aPtr + (bLo - aLo) * 4 : rt.stage(g.b, bHi - bLo, bLo);
    // C comes in too unless every element of its span is overwritten
    let dense = g.beta === 0 && (g.ldc === n || m === 1) && cHi - cLo === batch * m * n;
    for (let t = 1; dense && t < batch; t++) dense = g.cOffsets[t] === g.cOffsets[t - 1] + m * n;
    const cPtr = dense ? rt.alloc((cHi - cLo) * 4) : rt.stage(g.c, cHi - cLo, cLo);

    const rsA = g.transA ? 1 : g.lda, csA = g.transA ? g.lda : 1;
    const rsB = g.transB ? 1 : g.ldb, csB = g.transB ? g.ldb : 1;
    const items: Product[] = [];
    for (let t = 0; t < batch; t++) {
      items.push({
        m, n, k,
        a: aPtr + (g.aOffsets[t] - aLo) * 4, rsA, csA,
        b: bPtr + (g.bOffsets[t] - bLo) * 4, rsB, csB,
        c: cPtr + (g.cOffsets[t] - cLo) * 4, ldc: g.ldc, acc: g.beta,
      });
    }
    if (batch === 1 && threads > 1 && k > 0) this.gemmSplit(items[0], threads);
    else this.gemmTiles(g, items, threads);
    g.c.set(rt.floats().subarray(cPtr >> 2, (cPtr >> 2) + (cHi - cLo)), cLo);
    if (start) rt.record(KIND_GEMM, work, threads, performance.now() - start);
  }

  /**
   * One product on several threads: B is packed once (its column ranges by every thread),
   * then the threads share out blocks of rows (and of columns, when rows are few) of C,
   * each packing only its own rows of A.
   */
  private gemmSplit(p: Product, threads: number): void {
    const rt = this.rt, mr = rt.mr;
    const { m, n, k } = p;
    const npad = Math.ceil(n / NR) * NR;
    const packed = rt.alloc(npad * k * 4);
    // column ranges of B to pack, and blocks of C to compute
    // (a small B the caller packs alone: a second thread would only add a wait for it)
    const packCols = npad * k <= 1 << 16 ? npad : Math.max(NR, Math.ceil(npad / threads / NR) * NR);
    const want = rt.sharesPerThread * threads;
    const rowBlock = Math.max(mr, Math.ceil(m / want / mr) * mr);
    const rowBlocks = Math.ceil(m / rowBlock);
    const colSplit = rowBlocks >= want ? 1 : Math.min(Math.ceil(want / rowBlocks), Math.floor(npad / (4 * NR)) || 1);
    const colBlock = Math.ceil(npad / colSplit / NR) * NR;
    const packs: number[][] = [];
    for (let j = 0; j < n; j += packCols) {
      packs.push([PACK_SHARED, 0, Math.min(packCols, n - j), k, 0, 0, 0, p.b + j * p.csB * 4, p.rsB, p.csB, packed, 0, 0, npad, j]);
    }
    const blocks: number[][] = [];
    for (let r = 0; r < m; r += rowBlock) {
      for (let j = 0; j < n; j += colBlock) {
        blocks.push([GEMM_SHARED, Math.min(rowBlock, m - r), Math.min(colBlock, n - j), k, p.a + r * p.rsA * 4, p.rsA, p.csA,
          packed, 0, 0, p.c + (r * p.ldc + j) * 4, p.ldc, p.acc, npad, j]);
      }
    }
    this.run(packs.map((e) => [e]));
    this.run(blocks.map((e) => [e]));
  }

  /** Products cut into tiles of C, each tile packing its own panels. */
  private gemmTiles(g: GemmArgs, items: Product[], threads: number): void {
    const { batch, m, n } = g;
    const mr = this.rt.mr;
    // Shares: each product cut into tiles of C (row block x column block). Tiles are small
    // enough that a thread the OS deschedules holds up little, and large enough that
    // packing their panels of A and B costs little next to their multiply-adds. When
    // products share an output (accumulating into one C), a share runs the same tile of
    // every product in order, so no two threads ever write the same element.
    let sharedC = false;
    if (threads > 1 && batch > 1) {
      const seen = new Set<number>();
      for (let t = 0; t < batch && !sharedC; t++) {
        if (seen.has(g.cOffsets[t])) sharedC = true;
        seen.add(g.cOffsets[t]);
      }
    }
    let tileM = m, tileN = n;
    if (threads > 1) {
      tileM = Math.min(m, 120);
      tileN = Math.min(n, 256);
      const sharesFor = (tm: number, tn: number) => (sharedC ? 1 : batch) * Math.ceil(m / tm) * Math.ceil(n / tn);
      while (sharesFor(tileM, tileN) < 4 * threads) {
        if (tileN >= tileM && tileN >= 4 * NR) tileN = Math.ceil(tileN / 2 / NR) * NR;
        else if (tileM >= 4 * mr) tileM = Math.ceil(tileM / 2 / mr) * mr;
        else break;
      }
    }
    const tiles: [number, number, number, number][] = [];
    for (let r = 0; r < m; r += tileM) {
      for (let c = 0; c < n; c += tileN) tiles.push([r, Math.min(tileM, m - r), c, Math.min(tileN, n - c)]);
    }
    const entry = (it: Product, t: number): number[] => {
      const [r, tm, c, tn] = tiles[t];
      return [GEMM, tm, tn, it.k, it.a + r * it.rsA * 4, it.rsA, it.csA, it.b + c * it.csB * 4, it.rsB, it.csB,
        it.c + (r * it.ldc + c) * 4, it.ldc, it.acc, 0, 0];
    };
    const parts = tiles.length;
    let shares: number[][][] = [];
    if (threads === 1) {
      shares.push(items.map((it) => entry(it, 0)));
    } else if (sharedC) {
      for (let t = 0; t < parts; t++) shares.push(items.map((it) => entry(it, t)));
    } else {
      for (const it of items) for (let t = 0; t < parts; t++) shares.push([entry(it, t)]);
    }
    if (shares.length > MAX_SHARES) shares = [shares.flat()];
    this.run(shares);
  }

  /** Lays out a share table (each share a list of product-list entries) and runs it. */
  private run(shares: number[][][]): void {
    const rt = this.rt;
    const total = shares.reduce((s, l) => s + l.length, 0);
    const list = rt.alloc(total * ENTRY);
    const table = rt.alloc(shares.length * 8);
    const i32 = rt.ints();
    let q = list >> 2, e = table >> 2;
    for (const l of shares) {
      i32[e++] = q << 2;
      i32[e++] = l.length;
      for (const entry of l) {
        for (let i = 0; i < 16; i++) i32[q + i] = entry[i] ?? 0;
        q += 16;
      }
    }
    rt.runTable(table, shares.length);
  }

  override unary(op: UnaryOp, x: Float32Array, out: Float32Array, n: number): void {
    if (n < 32 || n > x.length || n > out.length) return super.unary(op, x, out, n);
    const rt = this.rt;
    const code = UNARY_CODES[op];
    const threads = n >= ELEMENTWISE_WORK && COSTLY_UNARY.has(op) ? rt.choose(KIND_UNARY + code, n) : 1;
    const start = n >= ELEMENTWISE_WORK && COSTLY_UNARY.has(op) ? performance.now() : 0;
    rt.reset();
    const px = rt.stage(x, n);
    if (threads > 1) {
      this.run(chunks(n, 4 * threads).map(([s, len]) => [[UNARY, code, len, 0, px + s * 4, 0, 0, 0, 0, 0, px + s * 4]]));
    } else {
      rt.k.unary(code, px, px, n);
    }
    out.set(rt.floats().subarray(px >> 2, (px >> 2) + n));
    if (start) rt.record(KIND_UNARY + code, n, threads, performance.now() - start);
  }

  override binary(op: BinaryOp, shape: readonly number[], a: Strided, b: Strided, out: TypedArray): void {
    const size = numel(shape);
    if (size < 32 || !isF32(a.data) || !isF32(b.data) || !isF32(out) || out.length < size ||
      !inBounds(shape, a) || !inBounds(shape, b)) {
      return super.binary(op, shape, a, b, out);
    }
    const L = simplify(shape, [a.strides, b.strides]);
    const rt = this.rt;
    rt.reset();
    const nd = L.shape.length;
    const place = (v: Strided, strides: number[]): number => {
      let lo = v.offset, hi = v.offset;
      for (let d = 0; d < nd; d++) {
        const s = (L.shape[d] - 1) * strides[d];
        if (s > 0) hi += s; else lo += s;
      }
      return rt.stage(v.data as Float32Array, hi - lo + 1, lo) + (v.offset - lo) * 4;
    };
    const pa = place(a, L.strides[0]);
    const pb = place(b, L.strides[1]);
    const po = rt.alloc(size * 4);
    const meta = rt.alloc(4 * 4 * nd);
    const i32 = rt.ints();
    const q = meta >> 2;
    for (let d = 0; d < nd; d++) {
      i32[q + d] = L.shape[d];
      i32[q + nd + d] = L.strides[0][d];
      i32[q + 2 * nd + d] = L.strides[1][d];
    }
    const code = BINARY_CODES[op];
    const split = nd === 1 && size >= ELEMENTWISE_WORK && COSTLY_BINARY.has(op);
    const threads = split ? rt.choose(KIND_BINARY + code, size) : 1;
    const start = split ? performance.now() : 0;
    if (threads > 1) {
      const sa = L.strides[0][0], sb = L.strides[1][0];
      this.run(chunks(size, 4 * threads).map(([s, len]) => [[BINARY_RUN, code, len, 0, pa + s * sa * 4, sa, 0, pb + s * sb * 4, sb, 0, po + s * 4]]));
    } else {
      rt.k.binary(code, nd, meta, meta + 4 * nd, meta + 8 * nd, pa, pb, po, meta + 12 * nd);
    }
    out.set(rt.floats().subarray(po >> 2, (po >> 2) + size));
    if (start) rt.record(KIND_BINARY + code, size, threads, performance.now() - start);
  }

  override copy(shape: readonly number[], src: Strided, out: TypedArray): void {
    if (numel(shape) === 0) return;
    if (!inBounds(shape, src)) return super.copy(shape, src, out);
    stridedCopy(shape, src, out);
  }

  override reduce(op: ReduceOp, x: TypedArray, outer: number, size: number, inner: number, out: TypedArray): void {
    const n = outer * size * inner;
    if (n < 32 || size === 0 || !isF32(x) || x.length < n || out.length < outer * inner) {
      return super.reduce(op, x, outer, size, inner, out);
    }
    const rt = this.rt;
    rt.reset();
    const px = rt.stage(x, n);
    const po = rt.alloc(outer * inner * 4);
    const tmp = rt.alloc(inner * 8);
    rt.k.reduce(REDUCE_CODES[op], px, outer, size, inner, po, tmp);
    out.set(rt.floats().subarray(po >> 2, (po >> 2) + outer * inner));
  }

  override softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void {
    const n = rows * cols;
    if (n < 32 || x.length < n || out.length < n) return super.softmax(x, rows, cols, out, log);
    const rt = this.rt;
    rt.reset();
    const px = rt.stage(x, n);
    const po = rt.alloc(n * 4);
    const split = n >= ELEMENTWISE_WORK && rows > 1;
    const threads = split ? rt.choose(KIND_SOFTMAX, n) : 1;
    const start = split ? performance.now() : 0;
    if (threads > 1) {
      this.run(chunks(rows, 4 * threads, 1).map(([r, len]) =>
        [[SOFTMAX, len, cols, 0, px + r * cols * 4, 0, 0, 0, 0, 0, po + r * cols * 4, 0, log ? 1 : 0]]));
    } else {
      rt.k.softmax(px, rows, cols, po, log ? 1 : 0);
    }
    out.set(rt.floats().subarray(po >> 2, (po >> 2) + n));
    if (start) rt.record(KIND_SOFTMAX, n, threads, performance.now() - start);
  }

  override softmaxBackward(y: Float32Array, g: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void {
    const n = rows * cols;
    if (n < 32 || y.length < n || g.length < n || out.length < n) return super.softmaxBackward(y, g, rows, cols, out, log);
    const rt = this.rt;
    rt.reset();
    const py = rt.stage(y, n);
    const pg = rt.stage(g, n);
    rt.k.softmaxBackward(py, pg, rows, cols, pg, log ? 1 : 0);
    out.set(rt.floats().subarray(pg >> 2, (pg >> 2) + n));
  }

  override layerNorm(x: Float32Array, rows: number, cols: number, eps: number, out: Float32Array, mean: Float32Array, rstd: Float32Array): void {
    const n = rows * cols;
    if (n < 32 || x.length < n || out.length < n || mean.length < rows || rstd.length < rows) {
      return super.layerNorm(x, rows, cols, eps, out, mean, rstd);
    }
    const rt = this.rt;
    rt.reset();
    const px = rt.stage(x, n);
    const pm = rt.alloc(rows * 4);
    const pr = rt.alloc(rows * 4);
    rt.k.layerNorm(px, rows, cols, eps, px, pm, pr);
    const f = rt.floats();
    out.set(f.subarray(px >> 2, (px >> 2) + n));
    mean.set(f.subarray(pm >> 2, (pm >> 2) + rows));
    rstd.set(f.subarray(pr >> 2, (pr >> 2) + rows));
  }

  override adam(p: AdamArgs, n: number): void {
    if (n < 32 || p.param.length < n || p.grad.length < n || p.m.length < n || p.v.length < n) return super.adam(p, n);
    const rt = this.rt;
    rt.reset();
    const pp = rt.stage(p.param, n), pg = rt.stage(p.grad, n), pm = rt.stage(p.m, n), pv = rt.stage(p.v, n);
    rt.k.adam(pp, pg, pm, pv, n, p.lr, p.beta1, p.beta2, p.eps, p.weightDecay, p.decoupledDecay, p.bc1, p.bc2);
    const f = rt.floats();
    p.param.set(f.subarray(pp >> 2, (pp >> 2) + n));
    p.m.set(f.subarray(pm >> 2, (pm >> 2) + n));
    p.v.set(f.subarray(pv >> 2, (pv >> 2) + n));
  }
}


/**
 * A runtime on the relaxed-SIMD build where the engine takes it (unless
 * CHAINLAB_WASM_SIMD=plain), else on the plain SIMD build; null where neither was built.
 */
function createRuntime(relaxed: boolean, threads?: number): Runtime | null {
  const h = host ?? nodeWasmHost;
  for (const r of relaxed ? [true, false] : [false]) {
    try {
      const bytes = h.bytes(r);
      if (!bytes) continue;
      return new Runtime(h.compile(bytes, r), threads ?? h.threads(), r, h.spawn);
    } catch { /* this build did not load here: try the next */ }
  }
  return null;
}

/** The WebAssembly SIMD backend, or null where it was not built. */
export function loadWasm(): Backend | null {
  if (runtime === undefined) runtime = createRuntime(envVar("CHAINLAB_WASM_SIMD") !== "plain");
  return runtime ? new WasmBackend(runtime) : null;
}

/**
 * A backend on its own runtime and worker threads, for comparing the two builds and thread
 * counts side by side; `close()` ends its workers.
 */
export function createWasmBackend(opts: { relaxed: boolean; threads: number }): WasmBackend | null {
  const rt = createRuntime(opts.relaxed, opts.threads);
  return rt ? new WasmBackend(rt) : null;
}
