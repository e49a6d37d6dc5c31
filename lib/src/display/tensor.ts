// A tensor's display bundle: the values (a corner when large), summary statistics and the
// gradient beside them, plus a static picture for viewers without the chainlab extension:
// the printed numbers for a small tensor, an SVG heatmap for a bigger one.
import { numel } from "../core/shape";
import type { Tensor } from "../tensor";
import { arrowBase64 } from "./arrow";
import { escapeXml } from "./escape";

export const TENSOR_MIME = "application/vnd.chainlab.tensor+json";
/** At most this many values go into a bundle; larger tensors send a leading corner. */
const MAX_VALUES = 10_000;
/** Tensors with at most this many values are shown as numbers rather than as a heatmap. */
export const SMALL_VALUES = 100;

export interface TensorStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  nan: number;
  inf: number;
}

export function tensorStats(v: ArrayLike<number>): TensorStats {
  let min = Infinity, max = -Infinity, sum = 0, sq = 0, n = 0, nan = 0, inf = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x !== x) { nan++; continue; }
    if (!Number.isFinite(x)) { inf++; continue; }
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    sq += x * x;
    n++;
  }
  const mean = n ? sum / n : NaN;
  const std = n ? Math.sqrt(Math.max(sq / n - mean * mean, 0)) : NaN;
  return { min: n ? min : NaN, max: n ? max : NaN, mean, std, nan, inf };
}

/** The leading corner of t with at most MAX_VALUES elements, shrinking the largest dims first. */
function corner(t: Tensor): { shown: Tensor; truncated: boolean } {
  const shape = [...t.shape];
  let n = numel(shape);
  if (n <= MAX_VALUES) return { shown: t, truncated: false };
  while (n > MAX_VALUES) {
    const d = shape.indexOf(Math.max(...shape));
    const keep = Math.ceil(shape[d] / 2);
    n = (n / shape[d]) * keep;
    shape[d] = keep;
  }
  return { shown: t.index(...shape.map((s) => [0, s] as const)), truncated: true };
}

/** The values a display draws: an int64 tensor's as float32 (a heatmap needs no 64-bit exactness; the printed text keeps it). */
function drawn(t: Tensor): Tensor {
  return t.dtype === "int64" ? t.float() : t;
}

export function payload(t: Tensor) {
  const { shown, truncated } = corner(drawn(t));
  const values = shown.values();
  return {
    shape: [...t.shape],
    shownShape: [...shown.shape],
    dtype: t.dtype,
    stats: tensorStats(drawn(t).values()),
    truncated,
    requiresGrad: t.requiresGrad,
    ...(t.gradFn ? { gradFn: t.gradFn.name } : {}),
    data: arrowBase64({ value: values instanceof Int32Array ? values : new Float32Array(values) }),
  };
}

/**
 * Names for the rows and columns of the matrix a heatmap draws (the last two dims; a 1-D
 * tensor's one dim is its columns) and titles for the two axes, e.g. tokens for attention,
 * class names with "true" and "predicted" for a confusion matrix.
 */
export interface AxisLabels {
  rows?: readonly string[];
  cols?: readonly string[];
  rowTitle?: string;
  colTitle?: string;
}

export interface TensorDisplayOptions {
  labels?: AxisLabels;
}

/** Longer labels and titles are cut to this many characters (with "…") in the bundle. */
const LABEL_CHARS = 60;
/** Labels a tensor carries to every display of it (confusionMatrix's class names). */
const attached = new WeakMap<Tensor, AxisLabels>();

function cut(s: string): string {
  return s.length > LABEL_CHARS ? s.slice(0, LABEL_CHARS - 1) + "…" : s;
}

/** The labels checked against t's shape: one name per row and per column, strings only. */
function checkLabels(op: string, t: Tensor, labels: AxisLabels): void {
  if (labels === null || typeof labels !== "object") throw new Error(`${op}: labels must be an object {rows?, cols?, rowTitle?, colTitle?}`);
  const axes: [keyof AxisLabels, number | undefined, string][] = [
    ["rows", t.ndim >= 2 ? t.shape[t.ndim - 2] : undefined, "dim -2"],
    ["cols", t.ndim >= 1 ? t.shape[t.ndim - 1] : undefined, "dim -1"],
  ];
  for (const [key, size, dim] of axes) {
    const names = labels[key];
    if (names === undefined) continue;
    if (size === undefined) throw new Error(`${op}: labels.${key} given, but a tensor of shape [${t.shape.join(", ")}] has no ${key}`);
    if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) throw new Error(`${op}: labels.${key} must be an array of strings`);
    if (names.length !== size) {
      throw new Error(`${op}: labels.${key} has ${names.length} names, but the tensor's ${key} (${dim} of [${t.shape.join(", ")}]) number ${size}`);
    }
  }
  for (const key of ["rowTitle", "colTitle"] as const) {
    if (labels[key] !== undefined && typeof labels[key] !== "string") throw new Error(`${op}: labels.${key} must be a string`);
  }
}

/**
 * Gives t labels that every later display of it shows (derived tensors do not inherit them).
 * Returns t. For one display only, pass them to display(t, {labels}).
 */
export function attachAxisLabels(t: Tensor, labels: AxisLabels): Tensor {
  checkLabels("attachAxisLabels()", t, labels);
  attached.set(t, labels);
  return t;
}

