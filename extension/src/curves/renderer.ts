// Live loss curves of a training Monitor. The library sends the whole (downsampled) table
// again on every update_display_data, and JupyterLab hands it to this same renderer: the
// first bundle builds the Plotly chart, every later one is applied with Plotly.react and a
// fixed uirevision, so the reader's zoom, pan and legend choices stay while the run goes on.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import type { Message } from "@lumino/messaging";
import type { Widget } from "@lumino/widgets";
import { PLOT_CONFIG, layoutFor, readTheme, tracesFor, type PlotOptions } from "./plot";
import { readCurves, type Curves } from "./bundle";
import { fmtCount } from "../shared/format";
import { MIME } from "../shared/mime";
import { MonitorControls } from "./monitor-controls";
import { loadPlotly, type Plotly } from "../shared/plotly";
import { ChainlabRenderer, el, errorBox, mimeExtension } from "../shared/base-renderer";
import { webglAvailable } from "./webgl";

/** Performance entries of the renderer's work: reading a bundle, and handing it to Plotly. */
export const READ_MEASURE = "chainlab curves: read";
export const DRAW_MEASURE = "chainlab curves: draw";

/** TensorBoard's default: noisy minibatch losses read better smoothed. */
export const DEFAULT_SMOOTHING = 0.6;

export class CurvesRenderer extends ChainlabRenderer {
  private readonly header = el("div", "cl-curves-header");
  private readonly titleText = el("span", "cl-curves-title");
  private readonly countText = el("span", "cl-curves-count cl-muted");
  private readonly logY = el("input", "cl-logy");
  private readonly smoothing = el("input", "cl-smoothing");
  private readonly smoothingText = el("span", "cl-smoothing-value cl-mono");
  private readonly plot = el("div", "cl-plot");
  private readonly controls: MonitorControls;
  private curves: Curves | null = null;
  private plotly: Plotly | null = null;
  private plotted = false;
  private drawing: Promise<void> | null = null;
  private again = false;
  private revision = 0;
  /** The log-y box was set from a bundle's logY once; the reader's choice wins after that. */
  private logYSet = false;
  private themeWatch: MutationObserver | null = null;

  constructor(options: IRenderMime.IRendererOptions) {
    super(options);
    this.addClass("cl-curves");
    this.controls = new MonitorControls(this.node);
    this.logY.type = "checkbox";
    this.smoothing.type = "range";
    this.smoothing.min = "0";
    this.smoothing.max = "0.99";
    this.smoothing.step = "0.01";
    this.smoothing.value = String(DEFAULT_SMOOTHING);
    this.smoothing.setAttribute("aria-label", "smoothing");
    this.smoothingText.textContent = DEFAULT_SMOOTHING.toFixed(2);
    this.logY.addEventListener("change", () => void this.applyLogY());
    this.smoothing.addEventListener("input", () => {
      this.smoothingText.textContent = this.smoothingWeight().toFixed(2);
      void this.redraw();
    });
    const logLabel = el("label", "cl-logy-label");
    logLabel.append(this.logY, document.createTextNode(" log y"));
    const smoothLabel = el("label", "cl-smoothing-label", "smoothing ");
    smoothLabel.append(this.smoothing, this.smoothingText);
    const tools = el("span", "cl-curves-tools");
    tools.append(logLabel, smoothLabel);
    this.header.append(this.titleText, this.countText, tools);
    this.layOut();
  }

  protected async render(data: unknown): Promise<void> {
    const t0 = performance.now();
    const curves = readCurves(data);
    // the renderer's own main-thread work, apart from JupyterLab's loading of the notebook
    performance.measure(READ_MEASURE, { start: t0 });
    if (!this.node.contains(this.plot)) {
      // an error box took the widget's place: the next good bundle draws a fresh chart
      this.purge();
      this.layOut();
    }
    this.curves = curves;
    if (!this.logYSet) {
      this.logYSet = true;
      this.logY.checked = curves.logY;
    }
    this.titleText.textContent = curves.title ?? "";
    this.countText.textContent = countText(curves);
    // a chart of results has no loop for the controls to reach: they are not shown at all
    this.controls.update(curves.controls ? curves.monitorId : undefined, curves.running ?? true, data);
    await this.redraw();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.controls.dispose();
    this.themeWatch?.disconnect();
    this.purge();
    super.dispose();
  }

