// Matrix-shaped building blocks for the fused ops, which call kernels on flat arrays directly. Elementwise
// work goes through the backend even where a JS loop would be shorter: on Float32Arrays a
// JS loop runs about ten times slower than the native or SIMD kernel.
import { kernels } from "../backend";
import type { BinaryOp } from "../backend/types";
import { floats } from "../core/storage";
import type { Tensor } from "../tensor";

/** How b is read against a [rows, cols] matrix: whole, one value per row, per column, or one value. */
export type Along = "full" | "row" | "col" | "scalar";

const STRIDES: Record<Along, (cols: number) => number[]> = {
  full: (cols) => [cols, 1],
  row: () => [1, 0],
  col: () => [0, 1],
  scalar: () => [0, 0],
};

/** out[r, c] = op(a[r, c], b read `along`), a and out contiguous [rows, cols]. */
export function matOp(op: BinaryOp, rows: number, cols: number, a: Float32Array, b: Float32Array, along: Along, out: Float32Array): Float32Array {
  if (rows * cols === 0) return out;
  kernels().binary(op, [rows, cols], { data: a, offset: 0, strides: [cols, 1] }, { data: b, offset: 0, strides: STRIDES[along](cols) }, out);
  return out;
}

/** Sums of a contiguous [rows, cols] matrix: over its rows (one per column) or its columns (one per row). */
export function sumOver(what: "rows" | "cols", a: Float32Array, rows: number, cols: number): Float32Array {
  const out = floats(what === "rows" ? cols : rows, true);
  if (rows * cols === 0) return out;
  if (what === "rows") kernels().reduce("sum", a, 1, rows, cols, out);
  else kernels().reduce("sum", a, rows, cols, 1, out);
  return out;
}

/** A float tensor as a kernel reads it: its own storage and offset when contiguous, else a copy. */
export function flat(t: Tensor): [Float32Array, number] {
  return t.isContiguous() ? [t.storage as Float32Array, t.offset] : [t.values() as Float32Array, 0];
}

const ZERO = [0];

/** c = op(a) @ op(b) for one product of row-major matrices (offsets into a, b and c). */
export function gemm1(m: number, n: number, k: number, a: Float32Array, ao: number, lda: number, transA: boolean,
  b: Float32Array, bo: number, ldb: number, transB: boolean, c: Float32Array, beta: 0 | 1): void {
  if (m === 0 || n === 0 || k === 0) return; // with k = 0 the caller hands in a zeroed c (or one holding the bias)
  kernels().gemm({ batch: 1, m, n, k, transA, transB, a, aOffsets: [ao], lda, b, bOffsets: [bo], ldb, c, cOffsets: ZERO, ldc: n, beta });
}
