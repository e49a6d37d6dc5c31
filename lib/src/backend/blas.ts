// The native backend: chainlab's own GEMM or OpenBLAS's, and C++ loops for everything else,
// all working in place on the tensors' own Float32Arrays. Cases the native side does not
// take (int32 data, more than 16 dimensions, views that reach outside their arrays) go to
// the TypeScript reference, which this class extends.
import * as fs from "node:fs";
import * as path from "node:path";
import { JsBackend } from "./js";
import {
  BINARY_CODES, MAX_DIMS, REDUCE_CODES, UNARY_CODES, gemmInBounds, inBounds, isF32, packLayout,
} from "./layout";
import { numel } from "../core/shape";
import { setNativeArrays } from "../core/storage";
import type { AdamArgs, Backend, BinaryOp, GemmArgs, ReduceOp, Strided, TypedArray, UnaryOp } from "./types";

interface NativeAddon {
  unary(op: number, x: Float32Array, out: Float32Array, n: number): void;
  binary(op: number, layout: Float64Array, a: Float32Array, offA: number, b: Float32Array, offB: number, out: Float32Array): void;
  copy(layout: Float64Array, src: TypedArray, offset: number, out: TypedArray): void;
  reduce(op: number, x: Float32Array, outer: number, size: number, inner: number, out: TypedArray): void;
  softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void;
  softmaxBackward(y: Float32Array, g: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void;
  layerNorm(x: Float32Array, rows: number, cols: number, eps: number, out: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  layerNormBackward(g: Float32Array, xhat: Float32Array, weight: Float32Array | null, rstd: Float32Array, rows: number, cols: number,
    dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void;
  causalSoftmax(x: Float32Array, blocks: number, T: number, scale: number, out: Float32Array): void;
  causalSoftmaxBackward(y: Float32Array, g: Float32Array, blocks: number, T: number, scale: number, out: Float32Array): void;
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, lr: number, beta1: number,
    beta2: number, eps: number, weightDecay: number, decoupledDecay: number, bc1: number, bc2: number): void;
  gemm(batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    a: Float32Array, aOff: Float64Array, lda: number, b: Float32Array, bOff: Float64Array, ldb: number,
    c: Float32Array, cOff: Float64Array, ldc: number, beta: number): void;
  configure(threadWork: number, maxThreads: number, adaptive?: boolean): void;
  useGemm(impl: GemmImpl): void;
  alloc(bytes: number, zeroed: boolean): ArrayBuffer;
  trim(): void;
  poolStats(): { made: number; madeBytes: number; reused: number; reusedBytes: number; returned: number; freeBytes: number };
  weak(o: object): number;
  alive(id: number): boolean;
  release(id: number): void;
  info(): { gemm: string; openblas: boolean; cores: number; config: string; threadWork: number; maxThreads: number; adaptive: boolean };
}

/**
 * Which GEMM the blas backend runs: chainlab's own (`native/gemm.cc`: an AVX-512 kernel, or a
 * portable one at the build's vector width) or OpenBLAS's. By default the AVX-512 kernel where
 * the addon was built with it (twice OpenBLAS's speed where OpenBLAS runs its AVX2 kernels),
 * else OpenBLAS; an addon built without OpenBLAS runs its own everywhere. The environment
 * variable CHAINLAB_GEMM=openblas chooses OpenBLAS at load.
 */
export type GemmImpl = "chainlab" | "openblas";

/** Where the addon is built: lib/native/build/Release, from lib/src/backend or lib/dist/backend alike. */
export function addonPath(): string {
  return path.join(__dirname, "..", "..", "native", "build", "Release", "chainlab_native.node");
}

/**
 * The addons to try, best first: the one built here at install (for this CPU, with OpenBLAS
 * where it was found), then those the package ships prebuilt for this platform
 * (lib/prebuilds/<platform>-<arch>/<level>, made by native/prebuild.js), widest vector unit
 * first. Only those present are listed.
 */
export function addonCandidates(): string[] {
  const prebuilt = path.join(__dirname, "..", "..", "prebuilds", `${process.platform}-${process.arch}`);
  const shipped = ["avx512", "avx2", "portable"].map((level) => path.join(prebuilt, level, "chainlab_native.node"));
  return [addonPath(), ...shipped].filter((f) => fs.existsSync(f));
}

/** The addon file the blas backend runs, once loaded; null before or without one. */
export let loadedAddon: string | null = null;

let addon: NativeAddon | null | undefined;

/** The feature flags of the first CPU in a /proc/cpuinfo text (none where it has no flags line). */
export function cpuFlags(cpuinfo: string): Set<string> {
  return new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1].trim().split(/\s+/) ?? []);
}

/**
 * The OpenBLAS kernels for this CPU where OpenBLAS's own detection misses them: versions
 * before 0.3.22 (Debian 12 ships 0.3.21) take AMD's AVX-512 CPUs (Zen 4) for Haswell and
 * run AVX2 kernels at about half the speed the AVX-512 ones reach there. OpenBLAS reads
 * OPENBLAS_CORETYPE when it loads, with the addon; one the user set is kept.
 */
