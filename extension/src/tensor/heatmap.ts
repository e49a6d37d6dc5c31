// One heatmap of a tensor payload (its values, or its gradient): the stats line, the note
// for a truncated corner, the canvas with one pixel per cell scaled up by CSS, the table of
// the same slice, and a colour bar with the colours of NaN and ±Inf.
import { css, NAN_RGB, NEG_INF_RGB, POS_INF_RGB, scaleFor, textOn, type Rgb, type Scale } from "../shared/colour";
import { axisTitle, columnAxis, rowAxis, type AxisLabelsView } from "./axes";
import { fmtCount, fmtNumber, fmtShape } from "../shared/format";
import { el } from "../shared/base-renderer";
import type { TensorPayload, TensorStatsView } from "./bundle";
import { cellOffset, sliceGrid, type SliceGrid } from "./grid";
import { paintCells, palette } from "./paint";
import { valueTable } from "./table";
import { context2d } from "../shared/canvas";

/** A 1-D strip is drawn at least this tall, so that a vector reads as a band. */
const STRIP_HEIGHT = 14;
/** Values are written on the cells of pictures with at most this many cells... */
const VALUES_ON_CELLS = 400;
/** ...when the cells are at least this many px wide. */
const VALUES_MIN_CELL = 26;

export function statsLine(node: HTMLElement, p: TensorPayload, withShape = true): void {
  const s: TensorStatsView = p.stats;
  const item = (label: string, value: string, warn = false): HTMLElement => {
    const span = el("span", warn ? "cl-stat cl-stat-warn" : "cl-stat");
    span.append(el("span", "cl-muted", label + " "), value);
    return span;
  };
  node.replaceChildren(
    ...(withShape ? [item("shape", fmtShape(p.shape)), item("dtype", p.dtype)] : []),
    // min and max leave NaN and ±inf out; say so when there are any, counted beside them
    item(s.nan + s.inf > 0 ? "finite min" : "min", fmtNumber(s.min)),
    item(s.nan + s.inf > 0 ? "finite max" : "max", fmtNumber(s.max)),
    item("mean", fmtNumber(s.mean)),
    item("std", fmtNumber(s.std)),
    item("nan", fmtCount(s.nan), s.nan > 0),
    item("inf", fmtCount(s.inf), s.inf > 0),
  );
}

export function truncatedText(p: TensorPayload): string {
  return `showing the leading ${fmtShape(p.shownShape)} of ${fmtShape(p.shape)}`;
}

function swatch(rgb: Rgb, label: string): HTMLElement {
  const item = el("span", "cl-swatch");
  const box = el("span", "cl-swatch-box");
  box.style.background = css(rgb);
  item.append(box, label);
  return item;
}

export class HeatmapPanel {
  readonly node: HTMLElement;
  readonly canvas = el("canvas", "cl-heatmap");
  /** The panel's stats line; the view may place it elsewhere (the value's goes above the controls). */
  readonly stats = el("div", "cl-tensor-stats");
  /** Leave shape and dtype out of the stats line (a gradient's are its tensor's). */
  briefStats = false;
  /** Names and titles for the axes (the bundle's labels), or none: indices then. */
  labels?: AxisLabelsView;
  private readonly truncated = el("div", "cl-truncated");
  private readonly scroll = el("div", "cl-tensor-scroll");
  private readonly frame = el("div", "cl-heat-frame");
  private readonly cells = el("div", "cl-heat-cells");
  private readonly overlay = el("div", "cl-heat-values cl-mono");
  private readonly colSlot = el("div", "cl-heat-colaxis");
  private readonly rowSlot = el("div", "cl-heat-rowaxis");
  private readonly colTitleSlot = el("div", "cl-heat-coltitle");
  private readonly rowTitleSlot = el("div", "cl-heat-rowtitle");
  private readonly tableBox = el("div", "cl-tensor-table-box");
  private readonly bar = el("div", "cl-colourbar");
  private readonly note = el("div", "cl-tensor-note cl-muted");
  private payload!: TensorPayload;
  private scale!: Scale;
  grid!: SliceGrid;

