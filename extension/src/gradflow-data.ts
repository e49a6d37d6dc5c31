// The gradient-flow bundle read into layers x steps grids, and the rule that marks a
// layer whose gradient has vanished or exploded at a step.
import { numberColumn, readTable, stringColumn } from "./arrow";
import { BundleError, MAX_ELEMENTS, number, record, strings, version } from "./validate";

export const COLUMNS = ["gradMean", "gradMax", "weightNorm", "updateRatio"] as const;
export type Stat = (typeof COLUMNS)[number];

/** More layers than this are refused: one DOM row each. */
const MAX_LAYERS = 4096;

export interface Gradflow {
  layers: string[];
  /** The steps sent, ascending: a long run sends some of its recorded steps. */
  steps: number[];
  /** How many steps the run recorded in all (at least steps.length). */
  recorded: number;
  /** grid[stat][layer * steps.length + stepIndex]; NaN where the layer has no record then. */
  grid: Record<Stat, Float64Array>;
  /** 1 where a record exists (NaN is also a value the library can send). */
  present: Uint8Array;
}

export function parseGradflow(data: unknown): Gradflow {
  const d = record(data, "gradflow");
  version(d.version);
  const layers = strings(d.layers, "layers");
  if (layers.length > MAX_LAYERS) throw new BundleError("layers", `has ${layers.length} layers; at most ${MAX_LAYERS} are drawn`);
  const index = new Map<string, number>();
  layers.forEach((name, i) => {
    if (index.has(name)) throw new BundleError(`layers[${i}]`, `repeats the layer name "${name.slice(0, 40)}"`);
    index.set(name, i);
  });
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
  const steps = [...stepSet].sort((a, b) => a - b);
  // bundles from before the library thinned long runs have no count: everything was sent
  let recorded = steps.length;
  if (d.steps !== undefined) {
    recorded = number(d.steps, "steps");
    if (!Number.isInteger(recorded) || recorded < steps.length) {
      throw new BundleError("steps", `is ${recorded}, but the data holds ${steps.length} distinct steps`);
    }
  }
  const cells = layers.length * steps.length;
  if (cells > MAX_ELEMENTS) throw new BundleError("data", `${layers.length} layers x ${steps.length} steps is more than ${MAX_ELEMENTS} cells`);
  const stepIndex = new Map(steps.map((s, i) => [s, i]));
  const grid = {} as Record<Stat, Float64Array>;
  for (const c of COLUMNS) grid[c] = new Float64Array(cells).fill(NaN);
  const present = new Uint8Array(cells);
  for (let r = 0; r < n; r++) {
    const cell = index.get(layer[r])! * steps.length + stepIndex.get(step[r])!;
    present[cell] = 1;
    for (const c of COLUMNS) grid[c][cell] = cols[c][r];
  }
  return { layers, steps, recorded, grid, present };
}

// The library's static SVG marks layers 1000x off the median; the same factor here, so both
// pictures agree. The absolute bounds catch a whole network dying or blowing up together,
// which a rule relative to the median cannot see.
export const FLAG_FACTOR = 1000;
export const VANISHING_ABS = 1e-7;
export const EXPLODING_ABS = 1e3;

export const RULE_TEXT =
  `vanishing: mean |grad| < median/${FLAG_FACTOR} or < ${VANISHING_ABS}; ` +
  `exploding: mean |grad| > ${FLAG_FACTOR} x median, or max |grad| > ${EXPLODING_ABS} or not finite ` +
  `(median over the layers at this step)`;

export type Flag = "vanishing" | "exploding" | null;

export interface StepFlags {
  median: number;
  flags: Flag[];
  /** Why each flagged layer was flagged, in words. */
  reasons: string[];
}

/** The upper median, as the library computes it, of the finite values. */
export function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : NaN;
}

export function flagsAt(g: Gradflow, s: number): StepFlags {
  const S = g.steps.length;
  const L = g.layers.length;
  const mean = (l: number) => g.grid.gradMean[l * S + s];
  const max = (l: number) => g.grid.gradMax[l * S + s];
  const here: number[] = [];
  for (let l = 0; l < L; l++) if (g.present[l * S + s]) here.push(mean(l));
  const med = median(here);
  const flags: Flag[] = new Array(L).fill(null);
  const reasons: string[] = new Array(L).fill("");
  for (let l = 0; l < L; l++) {
    if (!g.present[l * S + s]) continue;
    const m = mean(l), x = max(l);
    const relative = med > 0;
    if (!Number.isFinite(x) || !Number.isFinite(m)) {
      flags[l] = "exploding";
      reasons[l] = `exploding: ${Number.isFinite(m) ? "max" : "mean"} |grad| is not finite`;
    } else if (x > EXPLODING_ABS) {
      flags[l] = "exploding";
      reasons[l] = `exploding: max |grad| > ${EXPLODING_ABS}`;
    } else if (relative && m > med * FLAG_FACTOR) {
      flags[l] = "exploding";
      reasons[l] = `exploding: mean |grad| > ${FLAG_FACTOR} x median`;
    } else if (relative && m < med / FLAG_FACTOR) {
      flags[l] = "vanishing";
      reasons[l] = `vanishing: mean |grad| < median/${FLAG_FACTOR}`;
    } else if (m < VANISHING_ABS) {
      flags[l] = "vanishing";
      reasons[l] = `vanishing: mean |grad| < ${VANISHING_ABS}`;
    }
  }
  return { median: med, flags, reasons };
}
