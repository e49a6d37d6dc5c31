// Gradient flow: per-layer mean and max |grad| as bars on a log scale at a chosen step, the
// update-to-weight ratio beside them, layers whose gradient vanished or exploded marked, and
// a layers x steps heat strip. Every view draws on the same fixed log axis (gradflow-rule.ts)
// so that networks compare by eye, and flags by the library's rule, which it prints. The
// Monitor updates the same output while training runs: the step slider follows the newest
// step unless the reader moved it back.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { GRADFLOW_RATIO_AXIS, short } from "chainlab/dist/display/gradflow-rule";
import { decadeLabel, decades, fraction, LABEL_PX, type LogAxis } from "./axis";
import { flagsAt, GRADFLOW_RULE, GRADFLOW_RULE_TEXT, parseGradflow, type Flag, type Gradflow } from "./bundle";
import { HeatStrip } from "./strip";
import { fmtCount, fmtNumber } from "../shared/format";
import { BUDGETS, MIME } from "../shared/mime";
import { ChainlabRenderer, el, mimeExtension } from "../shared/base-renderer";

/** Karpathy's rule of thumb: updates about 1e-3 of the weights per step. */
const HEALTHY_RATIO = 1e-3;
const NAME_CHARS = 28;
/** The bar and ratio tracks' widths in --cl-gradflow-cols (gradflow.css). */
const GRAD_TRACK_PX = 260;
const RATIO_TRACK_PX = 150;

/** Long dotted names keep their head and their tail, where the layer's kind is. */
export function shortName(name: string): string {
  if (name.length <= NAME_CHARS) return name;
  const tail = NAME_CHARS - 13;
  return `${name.slice(0, 12)}…${name.slice(name.length - tail)}`;
}

/** Index of the value of the ascending `xs` nearest to x (the earlier one on a tie). */
function nearest(xs: number[], x: number): number {
  let lo = 0, hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && x - xs[lo - 1] <= xs[lo] - x ? lo - 1 : lo;
}

class LayerRow {
  readonly node = el("div", "cl-gradflow-row");
  private name = el("span", "cl-gradflow-name cl-mono");
  private bar = el("div", "cl-gradflow-bar");
  private tick = el("div", "cl-gradflow-max");
  private value = el("span", "cl-gradflow-value cl-mono");
  private dot = el("div", "cl-gradflow-ratio");
  private ratioValue = el("span", "cl-gradflow-ratio-value cl-mono");
  private reason = el("span", "cl-gradflow-reason");
  private ref = el("div", "cl-gradflow-ref");
  /** The rule's relative bound at this step: 1/1000 of the largest layer's mean |grad|. */
  private relLine = el("div", "cl-gradflow-rel");
  private track = el("div", "cl-gradflow-track");

  constructor(readonly layer: string) {
    this.node.dataset.layer = layer;
    this.name.textContent = shortName(layer);
    this.name.title = layer;
    const track = this.track;
    track.append(this.bar, this.tick, this.relLine);
    const ratioTrack = el("div", "cl-gradflow-ratio-track");
    ratioTrack.append(this.ref, this.dot);
    this.node.append(this.name, track, this.value, ratioTrack, this.ratioValue, this.reason);
  }

  /** Dashed lines at the rule's absolute bounds, where they fall on the axis. */
  bounds(grad: LogAxis): void {
    for (const old of this.track.querySelectorAll(".cl-gradflow-bound")) old.remove();
    for (const [v, kind] of [[GRADFLOW_RULE.vanishingBelow, "vanishing"], [GRADFLOW_RULE.explodingAbove, "exploding"]] as const) {
      const f = (Math.log10(v) - grad.lo) / (grad.hi - grad.lo);
      if (f < 0 || f > 1) continue;
      const line = el("div", `cl-gradflow-bound cl-gradflow-bound-${kind}`);
      line.style.left = `${f * 100}%`;
      this.track.append(line);
    }
  }

