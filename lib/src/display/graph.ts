// The computation graph of one value, as the engine sees it: each tensor a node with its op,
// shape, value and gradient; edges run from inputs to the tensors made from them. While the
// graph's vector-Jacobian products are still alive, a backward pass of our own runs over it
// (leaving every .grad untouched) and records what the chain rule does at each step: the
// gradient that reaches each node, and the contribution each edge carries to its input.
import { noGrad, topoOrder } from "../core/autograd";
import type { Derivative } from "../core/derivative";
import { isParameter } from "../nn/module";
import { Tensor } from "../tensor";
import { BUDGETS, MIME } from "./contract";
import { escapeXml } from "./escape";
import { payload, tensorStats } from "./tensor";

export const GRAPH_MIME = MIME.graph;
/** Tensors up to this size show their numbers; larger ones a {min, max, mean} summary. */
const SMALL = 8;
/** Values (and again gradients) a node's tensor payload carries: a leading corner beyond. */
const NODE_VALUES = 1_000;
/** Values all payloads together carry, so a large graph's bundle stays near 1 MB. */
const TOTAL_VALUES = 200_000;

export type Summary = (number | null)[] | { min: number | null; max: number | null; mean: number | null };
export type NodeKind = "leaf" | "param" | "constant" | "op" | "output";

export interface GraphNode {
  id: number;
  op: string;
  name?: string;
  kind: NodeKind;
  shape: number[];
  value?: Summary;
  grad?: Summary;
  tensor?: ReturnType<typeof payload> & { grad?: ReturnType<typeof payload> };
  /** For nodes an op made: what its backward does, in words (declared beside the backward in lib/src/ops). */
  derivative?: Derivative;
}

export interface GraphJson {
  version: 1;
  nodes: GraphNode[];
  edges: [number, number][];
  /** Parallel to edges: what flows from the output back into the input along it. */
  edgeGrads: (Summary | null)[];
  /** Node ids in the order the backward pass reaches them, the output first. */
  order: number[];
  /** False when the graph was already freed: grads are then the .grad fields that exist. */
  stepsAvailable: boolean;
  truncated: boolean;
  /** Nodes of the graph left out of the bundle (beyond maxNodes). */
  omitted: number;
  /** Edges between sent nodes left out of the bundle (beyond BUDGETS.graphEdges). */
  omittedEdges: number;
}

export interface GraphOptions {
  /** At most this many nodes, nearest the output first (default and most BUDGETS.graphNodes). */
  maxNodes?: number;
  /** Names parameters by their place in the model, e.g. "fc.weight". */
  model?: { namedParameters(): [string, Tensor][] };
  /** The gradient that starts the pass (default: ones, as y.sum().backward() would). */
  grad?: Tensor;
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** Inputs whose derivative a node sends (a cat of thousands names the first ones; the walk says the rest generically). */
const RULE_INPUTS = 64;
function sentDerivative(d: Derivative): Derivative {
  return d.local.length <= RULE_INPUTS ? d : { ...d, local: d.local.slice(0, RULE_INPUTS), vjp: d.vjp.slice(0, RULE_INPUTS) };
}

export function summary(t: Tensor): Summary {
  const v = t.values();
  if (v.length <= SMALL) return Array.from(v, (x) => (Number.isNaN(x) ? null : x));
  const s = tensorStats(v);
  return { min: finite(s.min), max: finite(s.max), mean: finite(s.mean) };
}

/** The leading corner with at most n values: the largest dims are halved first. */
function corner(t: Tensor, n: number): Tensor {
  const shape = [...t.shape];
  let size = t.numel();
  if (size <= n) return t;
  while (size > n) {
    const d = shape.indexOf(Math.max(...shape));
    const keep = Math.ceil(shape[d] / 2);
    size = (size / shape[d]) * keep;
    shape[d] = keep;
  }
  return t.index(...shape.map((s) => [0, s] as const));
}

function cappedPayload(t: Tensor): ReturnType<typeof payload> {
  const shown = corner(t, NODE_VALUES);
  if (shown === t) return payload(t);
  return { ...payload(shown), shape: [...t.shape], stats: tensorStats(t.values()), truncated: true };
}

interface Capture {
  /** The gradient that reached each kept tensor, summed over its uses. */
  grads: Map<Tensor, Tensor>;
  /** What each kept edge (by index) carried back to its input. */
  edgeGrads: Map<number, Tensor>;
}

/**
 * The chain rule as runBackward applies it, without hooks and without writing .grad:
 * null when some op's vjp was already released by an earlier backward().
 */
function capture(root: Tensor, seed: Tensor, order: Tensor[], kept: Map<Tensor, number>, edgeOf: Map<Tensor, number[]>): Capture | null {
  if (order.some((t) => t.gradFn && !t.gradFn.vjp)) return null;
  const pending = new Map<Tensor, Tensor>([[root, seed]]);
  const out: Capture = { grads: new Map(), edgeGrads: new Map() };
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = pending.get(t);
      if (!g) continue;
      pending.delete(t);
      if (kept.has(t)) out.grads.set(t, g);
      const node = t.gradFn;
      if (!node) continue;
      const inputGrads = node.vjp!(g);
      const edges = edgeOf.get(t);
      node.inputs.forEach((x, k) => {
        const gx = inputGrads[k];
        if (!gx || !x.requiresGrad) return;
        if (edges && edges[k] >= 0) out.edgeGrads.set(edges[k], gx);
        const acc = pending.get(x);
        pending.set(x, acc ? acc.add(gx) : gx);
      });
    }
  });
  return out;
}

