// The tensor renderer. A small tensor (up to 100 values) is shown as numbers, printed as
// PyTorch prints it, because that is what a learner compares with; a bigger one as a
// heatmap with sliders for the leading dims, zoom, a table of the slice, and its gradient
// on its own scale beside it. An update redraws in place and keeps the chosen slice.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { fmtNumber } from "../shared/format";
import { MIME } from "../shared/mime";
import { ChainlabRenderer, el, errorBox, mimeExtension } from "../shared/base-renderer";
import { readTensorPayload, type TensorPayload } from "./bundle";
import { cellIndex, clampSlice, sliceGrid } from "./grid";
import { HeatmapPanel, statsLine } from "./heatmap";
import { printValues } from "./print";
import { numel } from "../shared/validate";

/** Tensors with at most this many values are printed as numbers. */
export const SMALL_VALUES = 100;
/** CSS pixels per cell that the zoom buttons step through. */
const ZOOM = [0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48];
/** "fit" makes cells at most this large (a 3 x 3 matrix is not a poster)... */
const FIT_MAX_CELL = 40;
/** ...and the picture at most this tall, using the output's width. */
const FIT_MAX_HEIGHT = 480;
/** Width assumed before the output is laid out (and in tests without layout). */
const DEFAULT_WIDTH = 640;

function isSmall(p: TensorPayload): boolean {
  // no values shown: "tensor([], size=(...))" says all there is, whatever the shape claims;
  // a labelled tensor (a confusion matrix, attention) is a picture with named axes however small
  return p.values.length === 0 || (!p.labels && !p.truncated && numel(p.shape) <= SMALL_VALUES);
}

function sameShape(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
}

function button(className: string, text: string, title: string): HTMLButtonElement {
  const b = el("button", `cl-button ${className}`, text);
  b.type = "button";
  b.title = title;
  return b;
}

/** One tensor's view; `update` draws new data into the same elements where the layout allows. */
export class TensorView {
  readonly node = el("div", "cl-tensor");
  private payload?: TensorPayload;
  private layout = "";
  private slice: number[] = [];
  private zoom = -1;
  private table = false;
  private panels: HeatmapPanel[] = [];
  private sliders: HTMLInputElement[] = [];
  private sliderLabels: HTMLElement[] = [];
  private sliceExpr = el("div", "cl-slice-expr cl-mono");
  private resize?: ResizeObserver;
  private fitFor = 0;
  private zoomLabel = el("span", "cl-zoom-label cl-muted");
  private tableToggle = button("cl-table-toggle", "table", "show the values of this slice as numbers");
  private hover = el("div", "cl-tensor-hover cl-mono");

  update(p: TensorPayload): void {
    const prev = this.payload;
    this.payload = p;
    if (!sameShape(prev?.shownShape, p.shownShape)) {
      this.slice = clampSlice([], p.shownShape);
      this.zoom = -1;
    }
    const layout = JSON.stringify([
      isSmall(p) ? "small" : "heatmap", p.shownShape, p.grad ? p.grad.shownShape : null,
      p.grad ? isSmall(p.grad) : null, p.name ?? null, p.labels ?? null,
    ]);
    if (isSmall(p)) {
      this.drawSmall(p);
    } else {
      if (layout !== this.layout) this.buildHeatmap(p);
      this.panels[0].set(p);
      if (p.grad && this.panels[1]) this.panels[1].set(p.grad);
      this.head(p);
      this.redraw();
    }
    this.layout = layout;
    this.node.dataset.shape = p.shape.join(",");
  }

  // ---- small tensors: numbers ----------------------------------------------------------

