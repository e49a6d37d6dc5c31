// Log-scale axes for the gradient bars and the update ratio: whole decades, the same for every
// view (GRADFLOW_AXIS in the library's gradflow-rule.ts) so that runs compare by eye.

export interface LogAxis {
  /** log10 of the left and right ends. */
  lo: number;
  hi: number;
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
