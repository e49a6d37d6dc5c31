// Elementwise ops. Each one: the forward through a kernel, then its local derivative
// applied to the incoming gradient — the chain rule, one op at a time.
import { record } from "../core/autograd";
import { opKind, unaryKind, type OpKind } from "../core/derivative";
import { kernels } from "../backend";
import type { BinaryOp, DType, TypedArray, UnaryOp } from "../backend/types";
import { broadcastShapes, broadcastStrides, numel } from "../core/shape";
import type { Tensor, TensorLike } from "../tensor";
import { allocate, isTensor, tensorOf } from "../core/tensor-data";
import { floats } from "../core/storage";
import { lift, requireFloat, sumTo } from "./operands";
import { fromInt64, int64Binary, int64Unary, isInt64Op, toInt64 } from "./int64";

export function rawUnary(op: UnaryOp, x: Tensor): Tensor {
  const out = floats(x.numel(), false);
  kernels().unary(op, x.values() as Float32Array, out, out.length);
  return tensorOf(out, x.shape);
}

export function rawBinary(op: BinaryOp, a: Tensor, b: Tensor, outDtype: DType, name: string = op): Tensor {
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = allocate(outDtype, numel(shape), false) as TypedArray;
  if (a.dtype === "int64" || b.dtype === "int64") return int64Mixed(op, a, b, name);
  const sa = { data: a.storage, offset: a.offset, strides: broadcastStrides(a.shape, a.strides, shape) };
  const sb = { data: b.storage, offset: b.offset, strides: broadcastStrides(b.shape, b.strides, shape) };
  kernels().binary(op, shape, sa, sb, out);
  return tensorOf(out, shape);
}

/**
 * A binary op with an int64 operand: exact in int64 when both are integers (sums, products,
 * maxima, minima, comparisons), else in float32 with the int64 side converted, as PyTorch
 * promotes int64 against floats (and divides integers into floats).
 */
function int64Mixed(op: BinaryOp, a: Tensor, b: Tensor, name: string): Tensor {
  if (isInt64Op(op, a, b)) return int64Binary(op, a, b, name);
  const f = (t: Tensor) => (t.dtype === "int64" ? fromInt64(t, "float32", name) : t);
  return rawBinary(op, f(a), f(b), "float32", name);
}

const intClosed = new Set<BinaryOp>(["add", "sub", "mul", "maximum", "minimum"]);

function arith(op: BinaryOp, a: TensorLike, b: TensorLike): [Tensor, Tensor, Tensor] {
  const x = lift(a, isTensor(b) ? b : undefined, op);
  const y = lift(b, x, op);
  const bothInt = x.dtype === "int32" && y.dtype === "int32";
  return [x, y, rawBinary(op, x, y, bothInt && intClosed.has(op) ? "int32" : "float32")];
}

// ---- binary -----------------------------------------------------------------------------

const ADD = opKind("add", "y = a + b", ["∂y/∂a = 1", "∂y/∂b = 1"], ["g", "g"], true);
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = arith("add", a, b);
  return record(out, ADD, [x, y], (g) => [
    x.requiresGrad ? sumTo(g, x.shape) : null,
    y.requiresGrad ? sumTo(g, y.shape) : null,
  ], false);
}

const SUB = opKind("sub", "y = a − b", ["∂y/∂a = 1", "∂y/∂b = −1"], ["g", "−g"], true);
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = arith("sub", a, b);
  return record(out, SUB, [x, y], (g) => [
    x.requiresGrad ? sumTo(g, x.shape) : null,
    y.requiresGrad ? sumTo(g, y.shape).neg() : null, // negate after summing: fewer elements
  ], false);
}

const MUL = opKind("mul", "y = a · b", ["∂y/∂a = b", "∂y/∂b = a"], ["g · b", "g · a"], true);
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = arith("mul", a, b);
  return record(out, MUL, [x, y], (g) => [
    x.requiresGrad ? sumTo(g.mul(y), x.shape) : null,
    y.requiresGrad ? sumTo(g.mul(x), y.shape) : null,
  ]);
}

