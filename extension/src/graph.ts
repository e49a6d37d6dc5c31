// The computation graph renderer: a layered drawing of the graph (inputs on the left), a
// node's tensor beside it when clicked, and the backward pass walked one vector-Jacobian
// product at a time, showing the chain rule as it runs. An update redraws the graph and
// keeps the step and the opened node where the new graph still has them.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { fmtCount, fmtShape } from "./format";
import { readGraph, type GraphData, type GraphNodeData } from "./graph-bundle";
import { layoutGraph, NODE_H, NODE_W, type Layout } from "./graph-layout";
import { fmtRunning, fmtSummary, nodeLabel, Stepper, type Running } from "./graph-steps";
import { drawGraph, kindWord, setEdgeActive, setEdgeLabels, setNodeGrad, type Drawing } from "./graph-svg";
import { MIME } from "./mime";
import { ChainlabRenderer, el, mimeExtension } from "./renderer";
import { tensorView } from "./tensor";

/** Milliseconds between steps while playing. */
const PLAY_MS = 900;
const ZOOMS = [0.25, 0.35, 0.5, 0.7, 0.85, 1, 1.25, 1.5, 2];
/** Graphs with more nodes than this open zoomed out. */
const LARGE = 40;

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
  private readonly zoomFit = button("cl-zoom-fit", "fit", "fit the graph to the width");
  private readonly zoomIn = button("cl-zoom-in", "+", "zoom in");
  private readonly notes = el("div", "cl-graph-notes");
  private readonly canvas = el("div", "cl-graph-canvas");
  private readonly detail = el("div", "cl-graph-detail");
  private readonly text = el("div", "cl-step-text");
  private data?: GraphData;
  private placed?: Layout;
  private drawing?: Drawing;
  private stepper?: Stepper;
  private step = -1;
  private selected: number | null = null;
  private zoom = 1;
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
    toolbar.append(steps, zoom, legend);
    const main = el("div", "cl-graph-main");
    main.append(this.canvas, this.detail);
    this.root.append(toolbar, this.notes, main, this.text);

    this.reset.addEventListener("click", () => this.goTo(-1));
    this.back.addEventListener("click", () => this.goTo(this.step - 1));
    this.next.addEventListener("click", () => this.goTo(this.step + 1));
    this.play.addEventListener("click", () => this.togglePlay());
    this.zoomOut.addEventListener("click", () => this.setZoom(this.zoomStep(-1)));
    this.zoomIn.addEventListener("click", () => this.setZoom(this.zoomStep(1)));
    this.zoomFit.addEventListener("click", () => this.fitWidth());
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
    const g = readGraph(data);
    const prev = this.data;
    this.stopPlay();
    const sameSteps = !!prev && prev.order.length === g.order.length && prev.order.every((v, i) => v === g.order[i]);
    this.data = g;
    this.stepper = new Stepper(g);
    this.placed = layoutGraph(g);
    this.drawing = drawGraph(g, this.placed);
    if (!prev) this.zoom = g.nodes.length > LARGE ? 0.7 : 1;
    if (!sameSteps) this.step = -1;
    if (this.selected !== null && !g.nodes.some((n) => n.id === this.selected)) this.selected = null;

    this.root.dataset.nodes = String(g.nodes.length);
    this.root.dataset.edges = String(g.edges.length);
    this.root.dataset.steps = String(g.order.length);
    this.root.dataset.stepsAvailable = String(g.stepsAvailable);
    this.notes.replaceChildren();
    if (g.truncated) {
      this.notes.append(el("div", "cl-truncated", g.omitted
        ? `${fmtCount(g.omitted)} more node${g.omitted === 1 ? "" : "s"} of this graph are not drawn (the ones farthest from the output).`
        : "This graph was cut: the nodes farthest from the output are not drawn."));
    }
    if (!g.stepsAvailable && g.order.length) {
      this.notes.append(el("div", "cl-graph-note cl-muted",
        "The gradients shown are the .grad fields; the graph was freed by backward(), so what flows along each edge was not recorded. " +
          "Call computationGraph(y) before y.backward() to walk the chain rule step by step."));
    }
    this.canvas.replaceChildren(this.drawing.svg);
    if (!this.node.contains(this.root)) this.node.replaceChildren(this.root);
    this.applyZoom();
    this.showDetail();
    this.apply();
  }

  private zoomStep(dir: 1 | -1): number {
    const i = ZOOMS.findIndex((z) => z >= this.zoom - 1e-9);
    const at = i < 0 ? ZOOMS.length - 1 : i;
    return ZOOMS[Math.max(0, Math.min(ZOOMS.length - 1, at + dir))];
  }

  private setZoom(z: number): void {
    this.zoom = z;
    this.applyZoom();
  }

  private fitWidth(): void {
    const w = this.canvas.clientWidth;
    if (this.placed && w > 0) this.setZoom(Math.max(0.1, Math.min(1, (w - 4) / this.placed.width)));
  }

  private applyZoom(): void {
    if (!this.drawing || !this.placed) return;
    const { svg } = this.drawing;
    svg.setAttribute("width", (this.placed.width * this.zoom).toFixed(0));
    svg.setAttribute("height", (this.placed.height * this.zoom).toFixed(0));
    this.root.dataset.zoom = String(this.zoom);
  }

  /** Scroll so that a node is in view (the canvas scrolls; the drawing itself never moves). */
  private reveal(id: number): void {
    const at = this.placed?.nodes.get(id);
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (!at || !w || !h) return;
    const x = at.x * this.zoom, y = at.y * this.zoom;
    const inX = x >= this.canvas.scrollLeft && x + NODE_W * this.zoom <= this.canvas.scrollLeft + w;
    const inY = y >= this.canvas.scrollTop && y + NODE_H * this.zoom <= this.canvas.scrollTop + h;
    if (!inX) this.canvas.scrollLeft = x - (w - NODE_W * this.zoom) / 2;
    if (!inY) this.canvas.scrollTop = y - (h - NODE_H * this.zoom) / 2;
  }

  private onClick(ev: Event): void {
    const target = (ev.target as Element).closest?.(".cl-node");
    if (!target) return;
    const id = Number(target.getAttribute("data-id"));
    this.selected = this.selected === id ? null : id;
    this.showDetail();
    this.apply();
  }

  private showDetail(): void {
    const n = this.data?.nodes.find((m) => m.id === this.selected);
    if (!n) {
      delete this.detail.dataset.id;
      this.detail.replaceChildren(el("div", "cl-muted", "Click a node to see its tensor and its gradient."));
      return;
    }
    this.detail.dataset.id = String(n.id);
    const title = el("div", "cl-graph-detail-title", nodeLabel(n));
    const facts = el("div", "cl-graph-detail-facts cl-mono");
    const kind = n.kind === "op" || n.kind === "output" ? `${n.kind === "output" ? "output of " : ""}op ${n.op}` : kindWord(n);
    facts.append(
      el("div", undefined, `node ${n.id} · ${kind} · shape ${fmtShape(n.shape)}`),
      el("div", undefined, `value ${fmtSummary(n.value)}`),
      el("div", undefined, `grad ${fmtSummary(n.grad)}`),
    );
    this.detail.replaceChildren(title, facts);
    if (n.tensor !== undefined) this.detail.append(tensorView(n.tensor, `nodes[${n.index}].tensor`));
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
      setNodeGrad(v, this.gradLine(n, started, s.done.has(n.id) || s.active === n.id, s.running.get(n.id)));
    }
    const labels: [number, string][] = [];
    drawing.edges.forEach((e, i) => {
      const on = s.activeEdges.has(i);
      setEdgeActive(drawing, e, on);
      e.g.classList.toggle("cl-edge-done", s.doneEdges.has(i));
      const grad = data.edges[i].grad;
      if (on && grad) labels.push([i, fmtSummary(grad)]);
    });
    setEdgeLabels(drawing, labels);
    this.text.replaceChildren(...s.lines.map((l, i) => el("div", i === 0 && started ? "cl-step-head" : "cl-step-line", l)));
    this.count.textContent = `${s.index + 1} / ${stepper.count}`;
    this.root.dataset.step = String(s.index);
    this.reset.disabled = this.back.disabled = s.index < 0;
    this.next.disabled = s.index >= stepper.count - 1;
    this.play.disabled = stepper.count === 0;
    if (s.active !== null) this.reveal(s.active);
  }

  /** Before the pass the final gradients; during it, what has arrived so far. */
  private gradLine(n: GraphNodeData, started: boolean, reached: boolean, running: Running | undefined): string {
    if (!started || !this.data?.stepsAvailable || n.kind === "constant") return `grad ${fmtSummary(n.grad)}`;
    if (reached) return `grad ${fmtSummary(n.grad)}`;
    if (running) return `grad += ${fmtRunning(running)}`;
    return "grad ·";
  }

  protected override onAfterAttach(): void {
    // the backward pass starts at the output, drawn at the right
    if (this.data && this.step < 0) this.reveal(0);
  }

  override dispose(): void {
    this.stopPlay();
    super.dispose();
  }
}

export const graphExtension: IRenderMime.IExtension = mimeExtension("graph", MIME.graph, (o) => new GraphRenderer(o));
