// Printing like PyTorch (torch/_tensor_str.py with its default options): one number format
// for the whole tensor chosen from the values shown, aligned columns, rows wrapped at 80
// characters, and past 1,000 elements only the 3 edge items of each dim around "...". An
// empty tensor prints as "tensor([], ...)" whatever its dims claim (PyTorch adds its size;
// the shape suffix says it here), so the work never follows the shape, only the values.
import { BUDGETS } from "./display/contract";
import { numberFormat } from "./display/number-format";
import { contiguousStrides } from "./core/shape";
import type { Tensor } from "./tensor";

const THRESHOLD = 1000;
const EDGE = 3;
const LINEWIDTH = 80;

interface Formatter {
  width: number;
  format(v: number | bigint): string;
}

/** PyTorch's format for the values shown, each padded to the widest. */
function makeFormatter(shown: (number | bigint)[], isInt: boolean): Formatter {
  const f = numberFormat(shown, isInt);
  return { width: f.width, format: (v) => f.format(v).padStart(f.width) };
}

export function formatTensor(t: Tensor): string {
  // an empty tensor is read without its values; one with [1e9, 0] must not walk 1e9 rows
  const v = t.numel() === 0 ? [] : t.rawValues();
  const summarise = v.length > THRESHOLD;
  const strides = contiguousStrides(t.shape);
  // edge items per dim: PyTorch's 3, fewer on the leading dims when 3 on every dim would
  // still print more than BUDGETS.tensorValues numbers (8 dims of 7 would print 1.7M)
  const edges = t.shape.map(() => EDGE);
  if (summarise) {
    const count = () => t.shape.reduce((a, n, d) => a * Math.min(n, 2 * edges[d]), 1);
    for (let d = 0; d < t.ndim && count() > BUDGETS.tensorValues; d++) edges[d] = 1;
  }
  /** Indices shown along dim d (-1 marks the "..."). */
  const shownAlong = (d: number): number[] => {
    const n = t.shape[d], e = edges[d];
    if (!summarise || n <= 2 * e) return Array.from({ length: n }, (_, i) => i);
    return [...Array.from({ length: e }, (_, i) => i), -1, ...Array.from({ length: e }, (_, i) => n - e + i)];
  };
  // the format comes from the values that will be printed, as in PyTorch's summarised data
  const shown: (number | bigint)[] = [];
  const visit = (d: number, off: number): void => {
    if (d === t.ndim) {
      shown.push(v[off]);
      return;
    }
    for (const i of shownAlong(d)) if (i >= 0) visit(d + 1, off + i * strides[d]);
  };
  if (v.length > 0) visit(0, 0);
  const f = makeFormatter(shown, t.dtype !== "float32");
  const prefix = "tensor(";
  const render = (d: number, off: number, indent: number): string => {
    const idx = shownAlong(d);
    if (d === t.ndim - 1) {
      // a row: elements wrapped so that each line fits in the line width
      const items = idx.map((i) => (i < 0 ? " ..." : f.format(v[off + i * strides[d]])));
      const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (f.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(", "));
      return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
    }
    const parts = idx.map((i) => (i < 0 ? "..." : render(d + 1, off + i * strides[d], indent + 1)));
    return "[" + parts.join("," + "\n".repeat(t.ndim - d - 1) + " ".repeat(indent + 1)) + "]";
  };
  const body = t.ndim === 0 ? f.format(v[0]) : v.length === 0 ? "[]" : render(0, 0, prefix.length);
  const suffixes = [`shape=[${t.shape.join(", ")}]`, `dtype=${t.dtype}`];
  if (t.gradFn) suffixes.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) suffixes.push("requiresGrad=true");
  // each suffix goes on the last line while it fits, else on a line of its own
  let out = prefix + body;
  let lastLen = out.length - out.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (lastLen + s.length + 2 > LINEWIDTH) {
      out += ",\n" + " ".repeat(prefix.length) + s;
      lastLen = prefix.length + s.length;
    } else {
      out += ", " + s;
      lastLen += s.length + 2;
    }
  }
  return out + ")";
}