  private drawSmall(p: TensorPayload): void {
    this.panels = [];
    this.sliders = [];
    this.node.className = "cl-tensor cl-tensor-small";
    const children: HTMLElement[] = [];
    if (p.name !== undefined) children.push(el("div", "cl-tensor-name", p.name));
    const row = el("div", "cl-tensor-panels");
    const values = el("div", "cl-tensor-panel cl-tensor-data");
    values.append(printValues(p));
    row.append(values);
    if (p.grad) {
      const g = el("div", "cl-tensor-panel cl-tensor-grad");
      g.append(el("div", "cl-tensor-panel-title", "grad"));
      if (isSmall(p.grad)) g.append(printValues(p.grad));
      else {
        const s = el("div", "cl-tensor-stats");
        statsLine(s, p.grad);
        g.append(s);
      }
      row.append(g);
    }
    children.push(row);
    if (numel(p.shape) > 1) {
      const s = el("div", "cl-tensor-stats cl-muted");
      statsLine(s, p);
      children.push(s);
    }
    this.node.replaceChildren(...children);
  }

  // ---- bigger tensors: heatmaps ----------------------------------------------------------

  private head(p: TensorPayload): void {
    const head = this.node.querySelector(".cl-tensor-head");
    if (!head) return;
    const parts: (HTMLElement | string)[] = [];
    if (p.name !== undefined) parts.push(el("span", "cl-tensor-name", p.name));
    if (p.gradFn) parts.push(el("span", "cl-muted cl-mono", `gradFn=<${p.gradFn}>`));
    else if (p.requiresGrad) parts.push(el("span", "cl-muted cl-mono", "requiresGrad=true"));
    head.replaceChildren(...parts);
    (head as HTMLElement).hidden = parts.length === 0;
  }

  private buildHeatmap(p: TensorPayload): void {
    this.node.className = "cl-tensor cl-tensor-big";
    const controls = el("div", "cl-tensor-controls");
    this.sliders = [];
    this.sliderLabels = [];
    const lead = Math.max(0, p.shownShape.length - 2);
    for (let d = 0; d < lead; d++) {
      const box = el("label", "cl-slice-box");
      const input = el("input", "cl-slice");
      input.type = "range";
      input.min = "0";
      input.max = String(Math.max(0, p.shownShape[d] - 1));
      input.step = "1";
      input.value = String(this.slice[d] ?? 0);
      input.dataset.dim = String(d);
      input.disabled = p.shownShape[d] <= 1;
      const label = el("span", "cl-slice-label cl-mono");
      input.addEventListener("input", () => {
        this.slice[d] = Number(input.value) | 0;
        this.redraw();
      });
      input.setAttribute("aria-label", `index along dim ${d}`);
      box.append(el("span", "cl-muted", `dim ${d}`), input, label);
      controls.append(box);
      this.sliders.push(input);
      this.sliderLabels.push(label);
    }
    const zoomOut = button("cl-zoom-out", "−", "smaller cells");
    const zoomIn = button("cl-zoom-in", "+", "larger cells (or Ctrl + wheel over the picture)");
    const zoomFit = button("cl-zoom-fit", "fit", "cell size that fits the output");
    zoomOut.addEventListener("click", () => this.step(-1));
    zoomIn.addEventListener("click", () => this.step(1));
    zoomFit.addEventListener("click", () => this.setZoom(-1));
    this.tableToggle = button("cl-table-toggle", "table", "show the values of this slice as numbers");
    this.tableToggle.addEventListener("click", () => {
      this.table = !this.table;
      this.redraw();
    });
    const zoom = el("span", "cl-zoom");
    zoom.append(zoomOut, this.zoomLabel, zoomIn, zoomFit);
    controls.append(zoom, this.tableToggle);

    const row = el("div", "cl-tensor-panels");
    this.panels = [new HeatmapPanel(p.grad ? "value" : null, "cl-tensor-data")];
    this.panels[0].labels = p.labels;
    if (p.grad) {
      const g = new HeatmapPanel("grad", "cl-tensor-grad");
      g.briefStats = sameShape(p.grad.shape, p.shape) && p.grad.dtype === p.dtype;
      // the gradient's rows and columns are its tensor's when the shapes agree
      if (sameShape(p.grad.shownShape, p.shownShape)) g.labels = p.labels;
      this.panels.push(g);
    }
    for (const panel of this.panels) {
      panel.canvas.addEventListener("mousemove", (e) => this.showHover(panel, e.clientX, e.clientY));
      panel.canvas.addEventListener("mouseleave", () => (this.hover.textContent = "\u00a0"));
      panel.node.addEventListener("wheel", (e) => {
        if (!(e.ctrlKey || e.metaKey)) return; // a plain wheel scrolls the notebook
        e.preventDefault();
        this.step(e.deltaY < 0 ? 1 : -1);
      }, { passive: false });
      row.append(panel.node);
    }
    this.hover.textContent = "\u00a0";
    const top = lead > 0 ? [this.sliceExpr] : [];
    this.node.replaceChildren(el("div", "cl-tensor-head"), this.panels[0].stats, controls, ...top, row, this.hover);
    this.watchWidth();
  }

