// What Plotly is given for a set of curves: per series a faint raw trace behind a smoothed
// one; validation drawn last, with markers, so noisy training lines never hide it; each
// series in its own colour, or each run in its own when runs share the chart; non-finite
// values marked where they happened; learning-rate changes marked on the x axis; and a
// layout in JupyterLab's theme colours with a titled y axis whose log ticks read as values.
// Strings from the bundle are escaped: Plotly reads a little HTML in names.
import type { CurveSeries, Curves } from "./bundle";
import { decimateMinMax } from "./decimate";
import type { PlotData } from "../shared/plotly";
import { emaSmooth } from "./smoothing";

/** Past this many points a series is drawn with WebGL (where there is WebGL). */
export const WEBGL_POINTS = 5000;
/**
 * WebGL traces are thinned too, to this many min/max buckets per pixel of width: Plotly
 * re-triangulates every point of a scattergl line on each update, so a raw 100k-point
 * bundle ten times a second would hold the page for seconds. Two per pixel draws the
 * same picture, and zoomed in twice still shows every spike.
 */
export const WEBGL_BUCKETS_PER_PIXEL = 2;
/**
 * Values beyond this magnitude (float32's largest is 3.4e38) are drawn as off the scale,
 * like Infinity: Plotly turns 1e308 into pixel positions that overflow ("NaN path").
 */
export const OFF_SCALE = 1e38;
/** Validation points are marked while a series has at most this many. */
export const MAX_MARKED_POINTS = 500;
/** A y range narrower than this share of the values' size is widened (see yRange). */
export const FLAT_SHARE = 0.2;
/** At most this many learning-rate changes are marked; a schedule gets one note instead. */
export const MAX_LR_MARKS = 12;
/** The faint raw curves behind the smoothed ones are drawn for at most this many series. */
export const RAW_CURVES_UP_TO = 8;
/** At most this many places of non-finite values are named in notes on the chart. */
export const MAX_BAD_NOTES = 6;

export interface PlotOptions {
  smoothing: number;
  logY: boolean;
  webgl: boolean;
  /** The plot's width in pixels, for decimating SVG traces. */
  width: number;
}

export interface Theme {
  background: string;
  font: string;
  fontFamily: string;
  grid: string;
}

// Plotly's category10, readable on JupyterLab's light and dark backgrounds
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
const BAD_COLOUR = "#d62728";

/** Text Plotly shows as written: it would read <b>, <a href> and entities in titles and names. */
export function plotlyText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A name inside a hovertemplate, where "%{...}" would be filled in by Plotly. */
function hoverText(s: string): string {
  return plotlyText(s).replace(/%/g, "&#37;");
}

export function readTheme(): Theme {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    background: v("--jp-layout-color0", "#ffffff"),
    font: v("--jp-ui-font-color1", "#333333"),
    fontFamily: v("--jp-ui-font-family", "sans-serif"),
    grid: v("--jp-border-color2", "#e0e0e0"),
  };
}

const hasRuns = (series: readonly CurveSeries[]) => series.some((s) => s.run !== undefined);

/** One colour per run when runs share the chart (train and validation of a run alike), else one per series. */
export function coloursFor(series: readonly CurveSeries[]): string[] {
  if (!hasRuns(series)) return series.map((_, i) => PALETTE[i % PALETTE.length]);
  const slots = new Map<string, number>();
  return series.map((s) => {
    const k = s.run ?? "";
    if (!slots.has(k)) slots.set(k, slots.size);
    return PALETTE[slots.get(k)! % PALETTE.length];
  });
}

/** The legend's name of a series: "relu train" when runs share the chart. */
export function seriesLabel(s: CurveSeries): string {
  return s.run !== undefined ? `${s.run} ${s.name}` : s.name;
}

/** The value as drawn: NaN where it cannot be placed on the axis (non-finite or off the scale). */
function drawable(v: number): number {
  return Number.isFinite(v) && Math.abs(v) <= OFF_SCALE ? v : NaN;
}

function xy(steps: readonly number[], values: ArrayLike<number>, opts: PlotOptions, gl: boolean): { x: ArrayLike<number>; y: ArrayLike<number> } {
  if (steps.length <= WEBGL_POINTS) return { x: steps, y: values };
  return decimateMinMax(steps, values, Math.max(200, opts.width) * (gl ? WEBGL_BUCKETS_PER_PIXEL : 1));
}

