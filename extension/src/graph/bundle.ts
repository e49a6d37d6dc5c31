// Reading a graph bundle: every node, edge and step checked before anything is laid out,
// so a bad id or shape names its field instead of drawing a wrong picture.
import type { Derivative } from "chainlab/dist/core/derivative";
import { BUDGETS } from "../shared/mime";
import {
  BundleError, array, boolean, describe, number, numel, optionalString, record, shape, string, strings, version,
} from "../shared/validate";

export type NodeKind = "leaf" | "param" | "constant" | "op" | "output";
const KINDS: readonly NodeKind[] = ["leaf", "param", "constant", "op", "output"];

/** Small tensors send their numbers; larger ones min, max and mean. */
export type Summary = { values: number[] } | { min: number; max: number; mean: number };

export interface GraphNodeData {
  id: number;
  op: string;
  name?: string;
  kind: NodeKind;
  shape: number[];
  value?: Summary;
  grad?: Summary;
  /** A tensor payload, read by the tensor view when the node is opened. */
  tensor?: unknown;
  /** What the op's backward does, in words, as the library declares it beside the backward. */
  derivative?: Derivative;
  /** Where this node sits in the bundle's nodes, for field names. */
  index: number;
}

export interface GraphEdgeData {
  from: number;
  to: number;
  grad: Summary | null;
  /** Position in the bundle's edges. */
  index: number;
  /** Which input of `to` this edge feeds (0 for the op's first input, ...). */
  slot: number;
}

export interface GraphData {
  nodes: GraphNodeData[];
  edges: GraphEdgeData[];
  order: number[];
  stepsAvailable: boolean;
  truncated: boolean;
  /** Nodes of the real graph the bundle left out, plus those beyond the drawing cap. */
  omitted: number;
  /** Edges of the real graph left out: by the library (beyond its budget) or here (beyond WALKED_EDGES). */
  omittedEdges: number;
}

/** More nodes than this are not laid out: the rest are counted as left out. */
export const MAX_DRAWN = BUDGETS.graphNodes;
/**
 * More edges than this are refused outright: each is checked and kept for the walk, which
 * stays cheap (well under a second) up to here; the drawing merges and caps them further.
 */
export const MAX_EDGES = 100 * BUDGETS.graphEdges;
/** Edges kept for the drawing and the walk; the rest are checked, then counted as left out. */
export const WALKED_EDGES = 10 * BUDGETS.graphEdges;
/** Derivative texts: at most this many inputs, of at most this many characters each. */
const MAX_RULE_INPUTS = 64;
const MAX_RULE_CHARS = 500;

function ruleText(v: unknown, field: string): string {
  const s = string(v, field);
  if (s.length > MAX_RULE_CHARS) throw new BundleError(field, `is ${s.length} characters long, more than the ${MAX_RULE_CHARS} a derivative may be`);
  return s;
}

function optionalDerivative(v: unknown, field: string): Derivative | undefined {
  if (v === undefined || v === null) return undefined;
  const d = record(v, field);
  const list = (x: unknown, f: string) => {
    const a = strings(x, f);
    if (a.length > MAX_RULE_INPUTS) throw new BundleError(f, `lists ${a.length} inputs, more than the ${MAX_RULE_INPUTS} a derivative may name`);
    return a.map((s, k) => ruleText(s, `${f}[${k}]`));
  };
  return {
    forward: ruleText(d.forward, `${field}.forward`),
    local: list(d.local, `${field}.local`),
    vjp: list(d.vjp, `${field}.vjp`),
    broadcasts: d.broadcasts === undefined ? false : boolean(d.broadcasts, `${field}.broadcasts`),
  };
}

/** A summary listing more numbers than this is refused (the library sends at most 8). */
const MAX_LISTED = 64;

function id(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new BundleError(field, `expected a whole number >= 0, got ${typeof v === "number" ? v : describe(v)}`);
  }
  return v;
}

export function summary(v: unknown, field: string, size?: number): Summary {
  if (Array.isArray(v)) {
    if (v.length > MAX_LISTED) throw new BundleError(field, `lists ${v.length} numbers, more than ${MAX_LISTED}`);
    if (size !== undefined && v.length !== size) {
      throw new BundleError(field, `lists ${v.length} numbers for a tensor of ${size} elements`);
    }
    return { values: v.map((x, i) => number(x, `${field}[${i}]`)) };
  }
  const r = record(v, field);
  return { min: number(r.min, `${field}.min`), max: number(r.max, `${field}.max`), mean: number(r.mean, `${field}.mean`) };
}

function optionalSummary(v: unknown, field: string, size?: number): Summary | undefined {
  return v === undefined || v === null ? undefined : summary(v, field, size);
}

function kindOf(v: unknown, op: string, nodeId: number, field: string): NodeKind {
  if (v === undefined || v === null) {
    // bundles from before node kinds: tell what the op says
    if (nodeId === 0) return "output";
    return op === "leaf" ? "leaf" : op === "constant" ? "constant" : "op";
  }
  const k = string(v, field);
  if (!(KINDS as readonly string[]).includes(k)) throw new BundleError(field, `expected one of ${KINDS.join(", ")}, got "${k.slice(0, 40)}"`);
  return k as NodeKind;
}

