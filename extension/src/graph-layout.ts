// Layered layout of the graph with dagre: inputs on the left, the output on the right.
// A leaf used by many ops (a weight shared by every layer) would pull one long edge through
// every rank, and dagre's cost grows with such edges: those uses are drawn as plain curves
// instead of being routed, and a large graph skips dagre's slowest refinements.
import dagre from "@dagrejs/dagre";
import type { GraphData } from "./graph-bundle";

export const NODE_W = 200;
export const NODE_H = 70;
/** A leaf with more uses than this has only its first edge routed. */
const ROUTED_USES = 3;
/** Above this many nodes, rank by longest path and keep dagre's first ordering. */
const LARGE = 120;

export interface Point {
  x: number;
  y: number;
}

export interface Layout {
  width: number;
  height: number;
  /** Top-left corner of each node's box. */
  nodes: Map<number, Point>;
  /** Parallel to data.edges: the polyline from input to output. */
  edges: Point[][];
  /** Parallel to data.edges: true where the edge was routed around the boxes. */
  routed: boolean[];
}

function curve(a: Point, b: Point): Point[] {
  const dx = Math.max(40, (b.x - a.x) / 3);
  return [a, { x: a.x + dx, y: a.y }, { x: b.x - dx, y: b.y }, b];
}

export function layoutGraph(data: GraphData): Layout {
  const large = data.nodes.length > LARGE;
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({
    rankdir: "LR", nodesep: 16, ranksep: 56, edgesep: 8, marginx: 12, marginy: 12,
    ranker: large ? "longest-path" : "network-simplex",
  });
  g.setDefaultEdgeLabel(() => ({}));
  const kind = new Map<number, string>();
  for (const n of data.nodes) {
    kind.set(n.id, n.kind);
    g.setNode(String(n.id), { width: NODE_W, height: NODE_H });
  }
  const uses = new Map<number, number>();
  for (const e of data.edges) uses.set(e.from, (uses.get(e.from) ?? 0) + 1);
  const seen = new Set<number>();
  const routed = data.edges.map((e, i) => {
    const leafLike = kind.get(e.from) !== "op" && kind.get(e.from) !== "output";
    const route = !leafLike || (uses.get(e.from) ?? 0) <= ROUTED_USES || !seen.has(e.from);
    seen.add(e.from);
    // a value used twice by one op is two parallel edges, told apart by their position
    if (route) g.setEdge(String(e.from), String(e.to), {}, String(i));
    return route;
  });
  dagre.layout(g, { disableOptimalOrderHeuristic: large });
  const nodes = new Map<number, Point>();
  for (const n of data.nodes) {
    const p = g.node(String(n.id));
    nodes.set(n.id, { x: (p.x ?? 0) - NODE_W / 2, y: (p.y ?? 0) - NODE_H / 2 });
  }
  const edges = data.edges.map((e, i) => {
    const pts = routed[i] ? g.edge(String(e.from), String(e.to), String(i))?.points : undefined;
    if (pts && pts.length) return pts.map((p: Point) => ({ x: p.x, y: p.y }));
    const a = nodes.get(e.from)!, b = nodes.get(e.to)!;
    return curve({ x: a.x + NODE_W, y: a.y + NODE_H / 2 }, { x: b.x, y: b.y + NODE_H / 2 });
  });
  const label = g.graph();
  return { width: Math.max(1, label.width ?? 1), height: Math.max(1, label.height ?? 1), nodes, edges, routed };
}