/** A place where a series stopped having a value: the first of each stretch of bad points. */
export interface BadPoint {
  series: number;
  step: number;
  /** "NaN", "Infinity", "-Infinity" or the off-scale value. */
  what: string;
  /** Where the marker goes: the last drawable value before it (NaN if there was none). */
  y: number;
}

export function badPoints(series: readonly CurveSeries[], perSeries = 20): BadPoint[] {
  const out: BadPoint[] = [];
  series.forEach((s, k) => {
    let inBad = false, lastGood = NaN, found = 0;
    for (let i = 0; i < s.values.length && found < perSeries; i++) {
      const v = s.values[i];
      if (!Number.isNaN(drawable(v))) {
        inBad = false;
        lastGood = v;
        continue;
      }
      if (inBad) continue;
      inBad = true;
      found++;
      const what = Number.isNaN(v) ? "NaN" : v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : v.toExponential(2);
      out.push({ series: k, step: s.steps[i], what, y: lastGood });
    }
  });
  return out;
}

export function tracesFor(curves: Curves, opts: PlotOptions): PlotData[] {
  const colours = coloursFor(curves.series);
  const smoothed = opts.smoothing > 0;
  // past a few series the raw curves are a thicket, and each drawn trace costs Plotly time
  const rawShown = smoothed && curves.series.length <= RAW_CURVES_UP_TO;
  const traces = curves.series.map((s, i) => {
    const gl = opts.webgl && s.steps.length > WEBGL_POINTS;
    const type = gl ? "scattergl" : "scatter";
    const label = seriesLabel(s);
    const name = plotlyText(label);
    const val = s.split === "val";
    const values = s.values.map(drawable);
    // a validation point already averages many batches, and they come seldom: smoothing
    // across them would drag the curve behind the model
    const smooth = smoothed && !val ? emaSmooth(values, opts.smoothing) : values;
    const hover = hoverText(label);
    const raw = xy(s.steps, values, opts, gl);
    const main = xy(s.steps, smooth, opts, gl);
    const marked = val && s.steps.length <= MAX_MARKED_POINTS;
    return { val, pair: [
      {
        type, mode: "lines", name, legendgroup: name, showlegend: false, hoverinfo: "skip",
        x: raw.x, y: raw.y, opacity: 0.25, visible: rawShown && !val,
        line: { color: colours[i], width: 1 },
      },
      {
        type, mode: marked ? "lines+markers" : "lines", name, legendgroup: name,
        x: main.x, y: main.y,
        // the raw value rides along when the points were not decimated for drawing
        ...(smoothed && !val && main.x === s.steps
          ? { customdata: s.values, hovertemplate: `${hover}: %{y:.4g} (raw %{customdata:.4g})<extra></extra>` }
          : { hovertemplate: `${hover}: %{y:.4g}<extra></extra>` }),
        // validation: a thin dotted line between ringed markers, drawn above the training lines
        line: { color: colours[i], width: val ? 1.5 : 2, dash: val ? "dot" : "solid" },
        ...(marked ? { marker: { color: colours[i], size: 7, symbol: "circle", line: { width: 1.5, color: "rgba(255,255,255,0.9)" } } } : {}),
      },
    ] };
  });
  const out: PlotData[] = [...traces.filter((t) => !t.val), ...traces.filter((t) => t.val)].flatMap((t) => t.pair);
  // a line just ends where its values turn NaN: an x on its last point says why
  const bad = badPoints(curves.series).filter((b) => Number.isFinite(b.y) && (!opts.logY || b.y > 0));
  if (bad.length) {
    out.push({
      type: "scatter", mode: "markers", name: "not finite", showlegend: false,
      x: bad.map((b) => b.step), y: bad.map((b) => b.y),
      text: bad.map((b) => plotlyText(`${seriesLabel(curves.series[b.series])}: ${b.what} at step ${b.step}`)),
      hovertemplate: "%{text}<extra></extra>",
      marker: { symbol: "x-thin-open", size: 14, color: BAD_COLOUR, line: { width: 3, color: BAD_COLOUR } },
    });
  }
  return out;
}

