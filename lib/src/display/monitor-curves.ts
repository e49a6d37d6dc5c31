// The curves side of a Monitor: the logged (step, series, value) rows and the bundle the
// extension draws them from. Kept apart from monitor.ts, which runs the loop's controls and
// the gradient flow.
import type { Tensor } from "../tensor";
import { MIME } from "./contract";
import { arrowBase64 } from "./arrow";
import { lineChartSvg } from "./svg";

/** At most about this many points of one series go into a curves bundle. */
export const MAX_CURVE_POINTS = 2000;

/**
 * Which of `values` to send so that at most about `budget` remain and the curve keeps its
 * shape: the newest eighth exactly, and before it, per bucket of consecutive points, the
 * first, the smallest, the largest and the last (so a spike survives). Buckets are a power
 * of two long and start at multiples of it, so they stay put while the run grows.
 */
export function keptIndices(values: ArrayLike<number>, budget = MAX_CURVE_POINTS): number[] {
  const n = values.length;
  budget = Math.max(16, Math.floor(budget));
  if (n <= budget) return Array.from({ length: n }, (_, i) => i);
  const tail = Math.floor(budget / 8);
  const head = n - tail;
  let size = 1;
  while (Math.ceil(head / size) * 4 > budget - tail) size *= 2;
  const out: number[] = [];
  for (let b = 0; b < head; b += size) {
    const e = Math.min(b + size, head);
    let lo = -1, hi = -1;
    for (let i = b; i < e; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (lo < 0 || v < values[lo]) lo = i;
      if (hi < 0 || v > values[hi]) hi = i;
    }
    const picks = [b, lo, hi, e - 1].filter((i) => i >= 0).sort((x, y) => x - y);
    for (let k = 0; k < picks.length; k++) if (k === 0 || picks[k] !== picks[k - 1]) out.push(picks[k]);
  }
  for (let i = head; i < n; i++) out.push(i);
  return out;
}

/** What the bundle says about the monitor that owns the curves. */
export interface CurvesMeta {
  title: string;
  xLabel: string;
  monitorId: string;
  running: boolean;
}

/** The logged rows of a run and the series they belong to. */
export class CurveLog {
  /** (step, series, value) rows, in logging order. */
  readonly points: { step: number; series: string; value: number }[] = [];
  lastStep = -1;
  private series = new Map<string, string | undefined>();

  /** Record values at a step; a name starting with "val" is a validation curve. */
  record(values: Record<string, number | Tensor>, step: number): void {
    this.lastStep = Math.max(this.lastStep, step);
    for (const [name, v] of Object.entries(values)) {
      const value = typeof v === "number" ? v : v.item();
      if (!this.series.has(name)) this.series.set(name, /^val/i.test(name) ? "val" : /^train/i.test(name) ? "train" : undefined);
      this.points.push({ step, series: name, value });
    }
  }

  /** The curves as a MIME bundle (see Monitor.curvesBundle). */
  bundle(meta: CurvesMeta): Record<string, unknown> {
    const names = [...this.series.keys()];
    const rows = new Map<string, number[]>(names.map((n) => [n, []]));
    this.points.forEach((p, i) => rows.get(p.series)?.push(i));
    // every update resends the table: a long run is sent decimated, its newest points exact
    const kept = new Uint8Array(this.points.length);
    let downsampled = false;
    for (const idx of rows.values()) {
      const values = idx.map((i) => this.points[i].value);
      const keep = keptIndices(values, MAX_CURVE_POINTS);
      if (keep.length < idx.length) downsampled = true;
      for (const k of keep) kept[idx[k]] = 1;
    }
    const shown = this.points.filter((_, i) => kept[i] === 1);
    const last = names.map((n) => {
      const idx = rows.get(n)!;
      const p = idx.length ? this.points[idx[idx.length - 1]] : undefined;
      return `${n} ${p ? Number(p.value.toPrecision(4)) : "-"}`;
    });
    return {
      "text/plain": `${meta.title}: step ${this.lastStep}${last.length ? ", " + last.join(", ") : ""}`,
      [MIME.curves]: {
        version: 1,
        title: meta.title,
        xLabel: meta.xLabel,
        monitorId: meta.monitorId,
        running: meta.running,
        downsampled,
        series: names.map((name) => ({
          name,
          ...(this.series.get(name) ? { split: this.series.get(name) } : {}),
          count: rows.get(name)!.length,
        })),
        data: arrowBase64({
          step: Float64Array.from(shown, (p) => p.step),
          series: shown.map((p) => p.series),
          value: Float64Array.from(shown, (p) => p.value),
        }),
      },
      "image/svg+xml": lineChartSvg(
        meta.title, meta.xLabel,
        names.map((name) => ({ name, points: shown.filter((p) => p.series === name).map((p) => [p.step, p.value] as [number, number]) })),
      ),
    };
  }
}
