// Thinning a curve without losing its shape: of each bucket of consecutive points keep the
// first, the smallest, the largest and the last, so every spike survives. The monitor thins
// what it sends by it and the extension what it draws (no imports: it runs in the browser too).

/** Push onto `out` the indices of the first, smallest, largest (finite) and last value of values[start, end), in order, once each. */
export function bucketPicks(values: ArrayLike<number>, start: number, end: number, out: number[]): void {
  let lo = -1, hi = -1;
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (lo < 0 || v < values[lo]) lo = i;
    if (hi < 0 || v > values[hi]) hi = i;
  }
  const picks = [start, lo, hi, end - 1].filter((i) => i >= 0).sort((x, y) => x - y);
  for (let k = 0; k < picks.length; k++) if (k === 0 || picks[k] !== picks[k - 1]) out.push(picks[k]);
}