/** A number as a tick shows it: 0.5, 0.02, 1500; powers far from 1 as 1e-7. */
export function tickText(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) {
    const [m, e] = v.toExponential(1).split("e");
    return `${Number(m)}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(3)));
}

const MANTISSAS = [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9]];

/**
 * Ticks of a log axis spanning [lo, hi] (both > 0), written as values: the coarsest of
 * 1, 1-2-5, 1..9 per decade that gives at least four ticks (every k-th decade when there
 * are many), never Plotly's bare digits between powers of ten.
 */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi >= lo)) return [];
  const d0 = Math.floor(Math.log10(lo)), d1 = Math.ceil(Math.log10(hi));
  const inRange = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  for (const m of MANTISSAS) {
    const ticks: number[] = [];
    for (let d = d0; d <= d1; d++) for (const k of m) {
      const v = Number((k * 10 ** d).toPrecision(3));
      if (inRange(v)) ticks.push(v);
    }
    if (m.length === 1 && ticks.length > 8) {
      const every = Math.ceil(ticks.length / 8);
      return ticks.filter((_, i) => i % every === 0);
    }
    if (ticks.length >= 4 || m === MANTISSAS[MANTISSAS.length - 1]) return ticks;
  }
  return [];
}

/** The drawable values' extent, positive ones only for a log axis. */
function extent(curves: Curves, logY: boolean): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (const s of curves.series) for (const v of s.values) {
    const d = drawable(v);
    if (Number.isNaN(d) || (logY && d <= 0)) continue;
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  return lo <= hi ? [lo, hi] : null;
}

export interface YRange {
  /** An explicit range (log10 units on a log axis), or null to let Plotly autorange. */
  range: [number, number] | null;
  /** The values' extent when the range was widened, to say so on the chart. */
  flat: [number, number] | null;
  ticks: number[];
}

/**
 * A y range that does not turn noise into a cliff: values that differ by less than
 * FLAT_SHARE of their size (a stalled loss, 1.099 to 1.104) are drawn in a range that
 * wide around their middle, and the chart says the values' span; otherwise Plotly's
 * autorange, with log ticks over the padded extent.
 */
export function yRange(curves: Curves, logY: boolean): YRange {
  const e = extent(curves, logY);
  if (!e) return { range: null, flat: null, ticks: [] };
  const [lo, hi] = e;
  if (logY) {
    const l0 = Math.log10(lo), l1 = Math.log10(hi);
    const minSpan = Math.log10(1 + FLAT_SHARE) * 2;
    if (l1 - l0 < minSpan) {
      const mid = (l0 + l1) / 2;
      const range: [number, number] = [mid - minSpan / 2, mid + minSpan / 2];
      return { range, flat: [lo, hi], ticks: logTicks(10 ** range[0], 10 ** range[1]) };
    }
    const pad = (l1 - l0) * 0.05;
    return { range: null, flat: null, ticks: logTicks(10 ** (l0 - pad), 10 ** (l1 + pad)) };
  }
  const size = Math.max(Math.abs(lo), Math.abs(hi));
  const minSpan = FLAT_SHARE * size;
  if (size > 0 && hi - lo < minSpan) {
    const mid = (lo + hi) / 2;
    return { range: [mid - minSpan / 2, mid + minSpan / 2], flat: [lo, hi], ticks: [] };
  }
  return { range: null, flat: null, ticks: [] };
}

/** The learning-rate changes worth a mark: each run's changes after its first value. */
function lrMarks(curves: Curves): { marks: Curves["lr"]; schedule: boolean } {
  const seen = new Set<string>();
  const marks = curves.lr.filter((c) => {
    const k = c.run ?? "";
    if (seen.has(k)) return true;
    seen.add(k);
    return false;
  });
  const schedule = marks.length > MAX_LR_MARKS || curves.lrTotal > curves.lr.length;
  return { marks: schedule ? [] : marks, schedule };
}

export function layoutFor(curves: Curves, theme: Theme, opts: PlotOptions, revision: number): PlotData {
  const axis = { gridcolor: theme.grid, zerolinecolor: theme.grid, linecolor: theme.grid, automargin: true };
  const colours = coloursFor(curves.series);
  const runColour = new Map<string, string>();
  curves.series.forEach((s, i) => runColour.has(s.run ?? "") || runColour.set(s.run ?? "", colours[i]));
  const y = yRange(curves, opts.logY);
  const shapes: PlotData[] = [];
  const annotations: PlotData[] = [];
  const note = (text: string, x: number, yPaper: number, colour: string, anchor: "top" | "bottom", xref = "x") =>
    annotations.push({
      text: plotlyText(text), x, xref, y: yPaper, yref: "paper", yanchor: anchor, xanchor: "left",
      showarrow: false, font: { size: 11, color: colour }, bgcolor: theme.background, opacity: 0.9,
    });

  // non-finite values: a dashed line where each series first lost its value, named
  const bad = badPoints(curves.series);
  const firstBad = new Map<number, (typeof bad)[number]>();
  for (const b of bad) if (!firstBad.has(b.series)) firstBad.set(b.series, b);
  [...firstBad.values()].slice(0, MAX_BAD_NOTES).forEach((b, k) => {
    shapes.push({ type: "line", xref: "x", yref: "paper", x0: b.step, x1: b.step, y0: 0, y1: 1, line: { color: BAD_COLOUR, width: 1, dash: "dash" } });
    note(`${seriesLabel(curves.series[b.series])}: ${b.what} at step ${b.step}`, b.step, 1 - k * 0.08, BAD_COLOUR, "top");
  });

  // learning-rate changes: a tick up from the x axis, and the new rate beside it
  // runs that change to the same rate at the same step share one mark
  const { marks, schedule } = lrMarks(curves);
  const groups = new Map<string, Curves["lr"]>();
  for (const c of marks) {
    const k = `${c.step}\u0000${c.lr}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const atStep = new Map<number, number>();
  for (const g of groups.values()) {
    const { step, lr } = g[0];
    const one = g.length === 1 && g[0].run !== undefined;
    const colour = one ? runColour.get(g[0].run!) ?? theme.font : theme.font;
    const level = atStep.get(step) ?? 0;
    atStep.set(step, level + 1);
    shapes.push({ type: "line", xref: "x", yref: "paper", x0: step, x1: step, y0: 0, y1: 0.12, line: { color: colour, width: 2, dash: "dot" } });
    note(`lr ${Number.isFinite(lr) ? tickText(lr) : "not finite"}${one ? ` (${g[0].run})` : ""}`, step, 0.01 + 0.07 * level, colour, "bottom");
  }
  if (schedule) note(`learning rate changed ${curves.lrTotal} times (a schedule)`, 0.01, 0.01, theme.font, "bottom", "paper");
  if (y.flat) {
    note(`all values within ${Number(y.flat[0].toPrecision(4))} to ${Number(y.flat[1].toPrecision(4))} (y axis widened to ${FLAT_SHARE * 100}% of their size)`,
      0.01, 0.99, theme.font, "top", "paper");
  }

  return {
    // kept constant: zoom, pan and legend clicks survive every update
    uirevision: "curves",
    datarevision: revision,
    autosize: true,
    height: 340,
    margin: { l: 64, r: 16, t: 16, b: 44 },
    paper_bgcolor: theme.background,
    plot_bgcolor: theme.background,
    font: { color: theme.font, family: theme.fontFamily, size: 12 },
    hovermode: "x unified",
    hoverlabel: { namelength: -1 },
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    xaxis: { ...axis, title: { text: plotlyText(curves.xLabel) }, type: curves.logX ? "log" : "linear" },
    yaxis: {
      ...axis,
      title: { text: plotlyText(curves.yLabel ?? "loss") },
      type: opts.logY ? "log" : "linear",
      // a switch of scale starts from the new scale's own range, not the old zoom
      uirevision: opts.logY ? "log" : "linear",
      ...(y.range ? { range: y.range, autorange: false } : { autorange: true }),
      ...(opts.logY && y.ticks.length ? { tickmode: "array", tickvals: y.ticks, ticktext: y.ticks.map(tickText) } : { tickmode: "auto" }),
    },
    shapes,
    annotations,
  };
}

export const PLOT_CONFIG: PlotData = {
  responsive: true,
  displaylogo: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d"],
};