const DIV = opKind("div", "y = a / b", ["∂y/∂a = 1/b", "∂y/∂b = −a/b² = −y/b"], ["g / b", "−g · y / b"], true);
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = arith("div", a, b);
  return record(out, DIV, [x, y], (g) => [
    x.requiresGrad ? sumTo(g.div(y), x.shape) : null,
    y.requiresGrad ? sumTo(g.mul(out).div(y).neg(), y.shape) : null,
  ]);
}

const POW = opKind("pow", "y = aⁿ (n = b)", ["∂y/∂a = n · aⁿ⁻¹", "∂y/∂n = aⁿ · ln a"], ["g · n · aⁿ⁻¹", "g · y · ln a"], true);
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = arith("pow", a, b);
  return record(out, POW, [x, y], (g) => [
    x.requiresGrad ? sumTo(g.mul(y).mul(x.pow(y.sub(1))), x.shape) : null,
    y.requiresGrad ? sumTo(g.mul(out).mul(x.log()), y.shape) : null,
  ]);
}

// the gradient goes to the larger input, split evenly on ties (like PyTorch)
const MAXIMUM = opKind("maximum", "y = max(a, b)", ["∂y/∂a = [a > b] + ½[a = b]", "∂y/∂b = [b > a] + ½[a = b]"],
  ["g · ([a > b] + ½[a = b])", "g · ([b > a] + ½[a = b])"], true);
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = arith("maximum", a, b);
  return record(out, MAXIMUM, [x, y], (g) => {
    const wx = compare("gt", x, y).add(compare("eq", x, y).mul(0.5));
    return [sumTo(g.mul(wx), x.shape), sumTo(g.mul(wx.neg().add(1)), y.shape)];
  });
}

const MINIMUM = opKind("minimum", "y = min(a, b)", ["∂y/∂a = [a < b] + ½[a = b]", "∂y/∂b = [b < a] + ½[a = b]"],
  ["g · ([a < b] + ½[a = b])", "g · ([b < a] + ½[a = b])"], true);
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = arith("minimum", a, b);
  return record(out, MINIMUM, [x, y], (g) => {
    const wx = compare("lt", x, y).add(compare("eq", x, y).mul(0.5));
    return [sumTo(g.mul(wx), x.shape), sumTo(g.mul(wx.neg().add(1)), y.shape)];
  });
}

/** Comparisons give float32 masks of 0 and 1; they have no gradient. */
export function compare(op: "eq" | "ne" | "lt" | "le" | "gt" | "ge", a: TensorLike, b: TensorLike): Tensor {
  const x = lift(a, isTensor(b) ? b : undefined, op);
  return rawBinary(op, x, lift(b, x, op), "float32");
}

// ---- unary ------------------------------------------------------------------------------

/** Integer results of integer inputs, for the unary ops that are plain arithmetic (no gradient: ints have none). */
const intUnary: Partial<Record<UnaryOp, (v: number) => number>> = { neg: (v) => -v, abs: Math.abs, square: (v) => v * v };

/** Each unary op: its kernel (named as the op) and its derivative; the vjp comes with the op below. */
function unary(op: OpKind<UnaryOp>, x: Tensor, vjp: (g: Tensor, out: Tensor) => Tensor): Tensor {
  const name = op.name;
  if (x.dtype === "int64") return int64Unary(name, x);
  const f = intUnary[name];
  if (x.dtype === "int32" && f) return tensorOf(Int32Array.from(x.values(), f), x.shape);
  requireFloat(name, x);
  const out = rawUnary(name, x);
  return record(out, op, [x], (g) => [vjp(g, out)]);
}

