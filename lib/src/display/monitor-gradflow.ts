// The gradient-flow side of Monitor: per-layer gradient statistics recorded each training
// step, and the bundle that carries them to the extension's view (a long run thinned).
import { noGrad } from "../core/autograd";
import type { Tensor } from "../tensor";
import { arrowBase64 } from "./arrow";
import { BUDGETS, MIME } from "./contract";
import { flagLayers, gradflowCut, GRADFLOW_RULE_TEXT } from "./gradflow-rule";
import { barChartSvg } from "./svg";

export type NamedParams = Iterable<[string, Tensor]> | Map<string, Tensor> | Record<string, Tensor>;

export interface LayerStat {
  step: number;
  layer: string;
  gradMean: number;
  gradMax: number;
  weightNorm: number;
  updateRatio: number;
}

function entries(p: NamedParams): [string, Tensor][] {
  if (p instanceof Map) return [...p.entries()];
  if (Symbol.iterator in (p as object)) return [...(p as Iterable<[string, Tensor]>)];
  return Object.entries(p as Record<string, Tensor>);
}

/** At most about this many recorded steps go into a gradient-flow bundle... */
export const MAX_GRADFLOW_STEPS = 200;
/** ...of which the newest this many are every recorded step. */
const GRADFLOW_TAIL = 50;

/**
 * Which of `n` recorded steps (by position, ascending) to send: all while there are at most
 * `budget`; beyond that the newest `GRADFLOW_TAIL` and, before them, every k-th from the
 * first, k a power of two so the kept steps stay put while the run grows.
 */
export function keptSteps(n: number, budget = MAX_GRADFLOW_STEPS): number[] {
  budget = Math.max(GRADFLOW_TAIL + 2, Math.floor(budget));
  if (n <= budget) return Array.from({ length: n }, (_, i) => i);
  const head = n - GRADFLOW_TAIL;
  let stride = 1;
  while (Math.ceil(head / stride) > budget - GRADFLOW_TAIL) stride *= 2;
  const out: number[] = [];
  for (let i = 0; i < head; i += stride) out.push(i);
  for (let i = head; i < n; i++) out.push(i);
  return out;
}

/**
 * Append the statistics of each watched parameter's gradient at `step` to `out` (weight
 * matrices only unless `allParameters`); `prev` keeps each weight's last values for the
 * update ratio. Returns how many layers were recorded.
 */
export function recordGradientStats(
  params: NamedParams, step: number, allParameters: boolean,
  prev: Map<string, { step: number; values: Float32Array }>, out: LayerStat[],
): number {
  let recorded = 0;
  noGrad(() => {
    for (const [name, p] of entries(params)) {
      if (!p.grad || (!allParameters && p.ndim < 2)) continue;
      const g = p.grad.values();
      const w = p.values();
      let gs = 0, gm = 0, ws = 0, ds = 0;
      const before = prev.get(name);
      for (let i = 0; i < g.length; i++) {
        const a = Math.abs(g[i]);
        gs += a;
        if (a > gm) gm = a;
        ws += w[i] * w[i];
        if (before) { const d = w[i] - before.values[i]; ds += d * d; }
      }
      const weightNorm = Math.sqrt(ws);
      const steps = before ? Math.max(step - before.step, 1) : 1;
      out.push({
        step, layer: name, gradMean: gs / Math.max(g.length, 1), gradMax: gm, weightNorm,
        updateRatio: before && weightNorm ? Math.sqrt(ds) / weightNorm / steps : NaN,
      });
      prev.set(name, { step, values: Float32Array.from(w) });
      recorded++;
    }
  });
  return recorded;
}

export interface GradflowBundleOptions {
  /**
   * The range [lo, hi] of mean |grad| the bars and colours span, when not the shared
   * default (GRADFLOW_AXIS in gradflow-rule.ts); give several monitors the same one to
   * compare them by eye.
   */
  axis?: [number, number];
}

/** A valid axis or an error naming what is wrong with it. */
export function checkAxis(axis: unknown): [number, number] {
  if (!Array.isArray(axis) || axis.length !== 2 || !axis.every((v) => typeof v === "number" && v > 0 && Number.isFinite(v)) || !(axis[0] < axis[1])) {
    throw new Error(`gradAxis must be [lo, hi] with 0 < lo < hi, finite; got ${JSON.stringify(axis)}`);
  }
  return [axis[0], axis[1]];
}

/**
 * The gradient flow as the extension draws it. Every update resends the table, so a long
 * run sends at most about MAX_GRADFLOW_STEPS of its recorded steps (the newest exactly), and
 * never more than BUDGETS.gradflowCells layers x steps; `stats` keeps them all. Besides the
 * table under the gradflow MIME type, a bar chart in SVG of the latest step marks the layers
 * the view flags (gradflow-rule.ts), and a text line counts them.
 */
export function gradflowBundle(stats: LayerStat[], opts: GradflowBundleOptions = {}): Record<string, unknown> {
  const allLayers = [...new Set(stats.map((s) => s.layer))];
  const recorded = [...new Set(stats.map((s) => s.step))].sort((a, b) => a - b);
  const cut = gradflowCut(allLayers.length, Math.min(recorded.length, MAX_GRADFLOW_STEPS), BUDGETS.gradflowCells);
  const layers = allLayers.slice(0, cut.layers);
  const sentLayers = new Set(layers);
  const keep = new Set(keptSteps(recorded.length, cut.steps).map((i) => recorded[i]));
  const rows = keep.size === recorded.length && layers.length === allLayers.length
    ? stats
    : stats.filter((s) => keep.has(s.step) && sentLayers.has(s.layer));
  const lastStep = stats.length ? stats[stats.length - 1].step : 0;
  const latest = stats.filter((s) => s.step === lastStep);
  const f = flagLayers(latest.map((s) => s.gradMean), latest.map((s) => s.gradMax));
  const count = (k: string) => f.flags.filter((x) => x === k).length;
  return {
    "text/plain":
      `gradient flow at step ${lastStep}: ${latest.length} layers, ${count("vanishing")} vanishing, ` +
      `${count("exploding")} exploding (${GRADFLOW_RULE_TEXT})`,
    [MIME.gradflow]: {
      version: 1,
      layers,
      steps: recorded.length,
      ...(layers.length < allLayers.length ? { totalLayers: allLayers.length } : {}),
      ...(opts.axis ? { axis: checkAxis(opts.axis) } : {}),
      data: arrowBase64({
        step: Float64Array.from(rows, (s) => s.step),
        layer: rows.map((s) => s.layer),
        gradMean: Float64Array.from(rows, (s) => s.gradMean),
        gradMax: Float64Array.from(rows, (s) => s.gradMax),
        weightNorm: Float64Array.from(rows, (s) => s.weightNorm),
        updateRatio: Float64Array.from(rows, (s) => s.updateRatio),
      }),
    },
    "image/svg+xml": barChartSvg(
      `step ${lastStep}: mean |grad| per layer, red = vanishing or exploding (rule in the text output)`,
      latest.map((s, i) => ({ label: s.layer, value: s.gradMean, marked: f.flags[i] !== null })),
      720,
    ),
  };
}
