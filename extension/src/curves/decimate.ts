// Without WebGL, SVG traces of tens of thousands of points make Plotly slow. Keeping, per
// bucket of consecutive points, the first, the smallest, the largest and the last draws
// the same picture at that many pixels: every spike is still there.
import { bucketPicks } from "chainlab/dist/display/bucket-picks";

export function decimateMinMax(xs: ArrayLike<number>, ys: ArrayLike<number>, buckets: number): { x: number[]; y: number[] } {
  const n = Math.min(xs.length, ys.length);
  const b = Math.max(1, Math.floor(buckets));
  const x: number[] = [];
  const y: number[] = [];
  if (n <= 4 * b) {
    for (let i = 0; i < n; i++) { x.push(xs[i]); y.push(ys[i]); }
    return { x, y };
  }
  const size = n / b;
  const keep: number[] = [];
  for (let k = 0; k < b; k++) {
    const start = Math.floor(k * size);
    const end = Math.min(n, Math.floor((k + 1) * size));
    if (end > start) bucketPicks(ys, start, end, keep);
  }
  for (const i of keep) {
    x.push(xs[i]);
    y.push(ys[i]);
  }
  return { x, y };
}
