// Layered layout of the graph, inputs at the top and the output at the bottom (as torchviz
// and TensorBoard draw one), so that a graph grows down the notebook rather than off its
// right edge. Parallel edges (x·x reads x twice; cat of one tensor 20,000 times) are drawn
// as one line with a count, and at most BUDGETS.graphEdges lines are drawn.
//
// Small graphs are laid out by dagre, which routes every edge around the boxes. dagre's
// cost grows with the ranks each edge crosses (a 100-node chain takes about a second, 500
// nodes with 2,000 edges minutes), so a larger graph gets a layering of our own that is
// linear in its size: longest-path ranks, a few barycentre sweeps to order each rank, and
// curves that may cross boxes.
import dagre from "@dagrejs/dagre";
import type { GraphData } from "./bundle";
import { BUDGETS } from "../shared/mime";

export const NODE_W = 200;
export const NODE_H = 70;
/** Vertical room between ranks: edge labels sit in it, so it is always free of boxes. */
export const RANK_SEP = 56;
const NODE_SEP = 24;
const MARGIN = 12;
/** Above this many nodes plus ranks crossed by edges, our own layering instead of dagre. */
export const DAGRE_MAX = 80;

export interface Point {
  x: number;
  y: number;
}

/** One drawn line: every edge between the same two nodes. */
export interface Line {
  from: number;
  to: number;
  /** Positions in data.edges of the edges it stands for. */
  edges: number[];
}

export interface Layout {
  width: number;
  height: number;
  /** Top-left corner of each node's box. */
  nodes: Map<number, Point>;
  lines: Line[];
  /** Parallel to lines: the polyline (or, where `curved`, a cubic's 4 points) from input to output. */
  paths: Point[][];
  curved: boolean[];
  /** Parallel to lines: true where the line crosses more than one rank without being routed. */
  far: boolean[];
  /** Parallel to data.edges: the line that draws it, -1 when it is beyond the line budget. */
  lineOf: Int32Array;
  /** Distinct lines of the graph that were not drawn (beyond BUDGETS.graphEdges). */
  omittedLines: number;
  /** "dagre" or "layers", for tests and the notes. */
  engine: "dagre" | "layers";
}

/** The edges merged into lines by their two ends, at most `max` lines, in bundle order. */
export function mergeEdges(data: GraphData, max = BUDGETS.graphEdges): { lines: Line[]; lineOf: Int32Array; omitted: number } {
  const byPair = new Map<number, Map<number, number>>();
  const lines: Line[] = [];
  const lineOf = new Int32Array(data.edges.length).fill(-1);
  let omitted = 0;
  const edges = data.edges;
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    let into = byPair.get(e.from);
    if (!into) byPair.set(e.from, (into = new Map()));
    let at = into.get(e.to);
    if (at === undefined) {
      if (lines.length >= max) {
        into.set(e.to, -1);
        omitted++;
        continue;
      }
      at = lines.length;
      into.set(e.to, at);
      lines.push({ from: e.from, to: e.to, edges: [] });
    }
    if (at < 0) continue;
    lines[at].edges.push(i);
    lineOf[i] = at;
  }
  return { lines, lineOf, omitted };
}

/**
 * Rank of each node, 0 at the top: the longest path from the inputs, so every edge points
 * down; a node without inputs sits just above its highest consumer. Nodes on a cycle (only
 * a hostile bundle has one) go to the top row.
 */
export function rankNodes(ids: number[], lines: Line[]): Map<number, number> {
  const outs = new Map<number, number[]>();
  const indeg = new Map<number, number>();
  for (const id of ids) {
    outs.set(id, []);
    indeg.set(id, 0);
  }
  for (const l of lines) {
    if (l.from === l.to) continue;
    outs.get(l.from)!.push(l.to);
    indeg.set(l.to, indeg.get(l.to)! + 1);
  }
  const rank = new Map<number, number>();
  const queue = ids.filter((id) => indeg.get(id) === 0);
  const sources = new Set(queue);
  for (const id of queue) rank.set(id, 0);
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    for (const w of outs.get(v)!) {
      rank.set(w, Math.max(rank.get(w) ?? 0, rank.get(v)! + 1));
      const d = indeg.get(w)! - 1;
      indeg.set(w, d);
      if (d === 0) queue.push(w);
    }
  }
  for (const id of ids) if (!rank.has(id)) rank.set(id, 0);
  for (const id of sources) {
    let lowest = Infinity;
    for (const w of outs.get(id)!) lowest = Math.min(lowest, rank.get(w)!);
    if (Number.isFinite(lowest)) rank.set(id, Math.max(0, lowest - 1));
  }
  return rank;
}

