// The computation graph of one value, as the engine sees it: each tensor a node with its op,
// shape, value and gradient; edges run from inputs to the tensors made from them.
import type { Tensor } from "../tensor";
import { escapeXml } from "./escape";

export const GRAPH_MIME = "application/vnd.chainlab.graph+json";
const MAX_NODES = 300;
/** Tensors up to this size show their values; larger ones only their shape. */
const SMALL = 8;

export interface GraphNode {
  id: number;
  op: string;
  name?: string;
  shape: number[];
  value?: number[];
  grad?: number[];
}

export interface GraphJson {
  version: 1;
  nodes: GraphNode[];
  edges: [number, number][];
  truncated: boolean;
}

function small(t: Tensor | null): number[] | undefined {
  return t && t.numel() <= SMALL ? Array.from(t.values()) : undefined;
}

export function graphJson(root: Tensor): GraphJson {
  const ids = new Map<Tensor, number>();
  const nodes: GraphNode[] = [];
  const edges: [number, number][] = [];
  const queue = [root];
  ids.set(root, 0);
  let truncated = false;
  while (queue.length) {
    const t = queue.shift()!;
    const id = ids.get(t)!;
    nodes.push({
      id,
      op: t.gradFn ? t.gradFn.name : t.requiresGrad ? "leaf" : "constant",
      ...(t.name ? { name: t.name } : {}),
      shape: [...t.shape],
      value: small(t),
      grad: small(t.grad),
    });
    for (const x of t.gradFn?.inputs ?? []) {
      if (!ids.has(x)) {
        if (ids.size >= MAX_NODES) { truncated = true; continue; }
        ids.set(x, ids.size);
        queue.push(x);
      }
      edges.push([ids.get(x)!, id]);
    }
  }
  return { version: 1, nodes, edges, truncated };
}

/** Columns by depth from the root (inputs to the left), drawn as boxes and arrows. */
export function graphSvg(g: GraphJson): string {
  const depth = new Map<number, number>([[0, 0]]);
  const inputsOf = new Map<number, number[]>();
  for (const [from, to] of g.edges) inputsOf.set(to, [...(inputsOf.get(to) ?? []), from]);
  for (const n of g.nodes) for (const i of inputsOf.get(n.id) ?? []) depth.set(i, Math.max(depth.get(i) ?? 0, depth.get(n.id)! + 1));
  const maxDepth = Math.max(...depth.values());
  const rows = new Map<number, number>();
  const pos = new Map<number, [number, number]>();
  const W = 170, H = 58, gapX = 40, gapY = 14;
  for (const n of g.nodes) {
    const col = maxDepth - (depth.get(n.id) ?? 0);
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    pos.set(n.id, [col * (W + gapX), row * (H + gapY)]);
  }
  const fmt = (v?: number[]) => (v ? v.map((x) => Number(x.toPrecision(4))).join(", ") : "");
  const parts: string[] = [];
  for (const [from, to] of g.edges) {
    const [x1, y1] = pos.get(from)!, [x2, y2] = pos.get(to)!;
    parts.push(`<line x1="${x1 + W}" y1="${y1 + H / 2}" x2="${x2}" y2="${y2 + H / 2}" stroke="#888" marker-end="url(#a)"/>`);
  }
  for (const n of g.nodes) {
    const [x, y] = pos.get(n.id)!;
    const lines = [
      `${n.name ? n.name + " = " : ""}${n.op} [${n.shape.join(", ")}]`,
      n.value ? `data ${fmt(n.value)}` : "",
      n.grad ? `grad ${fmt(n.grad)}` : "",
    ].filter(Boolean);
    const fill = n.op === "leaf" ? "#e3f2fd" : n.op === "constant" ? "#f5f5f5" : "#fff3e0";
    parts.push(`<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="6" fill="${fill}" stroke="#555"/>`);
    lines.forEach((l, i) =>
      parts.push(`<text x="${x + 6}" y="${y + 16 + i * 15}" font-family="monospace" font-size="11">${escapeXml(l.slice(0, 26))}</text>`),
    );
  }
  const width = (maxDepth + 1) * (W + gapX);
  const height = Math.max(...rows.values()) * (H + gapY);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">` +
    `<path d="M0,0L10,5L0,10z" fill="#888"/></marker></defs>${parts.join("")}</svg>`
  );
}

/** A displayable view of the graph that produced t: show it as the last value of a cell. */
export function computationGraph(t: Tensor): { [key: symbol]: () => Record<string, unknown>; toString(): string } {
  const text = (g: GraphJson) =>
    g.nodes.map((n) => `${n.id}: ${n.op} [${n.shape.join(", ")}] <- ${g.edges.filter((e) => e[1] === n.id).map((e) => e[0]).join(", ")}`).join("\n");
  return {
    [Symbol.for("Jupyter.display")]: () => {
      const g = graphJson(t);
      return { "text/plain": text(g), [GRAPH_MIME]: g, "image/svg+xml": graphSvg(g) };
    },
    toString: () => text(graphJson(t)),
  };
}
