// Row and column ticks around a heatmap: indices by default, the bundle's names (tokens,
// class names) when it has them, and the axis titles. Ticks thin out to every 2nd, 5th,
// 10th... index so that they never overlap, and there are never more than a few hundred,
// whatever the size of the matrix.
import { el } from "../shared/base-renderer";

/** Names for the matrix's rows and columns (the last two dims) and titles for both axes. */
export interface AxisLabelsView {
  rows?: string[];
  cols?: string[];
  rowTitle?: string;
  colTitle?: string;
}

/** Approximate width of one character of the 11 px monospace tick font. */
export const CHAR_PX = 6.7;
/** Tick text line height. */
const LINE_PX = 13;
/** Labels longer than this are cut with "…" (the full name is in the hover line and title). */
const MAX_CHARS = 16;

/** The smallest of 1, 2, 5, 10, 20, 50, ... that puts ticks at least `gap` px apart. */
export function tickStep(cell: number, gap: number): number {
  if (!(cell > 0)) return 1;
  for (let k = 1; k < 1e15; k *= 10) {
    for (const m of [1, 2, 5]) if (k * m * cell >= gap) return k * m;
  }
  return 1e15;
}

/** The indices below n that get a tick. */
export function tickIndices(n: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i += step) out.push(i);
  return out;
}

function short(s: string): string {
  return s.length > MAX_CHARS ? s.slice(0, MAX_CHARS - 1) + "…" : s;
}

function longest(names: readonly string[], idx: readonly number[]): number {
  let m = 1;
  for (const i of idx) m = Math.max(m, short(names[i] ?? String(i)).length);
  return m;
}

/** The text of tick i: its name, else its index (`offset + i * scale` for a wrapped vector's rows). */
function tickText(i: number, names: readonly string[] | undefined, scale: number): string {
  return names?.[i] !== undefined ? short(names[i]) : String(i * scale);
}

/**
 * The column axis above a picture of `n` columns of `cell` px: numbers centred on their
 * column; names turned upright (read bottom to top) when they do not fit across.
 */
export function columnAxis(n: number, cell: number, names?: readonly string[]): HTMLElement {
  const axis = el("div", "cl-axis cl-axis-cols cl-mono");
  axis.style.width = `${n * cell}px`;
  const numberWidth = String(Math.max(0, n - 1)).length * CHAR_PX + 6;
  // names first try to sit across, one per column; upright ones need one line each
  let step = tickStep(cell, names ? LINE_PX : numberWidth);
  let idx = tickIndices(n, step);
  const across = !names || longest(names, idx) * CHAR_PX + 4 <= cell * step;
  if (names && !across) {
    step = tickStep(cell, LINE_PX);
    idx = tickIndices(n, step);
  }
  axis.classList.toggle("cl-axis-upright", !across);
  const height = across ? LINE_PX + 3 : Math.ceil(longest(names!, idx) * CHAR_PX) + 6;
  axis.style.height = `${height}px`;
  for (const i of idx) {
    const t = el("span", "cl-tick", tickText(i, names, 1));
    if (names?.[i] !== undefined) t.title = names[i];
    t.dataset.index = String(i);
    t.style.left = `${(i + 0.5) * cell}px`;
    axis.append(t);
  }
  return axis;
}

/** The row axis left of a picture of `n` rows: names or indices right-aligned, one per row or thinned. */
export function rowAxis(n: number, cell: number, names?: readonly string[], scale = 1): HTMLElement {
  const axis = el("div", "cl-axis cl-axis-rows cl-mono");
  axis.style.height = `${n * cell}px`;
  const step = tickStep(cell, LINE_PX);
  const idx = tickIndices(n, step);
  const chars = names ? longest(names, idx) : String(Math.max(0, (n - 1) * scale)).length;
  axis.style.width = `${Math.ceil(chars * CHAR_PX) + 8}px`;
  for (const i of idx) {
    const t = el("span", "cl-tick", tickText(i, names, scale));
    if (names?.[i] !== undefined) t.title = names[i];
    t.dataset.index = String(i);
    t.style.top = `${(i + 0.5) * cell}px`;
    axis.append(t);
  }
  return axis;
}

/** An axis title: across above the columns, upright beside the rows. */
export function axisTitle(text: string, which: "rows" | "cols"): HTMLElement {
  const t = el("div", `cl-axis-title cl-axis-title-${which}`, text);
  t.title = text;
  return t;
}