function layers(data: GraphData, lines: Line[]): Omit<Layout, "lineOf" | "omittedLines" | "lines"> {
  const ids = data.nodes.map((n) => n.id);
  const rank = rankNodes(ids, lines);
  const rows: number[][] = [];
  for (const id of ids) (rows[rank.get(id)!] ??= []).push(id);
  for (let r = 0; r < rows.length; r++) rows[r] ??= [];
  const ins = new Map<number, number[]>(), outs = new Map<number, number[]>();
  for (const id of ids) { ins.set(id, []); outs.set(id, []); }
  for (const l of lines) {
    outs.get(l.from)!.push(l.to);
    ins.get(l.to)!.push(l.from);
  }
  // position of each node in its row, centred on 0, so rows of different lengths compare
  const pos = new Map<number, number>();
  const place = (row: number[]) => row.forEach((id, i) => pos.set(id, i - (row.length - 1) / 2));
  rows.forEach(place);
  const sweep = (row: number[], nbrs: Map<number, number[]>) => {
    const key = new Map<number, number>();
    for (const id of row) {
      const ns = nbrs.get(id)!;
      let s = 0;
      for (const n of ns) s += pos.get(n)!;
      key.set(id, ns.length ? s / ns.length : pos.get(id)!);
    }
    row.sort((a, b) => key.get(a)! - key.get(b)!);
    place(row);
  };
  for (let it = 0; it < 2; it++) {
    for (let r = rows.length - 2; r >= 0; r--) sweep(rows[r], outs);
    for (let r = 1; r < rows.length; r++) sweep(rows[r], ins);
  }
  const widest = Math.max(1, ...rows.map((r) => r.length));
  const width = widest * NODE_W + (widest - 1) * NODE_SEP + 2 * MARGIN;
  const height = rows.length * NODE_H + Math.max(0, rows.length - 1) * RANK_SEP + 2 * MARGIN;
  const nodes = new Map<number, Point>();
  rows.forEach((row, r) => {
    row.forEach((id, i) => {
      const cx = width / 2 + (i - (row.length - 1) / 2) * (NODE_W + NODE_SEP);
      nodes.set(id, { x: cx - NODE_W / 2, y: MARGIN + r * (NODE_H + RANK_SEP) });
    });
  });
  const paths = lines.map((l) => {
    const a = nodes.get(l.from)!, b = nodes.get(l.to)!;
    const p0 = { x: a.x + NODE_W / 2, y: a.y + NODE_H }, p3 = { x: b.x + NODE_W / 2, y: b.y };
    const dy = Math.max(RANK_SEP / 2, Math.abs(p3.y - p0.y) / 3);
    return [p0, { x: p0.x, y: p0.y + dy }, { x: p3.x, y: p3.y - dy }, p3];
  });
  const far = lines.map((l) => Math.abs(rank.get(l.to)! - rank.get(l.from)!) > 1);
  return { width, height, nodes, paths, curved: lines.map(() => true), far, engine: "layers" };
}

function withDagre(data: GraphData, lines: Line[]): Omit<Layout, "lineOf" | "omittedLines" | "lines"> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: NODE_SEP, ranksep: RANK_SEP, edgesep: 10, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of data.nodes) g.setNode(String(n.id), { width: NODE_W, height: NODE_H });
  for (const l of lines) g.setEdge(String(l.from), String(l.to), {});
  dagre.layout(g);
  const nodes = new Map<number, Point>();
  for (const n of data.nodes) {
    const p = g.node(String(n.id));
    nodes.set(n.id, { x: (p.x ?? 0) - NODE_W / 2, y: (p.y ?? 0) - NODE_H / 2 });
  }
  const paths = lines.map((l) => {
    const pts = g.edge(String(l.from), String(l.to))?.points as Point[] | undefined;
    if (pts && pts.length >= 2) return pts.map((p) => ({ x: p.x, y: p.y }));
    const a = nodes.get(l.from)!, b = nodes.get(l.to)!;
    return [{ x: a.x + NODE_W / 2, y: a.y + NODE_H }, { x: b.x + NODE_W / 2, y: b.y }];
  });
  const label = g.graph();
  return {
    width: Math.max(1, label.width ?? 1), height: Math.max(1, label.height ?? 1), nodes, paths,
    curved: lines.map(() => false), far: lines.map(() => false), engine: "dagre",
  };
}

export function layoutGraph(data: GraphData): Layout {
  const { lines, lineOf, omitted } = mergeEdges(data);
  // what dagre would lay out: the nodes and one dummy per rank an edge crosses
  let cost = data.nodes.length;
  if (cost <= DAGRE_MAX) {
    const rank = rankNodes(data.nodes.map((n) => n.id), lines);
    for (const l of lines) cost += Math.max(0, Math.abs(rank.get(l.to)! - rank.get(l.from)!) - 1);
  }
  const placed = cost <= DAGRE_MAX ? withDagre(data, lines) : layers(data, lines);
  return { ...placed, lines, lineOf, omittedLines: omitted };
}

function cubicAt(p: Point[], t: number): Point {
  const u = 1 - t;
  const a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
  return { x: a * p[0].x + b * p[1].x + c * p[2].x + d * p[3].x, y: a * p[0].y + b * p[1].y + c * p[2].y + d * p[3].y };
}

/** The point where a line crosses height y (its nearest end when it does not). */
export function pointAtY(path: Point[], curved: boolean, y: number): Point {
  const first = path[0], last = path[path.length - 1];
  const down = last.y >= first.y;
  if (curved && path.length === 4) {
    let lo = 0, hi = 1;
    for (let i = 0; i < 24; i++) {
      const mid = (lo + hi) / 2;
      if ((cubicAt(path, mid).y < y) === down) lo = mid;
      else hi = mid;
    }
    return cubicAt(path, (lo + hi) / 2);
  }
  for (let i = 1; i < path.length; i++) {
    const a = path[i - 1], b = path[i];
    if ((a.y - y) * (b.y - y) <= 0 && a.y !== b.y) {
      const t = (y - a.y) / (b.y - a.y);
      return { x: a.x + t * (b.x - a.x), y };
    }
  }
  return Math.abs(first.y - y) < Math.abs(last.y - y) ? { ...first } : { ...last };
}
