// Monitor: records a training run — loss curves and per-layer gradient statistics — and
// keeps its two displays live while the loop runs. A widget can steer the loop through a
// comm (stop, pause, learning rate); the loop sees that at `await monitor.poll()`.
import { noGrad } from "../autograd";
import { comms, display, updateDisplay, inNotebook } from "../notebook";
import type { CommChannel } from "../notebook";
import type { Tensor } from "../tensor";
import { arrowBase64 } from "./arrow";
import { barChartSvg } from "./svg";
import { CurveLog } from "./monitor-curves";

export { keptIndices, MAX_CURVE_POINTS } from "./monitor-curves";

export const CURVES_MIME = "application/vnd.chainlab.curves+json";
export const GRADFLOW_MIME = "application/vnd.chainlab.gradflow+json";
export const MONITOR_COMM_TARGET = "chainlab.monitor";

type NamedParams = Iterable<[string, Tensor]> | Map<string, Tensor> | Record<string, Tensor>;

export interface MonitorOptions {
  title?: string;
  xLabel?: string;
  /** Whose gradients to watch: anything with namedParameters(). */
  model?: { namedParameters(): NamedParams };
  /** Its learning rate follows the widget's control. */
  optimizer?: { paramGroups: { lr: number }[] };
  /** Watch every parameter, not only weight matrices (ndim >= 2). */
  allParameters?: boolean;
  /** Record gradient statistics every n-th log call (they cost a pass over the weights). */
  gradEvery?: number;
  /** Minimum milliseconds between redraws. */
  redrawMs?: number;
  /** Show the displays at construction (default: in notebooks). */
  show?: boolean;
}

interface LayerStat {
  step: number;
  layer: string;
  gradMean: number;
  gradMax: number;
  weightNorm: number;
  updateRatio: number;
}

function entries(p: NamedParams): [string, Tensor][] {
  if (p instanceof Map) return [...p.entries()];
  if (Symbol.iterator in (p as object)) return [...(p as Iterable<[string, Tensor]>)];
  return Object.entries(p as Record<string, Tensor>);
}

let nextId = 0;
const live = new Map<string, Monitor>();
/** The widgets' comms open on each monitor, closed when its run ends. */
const widgetComms = new WeakMap<Monitor, Set<CommChannel>>();

/** Route widget commands to the monitor they name. */
function ensureCommTarget(): void {
  if (!inNotebook() || ensureCommTarget.done) return;
  ensureCommTarget.done = true;
  comms.registerTarget(MONITOR_COMM_TARGET, (comm: CommChannel, openMsg) => {
    const data = (openMsg.content.data ?? {}) as { monitorId?: string };
    const m = data.monitorId ? live.get(data.monitorId) : undefined;
    if (!m) {
      comm.close({ error: `no running monitor ${data.monitorId}` });
      return;
    }
    let open = widgetComms.get(m);
    if (!open) widgetComms.set(m, (open = new Set()));
    open.add(comm);
    comm.onClose(() => open.delete(comm));
    // every command is answered with the state it left, so the widget shows what the loop sees
    comm.onMsg((data) => {
      m.command(data as Record<string, unknown>);
      if (!comm.closed) comm.send({ state: m.state() });
    });
    comm.send({ state: m.state() });
  });
}
ensureCommTarget.done = false;

/**
 * Least milliseconds between two gradient-flow updates. A picture of one step needs no more,
 * and its bundle is the larger one: sent as often as the curves, it took the kernel's output
 * budget from them, or (once bigger than the budget) waited behind them for the whole run.
 */
export const GRADFLOW_REDRAW_MS = 1000;

/** At most about this many recorded steps go into a gradient-flow bundle... */
export const MAX_GRADFLOW_STEPS = 200;
/** ...of which the newest this many are every recorded step. */
const GRADFLOW_TAIL = 50;

/**
 * Which of `n` recorded steps (by position, ascending) to send: all while there are at most
 * `budget`; beyond that the newest `GRADFLOW_TAIL` and, before them, every k-th from the
 * first, k a power of two so the kept steps stay put while the run grows.
 */
