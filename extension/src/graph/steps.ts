// The backward pass as a sequence of steps, one node per step in the bundle's order: the
// gradient that arrives at the node, its op's local derivative, and what flows along each
// edge into its inputs, summed where several paths reach the same input.
import { fmtCount, fmtNumber, fmtShape } from "../shared/format";
import type { GraphData, GraphEdgeData, GraphNodeData, Summary } from "./bundle";
import { genericKind, inputName, type Derivative } from "chainlab/dist/core/derivative";

/** The op's derivative as the bundle sends it; bundles from before it say where the rule lives. */
function ruleOf(n: GraphNodeData, inputs: number): Derivative {
  return n.derivative ?? genericKind(n.op, inputs).derivative;
}

/** A gradient summed over the contributions seen so far: the numbers when known, else the mean. */
export interface Running {
  values?: number[];
  mean: number;
  terms: number;
}

export interface StepState {
  /** -1 before the first step. */
  index: number;
  active: number | null;
  done: Set<number>;
  /** Positions in data.edges of the edges carrying gradient at this step. */
  activeEdges: Set<number>;
  doneEdges: Set<number>;
  /** Gradient summed so far at every node some contribution has reached. */
  running: Map<number, Running>;
  lines: string[];
}

export function fmtSummary(s: Summary | undefined): string {
  if (!s) return "—";
  if ("values" in s) return s.values.length === 1 ? fmtNumber(s.values[0]) : `[${s.values.map((v) => fmtNumber(v)).join(", ")}]`;
  return `min ${fmtNumber(s.min)}, max ${fmtNumber(s.max)}, mean ${fmtNumber(s.mean)}`;
}

export function fmtRunning(r: Running): string {
  if (r.values) return r.values.length === 1 ? fmtNumber(r.values[0]) : `[${r.values.map((v) => fmtNumber(v)).join(", ")}]`;
  return `mean ${fmtNumber(r.mean)}`;
}

function meanOf(s: Summary): number {
  return "values" in s ? s.values.reduce((a, b) => a + b, 0) / Math.max(1, s.values.length) : s.mean;
}

/** A running sum with one more contribution. */
export function addSummary(r: Running | undefined, s: Summary): Running {
  const values = "values" in s ? s.values : undefined;
  if (!r) return { values: values ? [...values] : undefined, mean: meanOf(s), terms: 1 };
  const sum = r.values && values && r.values.length === values.length ? r.values.map((v, i) => v + values[i]) : undefined;
  return { values: sum, mean: r.mean + meanOf(s), terms: r.terms + 1 };
}

export function nodeLabel(n: GraphNodeData): string {
  return `${n.name ? `${n.name} = ` : ""}${n.kind === "op" || n.kind === "output" ? n.op : n.kind === "param" ? "parameter" : n.kind} ${fmtShape(n.shape)}`;
}

/** A short handle for a node in formulas: its name, else its op and id. */
export function nodeHandle(n: GraphNodeData): string {
  return n.name ?? `${n.op}#${n.id}`;
}

/** Edge lines narrated for one step; the rest of a node's inputs are counted. */
export const MAX_EDGE_LINES = 12;

export class Stepper {
  readonly byId = new Map<number, GraphNodeData>();
  /** Edge positions into each node, in the order the op read its inputs. */
  readonly into = new Map<number, number[]>();
  readonly uses = new Map<number, number>();

  /** Per edge: 1 where the backward pass sends something along it (see carries). */
  private readonly carry: Uint8Array;

  constructor(readonly data: GraphData) {
    for (const n of data.nodes) this.byId.set(n.id, n);
    this.carry = new Uint8Array(data.edges.length);
    data.edges.forEach((e, i) => {
      let list = this.into.get(e.to);
      if (!list) this.into.set(e.to, (list = []));
      list.push(i);
      this.uses.set(e.from, (this.uses.get(e.from) ?? 0) + 1);
      this.carry[i] = this.carries(e) ? 1 : 0;
    });
  }

  get count(): number {
    return this.data.order.length;
  }

  /**
   * True where the backward pass sends something along the edge: never into a constant,
   * and, when the pass was recorded, only where it recorded a gradient.
   */
  carries(e: GraphEdgeData): boolean {
    if (this.byId.get(e.from)?.kind === "constant") return false;
    return !this.data.stepsAvailable || e.grad !== null;
  }

  /**
   * The gradient line of a node's box at a step: before the pass only the output holds
   * one (dL/dL); a node shows its gradient once the walk reaches it, and before that what
   * has been summed into it so far.
   */
  gradText(n: GraphNodeData, s: StepState): string {
    if (n.kind === "constant") return "grad — (constant)";
    const reached = s.done.has(n.id) || s.active === n.id || (s.index < 0 && this.count > 0 && this.data.order[0] === n.id);
    if (reached) return n.grad ? `grad ${fmtSummary(n.grad)}` : "grad not recorded";
    const r = s.running.get(n.id);
    if (r && this.data.stepsAvailable) return `grad += ${fmtRunning(r)}`;
    return "grad not yet";
  }

  /** Whether the node's gradient is known at this step (for the detail panel). */
  reached(id: number, s: StepState): boolean {
    return s.done.has(id) || s.active === id || (s.index < 0 && this.count > 0 && this.data.order[0] === id);
  }

