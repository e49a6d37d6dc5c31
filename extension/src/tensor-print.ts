// Small tensors as numbers, printed the way PyTorch prints them (its default print
// options): one format for all values, chosen from them (whole numbers "3.", fixed "0.1235",
// scientific "1.2346e-05"), right-aligned columns, rows wrapped at 80 characters. Each
// number sits in a span with a faint tint: red above zero, blue below.
import { NAN_RGB, NEG_INF_RGB, POS_INF_RGB } from "./colour";
import { el } from "./renderer";
import type { TensorPayload, Values } from "./tensor-bundle";

const PRECISION = 4;
const LINEWIDTH = 80;

/** Python's "{:.4e}": the exponent has a sign and at least two digits. */
function sci(v: number): string {
  const [m, e] = v.toExponential(PRECISION).split("e");
  return `${m}e${e[0] === "-" ? "-" : "+"}${e.replace(/^[+-]/, "").padStart(2, "0")}`;
}

/** Python's "{:.Nf}", which keeps the sign of -0. */
function fixed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return (Object.is(v, -0) || v < 0) && !s.startsWith("-") ? "-" + s : s;
}

function special(v: number): string {
  return v !== v ? "nan" : v > 0 ? "inf" : "-inf";
}

export interface NumberFormat {
  width: number;
  format(v: number): string;
}

/** The one format PyTorch would pick for these values (integer dtypes print as plain integers). */
export function numberFormat(values: ArrayLike<number>, isInt: boolean): NumberFormat {
  let width = 1;
  if (isInt) {
    for (let i = 0; i < values.length; i++) width = Math.max(width, String(values[i]).length);
    return { width, format: (v) => String(v) };
  }
  let min = Infinity, max = 0, allInt = true, any = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v === 0) continue;
    any = true;
    const a = Math.abs(v);
    if (a < min) min = a;
    if (a > max) max = a;
    if (!Number.isInteger(v)) allInt = false;
  }
  let mode: "int" | "fixed" | "sci" = "int";
  if (any) {
    if (!allInt) mode = "fixed";
    if (max / min > 1000 || max > 1e8 || (mode === "fixed" && min < 1e-4)) mode = "sci";
  }
  const one = (v: number): string => {
    if (!Number.isFinite(v)) return special(v);
    if (mode === "sci") return sci(v);
    return mode === "int" ? `${fixed(v, 0)}.` : fixed(v, PRECISION);
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) width = Math.max(width, one(v).length);
  }
  return { width, format: one };
}

/** A faint background for one number: its sign and size against the largest magnitude. */
export function tint(v: number, scale: number): string {
  if (v !== v) return `rgba(${NAN_RGB.join(", ")}, 0.3)`;
  if (v === Infinity) return `rgba(${POS_INF_RGB.join(", ")}, 0.3)`;
  if (v === -Infinity) return `rgba(${NEG_INF_RGB.join(", ")}, 0.3)`;
  const t = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
  if (t === 0) return "transparent";
  const a = (0.06 + 0.26 * t).toFixed(3);
  return v > 0 ? `rgba(214, 39, 40, ${a})` : `rgba(31, 119, 180, ${a})`;
}

function largest(values: Values): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > m && a !== Infinity) m = a;
  }
  return m;
}

/**
 * `tensor([[1., 2.], [3., 4.]])` as DOM: text nodes for brackets and padding, one
 * `span.cl-num` per value with data-index (its flat index), so the tint covers only the digits.
 */
export function printValues(p: TensorPayload, label = "tensor"): HTMLPreElement {
  const pre = el("pre", "cl-tensor-values cl-mono");
  const { values, shownShape: shape } = p;
  const isInt = values instanceof Int32Array;
  const f = numberFormat(values, isInt);
  // one number has nothing to compare with: tinting tensor(28.) red would read as an error
  const scale = values.length > 1 ? largest(values) : 0;
  const prefix = `${label}(`;
  const parts: (string | HTMLElement)[] = [prefix];
  const num = (i: number): void => {
    const text = f.format(values[i]);
    if (text.length < f.width) parts.push(" ".repeat(f.width - text.length));
    const s = el("span", "cl-num", text);
    s.dataset.index = String(i);
    s.style.background = tint(values[i], scale);
    parts.push(s);
  };
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const walk = (d: number, off: number, indent: number): void => {
    parts.push("[");
    const n = shape[d];
    if (d === shape.length - 1) {
      const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (f.width + 2)));
      for (let i = 0; i < n; i++) {
        if (i > 0) parts.push(i % perLine === 0 ? ",\n" + " ".repeat(indent + 1) : ", ");
        num(off + i);
      }
    } else {
      for (let i = 0; i < n; i++) {
        if (i > 0) parts.push("," + "\n".repeat(shape.length - d - 1) + " ".repeat(indent + 1));
        walk(d + 1, off + i * strides[d], indent + 1);
      }
    }
    parts.push("]");
  };
  // an empty tensor is "[]" whatever its dims say: walking a claimed [1e9, 0] would push a
  // billion brackets; its size (the full shape) goes after it, as PyTorch prints it
  if (shape.length === 0) num(0);
  else if (values.length === 0) parts.push("[]");
  else walk(0, 0, prefix.length);
  const extra: string[] = [];
  if (values.length === 0 && p.shape.length > 1) extra.push(`size=(${p.shape.join(", ")})`);
  if (p.dtype !== "float32") extra.push(`dtype=${p.dtype}`);
  if (p.gradFn) extra.push(`gradFn=<${p.gradFn}>`);
  else if (p.requiresGrad) extra.push("requiresGrad=true");
  if (extra.length) parts.push(el("span", "cl-muted", ", " + extra.join(", ")));
  parts.push(")");
  pre.append(...parts);
  return pre;
}
