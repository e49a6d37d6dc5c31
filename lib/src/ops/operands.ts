// What every op checks and converts its operands with: numbers lifted to tensors, float32
// required, indices read as int32; and broadcasting's reverse, the sum that brings a
// gradient back to its operand's shape.
import { fmt, sameShape } from "../core/shape";
import { fromNested, isTensor, tensorOf } from "../core/tensor-data";
import type { Tensor, TensorLike } from "../tensor";
import { fromInt64 } from "./int64";

/** A number becomes a 0-d tensor of a dtype that suits the other operand. */
export function lift(x: TensorLike, like?: Tensor, op = "lift"): Tensor {
  if (isTensor(x)) return x;
  if (typeof x !== "number") throw new Error(`${op}(): expected a Tensor or a number, got ${typeof x}`);
  const int = like?.dtype !== "float32" && like !== undefined && Number.isInteger(x);
  if (int && like.dtype === "int64") return tensorOf(new BigInt64Array([BigInt(x)]), []);
  return tensorOf(int ? new Int32Array([x]) : new Float32Array([x]), []);
}

/** An error naming op and the tensor unless every one is float32. */
export function requireFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== "float32") {
      throw new Error(
        `${op}(): needs a float32 tensor, but got ${t.dtype} of shape ${fmt(t.shape)} — convert it with .float()`,
      );
    }
  }
}

/** Sum a broadcast gradient back down to the shape of the operand it flows to. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const added = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < added || (shape[i - added] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length ? g.sum(dims, true) : g;
  return s.reshape([...shape]);
}

/**
 * Indices as int32, whatever integer dtype they come in: int64 indices (PyTorch's usual) are
 * read as int32, since no dim is longer than int32 can count; one that does not fit is an error.
 */
export function indexTensor(op: string, idx: Tensor | number[]): Tensor {
  const t = isTensor(idx) ? idx : fromNested(idx, "int32");
  if (t.dtype === "int64") return fromInt64(t, "int32", op);
  if (t.dtype !== "int32") throw new Error(`${op}(): indices must be an int32 or int64 tensor, got ${t.dtype} of shape ${fmt(t.shape)}`);
  return t;
}