  state(index: number): StepState {
    const i = Math.max(-1, Math.min(index, this.count - 1));
    const done = new Set<number>();
    const doneEdges = new Set<number>();
    const running = new Map<number, Running>();
    const lines: string[] = [];
    let activeEdges = new Set<number>();
    for (let s = 0; s <= i; s++) {
      const id = this.data.order[s];
      const last = s === i;
      if (last) lines.push(...this.headLines(s, id));
      const edges = this.into.get(id) ?? [];
      const told = Math.min(edges.length, MAX_EDGE_LINES);
      const lit = last ? (activeEdges = new Set<number>()) : doneEdges;
      for (let k = 0; k < edges.length; k++) {
        const e = edges[k];
        const edge = this.data.edges[e];
        const before = running.get(edge.from);
        if (this.carry[e]) {
          lit.add(e);
          if (edge.grad) running.set(edge.from, addSummary(before, edge.grad));
        }
        if (last && k < told) lines.push(this.edgeLine(id, edge, before, running.get(edge.from)));
      }
      if (last && edges.length > told) {
        lines.push(`… and ${fmtCount(edges.length - told)} more inputs, each sent its part the same way.`);
      }
      if (last) lines.push(...this.tailLines(s, id));
      else done.add(id);
    }
    if (i < 0) lines.push(...this.introLines());
    // after the last step nothing is left to run anywhere
    const finished = i >= 0 && i === this.count - 1 ? new Set(this.data.nodes.map((n) => n.id)) : done;
    return { index: i, active: i >= 0 ? this.data.order[i] : null, done: finished, activeEdges, doneEdges, running, lines };
  }

  private introLines(): string[] {
    if (!this.count) return ["No node of this graph needs a gradient, so backward() has nothing to do."];
    const out = this.byId.get(this.data.order[0])!;
    const lines = [
      `Before the pass no gradient is known except the output's own: dL/dL = ${out.grad ? fmtSummary(out.grad) : "1"} at ${nodeHandle(out)}.`,
      `The backward pass visits ${this.count} node${this.count === 1 ? "" : "s"}, from the output back to the inputs. ` +
        "At each one the incoming gradient g = dL/d(node) is multiplied by the op's local derivative and sent to its inputs; " +
        "an input reached by several paths sums what arrives (+=).",
      "Next runs one vector-Jacobian product; Play runs them all.",
    ];
    if (!this.data.stepsAvailable) lines.push(NOT_RECORDED);
    return lines;
  }

  private headLines(s: number, id: number): string[] {
    const n = this.byId.get(id)!;
    const lines = [`Step ${s + 1} of ${this.count}: ${nodeLabel(n)}`];
    const g = n.grad ? fmtSummary(n.grad) : "not recorded";
    if (s === 0) lines.push(`g = dL/d(${nodeHandle(n)}) = ${g}: the pass starts from the output, whose gradient with respect to itself is 1.`);
    else {
      const uses = this.uses.get(id) ?? 0;
      lines.push(`g = dL/d(${nodeHandle(n)}) = ${g}${uses > 1 ? `: the sum of what its ${uses} uses sent back` : ""}.`);
    }
    const inputs = (this.into.get(id) ?? []).length;
    if (n.kind === "op" || (n.kind === "output" && inputs)) lines.push(`${n.op}: ${ruleOf(n, inputs).forward}`);
    return lines;
  }

  private edgeLine(id: number, edge: GraphEdgeData, before: Running | undefined, after: Running | undefined): string {
    const n = this.byId.get(id)!;
    const x = this.byId.get(edge.from)!;
    const k = edge.slot;
    const rule = ruleOf(n, (this.into.get(id) ?? []).length);
    const a = inputName(k);
    const head = `→ ${a} = ${nodeHandle(x)} ${fmtShape(x.shape)}: `;
    if (x.kind === "constant") return `${head}a constant, so no gradient flows to it.`;
    const broadcast = rule.broadcasts && fmtShape(x.shape) !== fmtShape(n.shape) ? `, summed back to ${a}'s shape` : "";
    const local = rule.local[k] ?? `∂y/∂${a} as ${n.op}'s backward defines it`;
    const vjp = rule.vjp[k] ?? `vjp of ${n.op} for ${a}`;
    const sent = edge.grad ? ` = ${fmtSummary(edge.grad)}` : this.data.stepsAvailable ? " (nothing flows)" : "";
    const acc = before && after ? `; ${nodeHandle(x)} += that, running sum ${fmtRunning(after)}` : "";
    return `${head}${local}; sends ${vjp}${broadcast}${sent}${acc}.`;
  }

  private tailLines(s: number, id: number): string[] {
    const n = this.byId.get(id)!;
    const lines: string[] = [];
    if (n.kind === "leaf" || n.kind === "param") {
      lines.push(`${nodeHandle(n)} is a ${n.kind === "param" ? "parameter" : "leaf"}: the gradient stops here, ${nodeHandle(n)}.grad = ${fmtSummary(n.grad)}.`);
    }
    if (s === this.count - 1) {
      const leaves = this.data.nodes.filter((m) => m.kind === "leaf" || m.kind === "param");
      lines.push(
        "Done: every vector-Jacobian product has run. " +
          (leaves.length ? `The leaves hold their gradients: ${leaves.map((m) => `${nodeHandle(m)}.grad = ${fmtSummary(m.grad)}`).join("; ")}.` : ""),
      );
      if (!this.data.stepsAvailable) lines.push(NOT_RECORDED);
    }
    return lines;
  }
}

export const NOT_RECORDED =
  "These gradients were not recorded step by step: backward() had already freed the graph. " +
  "Call computationGraph(y) before y.backward() (or backward with {retainGraph: true}) to see what flows along each edge.";
