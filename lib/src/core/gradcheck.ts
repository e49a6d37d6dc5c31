// Checking a backward against the definition of the derivative: central differences, one
// input element at a time. Tensors are float32, so the difference quotient is taken with
// the fourth-order stencil (f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / 12h: its truncation
// error is O(h^4), so h can stay large enough (1e-2) that float32 rounding in f, divided
// by h, stays near 1e-5 of the gradient. That leaves room for a tolerance that rejects a
// gradient 1% off.
import { noGrad } from "./autograd";
import { fmt } from "./shape";
import { Generator, defaultGenerator } from "./random";
import type { Tensor } from "../tensor";
import { tensorOf } from "./tensor-data";

export interface GradcheckOptions {
  /** The step h of the difference quotient (default 1e-2). */
  eps?: number;
  /** Absolute tolerance, for gradients near zero (default 1e-4). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** fn runs with manualSeed(seed) before every evaluation, so dropout draws the same mask each time (default 0). */
  seed?: number;
  /** Throw on a mismatch (default) or return the report. */
  raise?: boolean;
}

export interface GradcheckReport {
  ok: boolean;
  maxAbsError: number;
  /** The largest |analytic - numeric| / max(|analytic|, |numeric|, atol / rtol); ok means at most rtol. */
  maxRelError: number;
  worst: { input: number; index: number[]; analytic: number; numeric: number; relError: number } | null;
}

/**
 * Compare analytic and numeric gradients of fn at inputs (the float32 tensors that require
 * grad are checked). A non-scalar output is projected on fixed random weights, so the whole
 * vector-Jacobian product is checked, not only its sum. An element passes when
 * |analytic - numeric| <= max(atol, rtol * max(|analytic|, |numeric|)). The inputs' .grad
 * and the random generator's state are as they were afterwards.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckReport {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 1e-4;
  const rtol = opts.rtol ?? 1e-3;
  const seed = opts.seed ?? 0;
  const checked = inputs.filter((t) => t.requiresGrad);
  if (checked.length === 0) throw new Error("gradcheck(): no input requires grad; create them with {requiresGrad: true}");
  for (const t of checked) {
    if (!t.isContiguous()) throw new Error("gradcheck(): inputs must be contiguous leaves (views can be made inside fn)");
  }
  const rngState = defaultGenerator.getState();
  const savedGrads = checked.map((t) => t.grad);
  const run = (): Tensor => {
    defaultGenerator.seed(seed);
    return fn(...inputs);
  };
  try {
    const first = noGrad(run);
    const rng = new Generator(1234);
    const weights = Float64Array.from({ length: first.numel() }, () => rng.random() * 2 - 1);
    // the projection runs in float64 so that only fn's own float32 rounding is in the numbers
    const project = (out: Tensor): number => {
      const v = out.values();
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i] * weights[i];
      return s;
    };

    for (const t of checked) t.grad = null;
    const out = run();
    if (!out.requiresGrad) throw new Error("gradcheck(): fn's output does not require grad; no input reaches it through recorded ops");
    out.backward(tensorOf(Float32Array.from(weights), out.shape));
    const analytics = checked.map((t) => (t.grad ? t.grad.values().slice() : new Float32Array(t.numel())));

    const report: GradcheckReport = { ok: true, maxAbsError: 0, maxRelError: 0, worst: null };
    const floor = atol / rtol;
    checked.forEach((t, ti) => {
      const analytic = analytics[ti];
      const store = t.storage;
      const at = (i: number, step: number): number => {
        store[t.offset + i] = step;
        return noGrad(() => project(run()));
      };
      for (let i = 0; i < t.numel(); i++) {
        const orig = store[t.offset + i];
        // the steps as float32 stores them, so the quotient uses the h actually taken
        const h = Math.fround(orig + eps) - orig;
        const m1 = at(i, orig - h), p1 = at(i, orig + h);
        const m2 = at(i, orig - 2 * h), p2 = at(i, orig + 2 * h);
        store[t.offset + i] = orig;
        const numeric = (m2 - 8 * m1 + 8 * p1 - p2) / (12 * h);
        const a = analytic[i];
        const err = Math.abs(numeric - a);
        const rel = Number.isNaN(err) ? Infinity : err / Math.max(Math.abs(a), Math.abs(numeric), floor);
        report.maxAbsError = Math.max(report.maxAbsError, err);
        if (rel > report.maxRelError || report.worst === null) {
          report.maxRelError = Math.max(rel, report.maxRelError);
          report.worst = { input: inputs.indexOf(t), index: unravel(i, t.shape), analytic: a, numeric, relError: rel };
        }
      }
    });
    report.ok = report.maxRelError <= rtol;
    if (!report.ok && (opts.raise ?? true)) {
      const w = report.worst!;
      throw new Error(
        `gradcheck(): gradients differ at input ${w.input} (shape ${fmt(inputs[w.input].shape)}) index [${w.index.join(", ")}]: ` +
          `analytic ${w.analytic}, numeric ${w.numeric}, relative error ${w.relError.toPrecision(3)} (rtol ${rtol}, atol ${atol})`,
      );
    }
    return report;
  } finally {
    checked.forEach((t, i) => { t.grad = savedGrads[i]; });
    defaultGenerator.setState(rngState);
  }
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
