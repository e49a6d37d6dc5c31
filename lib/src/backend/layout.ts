// Shared by the fast backends: op codes, and the checks that let a kernel trust the
// offsets and strides it is handed (a native kernel that reads out of bounds crashes the
// process, where the reference would quietly read undefined).
import type { BinaryOp, GemmArgs, ReduceOp, Strided, TypedArray, UnaryOp } from "./types";
import { numel } from "../core/shape";

export const UNARY_CODES: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, sqrt: 3, sin: 4, cos: 5, tanh: 6, sigmoid: 7,
  relu: 8, gelu: 9, abs: 10, sign: 11, square: 12, reciprocal: 13, geluTanh: 14,
};

export const BINARY_CODES: Record<BinaryOp, number> = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6,
  eq: 7, ne: 8, lt: 9, le: 10, gt: 11, ge: 12, reluGrad: 13, geluGrad: 14, geluTanhGrad: 15,
};

export const REDUCE_CODES: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2, argmax: 3, argmin: 4 };

export const MAX_DIMS = 16;

/** Lowest and highest element index a strided view over `shape` touches. */
export function extent(shape: readonly number[], v: Strided): [number, number] {
  let lo = v.offset, hi = v.offset;
  for (let d = 0; d < shape.length; d++) {
    const span = (shape[d] - 1) * v.strides[d];
    if (span > 0) hi += span; else lo += span;
  }
  return [lo, hi];
}

export function inBounds(shape: readonly number[], v: Strided): boolean {
  if (v.strides.length < shape.length) return false;
  const [lo, hi] = extent(shape, v);
  return lo >= 0 && hi < v.data.length && Number.isInteger(lo) && Number.isInteger(hi);
}

/** Highest index op(X) reads for a rows x cols operand at `offset`, or -1 if none. */
function gemmOperandEnd(trans: boolean, rows: number, cols: number, ld: number, offset: number): number {
  if (rows === 0 || cols === 0) return -1;
  const rs = trans ? 1 : ld, cs = trans ? ld : 1;
  return offset + (rows - 1) * rs + (cols - 1) * cs;
}

/** True when every batch element of a GEMM stays inside its arrays. */
export function gemmInBounds(g: GemmArgs): boolean {
  const { m, n, k } = g;
  if (g.lda < 0 || g.ldb < 0 || g.ldc < 0) return false;
  for (let t = 0; t < g.batch; t++) {
    const ao = g.aOffsets[t], bo = g.bOffsets[t], co = g.cOffsets[t];
    if (!(ao >= 0 && bo >= 0 && co >= 0)) return false;
    if (gemmOperandEnd(g.transA, m, k, g.lda, ao) >= g.a.length) return false;
    if (gemmOperandEnd(g.transB, k, n, g.ldb, bo) >= g.b.length) return false;
    if (gemmOperandEnd(false, m, n, g.ldc, co) >= g.c.length) return false;
  }
  return true;
}

/** Packs [nd, shape..., strides of each operand...] into `buf` for the native side. */
export function packLayout(buf: Float64Array, shape: readonly number[], ...views: Strided[]): void {
  const nd = shape.length;
  buf[0] = nd;
  for (let d = 0; d < nd; d++) buf[1 + d] = shape[d];
  for (let o = 0; o < views.length; o++) {
    const s = views[o].strides;
    for (let d = 0; d < nd; d++) buf[1 + nd * (o + 1) + d] = s[d];
  }
}

export function isF32(x: TypedArray): x is Float32Array {
  return x instanceof Float32Array;
}

/** A layout with size-1 dimensions dropped and neighbours merged where every view allows. */
export interface Simplified {
  shape: number[];
  strides: number[][];
}

export function simplify(shape: readonly number[], strides: readonly (readonly number[])[]): Simplified {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const s = shape[d];
    if (s === 1) continue;
    const k = outShape.length;
    if (k > 0 && strides.every((st, o) => outStrides[o][k - 1] === st[d] * s)) {
      outShape[k - 1] *= s;
      strides.forEach((st, o) => { outStrides[o][k - 1] = st[d]; });
      continue;
    }
    outShape.push(s);
    strides.forEach((st, o) => { outStrides[o].push(st[d]); });
  }
  if (outShape.length === 0) {
    outShape.push(1);
    outStrides.forEach((st) => st.push(0));
  }
  return { shape: outShape, strides: outStrides };
}

/** Strided gather into contiguous `out`, one tight loop per run of the last dimension. */
export function stridedCopy(shape: readonly number[], src: Strided, out: TypedArray): void {
  const L = simplify(shape, [src.strides]);
  const nd = L.shape.length, last = nd - 1;
  const n = L.shape[last], s = L.strides[0][last];
  const sh = L.shape, st = L.strides[0];
  const total = numel(sh);
  const data = src.data;
  const idx = new Array<number>(nd).fill(0);
  let ia = src.offset;
  for (let i = 0; i < total; i += n) {
    if (s === 1) {
      if (n >= 32) out.set(data.subarray(ia, ia + n), i);
      else for (let j = 0; j < n; j++) out[i + j] = data[ia + j];
    } else {
      for (let j = 0, p = ia; j < n; j++, p += s) out[i + j] = data[p];
    }
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      ia += st[d];
      if (idx[d] < sh[d]) break;
      ia -= st[d] * sh[d];
      idx[d] = 0;
    }
  }
}
