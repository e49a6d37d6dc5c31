// Shared by the op tests: seeded inputs, and plain-JS reference computations that do not go
// through the library's own kernels, broadcasting or strides.
import { expect } from "vitest";
import * as cl from "../../src";
import type { Tensor } from "../../src";

export { cl };

/** A plain array with its row-major shape: the reference side of every comparison. */
export interface Arr {
  shape: number[];
  data: number[];
}

export function arr(t: Tensor): Arr {
  return { shape: [...t.shape], data: Array.from(t.data) };
}

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * shape[d] + idx[d];
  return p;
}

/** Read element `idx` of a (broadcast to `outShape`) by NumPy's rules. */
function at(a: Arr, idx: readonly number[]): number {
  const added = idx.length - a.shape.length;
  const own = a.shape.map((s, d) => (s === 1 ? 0 : idx[added + d]));
  return a.data[ravel(own, a.shape)];
}

export function refBroadcastShape(...shapes: number[][]): number[] {
  const nd = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: nd }, (_, i) => Math.max(...shapes.map((s) => s[s.length - nd + i] ?? 1)));
}

/** f applied elementwise over the broadcast of the inputs. */
export function refMap(f: (...xs: number[]) => number, ...xs: Arr[]): Arr {
  const shape = refBroadcastShape(...xs.map((x) => x.shape));
  const data = Array.from({ length: numelOf(shape) }, (_, i) => {
    const idx = unravel(i, shape);
    return f(...xs.map((x) => at(x, idx)));
  });
  return { shape, data };
}

/** Reduce over dims (all when undefined) with f on the list of values. */
export function refReduce(a: Arr, f: (vs: number[]) => number, dims?: number[], keepdim = false): Arr {
  const nd = a.shape.length;
  const ds = (dims ?? a.shape.map((_, i) => i)).map((d) => (d < 0 ? d + nd : d));
  const kept = a.shape.map((s, d) => (ds.includes(d) ? 1 : s));
  const groups = Array.from({ length: numelOf(kept) }, () => [] as number[]);
  a.data.forEach((v, i) => {
    const idx = unravel(i, a.shape).map((x, d) => (ds.includes(d) ? 0 : x));
    groups[ravel(idx, kept)].push(v);
  });
  return { shape: keepdim ? kept : a.shape.filter((_, d) => !ds.includes(d)), data: groups.map(f) };
}

/** Element [..idx] of a after permuting its dims. */
export function refPermute(a: Arr, perm: number[]): Arr {
  const shape = perm.map((p) => a.shape[p]);
  const data = Array.from({ length: numelOf(shape) }, (_, i) => {
    const idx = unravel(i, shape);
    const src = new Array<number>(perm.length);
    perm.forEach((p, k) => (src[p] = idx[k]));
    return a.data[ravel(src, a.shape)];
  });
  return { shape, data };
}

/** Naive matrix product of 2-D arrays. */
export function refMatmul2(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

export function nested(a: Arr): cl.NestedNumbers {
  const build = (d: number, off: number): cl.NestedNumbers => {
    if (d === a.shape.length) return a.data[off];
    const stride = numelOf(a.shape.slice(d + 1));
    return Array.from({ length: a.shape[d] }, (_, i) => build(d + 1, off + i * stride));
  };
  return build(0, 0);
}

/** Values close to a reference, with shape; float32 tolerance by default. */
export function expectClose(t: Tensor, ref: Arr | number[] | number, rtol = 1e-5, atol = 1e-6): void {
  const want: Arr =
    typeof ref === "number" ? { shape: [], data: [ref] } : Array.isArray(ref) ? { shape: [ref.length], data: ref } : ref;
  expect([...t.shape]).toEqual(want.shape);
  const got = Array.from(t.data);
  expect(got.length).toBe(want.data.length);
  got.forEach((g, i) => {
    const w = want.data[i];
    if (Number.isNaN(w)) return expect(g).toBeNaN();
    if (!Number.isFinite(w)) return expect(g).toBe(w);
    if (Math.abs(g - w) > atol + rtol * Math.abs(w)) {
      throw new Error(`element ${i} of shape [${t.shape}]: got ${g}, expected ${w} (all: ${got.slice(0, 12).join(", ")}...)`);
    }
  });
}

/** Seeded normal values as a leaf that requires grad, kept at least `margin` from every kink. */
export function leaf(shape: number[], opts: { kinks?: number[]; margin?: number; low?: number; high?: number } = {}): Tensor {
  const n = numelOf(shape);
  const base = opts.low !== undefined ? cl.rand([n]) : cl.randn([n]);
  const vals = Array.from(base.data, (v) => (opts.low !== undefined ? opts.low + (opts.high! - opts.low) * v : v));
  const margin = opts.margin ?? 0.1;
  for (let i = 0; i < n; i++) {
    for (const k of opts.kinks ?? []) {
      if (Math.abs(vals[i] - k) < margin) vals[i] = k + (vals[i] >= k ? margin : -margin) * (1 + (i % 3));
    }
  }
  return cl.tensor(nested({ shape, data: vals }), { requiresGrad: true });
}

/** Distinct values in random order (for max-like ops, where ties are kinks). */
export function distinct(shape: number[], gap = 0.25): Tensor {
  const n = numelOf(shape);
  const perm = new cl.Generator(numelOf(shape) * 7 + shape.length).permutation(n);
  return cl.tensor(nested({ shape, data: perm.map((p) => (p - n / 2) * gap) }), { requiresGrad: true });
}

/**
 * gradcheck fn on three layouts of its first input: as given (which may broadcast against
 * the others), read through a transpose, a stepped slice, and an expand made inside fn.
 */
export function gradcheckLayouts(fn: (x: Tensor, ...rest: Tensor[]) => Tensor, shape2d: [number, number], rest: Tensor[] = [], leafOpts = {}): void {
  const [r, c] = shape2d;
  // transposed: a [c, r] leaf read as [r, c]
  const xt = leaf([c, r], leafOpts);
  cl.gradcheck((a, ...o) => fn(a.transpose(0, 1), ...o), [xt, ...rest]);
  // stepped slice: every other row and column of a [2r, 2c + 1] leaf
  const xs = leaf([2 * r, 2 * c + 1], leafOpts);
  cl.gradcheck((a, ...o) => fn(a.index([null, null, 2], [1, null, 2]), ...o), [xs, ...rest]);
  // expanded: one row [1, c] repeated r times (its gradient sums over the copies)
  const xe = leaf([1, c], leafOpts);
  cl.gradcheck((a, ...o) => fn(a.expand(r, c), ...o), [xe, ...rest]);
}
