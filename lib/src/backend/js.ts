// The reference backend: plain TypeScript loops. Every fast kernel is tested against it.
import type { AdamArgs, Backend, BinaryOp, GemmArgs, ReduceOp, Strided, TypedArray, UnaryOp } from "./types";
import { isContiguous, numel } from "../core/shape";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * ln(erfc(a) e^(a^2) / t) with t = 1 / (1 + a/2), a >= 0, as a polynomial in t (lowest
 * power first): our Chebyshev fit, 1.5e-8 relative in erfc over all a. Writing erfc as
 * t exp(P(t) - a^2) keeps its relative accuracy in the tail, where 1 - erf(a) would cancel.
 * The fast backends use the same coefficients in float32.
 */
export const ERFC_POLY = [
  -1.2655121185e+00, 9.9999855303e-01, 3.7507448477e-01, 8.1756791965e-02, -6.8137704179e-02, -2.6409587792e-01,
  4.2285965011e-01, -1.3866666524e+00, 2.5901291768e+00, -2.3462723810e+00, 1.0502335178e+00, -1.8936745484e-01,
];

/** Φ(-|x|) = erfc(|x|/√2) / 2, the lower tail of the standard normal. */
function normalTail(x: number): number {
  const a = Math.abs(x) * SQRT_HALF;
  const t = 1 / (1 + 0.5 * a);
  let p = ERFC_POLY[ERFC_POLY.length - 1];
  for (let i = ERFC_POLY.length - 2; i >= 0; i--) p = p * t + ERFC_POLY[i];
  return 0.5 * t * Math.exp(p - a * a);
}

/** The standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2. */
export function normalCdf(x: number): number {
  const e = normalTail(x);
  return x >= 0 ? 1 - e : e;
}

/** erf(x), from the same tail. */
export function erf(x: number): number {
  return 2 * normalCdf(x / SQRT_HALF) - 1;
}

// GELU as PyTorch defines it by default: x Φ(x).
export function gelu(x: number): number {
  return x * normalCdf(x);
}

// d/dx x Φ(x) = Φ(x) + x φ(x)
export function geluGrad(x: number): number {
  return normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

// GELU with the tanh approximation (PyTorch's approximate="tanh").
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

export function geluTanhGrad(x: number): number {
  const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  const t = Math.tanh(u);
  const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
}

export function unaryFn(op: UnaryOp): (x: number) => number {
  switch (op) {
    case "neg": return (x) => -x;
    case "exp": return Math.exp;
    case "log": return Math.log;
    case "sqrt": return Math.sqrt;
    case "sin": return Math.sin;
    case "cos": return Math.cos;
    case "tanh": return Math.tanh;
    case "sigmoid": return (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
    case "relu": return (x) => (x > 0 ? x : 0);
    case "gelu": return gelu;
    case "geluTanh": return geluTanh;
    case "abs": return Math.abs;
    case "sign": return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case "square": return (x) => x * x;
    case "reciprocal": return (x) => 1 / x;
  }
}

export function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case "add": return (a, b) => a + b;
    case "sub": return (a, b) => a - b;
    case "mul": return (a, b) => a * b;
    case "div": return (a, b) => a / b;
    case "pow": return Math.pow;
    case "maximum": return (a, b) => (a !== a || b !== b ? NaN : a >= b ? a : b);
    case "minimum": return (a, b) => (a !== a || b !== b ? NaN : a <= b ? a : b);
    case "eq": return (a, b) => (a === b ? 1 : 0);
    case "ne": return (a, b) => (a !== b ? 1 : 0);
    case "lt": return (a, b) => (a < b ? 1 : 0);
    case "le": return (a, b) => (a <= b ? 1 : 0);
    case "gt": return (a, b) => (a > b ? 1 : 0);
    case "ge": return (a, b) => (a >= b ? 1 : 0);
    case "reluGrad": return (x, g) => (x > 0 ? g : 0);
    case "geluGrad": return (x, g) => g * geluGrad(x);
    case "geluTanhGrad": return (x, g) => g * geluTanhGrad(x);
  }
}

