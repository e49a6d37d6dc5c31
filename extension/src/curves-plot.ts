// What Plotly is given for a set of curves: one faint raw trace and one smoothed trace per
// series, validation dashed in its training curve's colour, and a layout in JupyterLab's
// theme colours. Strings from the bundle are escaped: Plotly reads a little HTML in names.
import type { CurveSeries, Curves } from "./curves-data";
import { decimateMinMax } from "./decimate";
import type { PlotData } from "./plotly";
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

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

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

/** "train_loss" and "val_loss" share a colour: the name without its split prefix. */
function family(name: string): string {
  return name.replace(/^(train(ing)?|val(idation)?)[\s_\-/.:]*/i, "").toLowerCase();
}

export function coloursFor(series: readonly CurveSeries[]): string[] {
  const slots = new Map<string, number>();
  return series.map((s) => {
    const key = family(s.name);
    if (!slots.has(key)) slots.set(key, slots.size);
    return PALETTE[slots.get(key)! % PALETTE.length];
  });
}

function xy(steps: readonly number[], values: ArrayLike<number>, opts: PlotOptions, gl: boolean): { x: ArrayLike<number>; y: ArrayLike<number> } {
  if (steps.length <= WEBGL_POINTS) return { x: steps, y: values };
  return decimateMinMax(steps, values, Math.max(200, opts.width) * (gl ? WEBGL_BUCKETS_PER_PIXEL : 1));
}

export function tracesFor(curves: Curves, opts: PlotOptions): PlotData[] {
  const colours = coloursFor(curves.series);
  const smoothed = opts.smoothing > 0;
  return curves.series.flatMap((s, i) => {
    const gl = opts.webgl && s.steps.length > WEBGL_POINTS;
    const type = gl ? "scattergl" : "scatter";
    const name = plotlyText(s.name);
    const val = s.split === "val";
    const dash = val ? "dash" : "solid";
    // a validation point already averages many batches, and they come seldom: smoothing
    // across them would drag the curve behind the model
    const smooth = smoothed && !val ? emaSmooth(s.values, opts.smoothing) : s.values;
    const label = hoverText(s.name);
    const raw = xy(s.steps, s.values, opts, gl);
    const main = xy(s.steps, smooth, opts, gl);
    return [
      {
        type, mode: "lines", name, legendgroup: name, showlegend: false, hoverinfo: "skip",
        x: raw.x, y: raw.y, opacity: 0.25, visible: smoothed && !val,
        line: { color: colours[i], width: 1, dash },
      },
      {
        // validation is logged now and then: its points are marked while they are few
        type, mode: val && s.steps.length <= 200 ? "lines+markers" : "lines", name, legendgroup: name,
        x: main.x, y: main.y,
        // the raw value rides along when the points were not decimated for drawing
        ...(smoothed && !val && main.x === s.steps
          ? { customdata: s.values, hovertemplate: `${label}: %{y:.4g} (raw %{customdata:.4g})<extra></extra>` }
          : { hovertemplate: `${label}: %{y:.4g}<extra></extra>` }),
        line: { color: colours[i], width: 2, dash },
        ...(val && s.steps.length <= 200 ? { marker: { color: colours[i], size: 5, symbol: "diamond" } } : {}),
      },
    ];
  });
}

export function layoutFor(curves: Curves, theme: Theme, opts: PlotOptions, revision: number): PlotData {
  const axis = { gridcolor: theme.grid, zerolinecolor: theme.grid, linecolor: theme.grid, automargin: true };
  return {
    // kept constant: zoom, pan and legend clicks survive every update
    uirevision: "curves",
    datarevision: revision,
    autosize: true,
    height: 320,
    margin: { l: 56, r: 16, t: 16, b: 44 },
    paper_bgcolor: theme.background,
    plot_bgcolor: theme.background,
    font: { color: theme.font, family: theme.fontFamily, size: 12 },
    hovermode: "x unified",
    hoverlabel: { namelength: -1 },
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    xaxis: { ...axis, title: { text: plotlyText(curves.xLabel) } },
    yaxis: { ...axis, type: opts.logY ? "log" : "linear", exponentformat: "power" },
  };
}

export const PLOT_CONFIG: PlotData = {
  responsive: true,
  displaylogo: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d"],
};
