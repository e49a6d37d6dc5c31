// Small 2-D classification sets for first experiments, drawn as scikit-learn draws them
// (make_moons, make_circles) and as CS231n draws its spirals, from the seeded generator.
import { Tensor } from "../tensor";
import { Generator, defaultGenerator } from "../core/random";

export interface ToyOptions {
  /** Standard deviation of Gaussian noise (on the coordinates; on the angle for spirals). */
  noise?: number;
  /** Shuffle the samples (default true, as scikit-learn does); classes come in blocks otherwise. */
  shuffle?: boolean;
  generator?: Generator;
}

export interface ToySet {
  /** [n, 2] float32 */
  x: Tensor;
  /** [n] int32 class ids */
  y: Tensor;
}

function checkCount(op: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${op}: n must be a non-negative integer, got ${n}`);
}

function linspace(start: number, end: number, steps: number, endpoint = true): number[] {
  const div = endpoint ? steps - 1 : steps;
  return Array.from({ length: steps }, (_, i) => (div <= 0 ? start : start + ((end - start) * i) / div));
}

function finish(points: number[][], labels: number[], opts: ToyOptions, coordNoise: boolean): ToySet {
  const g = opts.generator ?? defaultGenerator;
  const noise = opts.noise ?? 0;
  const n = labels.length;
  const order = opts.shuffle ?? true ? g.permutation(n) : Array.from({ length: n }, (_, i) => i);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  order.forEach((src, i) => {
    x[2 * i] = points[src][0];
    x[2 * i + 1] = points[src][1];
    y[i] = labels[src];
  });
  if (coordNoise && noise > 0) for (let i = 0; i < x.length; i++) x[i] += noise * g.normal();
  return { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n]) };
}

/** Two interleaving half circles; class 0 is the upper moon. */
export function makeMoons(n = 100, opts: ToyOptions = {}): ToySet {
  checkCount("makeMoons()", n);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const points: number[][] = [];
  const labels: number[] = [];
  for (const t of linspace(0, Math.PI, nOut)) {
    points.push([Math.cos(t), Math.sin(t)]);
    labels.push(0);
  }
  for (const t of linspace(0, Math.PI, nIn)) {
    points.push([1 - Math.cos(t), 1 - Math.sin(t) - 0.5]);
    labels.push(1);
  }
  return finish(points, labels, opts, true);
}

/** A large circle (class 0) around a smaller one (class 1) of radius `factor`. */
export function makeCircles(n = 100, opts: ToyOptions & { factor?: number } = {}): ToySet {
  checkCount("makeCircles()", n);
  const factor = opts.factor ?? 0.8;
  if (!(factor >= 0 && factor < 1)) throw new Error(`makeCircles(): factor must be in [0, 1), got ${factor}`);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const points: number[][] = [];
  const labels: number[] = [];
  for (const t of linspace(0, 2 * Math.PI, nOut, false)) {
    points.push([Math.cos(t), Math.sin(t)]);
    labels.push(0);
  }
  for (const t of linspace(0, 2 * Math.PI, nIn, false)) {
    points.push([factor * Math.cos(t), factor * Math.sin(t)]);
    labels.push(1);
  }
  return finish(points, labels, opts, true);
}

/** `classes` interleaved spiral arms from the origin, n points shared as evenly as possible (noise 0.2 on the angle by default). */
export function makeSpirals(n = 300, opts: ToyOptions & { classes?: number } = {}): ToySet {
  checkCount("makeSpirals()", n);
  const classes = opts.classes ?? 3;
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`makeSpirals(): classes must be a positive integer, got ${classes}`);
  const g = opts.generator ?? defaultGenerator;
  const noise = opts.noise ?? 0.2;
  const points: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < classes; c++) {
    const m = Math.floor(n / classes) + (c < n % classes ? 1 : 0);
    const radii = linspace(0, 1, m);
    const angles = linspace(c * 4, (c + 1) * 4, m);
    for (let i = 0; i < m; i++) {
      const t = angles[i] + noise * g.normal();
      points.push([radii[i] * Math.sin(t), radii[i] * Math.cos(t)]);
      labels.push(c);
    }
  }
  return finish(points, labels, { ...opts, generator: g }, false);
}
