// The graph drawn in SVG: one box per node (op, shape, value, gradient) and one arrow per
// edge, with a label that shows what the edge carries while the step-through is on it.
// Every string is set as text; colours come from classes so that themes restyle them.
import { fmtShape } from "./format";
import type { GraphData, GraphNodeData } from "./graph-bundle";
import { NODE_H, NODE_W, type Layout, type Point } from "./graph-layout";
import { fmtSummary } from "./graph-steps";

const SVG_NS = "http://www.w3.org/2000/svg";
/** Characters that fit on one line of a box at the box's font size. */
const LINE_CHARS = 28;
let markers = 0;

export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, className?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (className) e.setAttribute("class", className);
  return e;
}

function clip(s: string, n = LINE_CHARS): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function kindWord(n: GraphNodeData): string {
  return n.kind === "op" || n.kind === "output" ? n.op : n.kind === "param" ? "parameter" : n.kind;
}

export interface NodeView {
  g: SVGGElement;
  grad: SVGTextElement;
}

export interface EdgeView {
  g: SVGGElement;
  path: SVGPathElement;
  /** Where the edge's label goes while it carries gradient. */
  mid: Point;
}

export interface Drawing {
  svg: SVGSVGElement;
  nodes: Map<number, NodeView>;
  edges: EdgeView[];
  /** Holds the labels of the edges active at this step (few, so made when needed). */
  labels: SVGGElement;
  /** The arrowhead marker ids: plain and highlighted. */
  arrows: [string, string];
}

function pathOf(points: Point[], routed: boolean): string {
  const p = (q: Point) => `${q.x.toFixed(1)},${q.y.toFixed(1)}`;
  if (!routed && points.length === 4) return `M${p(points[0])}C${p(points[1])} ${p(points[2])} ${p(points[3])}`;
  return `M${points.map(p).join("L")}`;
}

function midpoint(points: Point[]): Point {
  if (points.length === 4) {
    // the middle of a cubic curve
    const [a, b, c, d] = points;
    return { x: (a.x + 3 * b.x + 3 * c.x + d.x) / 8, y: (a.y + 3 * b.y + 3 * c.y + d.y) / 8 };
  }
  const m = points[Math.floor(points.length / 2)];
  if (points.length % 2) return m;
  const l = points[points.length / 2 - 1];
  return { x: (l.x + m.x) / 2, y: (l.y + m.y) / 2 };
}

export function drawGraph(data: GraphData, layout: Layout): Drawing {
  const svg = svgEl("svg", { viewBox: `0 0 ${layout.width} ${layout.height}` }, "cl-graph-svg");
  const defs = svgEl("defs");
  const arrow = `cl-graph-arrow-${++markers}`;
  for (const [id, cls] of [[arrow, "cl-arrow"], [`${arrow}-on`, "cl-arrow cl-arrow-active"]]) {
    const m = svgEl("marker", { id, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" });
    m.append(svgEl("path", { d: "M0,0L10,5L0,10z" }, cls));
    defs.append(m);
  }
  svg.append(defs);

  const edgeLayer = svgEl("g", {}, "cl-edges");
  const edges = data.edges.map((e, i) => {
    const points = layout.edges[i];
    const g = svgEl("g", { "data-from": e.from, "data-to": e.to, "data-edge": e.index }, `cl-edge${layout.routed[i] ? "" : " cl-edge-far"}`);
    const path = svgEl("path", { d: pathOf(points, layout.routed[i]), "marker-end": `url(#${arrow})` }, "cl-edge-line");
    g.append(path);
    edgeLayer.append(g);
    return { g, path, mid: midpoint(points) };
  });

  const nodeLayer = svgEl("g", {}, "cl-nodes");
  const nodes = new Map<number, NodeView>();
  for (const n of data.nodes) {
    const at = layout.nodes.get(n.id)!;
    const g = svgEl("g", { transform: `translate(${at.x.toFixed(1)},${at.y.toFixed(1)})`, "data-id": n.id, "data-kind": n.kind, tabindex: 0, role: "button" }, `cl-node cl-kind-${n.kind}`);
    const title = svgEl("title");
    const head = `${n.name ? `${n.name} · ` : ""}${kindWord(n)}`;
    title.textContent = `${head}\nshape ${fmtShape(n.shape)} · node ${n.id}\nvalue ${fmtSummary(n.value)}\ngrad ${fmtSummary(n.grad)}`;
    g.append(title, svgEl("rect", { width: NODE_W, height: NODE_H, rx: 6 }, "cl-node-box"));
    const line = (y: number, cls: string, text: string) => {
      const t = svgEl("text", { x: 8, y }, cls);
      t.textContent = clip(text);
      g.append(t);
      return t;
    };
    line(16, "cl-node-op", head);
    line(31, "cl-node-shape", `${fmtShape(n.shape)}  #${n.id}`);
    line(47, "cl-node-value", `data ${fmtSummary(n.value)}`);
    const grad = line(63, "cl-node-grad", `grad ${fmtSummary(n.grad)}`);
    nodeLayer.append(g);
    nodes.set(n.id, { g, grad });
  }
  const labels = svgEl("g", {}, "cl-edge-labels");
  svg.append(edgeLayer, nodeLayer, labels);
  return { svg, nodes, edges, labels, arrows: [arrow, `${arrow}-on`] };
}

export function setEdgeActive(d: Drawing, e: EdgeView, on: boolean): void {
  if (e.g.classList.contains("cl-edge-active") === on) return;
  e.g.classList.toggle("cl-edge-active", on);
  e.path.setAttribute("marker-end", `url(#${d.arrows[on ? 1 : 0]})`);
}

/** Labels for the given edges (by position), each on a background sized by its characters. */
export function setEdgeLabels(d: Drawing, labels: [number, string][]): void {
  d.labels.replaceChildren(...labels.map(([i, text]) => {
    const { mid } = d.edges[i];
    const shown = clip(text, 40);
    const w = shown.length * 6.2 + 8;
    const g = svgEl("g", { "data-edge": d.edges[i].g.getAttribute("data-edge") ?? i }, "cl-edge-label-g");
    const label = svgEl("text", { x: mid.x.toFixed(1), y: (mid.y + 3).toFixed(1), "text-anchor": "middle" }, "cl-edge-label");
    label.textContent = shown;
    g.append(svgEl("rect", { x: (mid.x - w / 2).toFixed(1), y: (mid.y - 8).toFixed(1), width: w.toFixed(1), height: 15, rx: 3 }, "cl-edge-label-back"), label);
    return g;
  }));
}

export function setNodeGrad(v: NodeView, text: string): void {
  v.grad.textContent = clip(text);
}