  draw(s: { present: boolean; mean: number; max: number; norm: number; ratio: number; step: number }, flag: Flag, reason: string, grad: LogAxis, ratio: LogAxis, largest: number): void {
    const n = this.node;
    n.classList.toggle("cl-flag-vanishing", flag === "vanishing");
    n.classList.toggle("cl-flag-exploding", flag === "exploding");
    n.classList.toggle("cl-gradflow-missing", !s.present);
    n.dataset.flag = flag ?? "";
    if (!s.present) {
      this.bar.style.width = "0%";
      this.relLine.hidden = true;
      this.track.classList.remove("cl-gradflow-below", "cl-gradflow-above");
      this.tick.hidden = true;
      this.dot.hidden = true;
      this.value.textContent = "–";
      this.ratioValue.textContent = "";
      this.reason.textContent = "";
      n.title = `${this.layer}: no record at step ${s.step}`;
      return;
    }
    const fm = fraction(grad, s.mean);
    this.bar.style.width = `${Number.isNaN(fm) ? 0 : fm * 100}%`;
    // off the shared axis: drawn at the end it passed, with an arrow, and the number says how far
    this.track.classList.toggle("cl-gradflow-below", s.mean > 0 && Math.log10(s.mean) < grad.lo);
    this.track.classList.toggle("cl-gradflow-above", Number.isFinite(s.mean) && Math.log10(s.mean) > grad.hi);
    const fl = fraction(grad, largest / GRADFLOW_RULE.vanishingFactor);
    this.relLine.hidden = Number.isNaN(fl) || fl <= 0;
    this.relLine.style.left = `${(Number.isNaN(fl) ? 0 : fl) * 100}%`;
    const fx = Number.isFinite(s.max) ? fraction(grad, s.max) : 1;
    this.tick.hidden = Number.isNaN(fx);
    this.tick.style.left = `${(Number.isNaN(fx) ? 0 : fx) * 100}%`;
    this.tick.classList.toggle("cl-gradflow-max-bad", !Number.isFinite(s.max));
    this.value.textContent = fmtNumber(s.mean, 3);
    const fr = fraction(ratio, s.ratio);
    this.dot.hidden = Number.isNaN(fr);
    this.dot.style.left = `${(Number.isNaN(fr) ? 0 : fr) * 100}%`;
    this.ref.style.left = `${fraction(ratio, HEALTHY_RATIO) * 100}%`;
    this.ratioValue.textContent = Number.isNaN(s.ratio) ? "–" : fmtNumber(s.ratio, 2);
    this.reason.textContent = reason;
    n.title =
      `${this.layer} at step ${s.step}\nmean |grad| ${fmtNumber(s.mean)}, max |grad| ${fmtNumber(s.max)}\n` +
      `‖w‖ ${fmtNumber(s.norm)}, ‖Δw‖/‖w‖ ${Number.isNaN(s.ratio) ? "– (first record)" : fmtNumber(s.ratio)}` +
      (reason ? `\n${reason}` : "");
  }
}

export class GradflowRenderer extends ChainlabRenderer {
  private root = el("div", "cl-gradflow");
  private slider = el("input", "cl-step");
  private stepLabel = el("span", "cl-step-label cl-mono");
  private sent = el("span", "cl-gradflow-sent cl-muted");
  private axis = el("div", "cl-gradflow-axis");
  private rowsBox = el("div", "cl-gradflow-rows");
  private rule = el("div", "cl-gradflow-rule");
  private empty = el("div", "cl-gradflow-empty cl-muted", "no gradients recorded yet");
  private strip = new HeatStrip((i) => this.pick(i));
  private rows = new Map<string, LayerRow>();
  private data: Gradflow | null = null;
  private gradAxis: LogAxis = { lo: -8, hi: 3 };
  private ratioAxis: LogAxis = { ...GRADFLOW_RATIO_AXIS };
  /** True while the slider sits at the newest step; updates then move it along. */
  private follow = true;
  private chosenStep = NaN;

  constructor(options: IRenderMime.IRendererOptions) {
    super(options);
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.step = "1";
    this.slider.setAttribute("aria-label", "recorded step");
    this.slider.addEventListener("input", () => this.pick(Number(this.slider.value)));
    const top = el("div", "cl-gradflow-top");
    top.append(el("span", "cl-gradflow-title", "gradient flow"), this.slider, this.stepLabel, this.sent);
    const legend = el("div", "cl-gradflow-legend cl-muted",
      `bar: mean |grad|, tick: max |grad|, on one log scale for every gradient-flow view; dashed lines: the rule's bounds ` +
      `${short(GRADFLOW_RULE.vanishingBelow)} and ${short(GRADFLOW_RULE.explodingAbove)}, dotted: 1/${GRADFLOW_RULE.vanishingFactor} of the largest layer's mean · ` +
      `dot: ‖Δw‖/‖w‖ per step (log scale), line at ${HEALTHY_RATIO} (a healthy update size)`);
    this.root.append(top, legend, this.rule, this.axis, this.rowsBox, this.empty, this.strip.node);
  }

  protected render(data: unknown): void {
    // parse first: a bad update leaves the reader with an error box, not half a picture
    const g = parseGradflow(data);
    if (!this.node.contains(this.root)) this.node.replaceChildren(this.root);
    this.data = g;
    const axisChanged = g.axis.lo !== this.gradAxis.lo || g.axis.hi !== this.gradAxis.hi || !this.axis.firstChild;
    this.gradAxis = g.axis;
    this.syncRows(g, axisChanged);
    if (axisChanged) this.drawAxis();
    this.strip.update(g);
    const S = g.steps.length;
    this.empty.hidden = S > 0;
    this.slider.disabled = S <= 1;
    this.slider.max = String(Math.max(S - 1, 0));
    this.root.dataset.recorded = String(g.recorded);
    const notes: string[] = [];
    if (g.recorded !== S) notes.push(`showing ${fmtCount(S)} of ${fmtCount(g.recorded)} recorded steps`);
    if (g.totalLayers !== g.layers.length) notes.push(`the first ${fmtCount(g.layers.length)} of ${fmtCount(g.totalLayers)} layers`);
    this.sent.hidden = notes.length === 0;
    this.sent.textContent = notes.join(", ");
    this.sent.title = notes.length === 0 ? "" : "a long run sends its newest steps and an even sample of the older ones; one view holds at most " +
      `${fmtCount(BUDGETS.gradflowCells)} layers x steps`;
    let i = S - 1;
    if (!this.follow && S) {
      // the chosen step may have been thinned out of this update: the nearest one sent
      i = nearest(g.steps, this.chosenStep);
      if (i === S - 1) this.follow = true;
    }
    this.showStep(Math.max(i, 0));
  }

