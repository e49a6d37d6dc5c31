// Checking a backward against the definition of the derivative: central differences,
// (f(x + h) - f(x - h)) / 2h, one input element at a time.
import { noGrad } from "./autograd";
import { fmt } from "./shape";
import { Generator } from "./random";
import { Tensor } from "./tensor";

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw on a mismatch (default) or return the report. */
  raise?: boolean;
}

export interface GradcheckReport {
  ok: boolean;
  maxAbsError: number;
  worst: { input: number; index: number[]; analytic: number; numeric: number } | null;
}

/**
 * Compare analytic and numeric gradients of fn at inputs (the float32 tensors that require
 * grad are checked). A non-scalar output is projected on fixed random weights, so the whole
 * vector-Jacobian product is checked, not only its sum.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckReport {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 1e-2;
  const rtol = opts.rtol ?? 1e-2;
  const checked = inputs.filter((t) => t.requiresGrad);
  if (checked.length === 0) throw new Error("gradcheck(): no input requires grad; create them with {requiresGrad: true}");
  for (const t of checked) {
    if (!t.isContiguous()) throw new Error("gradcheck(): inputs must be contiguous leaves (views can be made inside fn)");
  }
  const first = noGrad(() => fn(...inputs));
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
  const out = fn(...inputs);
  out.backward(new Tensor(Float32Array.from(weights), out.shape));

  const report: GradcheckReport = { ok: true, maxAbsError: 0, worst: null };
  let worstExcess = -Infinity;
  checked.forEach((t, ti) => {
    const analytic = t.grad ? t.grad.values() : new Float32Array(t.numel());
    const store = t.storage;
    for (let i = 0; i < t.numel(); i++) {
      const at = t.offset + i;
      const orig = store[at];
      store[at] = orig + eps;
      const plus = noGrad(() => project(fn(...inputs)));
      store[at] = orig - eps;
      const minus = noGrad(() => project(fn(...inputs)));
      store[at] = orig;
      const numeric = (plus - minus) / (2 * eps);
      const err = Math.abs(numeric - analytic[i]);
      const excess = err - (atol + rtol * Math.abs(numeric));
      report.maxAbsError = Math.max(report.maxAbsError, err);
      if (excess > worstExcess || Number.isNaN(err)) {
        worstExcess = Number.isNaN(err) ? Infinity : excess;
        report.worst = { input: inputs.indexOf(t), index: unravel(i, t.shape), analytic: analytic[i], numeric };
      }
    }
    void ti;
  });
  report.ok = worstExcess <= 0;
  if (!report.ok && (opts.raise ?? true)) {
    const w = report.worst!;
    throw new Error(
      `gradcheck(): gradients differ at input ${w.input} (shape ${fmt(inputs[w.input].shape)}) index [${w.index.join(", ")}]: ` +
        `analytic ${w.analytic}, numeric ${w.numeric} (atol ${atol}, rtol ${rtol})`,
    );
  }
  return report;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