const NEG = unaryKind("neg", "y = −a", "∂y/∂a = −1", "−g");
export const neg = (x: Tensor) => unary(NEG, x, (g) => g.neg());
const EXP = unaryKind("exp", "y = eᵃ", "∂y/∂a = eᵃ = y", "g · y");
export const exp = (x: Tensor) => unary(EXP, x, (g, y) => g.mul(y));
const LOG = unaryKind("log", "y = ln a", "∂y/∂a = 1/a", "g / a");
export const log = (x: Tensor) => unary(LOG, x, (g) => g.div(x));
const SQRT = unaryKind("sqrt", "y = √a", "∂y/∂a = 1 / (2√a) = 1 / 2y", "g / 2y");
export const sqrt = (x: Tensor) => unary(SQRT, x, (g, y) => g.div(y.mul(2)));
const SIN = unaryKind("sin", "y = sin a", "∂y/∂a = cos a", "g · cos a");
export const sin = (x: Tensor) => unary(SIN, x, (g) => g.mul(x.cos()));
const COS = unaryKind("cos", "y = cos a", "∂y/∂a = −sin a", "−g · sin a");
export const cos = (x: Tensor) => unary(COS, x, (g) => g.mul(x.sin()).neg());
const TANH = unaryKind("tanh", "y = tanh a", "∂y/∂a = 1 − tanh² a = 1 − y²", "g · (1 − y²)");
export const tanh = (x: Tensor) => unary(TANH, x, (g, y) => g.mul(y.square().neg().add(1)));
const SIGMOID = unaryKind("sigmoid", "y = σ(a)", "∂y/∂a = σ(a)(1 − σ(a)) = y(1 − y)", "g · y(1 − y)");
export const sigmoid = (x: Tensor) => unary(SIGMOID, x, (g, y) => g.mul(y).mul(y.neg().add(1)));
const RELU = unaryKind("relu", "y = max(a, 0)", "∂y/∂a = [a > 0]", "g · [a > 0]");
export const relu = (x: Tensor) => unary(RELU, x, (g) => rawBinary("reluGrad", x, g, "float32"));
export interface GeluOptions {
  /** "none" (default): the exact x Φ(x); "tanh": the tanh approximation (GPT-2's). */
  approximate?: "none" | "tanh";
}

const GELU = unaryKind("gelu", "y = a · Φ(a)", "∂y/∂a = Φ(a) + a · φ(a)", "g · (Φ(a) + a · φ(a))");
const GELU_TANH = unaryKind("geluTanh", "y = ½a(1 + tanh u), u = √(2/π)(a + 0.044715a³)",
  "∂y/∂a = ½(1 + tanh u) + ½a(1 − tanh² u) · √(2/π)(1 + 3 · 0.044715a²)", "g · ∂y/∂a (the tanh approximation's derivative)");