  constructor(title: string | null, className: string) {
    this.node = el("div", `cl-tensor-panel ${className}`);
    if (title) this.node.append(el("div", "cl-tensor-panel-title", title));
    this.cells.append(this.canvas, this.overlay);
    this.frame.append(this.colTitleSlot, this.colSlot, this.rowTitleSlot, this.rowSlot, this.cells);
    this.scroll.append(this.frame);
    this.node.append(this.stats, this.truncated, this.scroll, this.tableBox, this.note, this.bar);
  }

  get data(): TensorPayload {
    return this.payload;
  }

  set(p: TensorPayload): void {
    this.payload = p;
    this.scale = scaleFor(p.stats.min, p.stats.max);
    statsLine(this.stats, p, !this.briefStats);
    this.truncated.textContent = p.truncated ? truncatedText(p) : "";
    this.truncated.hidden = !p.truncated;
    this.drawBar();
  }

  /** Draw the slice at `cell` CSS pixels a cell; the table replaces the picture when asked for. */
  draw(slice: readonly number[], cell: number, table: boolean): void {
    const p = this.payload;
    const g = (this.grid = sliceGrid(p.shownShape, slice));
    const c = this.canvas;
    c.width = g.cols;
    c.height = g.rows;
    c.dataset.rows = String(g.rows);
    c.dataset.cols = String(g.cols);
    c.dataset.slice = slice.join(",");
    c.dataset.cell = String(cell);
    const strip = g.rows === 1 && !g.wrapped;
    const rowCell = strip ? Math.max(cell, STRIP_HEIGHT) : cell;
    c.style.width = `${g.cols * cell}px`;
    c.style.height = `${g.rows * rowCell}px`;
    this.paint(g);
    this.drawAxes(g, cell, rowCell, strip);
    this.drawValues(g, cell, rowCell);
    const notes: string[] = [];
    if (g.wrapped) notes.push(`drawn in rows of ${g.cols}: cell (r, c) is index r × ${g.cols} + c`);
    if (g.clipped) notes.push(`drawing the first ${g.rows} × ${g.cols} of ${g.fullRows} × ${g.fullCols}`);
    this.note.textContent = notes.join("; ");
    this.note.hidden = notes.length === 0;
    this.scroll.hidden = table;
    this.tableBox.hidden = !table;
    this.tableBox.replaceChildren(...(table ? [valueTable(p.values, g, Math.max(Math.abs(this.scale.lo), Math.abs(this.scale.hi)))] : []));
  }

  /** Ticks (names or indices) along both axes, and the axis titles; a strip has no row axis. */
  private drawAxes(g: SliceGrid, cell: number, rowCell: number, strip: boolean): void {
    const l = this.labels;
    const names = (v: string[] | undefined) => (g.wrapped ? undefined : v);
    const cols = g.cols > 0 ? [columnAxis(g.cols, cell, names(l?.cols))] : [];
    const rows = !strip && g.rows > 0 ? [rowAxis(g.rows, rowCell, names(l?.rows), g.wrapped ? g.cols : 1)] : [];
    this.colSlot.replaceChildren(...cols);
    this.rowSlot.replaceChildren(...rows);
    this.colTitleSlot.replaceChildren(...(l?.colTitle ? [axisTitle(l.colTitle, "cols")] : []));
    this.rowTitleSlot.replaceChildren(...(l?.rowTitle && !strip ? [axisTitle(l.rowTitle, "rows")] : []));
  }

