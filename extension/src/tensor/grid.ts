// Which values one picture shows: the last two dims are the matrix, the leading ones are
// picked by the slice sliders, and a 1-D tensor is one row (wrapped into a square-ish block
// when it is too long to read as a strip).
import type { Grid } from "./paint";

/** A 1-D tensor longer than this is drawn in rows. */
export const WRAP_ABOVE = 4096;
/** Canvas sides stay below browsers' limits; larger matrices show their leading part. */
export const MAX_SIDE = 16384;

export interface SliceGrid extends Grid {
  /** 1-D values laid out in rows of `cols`: the index of cell (r, c) is r * cols + c. */
  wrapped: boolean;
  /** The matrix had more rows or columns than drawn. */
  clipped: boolean;
  /** The matrix's own size, before clipping. */
  fullRows: number;
  fullCols: number;
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = k;
    k *= shape[d];
  }
  return s;
}

/** The leading indices clamped into the shape (a slice kept across an update may no longer fit). */
export function clampSlice(slice: readonly number[], shape: readonly number[]): number[] {
  const lead = Math.max(0, shape.length - 2);
  return Array.from({ length: lead }, (_, d) => Math.max(0, Math.min((slice[d] ?? 0) | 0, shape[d] - 1)));
}

export function sliceGrid(shape: readonly number[], slice: readonly number[]): SliceGrid {
  const n = shape.length;
  if (n <= 1) {
    const len = n === 0 ? 1 : shape[0];
    if (len > WRAP_ABOVE) {
      const cols = Math.ceil(Math.sqrt(len) / 64) * 64;
      const rows = Math.ceil(len / cols);
      return { offset: 0, end: len, rows, cols, rowStride: cols, wrapped: true, clipped: false, fullRows: rows, fullCols: cols };
    }
    return { offset: 0, end: len, rows: 1, cols: len, rowStride: len, wrapped: false, clipped: false, fullRows: 1, fullCols: len };
  }
  const st = strides(shape);
  const lead = clampSlice(slice, shape);
  let offset = 0;
  for (let d = 0; d < lead.length; d++) offset += lead[d] * st[d];
  const R = shape[n - 2], C = shape[n - 1];
  const rows = Math.min(R, MAX_SIDE), cols = Math.min(C, MAX_SIDE);
  return { offset, end: offset + R * C, rows, cols, rowStride: C, wrapped: false, clipped: rows < R || cols < C, fullRows: R, fullCols: C };
}

/** The full index of cell (r, c) of the grid drawn for this slice. */
export function cellIndex(shape: readonly number[], slice: readonly number[], g: SliceGrid, r: number, c: number): number[] {
  if (shape.length === 0) return [];
  if (shape.length === 1) return [g.wrapped ? r * g.cols + c : c];
  return [...clampSlice(slice, shape), r, c];
}

/** The flat position of cell (r, c) in the values, or -1 outside them. */
export function cellOffset(g: SliceGrid, r: number, c: number): number {
  if (r < 0 || c < 0 || r >= g.rows || c >= g.cols) return -1;
  const i = g.offset + r * g.rowStride + c;
  return i < g.end ? i : -1;
}