  /** Redraw a "fit" picture when the output's width changes (the file browser opens, the window shrinks). */
  private watchWidth(): void {
    if (this.resize || typeof ResizeObserver === "undefined") return;
    this.resize = new ResizeObserver(() => {
      if (this.zoom >= 0 || !this.payload || isSmall(this.payload)) return;
      const w = this.node.clientWidth;
      if (w > 0 && Math.abs(w - this.fitFor) >= 8) this.redraw();
    });
    this.resize.observe(this.node);
  }

  /** The output's width for "fit": the element's own once laid out. */
  private width(): number {
    return this.node.clientWidth > 0 ? this.node.clientWidth : DEFAULT_WIDTH;
  }

  /**
   * "fit": the cell size that spreads the columns over the output's width (each panel's
   * share, less room for the row axis), at most FIT_MAX_HEIGHT tall and FIT_MAX_CELL a cell;
   * whole pixels from 1 up, so every cell is drawn the same size.
   */
  private fitCell(): number {
    const grid = sliceGrid(this.payload!.shownShape, this.slice);
    const width = this.width();
    this.fitFor = width;
    const labels = this.payload!.labels;
    const axis = labels?.rows ? 120 : 48;
    const room = Math.max(80, (width - 24) / this.panels.length - axis - (labels?.rowTitle ? 20 : 0) - 16);
    const strip = grid.rows === 1;
    // named rows (tokens) may take more height, so that each name gets its own line
    const height = labels?.rows ? Math.min(FIT_MAX_HEIGHT * 1.5, Math.max(FIT_MAX_HEIGHT, grid.rows * 14)) : FIT_MAX_HEIGHT;
    const fit = Math.min(FIT_MAX_CELL, room / Math.max(1, grid.cols), strip ? Infinity : height / Math.max(1, grid.rows));
    if (fit >= 1) return Math.floor(fit);
    let z = 0;
    while (z + 1 < ZOOM.length && ZOOM[z + 1] <= fit) z++;
    return ZOOM[z];
  }

  /** The zoom level in use: the reader's choice, else the largest step at or below "fit". */
  private zoomIndex(): number {
    if (this.zoom >= 0) return this.zoom;
    const fit = this.fitCell();
    let z = 0;
    while (z + 1 < ZOOM.length && ZOOM[z + 1] <= fit) z++;
    return z;
  }

  /** CSS px a cell: the zoom step chosen, else "fit". */
  private cellSize(): number {
    return this.zoom >= 0 ? ZOOM[this.zoom] : this.fitCell();
  }

  /** One zoom step larger or smaller than the cells on screen (from "fit", the nearest step). */
  private step(dir: 1 | -1): void {
    const z = this.zoomIndex();
    const between = this.zoom < 0 && ZOOM[z] < this.cellSize();
    this.setZoom(dir > 0 ? z + 1 : between ? z : z - 1);
  }

  private setZoom(z: number): void {
    this.zoom = z < 0 ? -1 : Math.max(0, Math.min(ZOOM.length - 1, z));
    this.redraw();
  }