export function keptSteps(n: number, budget = MAX_GRADFLOW_STEPS): number[] {
  budget = Math.max(GRADFLOW_TAIL + 2, Math.floor(budget));
  if (n <= budget) return Array.from({ length: n }, (_, i) => i);
  const head = n - GRADFLOW_TAIL;
  let stride = 1;
  while (Math.ceil(head / stride) > budget - GRADFLOW_TAIL) stride *= 2;
  const out: number[] = [];
  for (let i = 0; i < head; i += stride) out.push(i);
  for (let i = head; i < n; i++) out.push(i);
  return out;
}

// The rule the extension's gradient-flow view flags layers by (gradflow-data.ts), so the
// static picture and the live one mark the same layers.
const FLAG_FACTOR = 1000;
const VANISHING_ABS = 1e-7;
const EXPLODING_ABS = 1e3;

/** "exploding", "vanishing" or null for a layer at a step, given the median over the layers. */
export function gradFlag(mean: number, max: number, median: number): "exploding" | "vanishing" | null {
  const relative = median > 0;
  if (!Number.isFinite(max) || !Number.isFinite(mean) || max > EXPLODING_ABS) return "exploding";
  if (relative && mean > median * FLAG_FACTOR) return "exploding";
  if (relative && mean < median / FLAG_FACTOR) return "vanishing";
  if (mean < VANISHING_ABS) return "vanishing";
  return null;
}

/** The upper median of the finite values, as the extension computes it. */
function upperMedian(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : NaN;
}

/**
 * Live training curves, and the gradient flow of a model, drawn in the notebook while the
 * loop runs: log() values each step, and the displays update at most every redrawMs. The
 * widget's stop, pause and learning-rate controls reach the loop through poll().
 * @example const mon = new Monitor({ model, optimizer: opt });
 * for (let step = 0; step < 1000 && (await mon.poll()); step++) { ...; mon.log({ loss }); }
 * mon.close();
 */
export class Monitor {
  readonly id = `monitor-${process.pid}-${++nextId}`;
  readonly title: string;
  readonly xLabel: string;
  /** The logged curves (monitor-curves.ts). */
  private readonly curves = new CurveLog();
  /** (step, series, value) rows, in logging order. */
  get points(): { step: number; series: string; value: number }[] { return this.curves.points; }
  readonly layerStats: LayerStat[] = [];
  stopRequested = false;
  paused = false;
  private opts: MonitorOptions;
  private prevWeights = new Map<string, { step: number; values: Float32Array }>();
  private logCalls = 0;
  private get lastStep(): number { return this.curves.lastStep; }
  private lastGradStep = -1;
  private lastDraw = 0;
  private lastGradDraw = 0;
  private shown = false;
  private dirty = false;
  /** Gradient statistics were recorded since the gradient flow was last sent. */
  private gradDirty = false;
  private trailing: ReturnType<typeof setTimeout> | null = null;
  private trailingAt = 0;

  constructor(opts: MonitorOptions = {}) {
    this.opts = opts;
    this.title = opts.title ?? "training";
    this.xLabel = opts.xLabel ?? "step";
    live.set(this.id, this);
    ensureCommTarget();
    if (opts.show ?? inNotebook()) this.show();
  }

  /**
   * Record values at a step (default: one past the last). Numbers or scalar tensors;
   * a name starting with "val" is drawn as a validation curve.
   */
  log(values: Record<string, number | Tensor>, step = this.lastStep + 1): void {
    this.curves.record(values, step);
    // gradients belong to training steps: a second log at the same step (validation) adds none
    if (this.opts.model && step > this.lastGradStep && this.logCalls++ % (this.opts.gradEvery ?? 1) === 0) {
      this.recordGradients(step);
    }
    this.dirty = true;
    this.redraw(false);
  }

