// Small tensors as numbers, printed the way PyTorch prints them (its default print
// options): one format for all values, chosen from them (whole numbers "3.", fixed "0.1235",
// scientific "1.2346e-05"), right-aligned columns, rows wrapped at 80 characters. Each
// number sits in a span with a faint tint: red above zero, blue below.
import { NAN_RGB, NEG_INF_RGB, POS_INF_RGB } from "../shared/colour";
import { el } from "../shared/base-renderer";
import { numberFormat } from "chainlab/dist/display/number-format";
import type { TensorPayload, Values } from "./bundle";

const LINEWIDTH = 80;

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