/** The labels as the bundle carries them: those of the shown corner only, each cut to LABEL_CHARS. */
function labelsJson(labels: AxisLabels, shown: readonly number[]): Record<string, unknown> {
  const n = shown.length;
  const out: Record<string, unknown> = {};
  if (labels.rows) out.rows = labels.rows.slice(0, shown[n - 2]).map(cut);
  if (labels.cols) out.cols = labels.cols.slice(0, shown[n - 1]).map(cut);
  if (labels.rowTitle !== undefined) out.rowTitle = cut(labels.rowTitle);
  if (labels.colTitle !== undefined) out.colTitle = cut(labels.colTitle);
  return out;
}

export function tensorBundle(t: Tensor, options: TensorDisplayOptions = {}): Record<string, unknown> {
  const labels = options.labels ?? attached.get(t);
  if (options.labels) checkLabels("display()", t, options.labels);
  const json: Record<string, unknown> = { version: 1, ...(t.name ? { name: t.name } : {}), ...payload(t) };
  if (labels) json.labels = labelsJson(labels, json.shownShape as number[]);
  if (t.grad) json.grad = payload(t.grad);
  const fallback =
    labels && t.ndim <= 2 && t.numel() > 0 ? { "text/html": labelledHtml(t, labels) }
    : t.numel() <= SMALL_VALUES ? { "text/html": valuesHtml(t) }
    : { "image/svg+xml": heatmapSvg(drawn(t)) };
  return { "text/plain": t.toString(), [TENSOR_MIME]: json, ...fallback };
}

/** A labelled matrix as an HTML table (at most 64 x 64), for viewers without the extension. */
function labelledHtml(t: Tensor, labels: AxisLabels): string {
  const m = t.ndim < 2 ? drawn(t).reshape([1, t.numel()]) : drawn(t);
  const rows = Math.min(m.shape[0], 64), cols = Math.min(m.shape[1], 64);
  const v = m.index([0, rows], [0, cols]).values();
  const esc = (s: string) => escapeXml(cut(s));
  const head = (labels.cols ?? Array.from({ length: cols }, (_, j) => String(j))).slice(0, cols);
  const lines: string[] = [];
  if (t.name) lines.push(`<div><b>${esc(t.name)}</b></div>`);
  const titles = [labels.rowTitle && `rows: ${esc(labels.rowTitle)}`, labels.colTitle && `columns: ${esc(labels.colTitle)}`].filter(Boolean);
  if (titles.length) lines.push(`<div>${titles.join(", ")}</div>`);
  lines.push(`<table><tr><th></th>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>`);
  for (let i = 0; i < rows; i++) {
    const name = t.ndim < 2 ? "" : labels.rows?.[i] ?? String(i);
    const cells = Array.from({ length: cols }, (_, j) => `<td>${fmt(v[i * cols + j])}</td>`).join("");
    lines.push(`<tr><th>${esc(name)}</th>${cells}</tr>`);
  }
  lines.push(`</table>`);
  return `<div class="chainlab-tensor">${lines.join("")}</div>`;
}

/** A small tensor as its printed values (and its gradient's), escaped: numbers read better than boxes. */
export function valuesHtml(t: Tensor): string {
  const name = t.name ? `<div><b>${escapeXml(t.name)}</b></div>` : "";
  const grad = t.grad && t.grad.numel() <= SMALL_VALUES ? `<div>grad</div><pre>${escapeXml(t.grad.toString())}</pre>` : "";
  return `<div class="chainlab-tensor">${name}<pre>${escapeXml(t.toString())}</pre>${grad}</div>`;
}

/** Diverging blue-white-red around zero, scaled by the largest magnitude. */
function colour(v: number, scale: number): string {
  if (!Number.isFinite(v)) return "#999";
  const a = Math.max(-1, Math.min(1, scale ? v / scale : 0));
  const w = Math.round(255 * (1 - Math.abs(a)));
  return a >= 0 ? `rgb(255,${w},${w})` : `rgb(${w},${w},255)`;
}

/** A static heatmap of the first 2-D slice (rows x columns, at most 64 x 64 cells). */
export function heatmapSvg(t: Tensor): string {
  let m = t;
  while (m.ndim > 2) m = m.select(0, 0);
  if (m.ndim < 2) m = m.reshape([1, m.numel()]);
  const rows = Math.min(m.shape[0], 64), cols = Math.min(m.shape[1], 64);
  const v = m.index([0, rows], [0, cols]).values();
  const s = tensorStats(v);
  const scale = Math.max(Math.abs(s.min), Math.abs(s.max)) || 1;
  const cell = Math.max(4, Math.min(24, Math.floor(480 / Math.max(rows, cols, 1))));
  const top = 18;
  const rects: string[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = v[i * cols + j];
      rects.push(`<rect x="${j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${colour(x, scale)}"><title>[${i}, ${j}] ${x}</title></rect>`);
    }
  }
  const label = `${t.name ? t.name + " " : ""}[${t.shape.join(", ")}] ${t.dtype} min ${fmt(s.min)} max ${fmt(s.max)}`;
  // sized by the characters shown, not by their escaped form
  const w = Math.max(cols * cell, Math.ceil(label.length * 6.7)), h = top + rows * cell;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">` +
    `<text x="0" y="12" font-family="monospace" font-size="11">${escapeXml(label)}</text>${rects.join("")}</svg>`
  );
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x);
}