  /** Per-layer gradient statistics of the model now (call after backward, before zeroGrad). */
  recordGradients(step = this.lastStep): void {
    const model = this.opts.model;
    if (!model) return;
    this.lastGradStep = step;
    noGrad(() => {
      for (const [name, p] of entries(model.namedParameters())) {
        if (!p.grad || (!this.opts.allParameters && p.ndim < 2)) continue;
        const g = p.grad.values();
        const w = p.values();
        let gs = 0, gm = 0, ws = 0, ds = 0;
        const prev = this.prevWeights.get(name);
        for (let i = 0; i < g.length; i++) {
          const a = Math.abs(g[i]);
          gs += a;
          if (a > gm) gm = a;
          ws += w[i] * w[i];
          if (prev) { const d = w[i] - prev.values[i]; ds += d * d; }
        }
        const weightNorm = Math.sqrt(ws);
        const steps = prev ? Math.max(step - prev.step, 1) : 1;
        this.layerStats.push({
          step, layer: name, gradMean: gs / Math.max(g.length, 1), gradMax: gm, weightNorm,
          updateRatio: prev && weightNorm ? Math.sqrt(ds) / weightNorm / steps : NaN,
        });
        this.prevWeights.set(name, { step, values: Float32Array.from(w) });
        this.gradDirty = true;
      }
    });
  }

  /** Let widget commands in and wait while paused; false once a stop was requested. */
  async poll(): Promise<boolean> {
    await new Promise((r) => setImmediate(r));
    while (this.paused && !this.stopRequested) await new Promise((r) => setTimeout(r, 50));
    return !this.stopRequested;
  }

  /** A command from the widget: {action: "stop" | "pause" | "resume" | "lr", lr?}. */
  command(msg: Record<string, unknown>): void {
    switch (msg.action) {
      case "stop": this.stopRequested = true; break;
      case "pause": this.paused = true; break;
      case "resume": this.paused = false; break;
      case "lr":
        if (typeof msg.lr === "number" && msg.lr > 0 && this.opts.optimizer) {
          for (const g of this.opts.optimizer.paramGroups) g.lr = msg.lr;
        }
        break;
    }
  }

  /**
   * What the widget's controls show: whether a stop was asked for, whether the loop is
   * paused, and the optimiser's learning rate (null without one). Sent after every command.
   * @example mon.command({ action: "pause" }); mon.state() // { stopRequested: false, paused: true, lr: 0.001 }
   */
  state(): Record<string, unknown> {
    return { stopRequested: this.stopRequested, paused: this.paused, lr: this.opts.optimizer?.paramGroups[0]?.lr ?? null };
  }

  /**
   * Put the curves (and, with a model, the gradient flow) in the cell's output; later calls
   * redraw them where they are. The constructor calls it in notebooks unless {show: false}.
   * @example const mon = new Monitor({ show: false }); ...; mon.show();
   */
  show(): void {
    if (this.shown) return this.redraw(true);
    this.shown = true;
    display(this.curvesBundle(), { raw: true, displayId: `${this.id}-curves` });
    if (this.opts.model) display(this.gradflowBundle(), { raw: true, displayId: `${this.id}-gradflow` });
    this.lastDraw = this.lastGradDraw = Date.now();
    this.dirty = this.gradDirty = false;
  }

  /** Draw the final state (marked as ended) and release the widget's controls. */
  close(): void {
    const wasLive = live.delete(this.id);
    if (wasLive) this.dirty = true;
    this.redraw(true);
    const open = widgetComms.get(this);
    if (open) {
      for (const comm of [...open]) comm.close({ error: `the run of monitor ${this.id} has ended` });
      open.clear();
    }
  }

