// The computation graph renderer: a layered drawing of the graph (inputs at the top, the
// output at the bottom), a node's tensor beside it when clicked, and the backward pass
// walked one vector-Jacobian product at a time, showing the chain rule as it runs. Before
// the first step no gradient is shown but the output's dL/dL; each step fills in what it
// computes. An update redraws the graph and keeps the step and the opened node where the
// new graph still has them.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { fmtCount, fmtShape } from "../shared/format";
import { readGraph, type GraphData, type GraphNodeData } from "./bundle";
import { fitZoom, scrollFor, union, type Box } from "./fit";
import { layoutGraph, NODE_H, NODE_W, type Layout } from "./layout";
import { addSummary, fmtRunning, fmtSummary, nodeLabel, Stepper, type Running } from "./steps";
import { drawGraph, kindWord, setLineActive, setLineLabels, setNodeGrad, type Drawing } from "./svg";
import { MIME } from "../shared/mime";
import { ChainlabRenderer, el, mimeExtension } from "../shared/base-renderer";
import { tensorView } from "../tensor/renderer";

/** Milliseconds between steps while playing. */
const PLAY_MS = 900;
const ZOOMS = [0.25, 0.35, 0.5, 0.7, 0.85, 1, 1.25, 1.5, 2];
/** The canvas's max-height in graph.css, for when the style cannot be read. */
const CANVAS_MAX_H = 1200;
/** The detail column's width plus the gap before it, in graph.css. */
const DETAIL_W = 310;

function button(className: string, text: string, title: string): HTMLButtonElement {
  const b = el("button", `cl-button ${className}`, text);
  b.type = "button";
  b.title = title;
  return b;
}

export class GraphRenderer extends ChainlabRenderer {
  private readonly root = el("div", "cl-graph");
  private readonly reset = button("cl-step-reset", "Reset", "back to before the backward pass");
  private readonly back = button("cl-step-back", "◀ Back", "undo one step");
  private readonly next = button("cl-step-next", "Next ▶", "run the next vector-Jacobian product");
  private readonly play = button("cl-step-play", "▶ Play", "run the steps one after another");
  private readonly count = el("span", "cl-step-count cl-mono");
  private readonly zoomOut = button("cl-zoom-out", "−", "zoom out");
  private readonly zoomFit = button("cl-zoom-fit", "fit", "show the whole graph");
  private readonly hint = el("span", "cl-graph-hint cl-muted", "click a node to see its tensor");
  private readonly zoomIn = button("cl-zoom-in", "+", "zoom in");
  private readonly notes = el("div", "cl-graph-notes");
  private readonly canvas = el("div", "cl-graph-canvas");
  private readonly detail = el("div", "cl-graph-detail");
  private readonly main = el("div", "cl-graph-main");
  private readonly text = el("div", "cl-step-text");
  private data?: GraphData;
  private placed?: Layout;
  private drawing?: Drawing;
  private stepper?: Stepper;
  private step = -1;
  /** Whether the open node's panel shows its gradient (it does once the walk reached it). */
  private detailGrad = false;
  private selected: number | null = null;
  private zoom = 1;
  /** True until the reader zooms: the graph is then fitted again when the output resizes. */
  private autoFit = true;
  private resizes: ResizeObserver | null = null;
  private seenWidth = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private drag: { x: number; y: number; left: number; top: number } | null = null;

