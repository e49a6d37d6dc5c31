// The layers x steps heat strip of log10 mean |grad|: one canvas pixel per cell, scaled up
// by CSS, so a gradient that dies over training shows as a row going dark. Its colours span
// the same fixed axis as the bars, so strips of different networks compare. Layers are named
// down the left, recorded steps along the bottom. Clicking a column picks that step.
import { css, scaleFor, type Rgb, type Scale } from "../shared/colour";
import { fmtNumber } from "../shared/format";
import type { LogAxis } from "./axis";
import type { Gradflow } from "./bundle";
import { el } from "../shared/base-renderer";
import { context2d } from "../shared/canvas";

/** Wider runs are binned so the canvas stays within browsers' size limits. */
const MAX_COLUMNS = 4096;
const CELL_PX = 12;
/** Room one step label needs along the bottom, and one layer name down the side. */
const STEP_LABEL_PX = 56;
const LAYER_LABEL_PX = 12;
const LAYER_CHARS = 18;

// Special values in colours viridis does not use (its ends are purple and yellow), so none
// reads as a very small or very large gradient.
/** mean |grad| exactly 0: no gradient reached the layer. */
export const ZERO_RGB: Rgb = [0, 0, 0];
export const NAN_RGB: Rgb = [255, 105, 180];
export const INF_RGB: Rgb = [220, 20, 20];

export class HeatStrip {
  readonly node = el("div", "cl-strip-box");
  readonly canvas = el("canvas", "cl-strip");
  private cursor = el("div", "cl-strip-cursor");
  private hover = el("div", "cl-strip-hover cl-mono");
  private legend = el("div", "cl-strip-legend cl-muted");
  private names = el("div", "cl-strip-layers cl-mono");
  private stepTicks = el("div", "cl-strip-steps cl-mono");
  private data: Gradflow | null = null;
  private scale: Scale = scaleFor(0, 1);
  private columns = 0;

  constructor(private readonly onPick: (stepIndex: number) => void) {
    const frame = el("div", "cl-strip-frame");
    frame.append(this.canvas, this.cursor);
    this.hover.textContent = "\u00a0";
    const plot = el("div", "cl-strip-plot");
    plot.append(
      el("div", "cl-strip-ytitle cl-muted", "layer"), this.names, frame,
      el("div"), el("div"), this.stepTicks,
      el("div"), el("div"), el("div", "cl-strip-xtitle cl-muted", "recorded step →"),
    );
    this.node.append(el("div", "cl-gradflow-caption", "mean |grad| of each layer (rows, first layer at the top) at each recorded step (columns); click a column to pick its step"), plot, this.legend, this.hover);
    this.canvas.addEventListener("click", (e) => {
      const c = this.cellAt(e.clientX, e.clientY);
      if (c) this.onPick(c.step);
    });
    this.canvas.addEventListener("mousemove", (e) => this.showHover(e.clientX, e.clientY));
    this.canvas.addEventListener("mouseleave", () => (this.hover.textContent = "\u00a0"));
  }

  update(g: Gradflow): void {
    this.data = g;
    const L = g.layers.length, S = g.steps.length;
    this.columns = Math.min(S, MAX_COLUMNS);
    const c = this.canvas;
    c.width = this.columns;
    c.height = L;
    c.dataset.layers = String(L);
    c.dataset.steps = String(S);
    const widthPx = Math.max(60, Math.min(600, S * CELL_PX));
    const heightPx = Math.min(600, L * CELL_PX);
    c.style.width = `${widthPx}px`;
    c.style.height = `${heightPx}px`;
    this.scale = fixedScale(g.axis);
    this.drawLegend(g.axis);
    this.drawLayerNames(g, heightPx);
    this.drawStepTicks(g, widthPx);
    this.paint();
  }

  /** Move the cursor to the chosen step. */
  select(stepIndex: number): void {
    const S = this.data?.steps.length ?? 0;
    this.cursor.hidden = S === 0;
    if (!S) return;
    this.cursor.style.left = `${(stepIndex / S) * 100}%`;
    this.cursor.style.width = `${Math.max(100 / S, 0.3)}%`;
    this.cursor.dataset.step = String(this.data!.steps[stepIndex]);
  }

  /** The colour of one mean |grad|: on the fixed scale, or a special value's own. */
  rgb(v: number): Rgb {
    if (v !== v) return NAN_RGB;
    if (v === Infinity) return INF_RGB;
    if (v <= 0) return ZERO_RGB;
    return this.scale.rgb(Math.log10(v));
  }

