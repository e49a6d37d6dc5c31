// Without WebGL, SVG traces of tens of thousands of points make Plotly slow. Keeping, per
// bucket of consecutive points, the first, the smallest, the largest and the last draws
// the same picture at that many pixels: every spike is still there.

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
  for (let k = 0; k < b; k++) {
    const start = Math.floor(k * size);
    const end = Math.min(n, Math.floor((k + 1) * size));
    if (end <= start) continue;
    let lo = -1, hi = -1;
    for (let i = start; i < end; i++) {
      const v = ys[i];
      if (!Number.isFinite(v)) continue;
      if (lo < 0 || v < ys[lo]) lo = i;
      if (hi < 0 || v > ys[hi]) hi = i;
    }
    let prev = -1;
    for (const i of [start, lo, hi, end - 1].filter((i) => i >= 0).sort((p, q) => p - q)) {
      if (i === prev) continue;
      prev = i;
      x.push(xs[i]);
      y.push(ys[i]);
    }
  }
  return { x, y };
}