  constructor(options: IRenderMime.IRendererOptions) {
    super(options);
    const steps = el("div", "cl-graph-steps");
    steps.append(this.reset, this.back, this.next, this.play, this.count);
    const zoom = el("div", "cl-graph-zoom");
    zoom.append(this.zoomOut, this.zoomFit, this.zoomIn);
    const legend = el("div", "cl-graph-legend");
    for (const [kind, word] of [["leaf", "leaf"], ["param", "parameter"], ["constant", "constant"], ["op", "op"], ["output", "output"]]) {
      const item = el("span", `cl-legend-item cl-kind-${kind}`, word);
      legend.append(item);
    }
    const toolbar = el("div", "cl-graph-toolbar");
    toolbar.append(steps, zoom, legend, this.hint);
    this.detail.hidden = true;
    this.main.append(this.canvas, this.detail);
    this.root.append(toolbar, this.notes, this.main, this.text);

    this.reset.addEventListener("click", () => this.goTo(-1));
    this.back.addEventListener("click", () => this.goTo(this.step - 1));
    this.next.addEventListener("click", () => this.goTo(this.step + 1));
    this.play.addEventListener("click", () => this.togglePlay());
    this.zoomOut.addEventListener("click", () => this.setZoom(this.zoomStep(-1)));
    this.zoomIn.addEventListener("click", () => this.setZoom(this.zoomStep(1)));
    // the button shows all of a large graph, however small that makes it
    this.zoomFit.addEventListener("click", () => this.fitGraph(0.1));
    this.canvas.addEventListener("click", (ev) => this.onClick(ev));
    this.canvas.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") this.onClick(ev);
    });
    this.canvas.addEventListener("wheel", (ev) => {
      // plain wheel scrolls the notebook; with ctrl (or a pinch) it zooms the graph
      if (!ev.ctrlKey) return;
      ev.preventDefault();
      this.setZoom(this.zoomStep(ev.deltaY < 0 ? 1 : -1));
    }, { passive: false });
    this.canvas.addEventListener("pointerdown", (ev) => {
      if ((ev.target as Element).closest?.(".cl-node")) return;
      this.drag = { x: ev.clientX, y: ev.clientY, left: this.canvas.scrollLeft, top: this.canvas.scrollTop };
    });
    this.canvas.addEventListener("pointermove", (ev) => {
      if (!this.drag) return;
      this.canvas.scrollLeft = this.drag.left - (ev.clientX - this.drag.x);
      this.canvas.scrollTop = this.drag.top - (ev.clientY - this.drag.y);
    });
    const endDrag = () => { this.drag = null; };
    this.canvas.addEventListener("pointerup", endDrag);
    this.canvas.addEventListener("pointerleave", endDrag);
  }

  protected render(data: unknown): void {
    const start = performance.now();
    try {
      this.draw(data);
    } finally {
      // how long one output's drawing held the main thread, for tests and profiling
      performance.measure?.("chainlab-graph-render", { start, end: performance.now() });
    }
  }

  private draw(data: unknown): void {
    const g = readGraph(data);
    const prev = this.data;
    // the width is read before the new drawing goes in, so that reading it costs no layout
    // of a large SVG (each forced layout of one costs as much as the first paint)
    const room = this.room(false);
    this.stopPlay();
    const sameSteps = !!prev && prev.order.length === g.order.length && prev.order.every((v, i) => v === g.order[i]);
    this.data = g;
    this.stepper = new Stepper(g);
    this.placed = layoutGraph(g);
    this.drawing = drawGraph(g, this.placed);
    if (!sameSteps) this.step = -1;
    if (this.selected !== null && !g.nodes.some((n) => n.id === this.selected)) this.selected = null;

    this.root.dataset.nodes = String(g.nodes.length);
    this.root.dataset.edges = String(g.edges.length);
    this.root.dataset.steps = String(g.order.length);
    this.root.dataset.stepsAvailable = String(g.stepsAvailable);
    this.notes.replaceChildren();
    if (g.truncated) {
      this.notes.append(el("div", "cl-truncated", g.omitted
        ? `Showing ${fmtCount(g.nodes.length)} of ${fmtCount(g.nodes.length + g.omitted)} nodes: the ones farthest from the output are not drawn.`
        : "This graph was cut: the nodes farthest from the output are not drawn."));
    }
    const lines = this.placed.lines.length;
    if (this.placed.omittedLines || g.omittedEdges) {
      const parts: string[] = [];
      if (this.placed.omittedLines) {
        parts.push(`Showing ${fmtCount(lines)} of ${fmtCount(lines + this.placed.omittedLines)} connections (each drawn once however many times an op reads its input).`);
      }
      if (g.omittedEdges) {
        parts.push(`${fmtCount(g.omittedEdges)} edges past the budget are left out of the drawing and the walk; the nodes' gradients still count them.`);
      }
      this.notes.append(el("div", "cl-truncated cl-graph-edges-cut", parts.join(" ")));
    }
    this.root.dataset.lines = String(lines);
    this.root.dataset.layout = this.placed.engine;
    if (!g.stepsAvailable && g.order.length) {
      this.notes.append(el("div", "cl-graph-note cl-muted",
        "backward() had already freed this graph, so what flows along each edge was not recorded: the walk shows each node's .grad as it reaches it. " +
          "Call computationGraph(y) before y.backward() to walk the chain rule step by step."));
    }
    this.canvas.replaceChildren(this.drawing.svg);
    if (!this.node.contains(this.root)) this.node.replaceChildren(this.root);
    if (this.autoFit) this.fitGraph(undefined, room);
    this.applyZoom();
    this.showDetail(false);
    this.apply();
    if (!prev && room.width > 0) this.showStart(room);
  }

  private zoomStep(dir: 1 | -1): number {
    const i = ZOOMS.findIndex((z) => z >= this.zoom - 1e-9);
    const at = i < 0 ? ZOOMS.length - 1 : i;
    return ZOOMS[Math.max(0, Math.min(ZOOMS.length - 1, at + dir))];
  }

  private setZoom(z: number): void {
    this.autoFit = false;
    this.zoom = z;
    this.applyZoom();
  }

  /**
   * The room the drawing has: the output's width, less the detail column when it is beside.
   * The height counts only for the fit button: on its own the graph is as tall as its
   * layout, and the canvas scrolls past its max-height.
   */
  private room(whole: boolean): { width: number; height: number } {
    let width = this.main.clientWidth;
    if (!this.detail.hidden && getComputedStyle(this.main).flexDirection !== "column") width -= DETAIL_W;
    const maxH = parseFloat(getComputedStyle(this.canvas).maxHeight);
    // the canvas's border and a scrollbar's worth of slack
    return { width: width - 4, height: whole ? (Number.isFinite(maxH) ? maxH : CANVAS_MAX_H) - 4 : 0 };
  }

  /**
   * Zoom so that the graph fits the width (and, for the fit button, the height), but not
   * below `min`, where its text stays readable and the canvas scrolls; false before layout.
   */
  private fitGraph(min?: number, measured?: { width: number; height: number }): boolean {
    const room = measured ?? this.room(min !== undefined);
    if (!this.placed || room.width <= 0) return false;
    this.zoom = fitZoom(room, this.placed, min);
    this.applyZoom();
    return true;
  }

  /**
   * Before the pass, a graph too large to see whole opens at its output, where Next starts.
   * Sizes come from the layout and the room measured, not from the page, to force no layout.
   */
  private showStart(room: { width: number; height: number } = this.room(false)): void {
    if (this.step >= 0 || !this.placed) return;
    const maxH = CANVAS_MAX_H - 4;
    if (this.placed.width * this.zoom <= room.width && this.placed.height * this.zoom <= maxH) return;
    const at = this.placed.nodes.get(this.data?.order[0] ?? 0);
    if (!at) return;
    const view = { left: 0, top: 0, width: Math.max(1, room.width), height: Math.min(maxH, this.placed.height * this.zoom) };
    const to = scrollFor({ x: at.x, y: at.y, width: NODE_W, height: NODE_H }, this.zoom, view);
    this.canvas.scrollLeft = to.left;
    this.canvas.scrollTop = to.top;
  }

  private applyZoom(): void {
    if (!this.drawing || !this.placed) return;
    const { svg } = this.drawing;
    svg.setAttribute("width", (this.placed.width * this.zoom).toFixed(0));
    svg.setAttribute("height", (this.placed.height * this.zoom).toFixed(0));
    this.root.dataset.zoom = String(this.zoom);
  }

  /**
   * Scroll so that the nodes are in view, or the first of them when they do not fit
   * together (the canvas scrolls; the drawing itself never moves).
   */
  private reveal(ids: number[]): void {
    const c = this.canvas;
    const view = { left: c.scrollLeft, top: c.scrollTop, width: c.clientWidth, height: c.clientHeight };
    if (!this.placed || !view.width || !view.height) return;
    const boxes: Box[] = [];
    for (const id of ids) {
      const at = this.placed.nodes.get(id);
      if (at) boxes.push({ x: at.x, y: at.y, width: NODE_W, height: NODE_H });
    }
    let box = union(boxes);
    if (!box) return;
    if (box.width * this.zoom > view.width || box.height * this.zoom > view.height) box = boxes[0];
    const to = scrollFor(box, this.zoom, view);
    if (to.left === view.left && to.top === view.top) return;
    if (typeof c.scrollTo === "function") c.scrollTo({ left: to.left, top: to.top, behavior: this.timer !== null ? "smooth" : "auto" });
    else {
      c.scrollLeft = to.left;
      c.scrollTop = to.top;
    }
  }

  private onClick(ev: Event): void {
    const target = (ev.target as Element).closest?.(".cl-node");
    if (!target) return;
    const id = Number(target.getAttribute("data-id"));
    this.selected = this.selected === id ? null : id;
    this.showDetail();
    this.apply();
    if (this.selected !== null) this.reveal([this.selected]);
  }

  private showDetail(refit = true): void {
    const n = this.data?.nodes.find((m) => m.id === this.selected);
    const wasOpen = !this.detail.hidden;
    this.detail.hidden = !n;
    this.hint.hidden = !!n;
    this.root.classList.toggle("cl-graph-open", !!n);
    // the column beside takes room from the drawing: fit it to what is left (or back)
    if (refit && wasOpen !== !!n && this.autoFit) this.fitGraph();
    if (!n) {
      delete this.detail.dataset.id;
      this.detail.replaceChildren();
      return;
    }
    this.detail.dataset.id = String(n.id);
    const close = button("cl-graph-detail-close", "×", "close");
    close.addEventListener("click", () => {
      this.selected = null;
      this.showDetail();
      this.apply();
    });
    const title = el("div", "cl-graph-detail-title", nodeLabel(n));
    title.prepend(close);
    const facts = el("div", "cl-graph-detail-facts cl-mono");
    const kind = n.kind === "op" || n.kind === "output" ? `${n.kind === "output" ? "output of " : ""}op ${n.op}` : kindWord(n);
    // the gradient only once the walk has reached the node, as in its box
    const reached = !!this.stepper && this.stepper.reached(n.id, this.stepper.state(this.step));
    this.detailGrad = reached;
    facts.append(
      el("div", undefined, `node ${n.id} · ${kind} · shape ${fmtShape(n.shape)}`),
      el("div", undefined, `value ${fmtSummary(n.value)}`),
      el("div", undefined, n.kind === "constant" ? "grad — (a constant)" : reached ? `grad ${fmtSummary(n.grad)}` : "grad not yet: press Next until the walk reaches it"),
    );
    this.detail.replaceChildren(title, facts);
    if (n.tensor !== undefined) {
      const t = n.tensor;
      const shown = !reached && t && typeof t === "object" && "grad" in t ? { ...(t as Record<string, unknown>), grad: undefined } : t;
      this.detail.append(tensorView(shown, `nodes[${n.index}].tensor`));
    }
    else this.detail.append(el("div", "cl-muted", "This node's values were not sent (the graph's size cap)."));
  }

  private goTo(step: number): void {
    if (!this.stepper) return;
    this.step = Math.max(-1, Math.min(step, this.stepper.count - 1));
    this.apply();
    if (this.step >= this.stepper.count - 1) this.stopPlay();
  }

  private togglePlay(): void {
    if (this.timer !== null) return this.stopPlay();
    if (!this.stepper || !this.stepper.count) return;
    if (this.step >= this.stepper.count - 1) this.goTo(-1);
    this.timer = setInterval(() => this.goTo(this.step + 1), PLAY_MS);
    this.play.textContent = "❚❚ Pause";
    this.play.setAttribute("aria-pressed", "true");
    this.goTo(this.step + 1);
  }

  private stopPlay(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.play.textContent = "▶ Play";
    this.play.setAttribute("aria-pressed", "false");
  }

  /** Draw the current step: classes on nodes and edges, edge labels, running sums, text. */
  private apply(): void {
    const { drawing, stepper, data } = this;
    if (!drawing || !stepper || !data) return;
    const s = stepper.state(this.step);
    const started = s.index >= 0;
    for (const n of data.nodes) {
      const v = drawing.nodes.get(n.id)!;
      v.g.classList.toggle("cl-active", s.active === n.id);
      v.g.classList.toggle("cl-done", s.done.has(n.id));
      v.g.classList.toggle("cl-selected", this.selected === n.id);
      setNodeGrad(v, stepper.gradText(n, s));
    }
    const labels: [number, string][] = [];
    const placed = this.placed!;
    placed.lines.forEach((line, i) => {
      let on = false, done = false;
      let sum: Running | undefined;
      for (const e of line.edges) {
        if (s.activeEdges.has(e)) {
          on = true;
          const grad = data.edges[e].grad;
          if (grad) sum = addSummary(sum, grad);
        } else if (s.doneEdges.has(e)) done = true;
      }
      const v = drawing.lines[i];
      setLineActive(drawing, v, on);
      v.g.classList.toggle("cl-edge-done", done && !on);
      if (sum) labels.push([i, fmtRunning(sum)]);
    });
    setLineLabels(drawing, placed.width, labels);
    if (this.selected !== null && stepper.reached(this.selected, s) !== this.detailGrad) this.showDetail();
    this.text.replaceChildren(...s.lines.map((l, i) => el("div", i === 0 && started ? "cl-step-head" : "cl-step-line", l)));
    this.count.textContent = `${s.index + 1} / ${stepper.count}`;
    this.root.dataset.step = String(s.index);
    this.reset.disabled = this.back.disabled = s.index < 0;
    this.next.disabled = s.index >= stepper.count - 1;
    this.play.disabled = stepper.count === 0;
    if (s.active !== null) {
      // the node whose backward runs and the inputs its gradient goes to
      const to = new Set<number>();
      for (const i of s.activeEdges) to.add(data.edges[i].from);
      this.reveal([s.active, ...to]);
    }
  }

  protected override onAfterAttach(): void {
    // the width is known only once the output is in the page
    if (this.data && this.autoFit) this.fitGraph();
    this.showStart();
    if (typeof ResizeObserver !== "undefined" && !this.resizes) {
      this.resizes = new ResizeObserver(() => this.onWidth());
      this.resizes.observe(this.main);
    }
  }

  protected override onBeforeDetach(): void {
    this.resizes?.disconnect();
    this.resizes = null;
  }

  /** A new width (the panel was resized, or laid out late): fit again unless the reader zoomed. */
  private onWidth(): void {
    const w = this.main.clientWidth;
    if (w === this.seenWidth) return;
    const first = this.seenWidth === 0;
    this.seenWidth = w;
    if (!this.autoFit || !this.data) return;
    this.fitGraph();
    if (first) this.showStart();
  }

  override dispose(): void {
    this.stopPlay();
    this.resizes?.disconnect();
    this.resizes = null;
    super.dispose();
  }
}

export const graphExtension: IRenderMime.IExtension = mimeExtension("graph", MIME.graph, (o) => new GraphRenderer(o));