function kindOf(t: Tensor, isRoot: boolean, named: boolean): NodeKind {
  if (isRoot) return "output";
  if (t.gradFn) return "op";
  if (!t.requiresGrad) return "constant";
  // a name alone does not make a parameter: x.name = "x" is still an input
  return named || isParameter(t) ? "param" : "leaf";
}

export function graphJson(root: Tensor, opts: GraphOptions = {}): GraphJson {
  const maxNodes = Math.max(1, Math.min(opts.maxNodes ?? BUDGETS.graphNodes, BUDGETS.graphNodes));
  const names = new Map<Tensor, string>();
  for (const [name, p] of opts.model?.namedParameters() ?? []) if (!names.has(p)) names.set(p, name);

  // Breadth first from the output, so that a cut keeps the ops nearest the result.
  const ids = new Map<Tensor, number>([[root, 0]]);
  const tensors: Tensor[] = [root];
  const edges: [number, number][] = [];
  const edgeOf = new Map<Tensor, number[]>();
  const seen = new Set<Tensor>([root]);
  // an op may read one tensor thousands of times (cat of copies): edges past the budget are
  // counted, not sent, so the bundle and its drawing stay small
  let omittedEdges = 0;
  for (let q = 0; q < tensors.length; q++) {
    const t = tensors[q];
    const slots: number[] = [];
    for (const x of t.gradFn?.inputs ?? []) {
      seen.add(x);
      if (!ids.has(x) && ids.size < maxNodes) {
        ids.set(x, ids.size);
        tensors.push(x);
      }
      const from = ids.get(x);
      if (from !== undefined && edges.length >= BUDGETS.graphEdges) omittedEdges++;
      const sent = from !== undefined && edges.length < BUDGETS.graphEdges;
      slots.push(sent ? edges.length : -1);
      if (sent) edges.push([from, ids.get(t)!]);
    }
    edgeOf.set(t, slots);
  }
  // the rest of the graph, only counted
  const stack = [...seen].filter((t) => !ids.has(t));
  while (stack.length) {
    for (const x of stack.pop()!.gradFn?.inputs ?? []) if (!seen.has(x)) { seen.add(x); stack.push(x); }
  }
  const omitted = seen.size - ids.size;

  const order = root.requiresGrad ? topoOrder(root) : [];
  const seed = opts.grad
    ? opts.grad.detach().float().reshape([...root.shape])
    : new Tensor(new Float32Array(root.numel()).fill(1), root.shape);
  const captured = root.requiresGrad ? capture(root, seed, order, ids, edgeOf) : null;

  let budget = TOTAL_VALUES;
  const nodes: GraphNode[] = tensors.map((t, id) => {
    const name = t.name ?? names.get(t);
    const grad = captured ? captured.grads.get(t) ?? null : t.grad;
    const node: GraphNode = {
      id,
      op: t.gradFn ? t.gradFn.name : t.requiresGrad ? "leaf" : "constant",
      ...(name ? { name } : {}),
      kind: kindOf(t, id === 0, names.has(t)),
      shape: [...t.shape],
      value: summary(t),
      ...(grad ? { grad: summary(grad) } : {}),
      ...(t.gradFn ? { derivative: sentDerivative(t.gradFn.derivative) } : {}),
    };
    const cost = Math.min(t.numel(), NODE_VALUES) * (grad ? 2 : 1);
    if (cost <= budget) {
      budget -= cost;
      node.tensor = { ...cappedPayload(t), ...(grad ? { grad: cappedPayload(grad) } : {}) };
    }
    return node;
  });
  return {
    version: 1,
    nodes,
    edges,
    edgeGrads: edges.map((_, i) => {
      const g = captured?.edgeGrads.get(i);
      return g ? summary(g) : null;
    }),
    order: order.filter((t) => ids.has(t) && (!captured || captured.grads.has(t))).reverse().map((t) => ids.get(t)!),
    stepsAvailable: captured !== null,
    truncated: omitted > 0 || omittedEdges > 0,
    omitted,
    omittedEdges,
  };
}

