// The layers x steps heat strip of log10 mean |grad|: one canvas pixel per cell, scaled up
// by CSS, so a gradient that dies over training shows as a row going dark. Clicking a column
// picks that step; hovering names the cell.
import { css, NAN_RGB, NEG_INF_RGB, POS_INF_RGB, scaleFor, type Scale } from "./colour";
import { fmtNumber } from "./format";
import type { Gradflow } from "./gradflow-data";
import { el } from "./renderer";
import { context2d } from "./canvas";

/** Wider runs are binned so the canvas stays within browsers' size limits. */
const MAX_COLUMNS = 4096;
const CELL_PX = 12;

export class HeatStrip {
  readonly node = el("div", "cl-strip-box");
  readonly canvas = el("canvas", "cl-strip");
  private cursor = el("div", "cl-strip-cursor");
  private hover = el("div", "cl-strip-hover cl-mono");
  private legend = el("div", "cl-strip-legend cl-muted");
  private data: Gradflow | null = null;
  private scale: Scale = scaleFor(0, 1);
  private columns = 0;

  constructor(private readonly onPick: (stepIndex: number) => void) {
    const frame = el("div", "cl-strip-frame");
    frame.append(this.canvas, this.cursor);
    this.hover.textContent = "\u00a0";
    this.node.append(el("div", "cl-gradflow-caption", "log10 mean |grad|, layers (rows) x recorded steps (columns); click a column to pick its step"), frame, this.legend, this.hover);
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
    c.style.width = `${Math.max(60, Math.min(720, S * CELL_PX))}px`;
    c.style.height = `${Math.min(600, L * CELL_PX)}px`;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < g.grid.gradMean.length; i++) {
      const v = g.grid.gradMean[i];
      if (v > 0 && Number.isFinite(v)) {
        const x = Math.log10(v);
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
    // exponents are mostly negative, but |grad| has one sign: a sequential scale, shifted
    this.scale = Number.isFinite(lo) ? shiftedScale(lo, hi) : scaleFor(0, 1);
    this.drawLegend();
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
        const v = g.grid.gradMean[i];
        const rgb = v !== v ? NAN_RGB : v === Infinity ? POS_INF_RGB : v <= 0 ? NEG_INF_RGB : this.scale.rgb(Math.log10(v));
        const o = (l * W + x) * 4;
        img.data[o] = rgb[0];
        img.data[o + 1] = rgb[1];
        img.data[o + 2] = rgb[2];
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  private drawLegend(): void {
    const s = this.scale;
    const stops: string[] = [];
    for (let i = 0; i <= 10; i++) stops.push(css(s.rgb(s.lo + ((s.hi - s.lo) * i) / 10)));
    const ramp = el("span", "cl-colourbar-ramp");
    ramp.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
    const swatch = (rgb: readonly [number, number, number], text: string) => {
      const sw = el("span", "cl-strip-swatch");
      sw.style.background = css(rgb);
      const box = el("span", "cl-strip-key");
      box.append(sw, document.createTextNode(text));
      return box;
    };
    this.legend.replaceChildren(
      el("span", "cl-mono", fmtNumber(10 ** s.lo, 2)), ramp, el("span", "cl-mono", fmtNumber(10 ** s.hi, 2)),
      swatch(NEG_INF_RGB, "0"), swatch(NAN_RGB, "nan"), swatch(POS_INF_RGB, "inf"),
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

function shiftedScale(lo: number, hi: number): Scale {
  const base = scaleFor(0, hi - lo || 1);
  return { kind: "sequential", lo, hi, rgb: (v) => base.rgb(v - lo) };
}
