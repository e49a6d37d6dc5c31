// Log-scale axes for the gradient bars and the update ratio: whole decades, fixed over all
// recorded steps so moving the slider compares like with like.

export interface LogAxis {
  /** log10 of the left and right ends. */
  lo: number;
  hi: number;
}

const MAX_DECADES = 16;

/** Decades around the finite positive values, widened to include the given bounds. */
export function logAxis(values: ArrayLike<number>[], include: { lo?: number; hi?: number } = {}): LogAxis {
  let min = Infinity, max = -Infinity;
  for (const arr of values) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (v > 0 && Number.isFinite(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  // a decade of room below the smallest value, so its bar still has a length
  let lo = Number.isFinite(min) ? Math.floor(Math.log10(min)) - 1 : -4;
  let hi = Number.isFinite(max) ? Math.ceil(Math.log10(max)) : 0;
  if (include.lo !== undefined) lo = Math.min(lo, include.lo);
  if (include.hi !== undefined) hi = Math.max(hi, include.hi);
  if (hi <= lo) hi = lo + 1;
  // a stray tiny value would squash every other bar to the right edge
  if (hi - lo > MAX_DECADES) lo = hi - MAX_DECADES;
  return { lo, hi };
}

/** Position of v on the axis in [0, 1]; NaN when v has no place on a log scale. */
export function fraction(a: LogAxis, v: number): number {
  if (!(v > 0)) return NaN;
  if (v === Infinity) return 1;
  return Math.max(0, Math.min(1, (Math.log10(v) - a.lo) / (a.hi - a.lo)));
}

/** Room one label needs: "1e-10" at the ticks' 10 px monospace font, and a gap. */
export const LABEL_PX = 40;

/**
 * The decades to label on a track `widthPx` wide: at most about six, and spaced so that
 * labels do not run into each other (every other decade, or fewer, when crowded). The
 * labelled decades are multiples of the spacing, so 1 is labelled whenever it is on the axis.
 */
export function decades(a: LogAxis, widthPx = Infinity): number[] {
  const span = a.hi - a.lo;
  const byCount = Math.ceil(span / 6);
  const byRoom = Number.isFinite(widthPx) && widthPx > 0 ? Math.ceil((LABEL_PX * span) / widthPx) : 1;
  const step = Math.max(1, byCount, byRoom);
  const out: number[] = [];
  for (let e = Math.ceil(a.lo / step) * step; e <= a.hi; e += step) out.push(e);
  return out;
}

export function decadeLabel(e: number): string {
  return e === 0 ? "1" : `1e${e}`;
}