function fmtSummary(s?: Summary): string {
  if (!s) return "";
  const f = (x: number | null) => (x === null ? "nan" : String(Number(x.toPrecision(4))));
  return Array.isArray(s) ? s.map(f).join(", ") : `min ${f(s.min)} max ${f(s.max)} mean ${f(s.mean)}`;
}

const FILL: Record<NodeKind, string> = { leaf: "#e3f2fd", param: "#e8f5e9", constant: "#f5f5f5", op: "#fff3e0", output: "#fce4ec" };

/** Columns by depth from the root (inputs to the left), drawn as boxes and arrows. */
export function graphSvg(g: GraphJson): string {
  const depth = new Map<number, number>([[0, 0]]);
  const inputsOf = new Map<number, number[]>();
  for (const [from, to] of g.edges) {
    const list = inputsOf.get(to);
    if (list) list.push(from);
    else inputsOf.set(to, [from]);
  }
  for (const n of g.nodes) for (const i of inputsOf.get(n.id) ?? []) depth.set(i, Math.max(depth.get(i) ?? 0, depth.get(n.id)! + 1));
  const maxDepth = Math.max(...depth.values());
  const rows = new Map<number, number>();
  const pos = new Map<number, [number, number]>();
  const W = 230, H = 58, gapX = 40, gapY = 14, CHARS = 34;
  for (const n of g.nodes) {
    const col = maxDepth - (depth.get(n.id) ?? 0);
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    pos.set(n.id, [col * (W + gapX), row * (H + gapY)]);
  }
  const parts: string[] = [];
  const drawn = new Set<string>();
  for (const [from, to] of g.edges) {
    // parallel edges are one line
    if (drawn.has(`${from},${to}`)) continue;
    drawn.add(`${from},${to}`);
    const [x1, y1] = pos.get(from)!, [x2, y2] = pos.get(to)!;
    parts.push(`<line x1="${x1 + W}" y1="${y1 + H / 2}" x2="${x2}" y2="${y2 + H / 2}" stroke="#888" marker-end="url(#a)"/>`);
  }
  for (const n of g.nodes) {
    const [x, y] = pos.get(n.id)!;
    const lines = [
      `${n.name ? n.name + " = " : ""}${n.op} [${n.shape.join(", ")}]`,
      n.value ? `data ${fmtSummary(n.value)}` : "",
      n.grad ? `grad ${fmtSummary(n.grad)}` : "",
    ].filter(Boolean);
    parts.push(`<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="6" fill="${FILL[n.kind]}" stroke="#555"/>`);
    lines.forEach((l, i) =>
      parts.push(`<text x="${x + 6}" y="${y + 16 + i * 15}" font-family="monospace" font-size="11">${escapeXml(l.length > CHARS ? l.slice(0, CHARS - 1) + "…" : l)}</text>`),
    );
  }
  const note = g.omitted ? `${g.omitted} more nodes not shown` : "";
  const width = Math.max((maxDepth + 1) * (W + gapX), note.length * 7);
  const height = Math.max(...rows.values()) * (H + gapY) + (note ? 18 : 0);
  if (note) parts.push(`<text x="0" y="${height - 4}" font-family="monospace" font-size="11">${note}</text>`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">` +
    `<path d="M0,0L10,5L0,10z" fill="#888"/></marker></defs>${parts.join("")}</svg>`
  );
}

function graphText(g: GraphJson): string {
  // each node's inputs, an input read k times written once as "id ×k"
  const inputs = new Map<number, Map<number, number>>();
  for (const [from, to] of g.edges) {
    let m = inputs.get(to);
    if (!m) inputs.set(to, (m = new Map()));
    m.set(from, (m.get(from) ?? 0) + 1);
  }
  const lines = g.nodes.map((n) => {
    const ins = [...(inputs.get(n.id) ?? [])].map(([id, k]) => (k > 1 ? `${id} ×${k}` : String(id)));
    return `${n.id}: ${n.op}${n.name ? ` ${n.name}` : ""} [${n.shape.join(", ")}] <- ${ins.join(", ")}`;
  });
  if (g.omittedEdges) lines.push(`... ${g.omittedEdges} more edges`);
  if (g.omitted) lines.push(`... ${g.omitted} more nodes`);
  return lines.join("\n");
}

/**
 * A displayable view of the graph that produced t: show it as the last value of a cell.
 * Called before t.backward() (or after one with retainGraph), it records the backward
 * pass step by step; after a backward that freed the graph, it shows the .grad fields.
 */
export function computationGraph(t: Tensor, opts: GraphOptions = {}): { [key: symbol]: () => Record<string, unknown>; toString(): string } {
  // captured now, while the graph is alive: a backward() before the display would free it
  const g = graphJson(t, opts);
  return {
    [Symbol.for("Jupyter.display")]: () => ({ "text/plain": graphText(g), [GRAPH_MIME]: g, "image/svg+xml": graphSvg(g) }),
    toString: () => graphText(g),
  };
}
