// Exponential moving average as TensorBoard smooths scalars: s_t = w s_{t-1} + (1 - w) y_t
// from s_0 = 0, divided by 1 - w^t so the first points are not pulled towards zero.
// NaN and ±Inf are passed through and left out of the average, so one bad step does not
// blank the rest of the curve.

export function emaSmooth(values: ArrayLike<number>, weight: number): Float64Array {
  const w = Math.min(Math.max(Number.isFinite(weight) ? weight : 0, 0), 0.999);
  const out = new Float64Array(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const y = values[i];
    if (!Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    last = last * w + (1 - w) * y;
    n++;
    out[i] = w === 0 ? y : last / (1 - Math.pow(w, n));
  }
  return out;
}