  /** Send what changed and is due: the curves every redrawMs, the gradient flow less often. */
  private redraw(force: boolean): void {
    const grads = !!this.opts.model && this.gradDirty;
    if (!this.shown || (!this.dirty && !grads)) return;
    const now = Date.now();
    const redrawMs = this.opts.redrawMs ?? 250;
    const curvesWait = this.dirty && !force ? this.lastDraw + redrawMs - now : 0;
    const gradWait = grads && !force ? this.lastGradDraw + Math.max(redrawMs, GRADFLOW_REDRAW_MS) - now : 0;
    if (this.dirty && curvesWait <= 0) {
      this.lastDraw = now;
      this.dirty = false;
      updateDisplay(`${this.id}-curves`, this.curvesBundle(), { raw: true });
    }
    if (grads && gradWait <= 0) {
      this.lastGradDraw = now;
      this.gradDirty = false;
      updateDisplay(`${this.id}-gradflow`, this.gradflowBundle(), { raw: true });
    }
    // a trailing redraw, so the last values of a loop that ends inside the window arrive
    const wait = Math.min(this.dirty ? curvesWait : Infinity, !!this.opts.model && this.gradDirty ? gradWait : Infinity);
    if (wait === Infinity || (this.trailing && this.trailingAt <= now + wait)) {
      if (wait === Infinity && this.trailing) { clearTimeout(this.trailing); this.trailing = null; }
      return;
    }
    if (this.trailing) clearTimeout(this.trailing);
    this.trailingAt = now + wait;
    this.trailing = setTimeout(() => { this.trailing = null; this.redraw(false); }, wait);
  }

  /**
   * The curves as a MIME bundle: the logged points as an Arrow table (a long run decimated,
   * its newest points exact) under CURVES_MIME, a line chart in SVG, and a text summary.
   * @example display(mon.curvesBundle(), { raw: true })
   */
  curvesBundle(): Record<string, unknown> {
    return this.curves.bundle({ title: this.title, xLabel: this.xLabel, monitorId: this.id, running: live.has(this.id) });
  }

  /**
   * The gradient flow as the extension draws it. Every update resends the table, so a long
   * run sends at most about MAX_GRADFLOW_STEPS of its recorded steps (the newest exactly);
   * `layerStats` keeps them all. Besides the table under GRADFLOW_MIME, a bar chart in SVG of
   * the latest step marks the layers the view would flag, and a text line counts them.
   * @example display(mon.gradflowBundle(), { raw: true })
   */
  gradflowBundle(): Record<string, unknown> {
    const layers = [...new Set(this.layerStats.map((s) => s.layer))];
    const recorded = [...new Set(this.layerStats.map((s) => s.step))].sort((a, b) => a - b);
    const keep = new Set(keptSteps(recorded.length).map((i) => recorded[i]));
    const rows = keep.size === recorded.length ? this.layerStats : this.layerStats.filter((s) => keep.has(s.step));
    const lastStep = this.layerStats.length ? this.layerStats[this.layerStats.length - 1].step : 0;
    const latest = this.layerStats.filter((s) => s.step === lastStep);
    const median = upperMedian(latest.map((s) => s.gradMean));
    return {
      "text/plain": `gradient flow at step ${lastStep}: ${latest.length} layers`,
      [GRADFLOW_MIME]: {
        version: 1,
        layers,
        steps: recorded.length,
        data: arrowBase64({
          step: Float64Array.from(rows, (s) => s.step),
          layer: rows.map((s) => s.layer),
          gradMean: Float64Array.from(rows, (s) => s.gradMean),
          gradMax: Float64Array.from(rows, (s) => s.gradMax),
          weightNorm: Float64Array.from(rows, (s) => s.weightNorm),
          updateRatio: Float64Array.from(rows, (s) => s.updateRatio),
        }),
      },
      "image/svg+xml": barChartSvg(
        `step ${lastStep}: mean |grad| per layer; red if max > ${EXPLODING_ABS} or not finite, ` +
          `mean > ${FLAG_FACTOR}x or < 1/${FLAG_FACTOR} of the median, or mean < ${VANISHING_ABS}`,
        latest.map((s) => ({ label: s.layer, value: s.gradMean, marked: gradFlag(s.gradMean, s.gradMax, median) !== null })),
        720,
      ),
    };
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return this.curvesBundle();
  }
}
