// Every fast kernel against the TypeScript reference, on seeded random data: odd sizes,
// 1-element dimensions, broadcasting, transposed and sliced views, batched products with
// repeated offsets, and sizes large enough to take the multi-threaded paths.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BlasBackend, loadBlas } from "../../src/backend/blas";
import { JsBackend } from "../../src/backend/js";
import type { Backend, BinaryOp, GemmArgs, ReduceOp, Strided, TypedArray, UnaryOp } from "../../src/backend/types";
import { WasmBackend, loadWasm } from "../../src/backend/wasm";
import { type GemmCase, checkGemm } from "./gemm-check";
import { nativeVariants } from "./native-variants";
import { mulberry32, uniformArray } from "./seeded";

const ref = new JsBackend();
const variants = nativeVariants();
const fast: [string, Backend | null][] = [
  ["blas", loadBlas()],
  ["wasm", loadWasm()],
  ...variants.map((v): [string, Backend] => [v.name, v.backend]),
];
console.log(`backend kernel tests: ${fast.map(([n, b]) => `${n} ${b ? "loaded" : "did not load (skipped)"}`).join(", ")}`);

let rnd = mulberry32(1);
const uniform = (lo: number, hi: number) => lo + (hi - lo) * rnd();
const randInt = (lo: number, hi: number) => Math.floor(uniform(lo, hi + 1));

const randArray = (n: number, lo = -3, hi = 3) => uniformArray(rnd, n, lo, hi);

/** |actual - expected| <= atol + rtol*|expected| everywhere; NaN must match NaN, infinities exactly. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6, bound?: ArrayLike<number>): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (!(Number.isNaN(e) && Number.isNaN(a))) throw new Error(`${what}: [${i}] got ${a}, expected ${e}`);
      continue;
    }
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (a !== e) throw new Error(`${what}: [${i}] got ${a}, expected ${e}`);
      continue;
    }
    const tol = atol + rtol * (bound ? bound[i] : Math.abs(e));
    if (Math.abs(a - e) > tol) throw new Error(`${what}: [${i}] got ${a}, expected ${e} (tolerance ${tol})`);
  }
}

const UNARY: UnaryOp[] = ["neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "gelu", "abs", "sign", "square", "reciprocal", "geluTanh"];
const BINARY: BinaryOp[] = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "reluGrad", "geluGrad", "geluTanhGrad"];
const REDUCE: ReduceOp[] = ["sum", "max", "min", "argmax", "argmin"];
const SPECIAL = [0, -0, 1, -1, 1e-7, -1e-7, 1e-3, -0.75, 0.5, 20, -20, 88, 89, -88, -104, -110, 1e30, -1e30, Infinity, -Infinity, NaN];

/** Row-major strides of a contiguous shape. */
function contiguous(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]; }
  return s;
}

/**
 * A random strided view of `shape`: stored in some permuted dimension order, possibly with
 * gaps (a slice) and an offset, with broadcast (stride 0) dimensions where `broadcast` says.
 */
function randomView(shape: number[], broadcast: boolean[] = [], int = false): Strided {
  const nd = shape.length;
  const order = [...Array(nd).keys()];
  if (rnd() < 0.5) for (let i = nd - 1; i > 0; i--) { const j = randInt(0, i); [order[i], order[j]] = [order[j], order[i]]; }
  const stored = shape.map((s, d) => (broadcast[d] ? 1 : s) * (rnd() < 0.25 ? 2 : 1));
  const strides = new Array<number>(nd).fill(0);
  let acc = 1;
  for (let i = nd - 1; i >= 0; i--) { const d = order[i]; strides[d] = acc; acc *= stored[d]; }
  for (let d = 0; d < nd; d++) {
    if (broadcast[d]) strides[d] = 0;
    else if (shape[d] === 1 && rnd() < 0.3) strides[d] = randInt(0, 100); // never stepped over
  }
  const offset = randInt(0, 5);
  const total = offset + acc + randInt(0, 3);
  const data = int ? Int32Array.from(randArray(total, -50, 50), Math.round) : randArray(total);
  return { data, offset, strides };
}