export function openblasCoreType(cpuinfo: string): string | null {
  if (!/^vendor_id\s*:\s*AuthenticAMD/m.test(cpuinfo)) return null;
  const flags = cpuFlags(cpuinfo);
  if (!["avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"].every((f) => flags.has(f))) return null;
  return flags.has("avx512_bf16") ? "COOPERLAKE" : "SKYLAKEX";
}

function chooseCoreType(): void {
  if (process.env.OPENBLAS_CORETYPE || process.platform !== "linux") return;
  try {
    const core = openblasCoreType(fs.readFileSync("/proc/cpuinfo", "utf8"));
    if (core) process.env.OPENBLAS_CORETYPE = core;
  } catch { /* no /proc: OpenBLAS's own choice */ }
}

/**
 * The CPU features an addon compiled with these flags executes (`-mavx512f` needs avx512f,
 * `-msse4.1` sse4_1, as /proc/cpuinfo names them); tuning flags such as
 * `-mprefer-vector-width=512` need none.
 */
export function requiredCpuFlags(compilerFlags: string): string[] {
  return compilerFlags.split(/\s+/).filter((f) => /^-m[a-z0-9.]+$/.test(f)).map((f) => f.slice(2).replace(/\./g, "_"));
}

/**
 * What this CPU lacks of what the addon was compiled for, from the build's stamp file (its first
 * line holds the compiler's vector flags) and a /proc/cpuinfo text: empty when the addon runs
 * here. An addon built on another machine (a Docker image made on a newer host) would otherwise
 * die with SIGILL at its first vector instruction, taking the notebook's kernel with it.
 */
export function missingCpuFlags(stampText: string, cpuinfo: string): string[] {
  const have = cpuFlags(cpuinfo);
  return requiredCpuFlags(stampText.split("\n")[0] ?? "").filter((f) => !have.has(f));
}

/** Why the native addon was not loaded, when one is there but none suits this CPU. */
export let nativeSkipped: string | null = null;

/** What this CPU lacks of what an addon was compiled for (empty when it runs here, or when there is nothing to check against). */
function lacking(file: string): string[] {
  if (process.platform !== "linux") return [];
  const stamp = path.join(path.dirname(file), "chainlab_native.flags");
  try {
    return missingCpuFlags(fs.readFileSync(stamp, "utf8"), fs.readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return []; // no stamp (an older build) or no /proc
  }
}

function loadAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const candidates = addonCandidates();
  const file = candidates.find((f) => lacking(f).length === 0);
  if (!file) {
    if (candidates.length > 0) {
      // the best one there says what is missing; the wider ones are not what to rebuild for
      nativeSkipped = `the native addon was compiled for CPU features this CPU lacks (${lacking(candidates[0]).join(", ")})`;
      console.warn(`chainlab: ${nativeSkipped}; using the WebAssembly kernels. Rebuild it for this machine with \`npm rebuild chainlab\`.`);
    }
    return null;
  }
  try {
    chooseCoreType();
    addon = require(file) as NativeAddon;
    loadedAddon = file;
    // below about 100^3 multiply-adds one core is faster; CHAINLAB_ADAPTIVE_THREADS=1 has the
    // addon measure from there on whether all cores pay off (not while other processes hold them)
    addon.configure(1 << 20, addon.info().maxThreads, process.env.CHAINLAB_ADAPTIVE_THREADS === "1");
    const a = addon;
    setNativeArrays({
      alloc: (bytes, zeroed) => a.alloc(bytes, zeroed), trim: () => a.trim(), stats: () => a.poolStats(),
      weak: (o) => a.weak(o), alive: (id) => a.alive(id), release: (id) => a.release(id),
    });
  } catch {
    addon = null;
    loadedAddon = null;
  }
  return addon;
}

const f64Cache: Float64Array[] = [new Float64Array(64), new Float64Array(64), new Float64Array(64)];

function offsets(slot: number, src: ArrayLike<number>, batch: number): Float64Array {
  let buf = f64Cache[slot];
  if (buf.length < batch) buf = f64Cache[slot] = new Float64Array(Math.max(batch, buf.length * 2));
  for (let i = 0; i < batch; i++) buf[i] = src[i];
  return buf;
}

export class BlasBackend extends JsBackend implements Backend {
  override readonly name = "blas" as const;
  private readonly layout = new Float64Array(1 + 3 * MAX_DIMS);

  constructor(private readonly native: NativeAddon) {
    super();
  }

  /** The GEMM in use, whether OpenBLAS is built in (and which), and the threading threshold. */
  info(): ReturnType<NativeAddon["info"]> {
    return this.native.info();
  }

  /**
   * Multiply-adds from which GEMM uses more than one core, and how many; with `adaptive`,
   * only when measured faster (on a machine whose other cores are busy).
   */
  configureThreads(threadWork: number, maxThreads: number, adaptive = false): void {
    this.native.configure(threadWork, maxThreads, adaptive);
  }

  /** Run GEMMs on chainlab's own kernel or on OpenBLAS (where the addon is built with it). */
  useGemm(impl: GemmImpl): void {
    this.native.useGemm(impl);
  }

