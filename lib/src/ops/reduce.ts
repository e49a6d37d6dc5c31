// Reductions over one or more dims. sum is the primitive with a backward of its own
// (broadcast the gradient back); mean, var and std are compositions of it.
import { record } from "../core/autograd";
import { unaryKind } from "../core/derivative";
import { kernels } from "../backend";
import type { ReduceOp, TypedArray } from "../backend/types";
import { fmt, normDim, numel } from "../core/shape";
import type { Tensor } from "../tensor";
import { allocate, tensorOf } from "../core/tensor-data";
import { requireFloat } from "./operands";
import { compare } from "./elementwise";
import { unsupported } from "../core/int64-values";

function dimsOf(op: string, x: Tensor, dim: number | number[] | undefined): number[] {
  if (dim === undefined) return x.shape.map((_, i) => i);
  const dims = (Array.isArray(dim) ? dim : [dim]).map((d) => normDim(op, d, x.shape));
  if (x.ndim === 0) return []; // dim 0 or -1 of a 0-d tensor: the tensor itself
  if (new Set(dims).size !== dims.length) throw new Error(`${op}(): dim ${fmt(dims)} repeats a dimension of shape ${fmt(x.shape)}`);
  return dims.sort((a, b) => a - b);
}

function keptShape(shape: readonly number[], dims: number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

/** One reduction kernel call per reduced dim, innermost last, keeping dims. */
function rawReduce(op: ReduceOp, x: Tensor, dims: number[], outDtype = x.dtype): Tensor {
  if (x.dtype === "int64") throw unsupported(op, x);
  // nothing to reduce (a 0-d tensor): still a new tensor, never x itself, since the
  // caller records a node on the result
  if (dims.length === 0) return tensorOf(x.values().slice(), x.shape);
  let cur = x.detach().contiguous();
  if (dims.length === x.ndim && dims.length > 1) {
    // all dims at once: reduce the flat array as [1, n, 1]
    const out = allocate(outDtype, 1) as TypedArray;
    if (cur.numel() > 0) kernels().reduce(op, cur.values(), 1, cur.numel(), 1, out);
    return tensorOf(out, x.shape.map(() => 1));
  }
  for (const d of dims) {
    const shape = cur.shape;
    const outer = numel(shape.slice(0, d));
    const inner = numel(shape.slice(d + 1));
    const out = allocate(outDtype, outer * inner) as TypedArray;
    // an empty sum is 0 (so an empty mean is 0/0); an empty max has no value
    if (shape[d] === 0 && op !== "sum") throw new Error(`${op}(): cannot reduce over dim ${d} of size 0 in shape ${fmt(x.shape)}`);
    if (shape[d] !== 0) kernels().reduce(op, cur.values(), outer, shape[d], inner, out);
    cur = tensorOf(out, keptShape(shape, [d]));
  }
  return cur;
}

function finish(out: Tensor, x: Tensor, dims: number[], keepdim: boolean): Tensor {
  return keepdim ? out : out.reshape(x.shape.filter((_, i) => !dims.includes(i)));
}

const SUM = unaryKind("sum", "y = Σᵢ aᵢ", "∂y/∂aᵢ = 1 for every i", "g broadcast back to a's shape (times ones)");
export function sum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  const dims = dimsOf("sum", x, dim);
  const kept = keptShape(x.shape, dims);
  const out = finish(rawReduce("sum", x, dims), x, dims, keepdim);
  // every input element contributed once: its gradient is the output's, broadcast back
  return record(out, SUM, [x], (g) => [g.reshape(kept).expand([...x.shape])], false);
}

export function mean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  requireFloat("mean", x);
  const dims = dimsOf("mean", x, dim);
  const n = numel(dims.map((d) => x.shape[d]));
  return sum(x, dims, keepdim).div(n);
}

const AMAX = unaryKind("amax", "y = max a", "∂y/∂aᵢ = 1/k at each of the k positions of the maximum, else 0", "g split evenly among the positions of the maximum");
const AMIN = unaryKind("amin", "y = min a", "∂y/∂aᵢ = 1/k at each of the k positions of the minimum, else 0", "g split evenly among the positions of the minimum");
function extreme(op: "max" | "min", kind: typeof AMAX | typeof AMIN, x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  const name = kind.name;
  const dims = dimsOf(name, x, dim);
  if (x.numel() === 0) throw new Error(`${name}(): cannot reduce an empty tensor of shape ${fmt(x.shape)}`);
  const kept = rawReduce(op, x, dims);
  const out = finish(kept, x, dims, keepdim);
  return record(out, kind, [x], (g) => {
    // the gradient goes to the elements that attain the extreme, split evenly among ties
    const hit = compare("eq", x, kept);
    return [hit.div(hit.sum(dims, true)).mul(g.reshape([...kept.shape]))];
  });
}

export const amax = (x: Tensor, dim?: number | number[], keepdim = false) => extreme("max", AMAX, x, dim, keepdim);
export const amin = (x: Tensor, dim?: number | number[], keepdim = false) => extreme("min", AMIN, x, dim, keepdim);

function argExtreme(op: "argmax" | "argmin", x: Tensor, dim?: number, keepdim = false): Tensor {
  if (x.numel() === 0) throw new Error(`${op}(): cannot reduce an empty tensor of shape ${fmt(x.shape)}`);
  if (x.ndim === 0) {
    if (dim !== undefined) normDim(op, dim, x.shape);
    return tensorOf(new Int32Array(1), []);
  }
  if (dim === undefined) {
    const flat = x.detach().reshape([1, x.numel()]);
    return rawReduce(op, flat, [1], "int32").reshape(keepdim ? x.shape.map(() => 1) : []);
  }
  const d = normDim(op, dim, x.shape);
  return finish(rawReduce(op, x, [d], "int32"), x, [d], keepdim);
}

export const argmax = (x: Tensor, dim?: number, keepdim = false) => argExtreme("argmax", x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number, keepdim = false) => argExtreme("argmin", x, dim, keepdim);

export function variance(x: Tensor, dim: number | number[] | undefined, keepdim: boolean, correction: number): Tensor {
  requireFloat("var", x);
  const dims = dimsOf("var", x, dim);
  const n = numel(dims.map((d) => x.shape[d]));
  const centred = x.sub(x.mean(dims, true));
  return centred.square().sum(dims, keepdim).div(Math.max(n - correction, 0));
}