function randomShape(maxDims = 4, maxSize = 9): number[] {
  const nd = randInt(0, maxDims);
  return Array.from({ length: nd }, () => (rnd() < 0.25 ? 1 : randInt(1, maxSize)));
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

for (const [name, be] of fast) {
  describe.skipIf(!be)(`${name} backend matches the reference`, () => {
    const b = be as Backend;

    beforeAll(async () => {
      // the wasm backend's workers report ready a few milliseconds after loading
      if (b instanceof WasmBackend) {
        for (let i = 0; i < 200 && b.threads() < 2; i++) await new Promise((r) => setTimeout(r, 10));
      }
    });

    test("unary, every op, odd lengths and special values", () => {
      rnd = mulberry32(11);
      for (const op of UNARY) {
        for (const n of [1, 3, 4, 31, 32, 33, 100, 1027]) {
          const lo = op === "log" || op === "sqrt" ? 1e-3 : -10;
          const x = randArray(n, lo, 10);
          for (let i = 0; i < n && i < SPECIAL.length; i += 2) x[i] = SPECIAL[(i + n) % SPECIAL.length];
          const want = new Float32Array(n), got = new Float32Array(n).fill(7);
          ref.unary(op, x, want, n);
          b.unary(op, x, got, n);
          expectClose(got, want, `${op} n=${n}`, 4e-6, 1e-6);
        }
        // in place, and n shorter than the arrays
        const x = randArray(300, 0.1, 5), want = new Float32Array(300);
        ref.unary(op, x, want, 250);
        want.set(x.subarray(250), 250);
        b.unary(op, x, x, 250);
        expectClose(x, want, `${op} in place`, 4e-6, 1e-6);
      }
    });

    test("binary, every op, broadcasting and strided views", () => {
      rnd = mulberry32(12);
      for (const op of BINARY) {
        for (let trial = 0; trial < 40; trial++) {
          const shape = trial === 0 ? [] : trial === 1 ? [1000, 3] : trial === 2 ? [7, 1, 129] : randomShape(5, 11);
          const bcA = shape.map(() => rnd() < 0.2), bcB = shape.map(() => rnd() < 0.2);
          const a = randomView(shape, bcA), c = randomView(shape, bcB);
          if (op === "pow") { a.data = a.data.map(Math.abs) as Float32Array; }
          if (trial % 5 === 0) for (let i = 0; i < Math.min(a.data.length, 8); i++) a.data[i] = SPECIAL[(i * 3 + trial) % SPECIAL.length];
          if (trial % 7 === 0) c.data.set(a.data.subarray(0, Math.min(a.data.length, c.data.length)));
          const want = new Float32Array(size(shape)), got = new Float32Array(size(shape));
          ref.binary(op, shape, a, c, want);
          b.binary(op, shape, a, c, got);
          expectClose(got, want, `${op} shape=[${shape}] a.strides=[${a.strides}] b.strides=[${c.strides}]`, 4e-6, 1e-6);
        }
      }
    });

    test("unary and binary over lengths that are split over the cores, in place too", () => {
      rnd = mulberry32(17);
      for (const n of [32768, 70001]) {
        for (const op of UNARY) {
          const x = randArray(n, op === "log" || op === "sqrt" ? 1e-3 : -6, 6);
          const want = new Float32Array(n), got = new Float32Array(n).fill(7);
          ref.unary(op, x, want, n);
          b.unary(op, x, got, n);
          expectClose(got, want, `${op} n=${n}`, 4e-6, 1e-6);
          b.unary(op, x, x, n);
          expectClose(x, want, `${op} n=${n} in place`, 4e-6, 1e-6);
        }
        for (const op of BINARY) {
          // contiguous, then a strided a against a broadcast scalar b
          const a = randomView([n], [false]), c = randomView([n], [false]);
          const sa: Strided = { data: randArray(2 * n + 1, 0.1, 3), offset: 1, strides: [2] };
          const sc: Strided = { data: randArray(1, 0.1, 3), offset: 0, strides: [0] };
          if (op === "pow") a.data = a.data.map(Math.abs) as Float32Array;
          for (const [x, y] of [[a, c], [sa, sc]]) {
            const want = new Float32Array(n), got = new Float32Array(n);
            ref.binary(op, [n], x, y, want);
            b.binary(op, [n], x, y, got);
            expectClose(got, want, `${op} n=${n} strides [${x.strides}] [${y.strides}]`, 4e-6, 1e-6);
          }
        }
      }
    });

    test("copy of permuted, sliced and broadcast views, float32 and int32", () => {
      rnd = mulberry32(13);
      for (let trial = 0; trial < 200; trial++) {
        const shape = trial === 0 ? [] : trial === 1 ? [64, 65, 3] : randomShape(6, 8);
        const int = trial % 3 === 0;
        const src = randomView(shape, shape.map(() => rnd() < 0.15), int);
        const want = int ? new Int32Array(size(shape)) : new Float32Array(size(shape));
        const got = int ? new Int32Array(size(shape)) : new Float32Array(size(shape));
        ref.copy(shape, src, want);
        b.copy(shape, src, got);
        expect(Array.from(got), `copy shape=[${shape}] strides=[${src.strides}]`).toEqual(Array.from(want));
      }
    });

    test("reduce, every op, over each axis shape including 1s and NaN", () => {
      rnd = mulberry32(14);
      const dims = [1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 130];
      for (const op of REDUCE) {
        for (let trial = 0; trial < 60; trial++) {
          const outer = trial === 0 ? 1 : dims[randInt(0, 6)];
          const sz = trial === 1 ? 1000 : dims[randInt(0, dims.length - 1)];
          const inner = trial < 3 ? 1 : dims[randInt(0, 8)];
          const x = randArray(outer * sz * inner);
          if (trial % 4 === 0) for (let i = 0; i < x.length; i += 7) x[i] = Math.round(x[i]); // ties
          if (trial % 9 === 5) x[randInt(0, x.length - 1)] = NaN;
          for (const Out of [Float32Array, Int32Array]) {
            if (Out === Int32Array && !op.startsWith("arg")) continue;
            const want = new Out(outer * inner), got = new Out(outer * inner);
            ref.reduce(op, x, outer, sz, inner, want);
            b.reduce(op, x, outer, sz, inner, got);
            const n = Math.sqrt(sz);
            expectClose(got, want, `${op} [${outer},${sz},${inner}] into ${Out.name}`, 1e-5 * n, 1e-5 * n);
          }
        }
      }
    });

    test("softmax and log-softmax, forward and backward, with masked rows", () => {
      rnd = mulberry32(15);
      for (const log of [false, true]) {
        for (const [rows, cols] of [[1, 1], [3, 1], [1, 5], [7, 33], [64, 64], [12, 65], [5, 1000], [2, 3], [301, 257]]) {
          const x = randArray(rows * cols, -8, 8);
          // causal-attention style masks: -inf entries, and one fully masked row
          for (let r = 0; r < rows; r++) for (let c = r + 1; c < cols; c++) if (rnd() < 0.5) x[r * cols + c] = -Infinity;
          if (rows > 2) for (let c = 0; c < cols; c++) x[2 * cols + c] = -Infinity;
          const want = new Float32Array(rows * cols), got = new Float32Array(rows * cols);
          ref.softmax(x, rows, cols, want, log);
          b.softmax(x, rows, cols, got, log);
          expectClose(got, want, `softmax log=${log} [${rows},${cols}]`, 1e-5, 1e-6);
          const y = new Float32Array(rows * cols);
          ref.softmax(randArray(rows * cols), rows, cols, y, log);
          const g = randArray(rows * cols);
          const gw = new Float32Array(rows * cols), gg = new Float32Array(rows * cols);
          ref.softmaxBackward(y, g, rows, cols, gw, log);
          b.softmaxBackward(y, g, rows, cols, gg, log);
          expectClose(gg, gw, `softmaxBackward log=${log} [${rows},${cols}]`, 1e-5, 1e-5);
        }
      }
    });

    test.skipIf(!b.causalSoftmax)("causal softmax, forward and backward, as masked softmax (one block and 48, split over the cores)", () => {
      rnd = mulberry32(22);
      for (const [blocks, T, scale] of [[1, 5, 1], [3, 7, 0.5], [48, 64, 0.125]]) {
        const n = blocks * T * T;
        const x = randArray(n, -4, 4), masked = new Float32Array(n);
        for (let r = 0; r < blocks * T; r++) {
          for (let j = 0; j < T; j++) masked[r * T + j] = j <= r % T ? x[r * T + j] * scale : -Infinity;
        }
        const want = new Float32Array(n), got = new Float32Array(n).fill(7);
        ref.softmax(masked, blocks * T, T, want, false);
        b.causalSoftmax!(x, blocks, T, scale, got);
        expectClose(got, want, `causalSoftmax ${blocks}x${T}x${T}`, 1e-5, 1e-6);
        const g = randArray(n), gw = new Float32Array(n), gg = new Float32Array(n).fill(7);
        ref.softmaxBackward(want, g, blocks * T, T, gw, false);
        b.causalSoftmaxBackward!(want, g, blocks, T, scale, gg);
        expectClose(gg, gw.map((v) => v * scale), `causalSoftmaxBackward ${blocks}x${T}x${T}`, 1e-5, 1e-6);
      }
    });

    test("layerNorm on odd row lengths", () => {
      rnd = mulberry32(16);
      for (const [rows, cols] of [[1, 1], [1, 2], [3, 5], [768, 128], [17, 33], [2, 1001]]) {
        const x = randArray(rows * cols, -4, 6);
        const eps = 1e-5;
        const w = [new Float32Array(rows * cols), new Float32Array(rows), new Float32Array(rows)];
        const g = [new Float32Array(rows * cols), new Float32Array(rows), new Float32Array(rows)];
        ref.layerNorm(x, rows, cols, eps, w[0], w[1], w[2]);
        b.layerNorm(x, rows, cols, eps, g[0], g[1], g[2]);
        expectClose(g[0], w[0], `layerNorm out [${rows},${cols}]`, 2e-5, 2e-5);
        expectClose(g[1], w[1], `layerNorm mean [${rows},${cols}]`, 1e-5, 1e-6);
        expectClose(g[2], w[2], `layerNorm rstd [${rows},${cols}]`, 2e-5, 1e-6);
      }
    });

    test("adam and adamw steps", () => {
      rnd = mulberry32(17);
      for (const n of [1, 7, 64, 1001]) {
        for (const [weightDecay, decoupledDecay] of [[0, 0], [0.01, 0], [0, 0.1]]) {
          const init = [randArray(n), randArray(n), randArray(n, -0.1, 0.1), randArray(n, 0, 0.01)];
          const w = init.map((a) => a.slice()), g = init.map((a) => a.slice());
          for (let t = 1; t <= 3; t++) {
            const args = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay, decoupledDecay, bc1: 1 - 0.9 ** t, bc2: 1 - 0.95 ** t };
            ref.adam({ param: w[0], grad: w[1], m: w[2], v: w[3], ...args }, n);
            b.adam({ param: g[0], grad: g[1], m: g[2], v: g[3], ...args }, n);
          }
          expectClose(g[0], w[0], `adam param n=${n}`, 1e-5, 1e-6);
          expectClose(g[2], w[2], `adam m n=${n}`, 1e-5, 1e-7);
          expectClose(g[3], w[3], `adam v n=${n}`, 1e-5, 1e-9);
        }
      }
    });

    // the blas backend has two GEMMs where the addon is built with OpenBLAS: test both
    const gemms = b instanceof BlasBackend && b.info().openblas ? ["chainlab", "openblas"] as const : [null];
    for (const gemm of gemms) describe(gemm ? `gemm through ${gemm}` : "gemm", () => {
      const initial = b instanceof BlasBackend ? b.info().gemm : "";
      beforeAll(() => { if (gemm) (b as BlasBackend).useGemm(gemm); });
      afterAll(() => { if (gemm) (b as BlasBackend).useGemm(initial === "openblas" ? "openblas" : "chainlab"); });

      const gemmCase = (opts: GemmCase) => checkGemm(b, opts, rnd);

      test("gemm: every transpose, odd and 1-element sizes, padded leading dimensions", () => {
        rnd = mulberry32(18);
        const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 13, 17, 33, 65];
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (let trial = 0; trial < 25; trial++) {
              const m = sizes[randInt(0, sizes.length - 1)], n = sizes[randInt(0, sizes.length - 1)];
              const k = sizes[randInt(0, sizes.length - 1)];
              gemmCase({ m, n, k, transA, transB, pad: trial % 3 === 0 ? randInt(1, 4) : 0, beta: trial % 4 === 1 ? 1 : 0 });
            }
            gemmCase({ m: 1, n: 1, k: 1, transA, transB });
            gemmCase({ m: 1, n: 37, k: 300, transA, transB });
            gemmCase({ m: 37, n: 1, k: 300, transA, transB });
            gemmCase({ m: 5, n: 6, k: 0, transA, transB, beta: 1 });
            gemmCase({ m: 5, n: 6, k: 0, transA, transB, beta: 0 });
          }
        }
      });

      test("gemm: big, blocked and multi-threaded (300x257x511, 1024x1024x300)", () => {
        rnd = mulberry32(19);
        for (const transA of [false, true]) for (const transB of [false, true]) {
          gemmCase({ m: 300, n: 257, k: 511, transA, transB });
        }
        gemmCase({ m: 130, n: 2100, k: 70, transA: false, transB: true, pad: 3, beta: 1 });
        gemmCase({ m: 1024, n: 1024, k: 300, transA: false, transB: false });
        // rows of A 4 KB apart (lda 1024), which the AVX-512 kernel copies together first
        gemmCase({ m: 50, n: 600, k: 100, transA: false, transB: false, pad: 924, beta: 1 });
        gemmCase({ m: 29, n: 600, k: 1024, transA: false, transB: true });
      });

      test("gemm: batched, with broadcast operands and an accumulated shared output", () => {
        rnd = mulberry32(20);
        // attention-like: 48 heads of [64 x 32] @ [32 x 64]
        gemmCase({ batch: 48, m: 64, n: 64, k: 32, transA: false, transB: true });
        gemmCase({ batch: 48, m: 64, n: 32, k: 64, transA: false, transB: false, pad: 1 });
        gemmCase({ batch: 5, m: 7, n: 9, k: 11, transA: true, transB: false, bcastB: true });
        gemmCase({ batch: 6, m: 100, n: 90, k: 80, transA: false, transB: true, bcastA: true });
        // weight-gradient style: every batch element accumulates into one C
        gemmCase({ batch: 12, m: 64, n: 65, k: 128, transA: true, transB: false, sharedC: true, beta: 1 });
        gemmCase({ batch: 3, m: 300, n: 200, k: 100, transA: false, transB: false, sharedC: true, beta: 1 });
        gemmCase({ batch: 1, m: 1, n: 1, k: 1000, transA: true, transB: true });
      });

      test("gemm: leading dimension BLAS cannot take (0 for a broadcast row)", () => {
        rnd = mulberry32(21);
        // op(A) is 4 copies of one row: lda = 0
        const m = 4, n = 5, k = 6;
        const a = randArray(k), bb = randArray(k * n);
        const args = (c: Float32Array): GemmArgs => ({
          batch: 1, m, n, k, transA: false, transB: false, a, aOffsets: [0], lda: 0, b: bb, bOffsets: [0], ldb: n,
          c, cOffsets: [0], ldc: n, beta: 0,
        });
        const want = new Float32Array(m * n), got = new Float32Array(m * n);
        ref.gemm(args(want));
        b.gemm(args(got));
        expectClose(got, want, "gemm lda=0", 1e-5, 1e-6);
      });
    });

    test("out-of-range views fall back instead of reading outside the array", () => {
      const x: Strided = { data: new Float32Array(4), offset: 2, strides: [1] };
      const y: Strided = { data: new Float32Array(8), offset: 0, strides: [1] };
      const want = new Float32Array(4), got = new Float32Array(4);
      ref.binary("add", [4], x, y, want);
      b.binary("add", [4], x, y, got);
      expect(Array.from(got)).toEqual(Array.from(want));
      const typed: TypedArray = got;
      expect(typed.length).toBe(4);
    });
  });
}

// what a machine without OpenBLAS, or with a smaller vector unit, builds and runs
describe.skipIf(variants.length === 0)("native addon variants", () => {
  test("each runs its own GEMM at the width it was built for, with no OpenBLAS", () => {
    for (const v of variants) {
      const info = v.backend.info();
      expect(info.openblas, v.name).toBe(false);
      expect(info.gemm, v.name).toBe(v.gemm);
      // asking for OpenBLAS where it is not built in keeps the own GEMM
      v.backend.useGemm("openblas");
      expect(v.backend.info().gemm, v.name).toBe(v.gemm);
    }
  });
});
