// Classification metrics with scikit-learn's definitions: accuracy, precision, recall, F1
// (binary, or averaged over classes) and the confusion matrix. Predictions may be class ids
// or scores: a 2-D float tensor of logits or probabilities is reduced by argmax over its
// last dim, since that is what a classifier's forward() returns.
import { attachAxisLabels } from "./display/tensor";
import { Tensor } from "./tensor";
import { fmt } from "./core/shape";

export type Labels = Tensor | readonly number[] | readonly (readonly number[])[];

export interface AverageOptions {
  /**
   * "binary" (default): the score of class `posLabel` alone. "macro": the unweighted mean over
   * classes. "weighted": the mean weighted by each class's support. "micro": from the total
   * counts, which for single-label data equals accuracy.
   */
  average?: "binary" | "macro" | "micro" | "weighted";
  /** The classes 0..numClasses-1 to average over (absent classes then count as 0); by default the classes that occur. */
  numClasses?: number;
  /** The positive class for "binary" (default 1). */
  posLabel?: number;
  /** Turn float scores of shape [N] into ids: score >= threshold is class 1. */
  threshold?: number;
}

function isInt(v: number): boolean {
  return Number.isInteger(v);
}

/** Class ids as a flat array, from ids, [N, C] scores, or thresholded [N] scores. */
function toIds(op: string, what: string, x: Labels, threshold?: number): ArrayLike<number> {
  let values: ArrayLike<number>;
  let shape: number[];
  let isFloat: boolean;
  if (x instanceof Tensor) {
    values = (x.dtype === "int64" ? x.int() : x).values(); // class ids fit in int32
    shape = [...x.shape];
    isFloat = x.dtype === "float32";
  } else if (Array.isArray(x)) {
    if (x.length > 0 && Array.isArray(x[0])) {
      const rows = x as readonly (readonly number[])[];
      const t = Tensor.from(rows);
      values = t.values();
      shape = [...t.shape];
    } else {
      values = x as readonly number[];
      shape = [x.length];
    }
    isFloat = true;
  } else {
    throw new Error(`${op}(): ${what} must be a Tensor or an array of numbers`);
  }
  if (shape.length === 2 && shape[1] === 1) shape = [shape[0]];
  if (shape.length === 2) {
    // argmax over classes, first maximum wins as in PyTorch
    const [n, c] = shape;
    if (c === 0) throw new Error(`${op}(): ${what} has shape ${fmt(shape)}, with no classes to take the argmax over`);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (values[i * c + j] > values[i * c + best]) best = j;
      out[i] = best;
    }
    return out;
  }
  if (shape.length !== 1) {
    throw new Error(`${op}(): ${what} must be class ids of shape [N] or scores of shape [N, C], got shape ${fmt(shape)}`);
  }
  if (threshold !== undefined && isFloat) {
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i] >= threshold ? 1 : 0;
    return out;
  }
  for (let i = 0; i < values.length; i++) {
    if (!isInt(values[i]) || values[i] < 0) {
      throw new Error(
        `${op}(): ${what}[${i}] is ${Number(values[i].toPrecision(7))}, not a class id (a non-negative integer); for scores of shape [N] ` +
          `pass {threshold} (e.g. 0.5 for probabilities, 0 for logits), for [N, C] scores the argmax is taken`,
      );
    }
  }
  return values;
}

function pair(op: string, pred: Labels, target: Labels, threshold?: number): [ArrayLike<number>, ArrayLike<number>] {
  const p = toIds(op, "pred", pred, threshold);
  const t = toIds(op, "target", target);
  if (p.length !== t.length) {
    throw new Error(`${op}(): pred has ${p.length} samples but target has ${t.length}`);
  }
  return [p, t];
}

/** The fraction of predictions equal to the target. */
export function accuracy(pred: Labels, target: Labels, opts: { threshold?: number } = {}): number {
  const [p, t] = pair("accuracy", pred, target, opts.threshold);
  if (p.length === 0) throw new Error("accuracy(): no samples");
  let hits = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === t[i]) hits++;
  return hits / p.length;
}

/**
 * Counts C[true][pred] as an int32 tensor of shape [numClasses, numClasses] (rows are true
 * classes, as in scikit-learn). Its display is a heatmap with the axes titled "true" and
 * "predicted" and the classes named by `classNames` (their ids without it).
 * @example metrics.confusionMatrix(logits, y, 3, { classNames: ["cat", "dog", "bird"] })
 */
