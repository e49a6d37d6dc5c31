// The graph drawn in SVG: one box per node (op, shape, value, gradient) and one arrow per
// line (the edges between two nodes). While the backward walk runs along a line, the line
// is highlighted with its arrowhead at the input's end, pointing the way the gradient goes,
// and a label just below the input's box says what arrived: the room between ranks is kept
// free of boxes, so a label never covers one. Every string is set as text; colours come
// from classes so that themes restyle them.
import { fmtCount, fmtShape } from "../shared/format";
import type { GraphData, GraphNodeData } from "./bundle";
import { NODE_H, NODE_W, pointAtY, type Layout, type Point } from "./layout";
import { fmtSummary } from "./steps";

const SVG_NS = "http://www.w3.org/2000/svg";
/** Characters that fit on one line of a box at the box's font size. */
const LINE_CHARS = 28;
/** Characters of an edge label: at 10 px it stays narrower than a box. */
const LABEL_CHARS = 30;
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
  /** The gradient line last set, so that a step touches only the boxes it changes. */
  shown?: string;
}

export interface LineView {
  g: SVGGElement;
  path: SVGPathElement;
  /** Centre of the label that says what reached the input: below the input's box and the arrowhead. */
  at: Point;
}

export interface Drawing {
  svg: SVGSVGElement;
  nodes: Map<number, NodeView>;
  /** Parallel to layout.lines. */
  lines: LineView[];
  /** Holds the labels of the lines active at this step (few, so made when needed). */
  labels: SVGGElement;
  /** The arrowhead marker ids: forward (at the output's end) and backward (at the input's). */
  arrows: [string, string];
}

function pathOf(points: Point[], curved: boolean): string {
  const p = (q: Point) => `${q.x.toFixed(1)},${q.y.toFixed(1)}`;
  if (curved && points.length === 4) return `M${p(points[0])}C${p(points[1])} ${p(points[2])} ${p(points[3])}`;
  return `M${points.map(p).join("L")}`;
}

export function drawGraph(data: GraphData, layout: Layout): Drawing {
  const svg = svgEl("svg", { viewBox: `0 0 ${layout.width.toFixed(0)} ${layout.height.toFixed(0)}` }, "cl-graph-svg");
  const defs = svgEl("defs");
  const arrow = `cl-graph-arrow-${++markers}`;
  // the backward arrow is drawn at the path's start, turned to point out of the line
  for (const [id, cls, orient] of [[arrow, "cl-arrow", "auto"], [`${arrow}-back`, "cl-arrow cl-arrow-active", "auto-start-reverse"]]) {
    const m = svgEl("marker", { id, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient });
    m.append(svgEl("path", { d: "M0,0L10,5L0,10z" }, cls));
    defs.append(m);
  }
  svg.append(defs);

  const edgeLayer = svgEl("g", {}, "cl-edges");
  const badges: SVGElement[] = [];
  const lines = layout.lines.map((l, i) => {
    const points = layout.paths[i];
    const first = data.edges[l.edges[0]];
    const g = svgEl("g", { "data-from": l.from, "data-to": l.to, "data-edge": first.index, "data-count": l.edges.length }, `cl-edge${layout.far[i] ? " cl-edge-far" : ""}`);
    const path = svgEl("path", { d: pathOf(points, layout.curved[i]), "marker-end": `url(#${arrow})` }, "cl-edge-line");
    g.append(path);
    edgeLayer.append(g);
    if (l.edges.length > 1) {
      // how many times the op read this input, just above the op's box
      const to = layout.nodes.get(l.to)!;
      const p = pointAtY(points, layout.curved[i], to.y - 9);
      const t = svgEl("text", { x: (p.x + 4).toFixed(1), y: (to.y - 6).toFixed(1) }, "cl-edge-count");
      t.textContent = `×${fmtCount(l.edges.length)}`;
      badges.push(t);
    }
    const from = layout.nodes.get(l.from)!;
    // below the arrowhead at the input's box, above where a count sits by the op's box
    return { g, path, at: { x: from.x + NODE_W / 2, y: from.y + NODE_H + 27 } };
  });
  edgeLayer.append(...badges);

  const nodeLayer = svgEl("g", {}, "cl-nodes");
  const nodes = new Map<number, NodeView>();
  for (const n of data.nodes) {
    const at = layout.nodes.get(n.id)!;
    const g = svgEl("g", { transform: `translate(${at.x.toFixed(1)},${at.y.toFixed(1)})`, "data-id": n.id, "data-kind": n.kind, tabindex: 0, role: "button" }, `cl-node cl-kind-${n.kind}`);
    const title = svgEl("title");
    const head = `${n.name ? `${n.name} · ` : ""}${kindWord(n)}`;
    // no gradient here: it appears in the box as the walk reaches the node
    title.textContent = `${head}\nshape ${fmtShape(n.shape)} · node ${n.id}\nvalue ${fmtSummary(n.value)}`;
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
    const grad = line(63, "cl-node-grad", "");
    nodeLayer.append(g);
    nodes.set(n.id, { g, grad });
  }
  const labels = svgEl("g", {}, "cl-edge-labels");
  svg.append(edgeLayer, nodeLayer, labels);
  return { svg, nodes, lines, labels, arrows: [arrow, `${arrow}-back`] };
}

/** On, a line shows the gradient's way: its arrowhead moves to the input's end. */
export function setLineActive(d: Drawing, v: LineView, on: boolean): void {
  if (v.g.classList.contains("cl-edge-active") === on) return;
  v.g.classList.toggle("cl-edge-active", on);
  if (on) {
    v.path.removeAttribute("marker-end");
    v.path.setAttribute("marker-start", `url(#${d.arrows[1]})`);
  } else {
    v.path.removeAttribute("marker-start");
    v.path.setAttribute("marker-end", `url(#${d.arrows[0]})`);
  }
}

/** Labels for the given lines (by position), each on a background sized by its characters. */
export function setLineLabels(d: Drawing, width: number, labels: [number, string][]): void {
  d.labels.replaceChildren(...labels.map(([i, text]) => {
    const { at } = d.lines[i];
    const shown = clip(text, LABEL_CHARS);
    const w = shown.length * 6.2 + 8;
    const x = Math.max(w / 2, Math.min(width - w / 2, at.x));
    const g = svgEl("g", { "data-edge": d.lines[i].g.getAttribute("data-edge") ?? i }, "cl-edge-label-g");
    const label = svgEl("text", { x: x.toFixed(1), y: (at.y + 3.5).toFixed(1), "text-anchor": "middle" }, "cl-edge-label");
    label.textContent = shown;
    g.append(svgEl("rect", { x: (x - w / 2).toFixed(1), y: (at.y - 7.5).toFixed(1), width: w.toFixed(1), height: 15, rx: 3 }, "cl-edge-label-back"), label);
    return g;
  }));
}

export function setNodeGrad(v: NodeView, text: string): void {
  if (v.shown === text) return;
  v.shown = text;
  v.grad.textContent = clip(text);
}
