// int64 tensors, in plain TypeScript on BigInt64Array storage. They are what PyTorch keeps
// indices, token ids and labels in; here they hold them exactly, convert to and from the
// other dtypes, and support the integer arithmetic that stays integer. Ops that take
// indices convert them to int32 (see indexTensor); ops that compute in floats need .float().
// No kernel sees a BigInt64Array, so none of this touches the float32 paths.
import type { BinaryOp, DType, UnaryOp } from "../backend/types";
import { broadcastShapes, broadcastStrides, fmt, numel } from "../core/shape";
import { allocate, tensorOf } from "../core/tensor-data";
import { int64Values, located, unsupported, walk } from "../core/int64-values";
import type { Tensor } from "../tensor";

const INT32_MIN = -(2 ** 31), INT32_MAX = 2 ** 31 - 1;

/** x as another dtype: int64 to float32 rounds like PyTorch; to int32 only when every value fits. */
export function fromInt64(x: Tensor, dtype: DType, op = "to"): Tensor {
  const v = int64Values(x);
  if (dtype === "int32") {
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const n = Number(v[i]);
      if (n < INT32_MIN || n > INT32_MAX) {
        throw new Error(`${op}(): the value ${v[i]} at ${located(x, i)} does not fit in int32 (${INT32_MIN}..${INT32_MAX}); keep it int64 or use .float()`);
      }
      out[i] = n;
    }
    return tensorOf(out, x.shape);
  }
  const out = allocate("float32", v.length);
  for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  return tensorOf(out, x.shape);
}

/** A float32 or int32 tensor as int64, truncating towards zero like PyTorch; NaN and infinities cannot convert. */
export function toInt64(x: Tensor, op = "to"): Tensor {
  const v = x.values();
  const out = new BigInt64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new Error(`${op}(): the ${x.dtype} value ${v[i]} at position ${i} (shape ${fmt(x.shape)}) has no int64 value`);
    }
    out[i] = BigInt(Math.trunc(v[i]));
  }
  return tensorOf(out, x.shape);
}

/** Integer operands (int32 or int64), read as bigints. */
function reader(t: Tensor): (p: number) => bigint {
  const s = t.store;
  return s instanceof BigInt64Array ? (p) => s[p] : (p) => BigInt(s[p] as number);
}

const closed: Partial<Record<BinaryOp, (a: bigint, b: bigint) => bigint>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  maximum: (a, b) => (a >= b ? a : b),
  minimum: (a, b) => (a <= b ? a : b),
};

const comparisons: Partial<Record<BinaryOp, (a: bigint, b: bigint) => boolean>> = {
  eq: (a, b) => a === b, ne: (a, b) => a !== b, lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b,
};

/** Whether op on these operands computes exactly in int64: both integer, one of them int64, the op integer-closed or a comparison. */
export function isInt64Op(op: BinaryOp, x: Tensor, y: Tensor): boolean {
  const int = (t: Tensor) => t.dtype === "int32" || t.dtype === "int64";
  return (x.dtype === "int64" || y.dtype === "int64") && int(x) && int(y) && (op in closed || op in comparisons);
}

/**
 * op(x, y) with broadcasting, exact in 64 bits; results wrap as PyTorch's int64 does. Sums,
 * differences, products, maxima and minima are int64; comparisons are float32 masks of 0 and 1
 * like the library's other comparisons.
 */
export function int64Binary(op: BinaryOp, x: Tensor, y: Tensor, name: string = op): Tensor {
  const shape = broadcastShapes(name, x.shape, y.shape);
  const sx = broadcastStrides(x.shape, x.strides, shape), sy = broadcastStrides(y.shape, y.strides, shape);
  const rx = reader(x), ry = reader(y);
  const n = numel(shape);
  // y's position for each output element, then x's walk reads both
  const py = new Int32Array(n);
  walk(shape, sy, y.offset, (p, i) => { py[i] = p; });
  const f = closed[op];
  if (f) {
    const out = new BigInt64Array(n); // a BigInt64Array wraps what it is given to 64 bits
    walk(shape, sx, x.offset, (p, i) => { out[i] = f(rx(p), ry(py[i])); });
    return tensorOf(out, shape);
  }
  const c = comparisons[op];
  if (!c) throw new Error(`${name}(): not an int64 op`);
  const out = allocate("float32", n);
  walk(shape, sx, x.offset, (p, i) => { out[i] = c(rx(p), ry(py[i])) ? 1 : 0; });
  return tensorOf(out, shape);
}

const unaryInt64: Partial<Record<UnaryOp, (v: bigint) => bigint>> = {
  neg: (v) => -v, abs: (v) => (v < 0n ? -v : v), square: (v) => v * v, sign: (v) => (v > 0n ? 1n : v < 0n ? -1n : 0n),
};

/** neg, abs, square and sign of an int64 tensor stay int64; other unary ops need .float() (an error says so). */
export function int64Unary(op: UnaryOp, x: Tensor): Tensor {
  const f = unaryInt64[op];
  if (!f) throw unsupported(op, x);
  const v = int64Values(x);
  const out = new BigInt64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = f(v[i]);
  return tensorOf(out, x.shape);
}