export function confusionMatrix(
  pred: Labels, target: Labels, numClasses?: number, opts: { threshold?: number; classNames?: readonly string[] } = {},
): Tensor {
  const [p, t] = pair("confusionMatrix", pred, target, opts.threshold);
  let c = numClasses;
  if (c === undefined) {
    c = 0;
    for (let i = 0; i < p.length; i++) c = Math.max(c, p[i] + 1, t[i] + 1);
  }
  if (!Number.isInteger(c) || c < 1) throw new Error(`confusionMatrix(): numClasses must be a positive integer, got ${numClasses}`);
  const out = new Int32Array(c * c);
  for (let i = 0; i < p.length; i++) {
    if (p[i] >= c || t[i] >= c) {
      const [what, v] = t[i] >= c ? ["target", t[i]] : ["pred", p[i]];
      throw new Error(`confusionMatrix(): ${what}[${i}] is class ${v}, outside 0..${c - 1} (numClasses ${c})`);
    }
    out[t[i] * c + p[i]]++;
  }
  const names = opts.classNames ?? Array.from({ length: c }, (_, i) => String(i));
  if (names.length !== c) {
    throw new Error(`confusionMatrix(): classNames has ${names.length} names for ${c} classes`);
  }
  return attachAxisLabels(new Tensor(out, [c, c]), { rows: names, cols: names, rowTitle: "true", colTitle: "predicted" });
}

interface Counts {
  classes: number[];
  tp: number[];
  fp: number[];
  fn: number[];
  support: number[];
}

function counts(op: string, pred: Labels, target: Labels, opts: AverageOptions): Counts {
  const [p, t] = pair(op, pred, target, opts.threshold);
  if (p.length === 0) throw new Error(`${op}(): no samples`);
  const average = opts.average ?? "binary";
  let classes: number[];
  if (average === "binary") {
    const pos = opts.posLabel ?? 1;
    for (let i = 0; i < p.length; i++) {
      if ((p[i] > 1 || t[i] > 1) && opts.posLabel === undefined) {
        throw new Error(
          `${op}(): found class ${Math.max(p[i], t[i])} but average is "binary" (classes 0 and 1); ` +
            `pass {average: "macro", numClasses} for more classes`,
        );
      }
    }
    classes = [pos];
  } else if (opts.numClasses !== undefined) {
    if (!Number.isInteger(opts.numClasses) || opts.numClasses < 1) {
      throw new Error(`${op}(): numClasses must be a positive integer, got ${opts.numClasses}`);
    }
    classes = Array.from({ length: opts.numClasses }, (_, k) => k);
    for (let i = 0; i < p.length; i++) {
      if (p[i] >= opts.numClasses || t[i] >= opts.numClasses) {
        throw new Error(`${op}(): sample ${i} has class ${Math.max(p[i], t[i])}, outside 0..${opts.numClasses - 1} (numClasses ${opts.numClasses})`);
      }
    }
  } else {
    const seen = new Set<number>();
    for (let i = 0; i < p.length; i++) {
      seen.add(p[i]);
      seen.add(t[i]);
    }
    classes = [...seen].sort((a, b) => a - b);
  }
  const at = new Map(classes.map((c, k) => [c, k]));
  const z = () => classes.map(() => 0);
  const c: Counts = { classes, tp: z(), fp: z(), fn: z(), support: z() };
  for (let i = 0; i < p.length; i++) {
    const kp = at.get(p[i]);
    const kt = at.get(t[i]);
    if (kt !== undefined) c.support[kt]++;
    if (p[i] === t[i]) {
      if (kp !== undefined) c.tp[kp]++;
    } else {
      if (kp !== undefined) c.fp[kp]++;
      if (kt !== undefined) c.fn[kt]++;
    }
  }
  return c;
}

/** 0 where the denominator is 0, as scikit-learn's zero_division default reports. */
function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function averaged(c: Counts, opts: AverageOptions, score: (tp: number, fp: number, fn: number) => number): number {
  const average = opts.average ?? "binary";
  if (average === "micro") {
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    return score(sum(c.tp), sum(c.fp), sum(c.fn));
  }
  const per = c.classes.map((_, k) => score(c.tp[k], c.fp[k], c.fn[k]));
  if (average === "binary") return per[0];
  if (average === "weighted") {
    const total = c.support.reduce((a, b) => a + b, 0);
    return ratio(per.reduce((s, v, k) => s + v * c.support[k], 0), total);
  }
  return per.reduce((a, b) => a + b, 0) / per.length;
}

const precisionOf = (tp: number, fp: number): number => ratio(tp, tp + fp);
const recallOf = (tp: number, _fp: number, fn: number): number => ratio(tp, tp + fn);
const f1Of = (tp: number, fp: number, fn: number): number => ratio(2 * tp, 2 * tp + fp + fn);

/** tp / (tp + fp): of the samples predicted positive, the fraction that are. */
export function precision(pred: Labels, target: Labels, opts: AverageOptions = {}): number {
  return averaged(counts("precision", pred, target, opts), opts, precisionOf);
}

/** tp / (tp + fn): of the positive samples, the fraction found. */
export function recall(pred: Labels, target: Labels, opts: AverageOptions = {}): number {
  return averaged(counts("recall", pred, target, opts), opts, recallOf);
}

/** The harmonic mean of precision and recall, 2tp / (2tp + fp + fn). */
export function f1(pred: Labels, target: Labels, opts: AverageOptions = {}): number {
  return averaged(counts("f1", pred, target, opts), opts, f1Of);
}
