// Printing like PyTorch: aligned columns, summarised past 1,000 elements with 3 edge items.
import type { Tensor } from "./tensor";

const THRESHOLD = 1000;
const EDGE = 3;

function numberFormatter(values: ArrayLike<number>, isInt: boolean): (v: number) => string {
  if (isInt) return (v) => String(v);
  let allInt = true, maxAbs = 0, minAbs = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (!Number.isInteger(v)) allInt = false;
    const a = Math.abs(v);
    maxAbs = Math.max(maxAbs, a);
    if (a > 0) minAbs = Math.min(minAbs, a);
  }
  const special = (v: number) => (v !== v ? "nan" : v > 0 ? "inf" : "-inf");
  if (allInt && maxAbs < 1e8) return (v) => (Number.isFinite(v) ? `${v}.` : special(v));
  const sci = maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity) || (maxAbs / minAbs > 1e3 && maxAbs > 1e3);
  return (v) => (Number.isFinite(v) ? (sci ? v.toExponential(4) : v.toFixed(4)) : special(v));
}

export function formatTensor(t: Tensor): string {
  const v = t.values();
  const summarise = v.length > THRESHOLD;
  const fmtNum = numberFormatter(v, t.dtype === "int32");
  const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  // the column width comes from the values that will be printed
  const cells: string[] = [];
  const visit = (d: number, off: number, emit: (s: string) => void): void => {
    if (d === t.ndim) return emit(fmtNum(v[off]));
    const n = t.shape[d];
    const cut = summarise && n > 2 * EDGE;
    for (let i = 0; i < n; i++) {
      if (cut && i === EDGE) i = n - EDGE;
      visit(d + 1, off + i * strides[d], emit);
    }
  };
  visit(0, 0, (s) => cells.push(s));
  const width = Math.max(0, ...cells.map((c) => c.length));
  const indent = "tensor(".length;
  const render = (d: number, off: number): string => {
    if (d === t.ndim) return fmtNum(v[off]).padStart(width);
    const n = t.shape[d];
    const cut = summarise && n > 2 * EDGE;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      if (cut && i === EDGE) {
        parts.push("...");
        i = n - EDGE;
      }
      parts.push(render(d + 1, off + i * strides[d]));
    }
    const sep = d === t.ndim - 1 ? ", " : "," + "\n".repeat(t.ndim - d - 1) + " ".repeat(indent + d + 1);
    return "[" + parts.join(sep) + "]";
  };
  const body = t.ndim === 0 ? fmtNum(v[0]) : render(0, 0);
  const extras: string[] = [];
  extras.push(`shape=[${t.shape.join(", ")}]`, `dtype=${t.dtype}`);
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push("requiresGrad=true");
  return `tensor(${body}, ${extras.join(", ")})`;
}