  protected override onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.controls.connect();
    // JupyterLab switches themes by changing attributes of <body>
    this.themeWatch ??= new MutationObserver(() => void this.redraw());
    this.themeWatch.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-name", "data-jp-theme-light"] });
    this.resizePlot();
  }

  protected override onBeforeDetach(msg: Message): void {
    this.themeWatch?.disconnect();
    super.onBeforeDetach(msg);
  }

  protected override onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this.resizePlot();
  }

  private layOut(): void {
    this.node.replaceChildren(this.header, this.plot, this.controls.node);
  }

  private smoothingWeight(): number {
    const w = Number(this.smoothing.value);
    return Number.isFinite(w) ? Math.min(Math.max(w, 0), 0.99) : 0;
  }

  private plotOptions(): PlotOptions {
    return {
      smoothing: this.smoothingWeight(),
      logY: this.logY.checked,
      webgl: webglAvailable(),
      width: this.plot.clientWidth || 800,
    };
  }

  /** Draw the latest bundle; calls that come while a draw is under way fold into one more. */
  private redraw(): Promise<void> {
    if (this.drawing) {
      this.again = true;
      return this.drawing;
    }
    this.drawing = (async () => {
      try {
        do {
          this.again = false;
          await this.draw();
        } while (this.again);
      } finally {
        this.drawing = null;
      }
    })();
    return this.drawing;
  }

  private async draw(): Promise<void> {
    if (!this.curves || this.isDisposed) return;
    try {
      this.plotly ??= await loadPlotly();
    } catch (e) {
      this.plot.replaceChildren(errorBox(this.options.mimeType, new Error(`Plotly did not load: ${(e as Error)?.message ?? e}`)));
      return;
    }
    // bundles that came while Plotly loaded: the newest is the one to draw
    const curves = this.curves;
    if (this.isDisposed || !this.node.contains(this.plot)) return;
    const t0 = performance.now();
    const opts = this.plotOptions();
    const traces = tracesFor(curves, opts);
    const layout = layoutFor(curves, readTheme(), opts, ++this.revision);
    if (!this.plotted) {
      this.plotted = true;
      await this.plotly.newPlot(this.plot, traces, layout, PLOT_CONFIG);
    } else {
      await this.plotly.react(this.plot, traces, layout, PLOT_CONFIG);
    }
    performance.measure(DRAW_MEASURE, { start: t0 });
    this.node.dataset.points = String(curves.rows);
    // what the run logged, which grows even when the library sends a thinned curve
    this.node.dataset.logged = String(curves.series.reduce((n, s) => n + s.count, 0));
    this.node.dataset.series = String(curves.series.length);
    this.node.dataset.seriesTotal = String(curves.seriesTotal);
    this.node.dataset.trace = traces.some((t) => t.type === "scattergl") ? "scattergl" : "scatter";
  }

  private async applyLogY(): Promise<void> {
    // the whole layout again: a log axis has ticks of its own, and the y axis' uirevision
    // follows the scale, so a zoomed range in the old scale is not carried into the new one
    return this.redraw();
  }

  private resizePlot(): void {
    if (this.plotly && this.plotted && this.node.isConnected) this.plotly.Plots.resize(this.plot);
  }

  private purge(): void {
    if (this.plotly && this.plotted) this.plotly.purge(this.plot);
    this.plot.replaceChildren();
    this.plotted = false;
  }
}

/** "3 series, 1,200 points"; "showing 64 of 20,000 series" when the bundle had more than are drawn. */
export function countText(curves: Curves): string {
  const total = curves.series.reduce((n, s) => n + s.count, 0);
  const points = total > curves.rows
    ? `showing ${fmtCount(curves.rows)} of ${fmtCount(total)} points`
    : `${fmtCount(curves.rows)} points`;
  const series = curves.seriesTotal > curves.series.length
    ? `showing ${fmtCount(curves.series.length)} of ${fmtCount(curves.seriesTotal)} series`
    : curves.series.length > 1 ? `${fmtCount(curves.series.length)} series` : "";
  return series ? `${series}, ${points}` : points;
}

export const curvesExtension: IRenderMime.IExtension = mimeExtension("curves", MIME.curves, (o) => new CurvesRenderer(o));