  /** The numbers written on the cells when there are few cells and they are large enough to hold them. */
  private drawValues(g: SliceGrid, cell: number, rowCell: number): void {
    const show = !g.wrapped && g.rows * g.cols > 0 && g.rows * g.cols <= VALUES_ON_CELLS && cell >= VALUES_MIN_CELL;
    this.overlay.hidden = !show;
    if (!show) {
      this.overlay.replaceChildren();
      return;
    }
    // one format for all cells, as in a printed table: integers as they are, others with the
    // decimals their largest magnitude leaves room for
    const values = this.payload.values;
    let big = 0;
    for (let r = 0; r < g.rows; r++) {
      for (let c = 0; c < g.cols; c++) {
        const v = values[cellOffset(g, r, c)];
        if (Number.isFinite(v)) big = Math.max(big, Math.abs(v));
      }
    }
    const isInt = values instanceof Int32Array;
    const digits = big < 10 ? 2 : big < 100 ? 1 : 0;
    const text = (v: number) => (isInt ? String(v) : Number.isFinite(v) && big < 1e5 ? v.toFixed(digits) : fmtNumber(v, 2));
    const texts: string[] = [];
    let longest = 0;
    for (let r = 0; r < g.rows; r++) {
      for (let c = 0; c < g.cols; c++) {
        const i = cellOffset(g, r, c);
        const t = i < 0 ? "" : text(values[i]);
        texts.push(t);
        longest = Math.max(longest, t.length);
      }
    }
    const font = Math.min(12, Math.max(9, Math.floor(cell / 3.2)));
    // numbers that would spill into the next cell are left off: the hover line has them
    if (longest * font * 0.62 + 4 > cell) {
      this.overlay.hidden = true;
      this.overlay.replaceChildren();
      return;
    }
    this.overlay.style.gridTemplateColumns = `repeat(${g.cols}, ${cell}px)`;
    this.overlay.style.gridAutoRows = `${rowCell}px`;
    this.overlay.style.fontSize = `${font}px`;
    const spans = texts.map((t, k) => {
      const i = cellOffset(g, Math.floor(k / g.cols), k % g.cols);
      const span = el("span", "cl-heat-value", t);
      span.style.color = textOn(this.scale.rgb(i < 0 ? NaN : values[i]));
      return span;
    });
    this.overlay.replaceChildren(...spans);
  }

  private paint(g: SliceGrid): void {
    if (g.rows * g.cols === 0) return;
    const ctx = context2d(this.canvas);
    if (!ctx) return;
    const img = ctx.createImageData(g.cols, g.rows);
    paintCells(new Uint32Array(img.data.buffer, img.data.byteOffset, g.rows * g.cols), this.payload.values, g, palette(this.scale));
    ctx.putImageData(img, 0, 0);
  }

  /** The cell under a mouse position, or null outside the picture. */
  cellAt(clientX: number, clientY: number): [number, number] | null {
    const rect = this.canvas.getBoundingClientRect();
    const g = this.grid;
    if (!g || rect.width <= 0 || rect.height <= 0) return null;
    const c = Math.floor(((clientX - rect.left) / rect.width) * g.cols);
    const r = Math.floor(((clientY - rect.top) / rect.height) * g.rows);
    return cellOffset(g, r, c) < 0 ? null : [r, c];
  }

  /** The value at cell (r, c) of this panel's current grid, if it has one there. */
  valueAt(r: number, c: number): number | undefined {
    const i = this.grid ? cellOffset(this.grid, r, c) : -1;
    return i < 0 ? undefined : this.payload.values[i];
  }

  private drawBar(): void {
    const s = this.scale;
    const stops: string[] = [];
    for (let i = 0; i <= 10; i++) stops.push(css(s.rgb(s.lo + ((s.hi - s.lo) * i) / 10)));
    const ramp = el("span", "cl-colourbar-ramp");
    ramp.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
    ramp.title = s.kind === "diverging" ? "diverging: white is 0, red above, blue below" : "sequential: all values are >= 0";
    const parts: HTMLElement[] = [el("span", "cl-colourbar-label", fmtNumber(s.lo)), ramp, el("span", "cl-colourbar-label", fmtNumber(s.hi))];
    if (s.kind === "diverging") parts.push(el("span", "cl-muted", "(0 is white)"));
    const st = this.payload.stats;
    if (st.nan > 0) parts.push(swatch(NAN_RGB, "nan"));
    if (st.inf > 0) parts.push(swatch(POS_INF_RGB, "+inf"), swatch(NEG_INF_RGB, "-inf"));
    this.bar.dataset.kind = s.kind;
    this.bar.replaceChildren(...parts);
  }
}
