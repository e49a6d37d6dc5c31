// The curves side of a Monitor: the logged (step, series, value) rows and the bundle the
// extension draws them from. Kept apart from monitor.ts, which runs the loop's controls and
// the gradient flow.
import type { Tensor } from "../tensor";
import { BUDGETS, MIME } from "./contract";
import { arrowBase64 } from "./arrow";
import { bucketPicks } from "./bucket-picks";
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
  for (let b = 0; b < head; b += size) bucketPicks(values, b, Math.min(b + size, head), out);
  for (let i = head; i < n; i++) out.push(i);
  return out;
}

/** What the bundle says about the monitor that owns the curves. */
export interface CurvesMeta {
  title: string;
  xLabel: string;
  /** The y axis' title: what was logged, e.g. "cross-entropy". */
  yLabel: string;
  /** Draw the y axis on a log scale at first (the reader can switch). */
  logY?: boolean;
  /** Draw the x axis on a log scale. */
  logX?: boolean;
  /** False for a chart of results: no loop controls. */
  controls?: boolean;
  monitorId: string;
  running: boolean;
}

/** Where a value goes: a run's name, when several runs share one chart. */
export interface LogOptions {
  run?: string;
  /** The learning rate at this step, when no optimizer is linked to the monitor. */
  lr?: number;
  /**
   * How the values are drawn, when their names do not say it: "val" for held-out
   * measurements (points joined by a dotted line, never smoothed: e.g. a test accuracy per
   * label count), "train" for a per-step curve. By default a name starting with "val" is
   * "val", one starting with "train" is "train".
   */
  split?: "train" | "val";
}

interface SeriesInfo {
  name: string;
  run?: string;
  split?: string;
  count: number;
}

/** At most this many learning-rate changes are sent (a schedule changes it every step). */
export const MAX_LR_CHANGES = 200;

const key = (run: string | undefined, name: string) => `${run ?? ""}\u0000${name}`;

/**
 * The logged rows of a run, or of several runs drawn on one chart: each (run, name) pair is
 * a series. At most BUDGETS.curveSeries series go into a bundle (the first logged); the rest
 * are recorded but not sent, and the bundle says how many there were.
 */
export class CurveLog {
  /** (step, series, value, run) rows, in logging order. */
  readonly points: { step: number; series: string; value: number; run?: string }[] = [];
  lastStep = -1;
  /** The learning rate where it changed, per run: the first value, then each change. */
  readonly lrChanges: { step: number; lr: number; run?: string }[] = [];
  private series = new Map<string, SeriesInfo>();
  private lastLr = new Map<string, number>();
  private warned = false;

  constructor(private readonly maxSeries: number = BUDGETS.curveSeries) {}

  /** Record values at a step; a name starting with "val" is a validation curve. */
  record(values: Record<string, number | Tensor>, step: number, opts: LogOptions = {}): void {
    if (typeof step !== "number" || Number.isNaN(step)) throw new TypeError(`Monitor.log: step must be a number, got ${String(step)}`);
    if (opts.run !== undefined && typeof opts.run !== "string") throw new TypeError(`Monitor.log: run must be a string, got ${typeof opts.run}`);
    if (opts.split !== undefined && opts.split !== "train" && opts.split !== "val") throw new TypeError(`Monitor.log: split must be "train" or "val", got ${String(opts.split)}`);
    this.lastStep = Math.max(this.lastStep, step);
    const run = opts.run;
    for (const [name, v] of Object.entries(values)) {
      const value = typeof v === "number" ? v : v.item();
      const k = key(run, name);
      let info = this.series.get(k);
      if (!info) {
        const split = opts.split ?? (/^val/i.test(name) ? "val" : /^train/i.test(name) ? "train" : undefined);
        info = { name, ...(run !== undefined ? { run } : {}), ...(split ? { split } : {}), count: 0 };
        this.series.set(k, info);
        if (this.series.size > this.maxSeries && !this.warned) {
          this.warned = true;
          console.warn(`Monitor: more than ${this.maxSeries} series (runs x names); the chart shows the first ${this.maxSeries}, the rest are recorded but not drawn`);
        }
      }
      info.count++;
      this.points.push(run !== undefined ? { step, series: name, value, run } : { step, series: name, value });
    }
    if (opts.lr !== undefined) this.recordLr(step, opts.lr, run);
  }

  /** Note the learning rate at a step; only changes are kept. */
  recordLr(step: number, lr: number, run?: string): void {
    if (typeof lr !== "number" || this.lastLr.get(run ?? "") === lr) return;
    this.lastLr.set(run ?? "", lr);
    this.lrChanges.push(run !== undefined ? { step, lr, run } : { step, lr });
  }

  /** The curves as a MIME bundle (see Monitor.curvesBundle). */
  bundle(meta: CurvesMeta): Record<string, unknown> {
    const all = [...this.series.entries()];
    const sent = all.slice(0, this.maxSeries);
    const rows = new Map<string, number[]>(sent.map(([k]) => [k, []]));
    this.points.forEach((p, i) => rows.get(key(p.run, p.series))?.push(i));
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
    const label = (s: SeriesInfo) => (s.run !== undefined ? `${s.run} ${s.name}` : s.name);
    const last = sent.slice(0, 12).map(([k, s]) => {
      const idx = rows.get(k)!;
      const p = idx.length ? this.points[idx[idx.length - 1]] : undefined;
      return `${label(s)} ${p ? Number(p.value.toPrecision(4)) : "-"}`;
    });
    const more = all.length > 12 ? `, ... (${all.length} series${all.length > sent.length ? `, ${sent.length} drawn` : ""})` : "";
    const runs = sent.some(([, s]) => s.run !== undefined);
    // a schedule changes the rate every step: the first changes and the newest are sent
    const lr = this.lrChanges.length > MAX_LR_CHANGES
      ? [...this.lrChanges.slice(0, MAX_LR_CHANGES / 2), ...this.lrChanges.slice(-MAX_LR_CHANGES / 2)]
      : this.lrChanges;
    return {
      "text/plain": `${meta.title}: step ${this.lastStep}${last.length ? ", " + last.join(", ") : ""}${more}`,
      [MIME.curves]: {
        version: 1,
        title: meta.title,
        xLabel: meta.xLabel,
        yLabel: meta.yLabel,
        ...(meta.logY ? { logY: true } : {}),
        ...(meta.logX ? { logX: true } : {}),
        ...(meta.controls === false ? { controls: false } : {}),
        monitorId: meta.monitorId,
        running: meta.running,
        downsampled,
        series: sent.map(([, s]) => ({
          name: s.name,
          ...(s.run !== undefined ? { run: s.run } : {}),
          ...(s.split ? { split: s.split } : {}),
          count: s.count,
        })),
        ...(all.length > sent.length ? { seriesTotal: all.length } : {}),
        ...(lr.length ? { lr: lr.map((c) => ({ ...c })), ...(lr.length < this.lrChanges.length ? { lrTotal: this.lrChanges.length } : {}) } : {}),
        data: arrowBase64({
          step: Float64Array.from(shown, (p) => p.step),
          series: shown.map((p) => p.series),
          value: Float64Array.from(shown, (p) => p.value),
          ...(runs ? { run: shown.map((p) => p.run ?? "") } : {}),
        }),
      },
      "image/svg+xml": lineChartSvg(
        meta.title, meta.xLabel,
        sent.slice(0, 12).map(([k, s]) => ({ name: label(s), points: rows.get(k)!.filter((i) => kept[i]).map((i) => [this.points[i].step, this.points[i].value] as [number, number]) })),
      ),
    };
  }
}