export function readGraph(data: unknown, maxDrawn = MAX_DRAWN): GraphData {
  const d = record(data, "graph");
  version(d.version);
  const rawNodes = array(d.nodes, "nodes");
  // the library's graph always holds the tensor it was drawn from: an empty one would draw
  // as a blank canvas under a toolbar
  if (rawNodes.length === 0) throw new BundleError("nodes", "is empty; a graph has at least the node it was drawn from");
  const all = new Set<number>();
  const nodes: GraphNodeData[] = [];
  rawNodes.forEach((raw, i) => {
    const f = `nodes[${i}]`;
    const n = record(raw, f);
    const nodeId = id(n.id, `${f}.id`);
    if (all.has(nodeId)) throw new BundleError(`${f}.id`, `id ${nodeId} is used by an earlier node too`);
    all.add(nodeId);
    if (i >= maxDrawn) return; // checked for ids, not drawn
    const op = string(n.op, `${f}.op`);
    const s = shape(n.shape, `${f}.shape`);
    const size = numel(s);
    const tensor = n.tensor === undefined || n.tensor === null ? undefined : record(n.tensor, `${f}.tensor`);
    nodes.push({
      id: nodeId,
      op,
      name: optionalString(n.name, `${f}.name`),
      kind: kindOf(n.kind, op, nodeId, `${f}.kind`),
      shape: s,
      value: optionalSummary(n.value, `${f}.value`, Array.isArray(n.value) ? size : undefined),
      grad: optionalSummary(n.grad, `${f}.grad`, Array.isArray(n.grad) ? size : undefined),
      tensor,
      derivative: optionalDerivative(n.derivative, `${f}.derivative`),
      index: i,
    });
  });
  const drawn = new Set(nodes.map((n) => n.id));

  const rawEdges = array(d.edges, "edges");
  if (rawEdges.length > MAX_EDGES) {
    throw new BundleError("edges", `has ${rawEdges.length} entries, more than the ${MAX_EDGES} a graph bundle may hold`);
  }
  const rawGrads = d.edgeGrads === undefined || d.edgeGrads === null ? null : array(d.edgeGrads, "edgeGrads");
  const edges: GraphEdgeData[] = [];
  const slots = new Map<number, number>();
  let skipped = 0;
  const isId = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;
  for (let i = 0; i < rawEdges.length; i++) {
    // a saved bundle may hold 100,000 edges: field names are built only for an error
    const raw = rawEdges[i];
    const pair = Array.isArray(raw) ? raw : array(raw, `edges[${i}]`);
    if (pair.length !== 2) throw new BundleError(`edges[${i}]`, `expected [from, to], got ${pair.length} entries`);
    const from = isId(pair[0]) ? pair[0] : id(pair[0], `edges[${i}][0]`);
    const to = isId(pair[1]) ? pair[1] : id(pair[1], `edges[${i}][1]`);
    if (!all.has(from)) throw new BundleError(`edges[${i}][0]`, `refers to node ${from}, which is not in nodes`);
    if (!all.has(to)) throw new BundleError(`edges[${i}][1]`, `refers to node ${to}, which is not in nodes`);
    const g = rawGrads ? rawGrads[i] : null;
    const grad = g === null || g === undefined ? null : summary(g, `edgeGrads[${i}]`);
    const slot = slots.get(to) ?? 0;
    slots.set(to, slot + 1);
    if (!drawn.has(from) || !drawn.has(to)) continue;
    if (edges.length < WALKED_EDGES) edges.push({ from, to, grad, index: i, slot });
    else skipped++;
  }
  if (rawGrads && rawGrads.length !== rawEdges.length) {
    throw new BundleError("edgeGrads", `has ${rawGrads.length} entries for ${rawEdges.length} edges`);
  }

  const order: number[] = [];
  if (d.order !== undefined && d.order !== null) {
    const seen = new Set<number>();
    array(d.order, "order").forEach((v, i) => {
      const o = id(v, `order[${i}]`);
      if (!all.has(o)) throw new BundleError(`order[${i}]`, `refers to node ${o}, which is not in nodes`);
      if (seen.has(o)) throw new BundleError(`order[${i}]`, `node ${o} appears twice`);
      seen.add(o);
      if (drawn.has(o)) order.push(o);
    });
  }
  const stepsAvailable = d.stepsAvailable === undefined ? rawGrads !== null : boolean(d.stepsAvailable, "stepsAvailable");
  const omitted = d.omitted === undefined || d.omitted === null ? 0 : id(d.omitted, "omitted");
  const omittedEdges = d.omittedEdges === undefined || d.omittedEdges === null ? 0 : id(d.omittedEdges, "omittedEdges");
  const truncated = d.truncated === undefined ? false : boolean(d.truncated, "truncated");
  const cut = rawNodes.length - nodes.length;
  return { nodes, edges, order, stepsAvailable, truncated: truncated || cut > 0 || skipped > 0, omitted: omitted + cut, omittedEdges: omittedEdges + skipped };
}