  override unary(op: UnaryOp, x: Float32Array, out: Float32Array, n: number): void {
    if (n > x.length || n > out.length) return super.unary(op, x, out, n);
    this.native.unary(UNARY_CODES[op], x, out, n);
  }

  override binary(op: BinaryOp, shape: readonly number[], a: Strided, b: Strided, out: TypedArray): void {
    if (!isF32(a.data) || !isF32(b.data) || !isF32(out) || shape.length > MAX_DIMS) {
      return super.binary(op, shape, a, b, out);
    }
    const size = numel(shape);
    if (size === 0) return;
    if (out.length < size || !inBounds(shape, a) || !inBounds(shape, b)) return super.binary(op, shape, a, b, out);
    packLayout(this.layout, shape, a, b);
    this.native.binary(BINARY_CODES[op], this.layout, a.data, a.offset, b.data, b.offset, out);
  }

  override copy(shape: readonly number[], src: Strided, out: TypedArray): void {
    const size = numel(shape);
    if (size === 0) return;
    if (src.data.constructor !== out.constructor || shape.length > MAX_DIMS || out.length < size || !inBounds(shape, src)) {
      return super.copy(shape, src, out);
    }
    packLayout(this.layout, shape, src);
    this.native.copy(this.layout, src.data, src.offset, out);
  }

  override reduce(op: ReduceOp, x: TypedArray, outer: number, size: number, inner: number, out: TypedArray): void {
    if (!isF32(x) || size === 0 || x.length < outer * size * inner || out.length < outer * inner) {
      return super.reduce(op, x, outer, size, inner, out);
    }
    this.native.reduce(REDUCE_CODES[op], x, outer, size, inner, out);
  }

  override gemm(g: GemmArgs): void {
    if (g.batch === 0 || g.m === 0 || g.n === 0) return;
    if (!gemmInBounds(g)) return super.gemm(g);
    this.native.gemm(g.batch, g.m, g.n, g.k, g.transA, g.transB,
      g.a, offsets(0, g.aOffsets, g.batch), g.lda,
      g.b, offsets(1, g.bOffsets, g.batch), g.ldb,
      g.c, offsets(2, g.cOffsets, g.batch), g.ldc, g.beta);
  }

  override softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void {
    if (x.length < rows * cols || out.length < rows * cols) return super.softmax(x, rows, cols, out, log);
    this.native.softmax(x, rows, cols, out, log);
  }

  override softmaxBackward(y: Float32Array, g: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void {
    const n = rows * cols;
    if (y.length < n || g.length < n || out.length < n) return super.softmaxBackward(y, g, rows, cols, out, log);
    this.native.softmaxBackward(y, g, rows, cols, out, log);
  }

  override layerNorm(x: Float32Array, rows: number, cols: number, eps: number, out: Float32Array, mean: Float32Array, rstd: Float32Array): void {
    const n = rows * cols;
    if (x.length < n || out.length < n || mean.length < rows || rstd.length < rows) {
      return super.layerNorm(x, rows, cols, eps, out, mean, rstd);
    }
    this.native.layerNorm(x, rows, cols, eps, out, mean, rstd);
  }

  layerNormBackward(g: Float32Array, xhat: Float32Array, weight: Float32Array | null, rstd: Float32Array, rows: number, cols: number,
    dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void {
    const n = rows * cols;
    if (g.length < n || xhat.length < n || dx.length < n || rstd.length < rows ||
      (weight && weight.length < cols) || (dweight && dweight.length < cols) || (dbias && dbias.length < cols)) {
      throw new Error(`layerNormBackward: arrays too short for ${rows} x ${cols}`);
    }
    this.native.layerNormBackward(g, xhat, weight, rstd, rows, cols, dx, dweight, dbias);
  }

  causalSoftmax(x: Float32Array, blocks: number, T: number, scale: number, out: Float32Array): void {
    const n = blocks * T * T;
    if (x.length < n || out.length < n) throw new Error(`causalSoftmax: arrays too short for ${blocks} x ${T} x ${T}`);
    this.native.causalSoftmax(x, blocks, T, scale, out);
  }

  causalSoftmaxBackward(y: Float32Array, g: Float32Array, blocks: number, T: number, scale: number, out: Float32Array): void {
    const n = blocks * T * T;
    if (y.length < n || g.length < n || out.length < n) throw new Error(`causalSoftmaxBackward: arrays too short for ${blocks} x ${T} x ${T}`);
    this.native.causalSoftmaxBackward(y, g, blocks, T, scale, out);
  }

  override adam(p: AdamArgs, n: number): void {
    if (p.param.length < n || p.grad.length < n || p.m.length < n || p.v.length < n) return super.adam(p, n);
    this.native.adam(p.param, p.grad, p.m, p.v, n, p.lr, p.beta1, p.beta2, p.eps, p.weightDecay, p.decoupledDecay, p.bc1, p.bc2);
  }
}

/** The native backend, or null where the addon was not built. */
export function loadBlas(): Backend | null {
  const a = loadAddon();
  return a ? new BlasBackend(a) : null;
}