  /** The reader picked step index i (slider or strip). */
  private pick(i: number): void {
    const g = this.data;
    if (!g || !g.steps.length) return;
    const k = Math.max(0, Math.min(g.steps.length - 1, Math.round(i)));
    this.follow = k === g.steps.length - 1;
    this.chosenStep = g.steps[k];
    this.showStep(k);
  }

  private syncRows(g: Gradflow, axisChanged: boolean): void {
    const keep = new Set(g.layers);
    for (const [name, row] of this.rows) {
      if (!keep.has(name)) {
        row.node.remove();
        this.rows.delete(name);
      }
    }
    const ordered = g.layers.map((name) => {
      let row = this.rows.get(name);
      if (!row) {
        this.rows.set(name, (row = new LayerRow(name)));
        row.bounds(this.gradAxis);
      } else if (axisChanged) row.bounds(this.gradAxis);
      return row.node;
    });
    const current = [...this.rowsBox.children];
    if (current.length !== ordered.length || current.some((n, i) => n !== ordered[i])) this.rowsBox.replaceChildren(...ordered);
  }

  private drawAxis(): void {
    const ticks = (a: LogAxis, widthPx: number, extra?: number) => {
      const box = el("div", "cl-gradflow-ticks cl-mono");
      for (const e of decades(a, widthPx)) {
        const f = (e - a.lo) / (a.hi - a.lo);
        const t = el("span", "cl-gradflow-tick", decadeLabel(e));
        t.dataset.decade = String(e);
        t.style.left = `${f * 100}%`;
        // a label at an end of its track stays inside it instead of running into the next column
        if (f * widthPx < LABEL_PX / 2) t.classList.add("cl-gradflow-tick-start");
        else if ((1 - f) * widthPx < LABEL_PX / 2) t.classList.add("cl-gradflow-tick-end");
        box.append(t);
      }
      if (extra !== undefined) box.dataset.ref = String(extra);
      return box;
    };
    this.axis.replaceChildren(
      el("span", "cl-gradflow-head", "layer"), ticks(this.gradAxis, GRAD_TRACK_PX), el("span", "cl-gradflow-head", "mean"),
      ticks(this.ratioAxis, RATIO_TRACK_PX, HEALTHY_RATIO), el("span", "cl-gradflow-head", "Δw/w"), el("span", "cl-gradflow-head", "flag"),
    );
  }

  private showStep(i: number): void {
    const g = this.data!;
    const S = g.steps.length;
    this.slider.value = String(i);
    this.root.dataset.step = S ? String(g.steps[i]) : "";
    this.root.dataset.steps = String(S);
    this.strip.select(i);
    if (!S) {
      this.stepLabel.textContent = "";
      this.rule.textContent = `Rule: ${GRADFLOW_RULE_TEXT}.`;
      for (const row of this.rows.values()) row.draw({ present: false, mean: NaN, max: NaN, norm: NaN, ratio: NaN, step: NaN }, null, "", this.gradAxis, this.ratioAxis, NaN);
      return;
    }
    const step = g.steps[i];
    this.stepLabel.textContent = `step ${step} (${i + 1} of ${S})${this.follow && S > 1 ? ", newest" : ""}`;
    const f = flagsAt(g, i);
    g.layers.forEach((name, l) => {
      const c = l * S + i;
      this.rows.get(name)!.draw(
        { present: g.present[c] === 1, mean: g.grid.gradMean[c], max: g.grid.gradMax[c], norm: g.grid.weightNorm[c], ratio: g.grid.updateRatio[c], step },
        f.flags[l], f.reasons[l], this.gradAxis, this.ratioAxis, f.largestMean,
      );
    });
    const vanishing = f.flags.filter((x) => x === "vanishing").length;
    const exploding = f.flags.filter((x) => x === "exploding").length;
    const counts = vanishing || exploding ? `${vanishing} vanishing, ${exploding} exploding at this step` : "no layer flagged at this step";
    const largest = f.largest >= 0 ? ` Largest mean |grad| at this step: ${fmtNumber(f.largestMean, 2)} (${shortName(g.layers[f.largest])}).` : "";
    this.rule.textContent = `${counts}. Rule: ${GRADFLOW_RULE_TEXT}.${largest}`;
    this.rule.classList.toggle("cl-gradflow-rule-hit", vanishing + exploding > 0);
  }
}

export const gradflowExtension: IRenderMime.IExtension = mimeExtension("gradflow", MIME.gradflow, (o) => new GradflowRenderer(o));
