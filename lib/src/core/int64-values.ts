// Reading int64 tensors' values: in row-major order, as bigints or as numbers where they
// are exact, and the error for an op that does not take int64. The data core and the int64
// ops both read values this way.
import { fmt, numel } from "./shape";
import type { TensorData } from "./tensor-data";

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER), SAFE_MIN = -SAFE_MAX;

/**
 * Visit every element of a strided view over `shape` in row-major order, calling
 * visit(position in storage, position in the output).
 */
export function walk(shape: readonly number[], strides: readonly number[], offset: number, visit: (p: number, i: number) => void): void {
  const n = numel(shape);
  if (n === 0) return;
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let p = offset;
  for (let i = 0; i < n; i++) {
    visit(p, i);
    for (let d = nd - 1; d >= 0; d--) {
      p += strides[d];
      if (++idx[d] < shape[d]) break;
      p -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** An int64 tensor's values in row-major order: its storage when contiguous, else a copy. */
export function int64Values(t: TensorData): BigInt64Array {
  const s = t.store as BigInt64Array;
  const n = t.numel();
  if (t.isContiguous()) return t.offset === 0 && s.length === n ? s : s.subarray(t.offset, t.offset + n);
  const out = new BigInt64Array(n);
  walk(t.shape, t.strides, t.offset, (p, i) => { out[i] = s[p]; });
  return out;
}

/** Where a value was found, for errors: "position 3 of the int64 tensor "ids" of shape [4]". */
export function located(t: TensorData, i: number): string {
  return `position ${i} of the int64 tensor${t.name ? ` "${t.name}"` : ""} of shape ${fmt(t.shape)}`;
}

/** v as a number, or an error naming op and position when it is beyond Number.MAX_SAFE_INTEGER. */
export function safeNumber(op: string, t: TensorData, v: bigint, i: number): number {
  if (v > SAFE_MAX || v < SAFE_MIN) {
    throw new Error(
      `${op}(): the value ${v} at ${located(t, i)} is beyond Number.MAX_SAFE_INTEGER and has no exact number; ` +
        `read it as a bigint with toArray({ bigint: true })`,
    );
  }
  return Number(v);
}

/** The values as numbers (exact, or an error), row-major. */
export function int64Numbers(op: string, t: TensorData): number[] {
  const v = int64Values(t);
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = safeNumber(op, t, v[i], i);
  return out;
}

/** The error for an op that does not compute on int64. */
export function unsupported(op: string, x: TensorData): Error {
  return new Error(
    `${op}(): int64 tensors are not supported here (got int64 of shape ${fmt(x.shape)}) — ` +
      `convert with .float(), or with .int() for integer ops`,
  );
}
