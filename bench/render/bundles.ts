// The bundles the renderer benchmark draws, made in node with the library's own code
// (lib/dist), so that what the page decodes is byte for byte what a kernel would send.
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const cl = require(path.join(root, "lib", "dist"));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { arrowBase64 } = require(path.join(root, "lib", "dist", "display", "arrow.js"));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { tensorStats } = require(path.join(root, "lib", "dist", "display", "tensor.js"));

export const TENSOR_MIME = "application/vnd.chainlab.tensor+json";
export const CURVES_MIME = "application/vnd.chainlab.curves+json";
const display = Symbol.for("Jupyter.display");
export { everyKindOutputs } from "../../test/browser/every-kind";

export type Bundle = Record<string, unknown>;

/** Every value of a [rows, cols] float32 tensor in one bundle: more than the library ever sends. */
export function fullTensorBundle(rows: number, cols: number): Bundle {
  cl.manualSeed(0);
  const values = Float32Array.from(cl.randn([rows, cols]).values() as ArrayLike<number>);
  return {
    version: 1,
    shape: [rows, cols],
    shownShape: [rows, cols],
    dtype: "float32",
    stats: tensorStats(values),
    truncated: false,
    data: arrowBase64({ value: values }),
  };
}

/** What `display(randn([rows, cols]))` sends: the library's summary of at most 10,000 values. */
export function libraryTensorBundle(rows: number, cols: number): Bundle {
  cl.manualSeed(1);
  return cl.randn([rows, cols])[display]()[TENSOR_MIME];
}

/** A noisy, decaying loss, the same for every bundle of a run. */
function loss(step: number, val: boolean): number {
  const noise = Math.sin(step * 12.9898) * 43758.5453;
  return 2.5 * Math.exp(-step / 20_000) + 0.3 + (val ? 0.05 : 0.15 * (noise - Math.floor(noise) - 0.5));
}

export interface RunShape {
  /** Training steps logged by the last bundle. */
  steps: number;
  /** Bundles of the run, each `grow` steps longer than the one before. */
  bundles: number;
  grow: number;
  /** A validation point every this many steps. */
  valEvery: number;
}

/** The curves bundles a Monitor sends while a run grows (each thinned to about 2,000 points a series). */
export function monitorCurves(run: RunShape): Bundle[] {
  const m = new cl.Monitor({ title: "live run", show: false });
  const out: Bundle[] = [];
  const first = run.steps - (run.bundles - 1) * run.grow;
  for (let step = 0; step < run.steps; step++) {
    m.log({ train: loss(step, false) }, step);
    if (step % run.valEvery === 0) m.log({ val: loss(step, true) }, step);
    if (step + 1 >= first && (step + 1 - first) % run.grow === 0) out.push(m.curvesBundle()[CURVES_MIME]);
  }
  return out;
}

/** The same run with every point in the table, as a peer or an older kernel could send it. */
export function rawCurves(run: RunShape): Bundle[] {
  const out: Bundle[] = [];
  for (let b = 0; b < run.bundles; b++) {
    const steps = run.steps - (run.bundles - 1 - b) * run.grow;
    const step: number[] = [], series: string[] = [], value: number[] = [];
    let val = 0;
    for (let s = 0; s < steps; s++) {
      step.push(s); series.push("train"); value.push(loss(s, false));
      if (s % run.valEvery === 0) { step.push(s); series.push("val"); value.push(loss(s, true)); val++; }
    }
    out.push({
      version: 1,
      title: "live run (every point)",
      xLabel: "step",
      monitorId: "bench-raw",
      running: true,
      downsampled: false,
      series: [{ name: "train", split: "train", count: steps }, { name: "val", split: "val", count: val }],
      data: arrowBase64({ step: Float64Array.from(step), series, value: Float64Array.from(value) }),
    });
  }
  return out;
}

/** One output of every kind, as saved in a notebook (test/browser/saved.test.ts makes the same). */
/** Base64 characters of a bundle's Arrow payload. */
export function payloadChars(b: Bundle): number {
  return typeof b.data === "string" ? b.data.length : 0;
}