export function gelu(x: Tensor, opts: GeluOptions = {}): Tensor {
  const approximate = opts.approximate ?? "none";
  if (approximate === "tanh") return unary(GELU_TANH, x, (g) => rawBinary("geluTanhGrad", x, g, "float32"));
  if (approximate !== "none") throw new Error(`gelu(): approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  return unary(GELU, x, (g) => rawBinary("geluGrad", x, g, "float32"));
}
const ABS = unaryKind("abs", "y = |a|", "∂y/∂a = sign(a)", "g · sign(a)");
export const abs = (x: Tensor) => unary(ABS, x, (g) => g.mul(rawUnary("sign", x)));
const SQUARE = unaryKind("square", "y = a²", "∂y/∂a = 2a", "g · 2a");
export const square = (x: Tensor) => unary(SQUARE, x, (g) => g.mul(x).mul(2));

const CLAMP = unaryKind("clamp", "y = clamp(a, lo, hi)", "∂y/∂a = [lo ≤ a ≤ hi]", "g · [lo ≤ a ≤ hi]");

export function clamp(x: Tensor, min: number | null, max: number | null): Tensor {
  requireFloat("clamp", x);
  let out = x.detach().clone(); // a new tensor even when there are no bounds
  if (min !== null) out = rawBinary("maximum", out, lift(min), "float32");
  if (max !== null) out = rawBinary("minimum", out, lift(max), "float32");
  return record(out, CLAMP, [x], (g) => {
    // the gradient passes where x was inside [min, max]
    let pass = g;
    if (min !== null) pass = pass.mul(compare("ge", x, min));
    if (max !== null) pass = pass.mul(compare("le", x, max));
    return [pass];
  });
}

/**
 * out = c != 0 ? x : y over `shape`, each operand read where it lives through its broadcast
 * strides (a stride of 0 repeats), so that no operand is first copied out to full size.
 */
function select(shape: readonly number[], c: Tensor, x: Tensor, y: Tensor, out: TypedArray): void {
  const nd = shape.length, last = nd - 1;
  const sc = broadcastStrides(c.shape, c.strides, shape);
  const sx = broadcastStrides(x.shape, x.strides, shape);
  const sy = broadcastStrides(y.shape, y.strides, shape);
  const n = nd ? shape[last] : 1;
  const jc = nd ? sc[last] : 0, jx = nd ? sx[last] : 0, jy = nd ? sy[last] : 0;
  // one dtype (or float32 masks) on every side, so the loop copies numbers or bigints alone
  const cd = c.store as TypedArray, xd = x.store as TypedArray, yd = y.store as TypedArray;
  const idx = new Array<number>(nd).fill(0);
  let pc = c.offset, px = x.offset, py = y.offset;
  for (let o = 0; o < out.length; o += n) {
    for (let j = 0; j < n; j++) out[o + j] = cd[pc + j * jc] !== 0 ? xd[px + j * jx] : yd[py + j * jy];
    // step to the next run of the last dim, carrying into the outer dims
    for (let d = last - 1; d >= 0; d--) {
      pc += sc[d]; px += sx[d]; py += sy[d];
      if (++idx[d] < shape[d]) break;
      pc -= sc[d] * shape[d]; px -= sx[d] * shape[d]; py -= sy[d] * shape[d];
      idx[d] = 0;
    }
  }
}

// maskedFill is where(mask, v, a): the fill value v comes first
export const MASKED_FILL = opKind("maskedFill", "y = mask ? v : a", ["∂y/∂v = [mask] (v is the fill value)", "∂y/∂a = [not mask]"], ["g · [mask]", "g · [not mask]"]);
export const WHERE = opKind("where", "y = cond ? a : b", ["∂y/∂a = [cond]", "∂y/∂b = [not cond]"], ["g · [cond]", "g · [not cond]"], true);

/** where(cond, a, b): a where cond is nonzero, else b, broadcasting all three; `op` names the ops made of it (maskedFill, triu). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike, op: OpKind = WHERE): Tensor {
  const name = op.name;
  let x = lift(a, isTensor(b) ? b : undefined, name);
  let y = lift(b, x, name);
  if (cond.dtype === "int64") cond = int64Binary("ne", cond, lift(0, cond), name);
  const int = (t: Tensor) => t.dtype !== "float32";
  const dtype: DType = int(x) && int(y) ? (x.dtype === "int64" || y.dtype === "int64" ? "int64" : "int32") : "float32";
  // int64 meets the other side's dtype: int32 widens to int64, int64 against a float becomes
  // float32 (int32 and float32 are read as numbers alike, so they stay as they are)
  const as = (t: Tensor) =>
    t.dtype === "int32" && dtype === "int64" ? toInt64(t, name) : t.dtype === "int64" && dtype === "float32" ? fromInt64(t, "float32", name) : t;
  x = as(x);
  y = as(y);
  const shape = broadcastShapes(name, broadcastShapes(name, cond.shape, x.shape), y.shape);
  const out = allocate(dtype, numel(shape));
  select(shape, cond, x, y, out as TypedArray);
  const outT = tensorOf(out, shape);
  return record(outT, op, [x, y], (g) => {
    const zero = lift(0);
    return [
      x.requiresGrad ? sumTo(where(cond, g, zero), x.shape) : null,
      y.requiresGrad ? sumTo(where(cond, zero, g), y.shape) : null,
    ];
  });
}