/** Walk every index of `shape` in row-major order, calling visit(aIndex, bIndex, i). */
function walk2(shape: readonly number[], a: Strided, b: Strided, visit: (ia: number, ib: number, i: number) => void): void {
  const nd = shape.length;
  const size = numel(shape);
  if (size === 0) return;
  if (nd === 0) { visit(a.offset, b.offset, 0); return; }
  const idx = new Array<number>(nd).fill(0);
  const last = nd - 1;
  const n = shape[last];
  const sa = a.strides[last], sb = b.strides[last];
  let ia = a.offset, ib = b.offset;
  for (let i = 0; i < size; i += n) {
    for (let j = 0; j < n; j++) visit(ia + j * sa, ib + j * sb, i + j);
    // carry into the outer dimensions
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      ia += a.strides[d];
      ib += b.strides[d];
      if (idx[d] < shape[d]) break;
      ia -= a.strides[d] * shape[d];
      ib -= b.strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

export class JsBackend implements Backend {
  readonly name: "js" | "wasm" | "blas" = "js";

  unary(op: UnaryOp, x: Float32Array, out: Float32Array, n: number): void {
    const f = unaryFn(op);
    for (let i = 0; i < n; i++) out[i] = f(x[i]);
  }

  binary(op: BinaryOp, shape: readonly number[], a: Strided, b: Strided, out: TypedArray): void {
    const f = binaryFn(op);
    const ad = a.data, bd = b.data;
    if (isContiguous(shape, a.strides) && isContiguous(shape, b.strides)) {
      const n = out.length, ao = a.offset, bo = b.offset;
      for (let i = 0; i < n; i++) out[i] = f(ad[ao + i], bd[bo + i]);
      return;
    }
    walk2(shape, a, b, (ia, ib, i) => { out[i] = f(ad[ia], bd[ib]); });
  }

  copy(shape: readonly number[], src: Strided, out: TypedArray): void {
    const sd = src.data;
    if (isContiguous(shape, src.strides)) {
      out.set(sd.subarray(src.offset, src.offset + out.length));
      return;
    }
    walk2(shape, src, src, (ia, _ib, i) => { out[i] = sd[ia]; });
  }

  reduce(op: ReduceOp, x: TypedArray, outer: number, size: number, inner: number, out: TypedArray): void {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * size * inner + i;
        let acc: number;
        if (op === "sum") {
          acc = 0;
          for (let k = 0; k < size; k++) acc += x[base + k * inner];
        } else if (op === "max" || op === "min") {
          const isMax = op === "max";
          acc = x[base];
          for (let k = 1; k < size; k++) {
            const v = x[base + k * inner];
            if (v !== v) { acc = v; break; }
            if (isMax ? v > acc : v < acc) acc = v;
          }
        } else {
          const isMax = op === "argmax";
          let best = x[base];
          acc = 0;
          for (let k = 1; k < size; k++) {
            const v = x[base + k * inner];
            if (isMax ? v > best : v < best) { best = v; acc = k; }
          }
        }
        out[o * inner + i] = acc;
      }
    }
  }

  gemm(g: GemmArgs): void {
    const { m, n, k, a, b, c, lda, ldb, ldc } = g;
    // strides of op(A) and op(B) so one loop serves all four transpose cases
    const ar = g.transA ? 1 : lda, ac = g.transA ? lda : 1;
    const br = g.transB ? 1 : ldb, bc = g.transB ? ldb : 1;
    const row = new Float64Array(n);
    for (let t = 0; t < g.batch; t++) {
      const ao = g.aOffsets[t], bo = g.bOffsets[t], co = g.cOffsets[t];
      for (let i = 0; i < m; i++) {
        row.fill(0);
        for (let p = 0; p < k; p++) {
          const av = a[ao + i * ar + p * ac];
          if (av === 0) continue;
          const bBase = bo + p * br;
          for (let j = 0; j < n; j++) row[j] += av * b[bBase + j * bc];
        }
        const cBase = co + i * ldc;
        if (g.beta === 0) for (let j = 0; j < n; j++) c[cBase + j] = row[j];
        else for (let j = 0; j < n; j++) c[cBase + j] += row[j];
      }
    }
  }

  softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let max = -Infinity;
      for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
      if (max === -Infinity) max = 0; // a fully masked row stays finite where it can
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j] - max);
      if (log) {
        const lse = Math.log(sum);
        for (let j = 0; j < cols; j++) out[o + j] = x[o + j] - max - lse;
      } else {
        const inv = 1 / sum;
        for (let j = 0; j < cols; j++) out[o + j] = Math.exp(x[o + j] - max) * inv;
      }
    }
  }

  softmaxBackward(y: Float32Array, g: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      if (log) {
        // d/dx logsoftmax: g - softmax * sum(g)
        let s = 0;
        for (let j = 0; j < cols; j++) s += g[o + j];
        for (let j = 0; j < cols; j++) out[o + j] = g[o + j] - Math.exp(y[o + j]) * s;
      } else {
        // d/dx softmax: y * (g - sum(g * y))
        let s = 0;
        for (let j = 0; j < cols; j++) s += g[o + j] * y[o + j];
        for (let j = 0; j < cols; j++) out[o + j] = y[o + j] * (g[o + j] - s);
      }
    }
  }

  layerNorm(x: Float32Array, rows: number, cols: number, eps: number, out: Float32Array, mean: Float32Array, rstd: Float32Array): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += x[o + j];
      const mu = s / cols;
      let v = 0;
      for (let j = 0; j < cols; j++) { const d = x[o + j] - mu; v += d * d; }
      const rs = 1 / Math.sqrt(v / cols + eps);
      for (let j = 0; j < cols; j++) out[o + j] = (x[o + j] - mu) * rs;
      mean[r] = mu;
      rstd[r] = rs;
    }
  }

  adam(p: AdamArgs, n: number): void {
    const { param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupledDecay, bc1, bc2 } = p;
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    for (let i = 0; i < n; i++) {
      let gi = grad[i];
      if (weightDecay !== 0) gi += weightDecay * param[i];
      if (decoupledDecay !== 0) param[i] -= lr * decoupledDecay * param[i];
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      param[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / sqrtBc2 + eps);
    }
  }
}
