// The gradient-flow bundle read into layers x steps grids, within BUDGETS.gradflowCells
// whatever the bundle claims, and the flags of each step by the library's rule.
import { flagLayers, gradflowCut, GRADFLOW_AXIS, GRADFLOW_RULE, GRADFLOW_RULE_TEXT, type GradFlag, type StepFlags } from "chainlab/dist/display/gradflow-rule";
import { numberColumn, readTable, stringColumn } from "../shared/arrow";
import type { LogAxis } from "./axis";
import { BUDGETS } from "../shared/mime";
import { array, BundleError, number, record, strings, version } from "../shared/validate";

export { GRADFLOW_RULE, GRADFLOW_RULE_TEXT };
export type Flag = GradFlag;
export type { StepFlags };

export const COLUMNS = ["gradMean", "gradMax", "weightNorm", "updateRatio"] as const;
export type Stat = (typeof COLUMNS)[number];

export interface Gradflow {
  /** The layers drawn: all of them, or the first that fit the budget. */
  layers: string[];
  /** How many layers the run has (at least layers.length). */
  totalLayers: number;
  /** The steps drawn, ascending: a long run sends some of its recorded steps. */
  steps: number[];
  /** How many distinct steps the bundle held (at least steps.length; more when cut here). */
  sentSteps: number;
  /** How many steps the run recorded in all (at least sentSteps). */
  recorded: number;
  /** log10 range of the gradient bars and colours: the bundle's `axis` or the shared default. */
  axis: LogAxis;
  /** grid[stat][layer * steps.length + stepIndex]; NaN where the layer has no record then. */
  grid: Record<Stat, Float64Array>;
  /** 1 where a record exists (NaN is also a value the library can send). */
  present: Uint8Array;
}

function readAxis(v: unknown): LogAxis {
  if (v === undefined) return { ...GRADFLOW_AXIS };
  const a = array(v, "axis");
  const [lo, hi] = a.map((x, i) => number(x, `axis[${i}]`));
  if (a.length !== 2 || !(lo > 0) || !(hi > lo) || !Number.isFinite(hi)) {
    throw new BundleError("axis", "expected [lo, hi] with 0 < lo < hi, finite");
  }
  return { lo: Math.log10(lo), hi: Math.log10(hi) };
}

export function parseGradflow(data: unknown): Gradflow {
  const d = record(data, "gradflow");
  version(d.version);
  // every name is read (rows name them), but a list longer than the cells of one view is a lie
  if (Array.isArray(d.layers) && d.layers.length > BUDGETS.gradflowCells) {
    throw new BundleError("layers", `has ${d.layers.length} layers; a view holds at most ${BUDGETS.gradflowCells} cells`);
  }
  const allLayers = strings(d.layers, "layers");
  const index = new Map<string, number>();
  allLayers.forEach((name, i) => {
    if (index.has(name)) throw new BundleError(`layers[${i}]`, `repeats the layer name "${name.slice(0, 40)}"`);
    index.set(name, i);
  });
  let totalLayers = allLayers.length;
  if (d.totalLayers !== undefined) {
    totalLayers = number(d.totalLayers, "totalLayers");
    if (!Number.isInteger(totalLayers) || totalLayers < allLayers.length) {
      throw new BundleError("totalLayers", `is ${totalLayers}, but layers names ${allLayers.length}`);
    }
  }
  const axis = readAxis(d.axis);
  // the table's size is bounded by BUDGETS.bundleBytes in readTable
  const table = readTable(d.data, "data");
  const n = table.numRows;
  const step = numberColumn(table, "step", "data");
  const layer = stringColumn(table, "layer", "data");
  const cols = {} as Record<Stat, ArrayLike<number>>;
  for (const c of COLUMNS) cols[c] = numberColumn(table, c, "data");
  for (const [name, len] of [["step", step.length], ["layer", layer.length], ...COLUMNS.map((c) => [c, cols[c].length] as const)] as const) {
    if (len !== n) throw new BundleError("data", `column "${name}" has ${len} values, the table ${n} rows`);
  }

  const stepSet = new Set<number>();
  for (let r = 0; r < n; r++) {
    if (!Number.isFinite(step[r])) throw new BundleError("data", `row ${r} has step ${step[r]}`);
    if (!index.has(layer[r])) throw new BundleError("data", `row ${r} names layer "${layer[r].slice(0, 40)}", which is not in layers`);
    stepSet.add(step[r]);
  }
  const allSteps = [...stepSet].sort((a, b) => a - b);
  // bundles from before the library thinned long runs have no count: everything was sent
  let recorded = allSteps.length;
  if (d.steps !== undefined) {
    recorded = number(d.steps, "steps");
    if (!Number.isInteger(recorded) || recorded < allSteps.length) {
      throw new BundleError("steps", `is ${recorded}, but the data holds ${allSteps.length} distinct steps`);
    }
  }
  // the same cut the library makes: the first layers, then the newest steps that fit
  const cut = gradflowCut(allLayers.length, allSteps.length, BUDGETS.gradflowCells);
  const layers = allLayers.slice(0, cut.layers);
  const steps = allSteps.slice(allSteps.length - cut.steps);
  const cells = layers.length * steps.length;
  const stepIndex = new Map(steps.map((s, i) => [s, i]));
  const grid = {} as Record<Stat, Float64Array>;
  for (const c of COLUMNS) grid[c] = new Float64Array(cells).fill(NaN);
  const present = new Uint8Array(cells);
  for (let r = 0; r < n; r++) {
    const l = index.get(layer[r])!;
    const s = stepIndex.get(step[r]);
    if (l >= layers.length || s === undefined) continue;
    const cell = l * steps.length + s;
    present[cell] = 1;
    for (const c of COLUMNS) grid[c][cell] = cols[c][r];
  }
  return { layers, totalLayers: Math.max(totalLayers, allLayers.length), steps, sentSteps: allSteps.length, recorded, axis, grid, present };
}

/** The flags of every layer at step index s, by the library's rule (gradflow-rule.ts). */
export function flagsAt(g: Gradflow, s: number): StepFlags {
  const S = g.steps.length, L = g.layers.length;
  const mean = new Float64Array(L), max = new Float64Array(L), present = new Uint8Array(L);
  for (let l = 0; l < L; l++) {
    mean[l] = g.grid.gradMean[l * S + s];
    max[l] = g.grid.gradMax[l * S + s];
    present[l] = g.present[l * S + s];
  }
  return flagLayers(mean, max, present);
}
