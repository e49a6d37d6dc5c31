// The contract between the library, which sends display bundles, and the JupyterLab
// extension, which draws them: MIME types, the monitor's comm target, and the budgets that
// bound the work of one output. The extension imports this file itself (it imports nothing),
// so each value has exactly one definition.
//
// The library summarises to stay inside a budget whatever the shape or the number of calls
// says; a renderer checks the same budget on what arrives (a saved notebook may come from
// anywhere) and draws "showing N of M" or an error box naming the field. See docs/design.md.

export const MIME = {
  tensor: "application/vnd.chainlab.tensor+json",
  curves: "application/vnd.chainlab.curves+json",
  gradflow: "application/vnd.chainlab.gradflow+json",
  graph: "application/vnd.chainlab.graph+json",
  module: "application/vnd.chainlab.module+json",
  progress: "application/vnd.chainlab.progress+json",
} as const;

/** The comm target a monitor widget opens to steer its run (stop, pause, learning rate). */
export const MONITOR_COMM_TARGET = "chainlab.monitor";

/**
 * The largest learning rate a monitor's control accepts: the widget and the kernel both
 * refuse anything but a finite number with 0 < lr ≤ this (one step at 1e308 makes every
 * weight NaN for good).
 */
export const MONITOR_MAX_LR = 10;

/**
 * The most one output may hold. Each renderer's main-thread work is bounded by these, so
 * no bundle, however its fields lie, freezes the page.
 */
export const BUDGETS = {
  /**
   * Bytes of one bundle's base64 payloads a renderer decodes (checked on the strings' length,
   * before decoding). 8 MB: a 2-D tensor of 2M float32 values decodes and paints in well
   * under a second; the library's own bundles stay far below it.
   */
  bundleBytes: 8 * 2 ** 20,
  /** Values of a tensor sent and drawn (a summary of the rest). */
  tensorValues: 10_000,
  /** Elements a tensor bundle's declared shape may claim. */
  tensorElements: 2 ** 40,
  /** Dimensions of a tensor, in the library and in a bundle. */
  tensorDims: 8,
  /**
   * Series of one curves chart. Plotly spends tens of milliseconds of main-thread time per
   * trace on a slow machine, and a legend past a dozen colours is read by nobody.
   */
  curveSeries: 16,
  /** Points of one series sent (older ones thinned). */
  curvePoints: 2_000,
  /** Nodes of a computation graph drawn. */
  graphNodes: 500,
  /** Edges of a computation graph drawn. */
  graphEdges: 2_000,
  /** Rows of a module summary. */
  moduleRows: 2_000,
  /** Layers × steps of a gradient-flow bundle. */
  gradflowCells: 2 ** 16,
} as const;