  private redraw(): void {
    const p = this.payload!;
    this.slice = clampSlice(this.slice, p.shownShape);
    this.sliders.forEach((s, d) => {
      s.value = String(this.slice[d]);
      this.sliderLabels[d].textContent = `${this.slice[d]} of 0…${p.shownShape[d] - 1}`;
    });
    // the slice as the code would write it: vol[2, 1, :, :]
    const lead = this.slice.map(String);
    const rest = p.shownShape.slice(lead.length).map(() => ":");
    this.sliceExpr.textContent = `${p.name ?? "tensor"}[${[...lead, ...rest].join(", ")}]`;
    const cell = this.cellSize();
    this.zoomLabel.textContent = (this.zoom < 0 ? "fit " : "") + (cell >= 1 ? `${cell} px` : `1/${1 / cell} px`);
    for (const panel of this.panels) panel.draw(this.slice, cell, this.table);
    this.tableToggle.textContent = this.table ? "heatmap" : "table";
    this.tableToggle.setAttribute("aria-pressed", String(this.table));
    this.node.dataset.slice = this.slice.join(",");
  }

  private showHover(panel: HeatmapPanel, x: number, y: number): void {
    const at = panel.cellAt(x, y);
    const p = this.payload!;
    if (!at) {
      this.hover.textContent = "\u00a0";
      return;
    }
    const index = cellIndex(panel.data.shownShape, this.slice, panel.grid, at[0], at[1]);
    const parts = [`${p.name ?? "value"}[${index.join(", ")}]`];
    const [valuePanel, gradPanel] = this.panels;
    const sameGrid = (q: HeatmapPanel | undefined) => q && (q === panel || sameShape(q.data.shownShape, panel.data.shownShape));
    if (sameGrid(valuePanel)) parts.push(`= ${fmtNumber(valuePanel.valueAt(at[0], at[1]) ?? NaN, 6)}`);
    if (gradPanel && sameGrid(gradPanel)) parts.push(`  grad ${fmtNumber(gradPanel.valueAt(at[0], at[1]) ?? NaN, 6)}`);
    // the names of the row and column under the mouse, in full
    const l = panel.labels;
    const named: string[] = [];
    if (!panel.grid.wrapped && l?.rows?.[at[0]] !== undefined) named.push(`${l.rowTitle ?? "row"} ${JSON.stringify(l.rows[at[0]])}`);
    if (!panel.grid.wrapped && l?.cols?.[at[1]] !== undefined) named.push(`${l.colTitle ?? "column"} ${JSON.stringify(l.cols[at[1]])}`);
    if (named.length) parts.push(`(${named.join(", ")})`);
    this.hover.textContent = parts.join(" ");
  }
}

/**
 * A tensor payload ({shape, shownShape, dtype, stats, truncated, data, grad?}) drawn into an
 * element (a `.cl-tensor`). `field` names the payload's place in its bundle for error
 * messages ("nodes[2].value" gives "nodes[2].value.data: ..."). Never throws: a payload
 * that cannot be read comes back as the error box naming the field.
 */
export function tensorView(json: unknown, field = "tensor"): HTMLElement {
  try {
    const view = new TensorView();
    view.update(readTensorPayload(json, field ? `${field}.` : ""));
    return view.node;
  } catch (e) {
    return errorBox(MIME.tensor, e);
  }
}

export class TensorRenderer extends ChainlabRenderer {
  private readonly view = new TensorView();

  protected render(data: unknown): void {
    const start = performance.now();
    const p = readTensorPayload(data, "", true);
    // an error box may have replaced the view; the view keeps its state for the next draw
    if (this.view.node.parentNode !== this.node) this.node.replaceChildren(this.view.node);
    this.view.update(p);
    // the main-thread time of this draw (decode, checks, paint), for the budget tests
    this.view.node.dataset.renderMs = String(Math.round(performance.now() - start));
  }
}

export const tensorExtension: IRenderMime.IExtension = mimeExtension("tensor", MIME.tensor, (o) => new TensorRenderer(o));