  private paint(): void {
    const g = this.data;
    if (!g || this.columns === 0 || g.layers.length === 0) return;
    const ctx = context2d(this.canvas);
    if (!ctx) return;
    const L = g.layers.length, S = g.steps.length, W = this.columns;
    const img = ctx.createImageData(W, L);
    for (let l = 0; l < L; l++) {
      for (let x = 0; x < W; x++) {
        // the last step of a bin, so the newest state of each stretch shows
        const s = Math.min(S - 1, Math.floor(((x + 1) * S) / W) - 1);
        const i = l * S + s;
        if (!g.present[i]) continue;
        const rgb = this.rgb(g.grid.gradMean[i]);
        const o = (l * W + x) * 4;
        img.data[o] = rgb[0];
        img.data[o + 1] = rgb[1];
        img.data[o + 2] = rgb[2];
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  /** Layer names down the left, as many as fit without overlapping (always the first and last). */
  private drawLayerNames(g: Gradflow, heightPx: number): void {
    const L = g.layers.length;
    this.names.style.height = `${heightPx}px`;
    const every = Math.max(1, Math.ceil((LAYER_LABEL_PX * L) / Math.max(heightPx, 1)));
    const picks: number[] = [];
    for (let l = 0; l < L; l += every) picks.push(l);
    // the last layer is always named; the pick before it gives way when they would touch
    if (L && picks[picks.length - 1] !== L - 1) {
      if (picks.length > 1 && L - 1 - picks[picks.length - 1] < every) picks.pop();
      picks.push(L - 1);
    }
    const labels: HTMLElement[] = [];
    for (const l of picks) {
      const name = g.layers[l];
      const t = el("span", "cl-strip-layer", name.length > LAYER_CHARS ? `…${name.slice(name.length - LAYER_CHARS + 1)}` : name);
      t.title = name;
      t.dataset.layer = String(l);
      t.style.top = `${((l + 0.5) / L) * 100}%`;
      labels.push(t);
    }
    // the column is as wide as its longest name (10 px monospace), so no name runs into the title
    const chars = Math.max(1, ...labels.map((t) => t.textContent!.length));
    this.names.style.width = `${Math.ceil(chars * 6.1) + 2}px`;
    this.names.replaceChildren(...labels);
  }

  /** Step numbers along the bottom at evenly spaced columns, as many as fit. */
  private drawStepTicks(g: Gradflow, widthPx: number): void {
    const S = g.steps.length;
    this.stepTicks.style.width = `${widthPx}px`;
    const n = Math.max(1, Math.min(S, Math.floor(widthPx / STEP_LABEL_PX) + 1));
    const picks = n === 1 ? [S - 1] : Array.from({ length: n }, (_, k) => Math.round((k * (S - 1)) / (n - 1)));
    const ticks = [...new Set(picks)].filter((i) => i >= 0).map((i) => {
      const t = el("span", "cl-strip-step", String(g.steps[i]));
      t.dataset.step = String(g.steps[i]);
      const f = (i + 0.5) / S;
      t.style.left = `${f * 100}%`;
      if (f * widthPx < STEP_LABEL_PX / 2) t.classList.add("cl-strip-step-start");
      else if ((1 - f) * widthPx < STEP_LABEL_PX / 2) t.classList.add("cl-strip-step-end");
      return t;
    });
    this.stepTicks.replaceChildren(...ticks);
  }

  private drawLegend(axis: LogAxis): void {
    const s = this.scale;
    const stops: string[] = [];
    for (let i = 0; i <= 10; i++) stops.push(css(s.rgb(s.lo + ((s.hi - s.lo) * i) / 10)));
    const ramp = el("span", "cl-colourbar-ramp");
    ramp.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
    const swatch = (rgb: Rgb | null, text: string, title: string) => {
      const sw = el("span", rgb ? "cl-strip-swatch" : "cl-strip-swatch cl-strip-swatch-missing");
      if (rgb) sw.style.background = css(rgb);
      const box = el("span", "cl-strip-key");
      box.title = title;
      box.append(sw, document.createTextNode(text));
      return box;
    };
    const end = (e: number, sign: string) => el("span", "cl-mono cl-strip-end", `${sign}${fmtNumber(10 ** e, 2)}`);
    this.legend.replaceChildren(
      el("span", "cl-strip-scale-name", "mean |grad|"), end(axis.lo, "≤"), ramp, end(axis.hi, "≥"),
      swatch(ZERO_RGB, "0", "mean |grad| exactly 0: no gradient reached the layer"),
      swatch(NAN_RGB, "NaN", "not a number: the gradient broke"),
      swatch(INF_RGB, "Inf", "infinite: the gradient overflowed"),
      swatch(null, "not recorded", "the layer had no gradient statistics at that step"),
    );
  }

  private cellAt(clientX: number, clientY: number): { layer: number; step: number } | null {
    const g = this.data;
    const rect = this.canvas.getBoundingClientRect();
    if (!g || rect.width <= 0 || rect.height <= 0 || !g.steps.length) return null;
    const fx = (clientX - rect.left) / rect.width, fy = (clientY - rect.top) / rect.height;
    if (fx < 0 || fx >= 1 || fy < 0 || fy >= 1) return null;
    return { layer: Math.floor(fy * g.layers.length), step: Math.floor(fx * g.steps.length) };
  }

  private showHover(clientX: number, clientY: number): void {
    const c = this.cellAt(clientX, clientY);
    const g = this.data;
    if (!c || !g) return;
    const i = c.layer * g.steps.length + c.step;
    const v = g.present[i] ? fmtNumber(g.grid.gradMean[i]) : "not recorded";
    this.hover.textContent = `${g.layers[c.layer]} · step ${g.steps[c.step]} · mean |grad| ${v}`;
  }
}

/** Viridis over the axis' decades; values past an end take that end's colour. */
function fixedScale(axis: LogAxis): Scale {
  const base = scaleFor(0, axis.hi - axis.lo || 1);
  return { kind: "sequential", lo: axis.lo, hi: axis.hi, rgb: (v) => base.rgb(Math.max(0, Math.min(axis.hi - axis.lo, v - axis.lo))) };
}
