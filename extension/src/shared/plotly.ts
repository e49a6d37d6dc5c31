// Plotly is 1.6 MB: it loads the first time a curve is drawn, in a chunk of its own, not
// with the extension. Tests replace this module, since jsdom cannot run Plotly.

export type PlotData = Record<string, unknown>;

export interface Plotly {
  newPlot(root: HTMLElement, data: PlotData[], layout: PlotData, config?: PlotData): Promise<unknown>;
  react(root: HTMLElement, data: PlotData[], layout: PlotData, config?: PlotData): Promise<unknown>;
  relayout(root: HTMLElement, update: PlotData): Promise<unknown>;
  purge(root: HTMLElement): void;
  Plots: { resize(root: HTMLElement): unknown };
}

let loading: Promise<Plotly> | null = null;

export function loadPlotly(): Promise<Plotly> {
  loading ??= import("plotly.js-gl2d-dist-min")
    .then((m) => ((m as { default?: Plotly }).default ?? (m as unknown as Plotly)))
    .catch((e: unknown) => {
      // a failed chunk load may succeed on the next curve
      loading = null;
      throw e;
    });
  return loading;
}
