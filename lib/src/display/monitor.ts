// Monitor: records a training run — loss curves and per-layer gradient statistics — and
// keeps its two displays live while the loop runs. A widget can steer the loop through a
// comm (stop, pause, learning rate); the loop sees that at `await monitor.poll()`.
import { comms, currentSink, display, inNotebook, updateDisplay, whenCellEnds } from "../notebook";
import type { CellOutcome, CommChannel, NotebookSink } from "../notebook";
import { endOf, parseCommand, parseOpen, type MonitorEnd, type MonitorState } from "./monitor-comm";
import type { Tensor } from "../tensor";
import { arrowBase64 } from "./arrow";
import { gradflowBundle, recordGradientStats } from "./monitor-gradflow";
import type { LayerStat, NamedParams } from "./monitor-gradflow";

export { keptSteps, MAX_GRADFLOW_STEPS } from "./monitor-gradflow";
import { CurveLog, type LogOptions } from "./monitor-curves";

export { keptIndices, MAX_CURVE_POINTS } from "./monitor-curves";
export type { LogOptions } from "./monitor-curves";

export const CURVES_MIME = "application/vnd.chainlab.curves+json";
export const GRADFLOW_MIME = "application/vnd.chainlab.gradflow+json";
export const MONITOR_COMM_TARGET = "chainlab.monitor";

export interface MonitorOptions {
  title?: string;
  xLabel?: string;
  /** The y axis' title: what is logged, e.g. "cross-entropy" (default "loss"). */
  yLabel?: string;
  /** Draw the curves on a log y axis at first (the chart's "log y" box switches it). */
  logY?: boolean;
  /** Draw the x axis on a log scale: for x values that grow by factors (label counts, parameters, compute), all > 0. */
  logX?: boolean;
  /**
   * False for a chart of results rather than a training loop (a learning curve, a scaling
   * plot): the widget then shows no Stop, Pause or learning rate, and no "finished at step".
   */
  controls?: boolean;
  /** Whose gradients to watch: anything with namedParameters(). */
  model?: { namedParameters(): NamedParams };
  /** Its learning rate follows the widget's control. */
  optimizer?: { paramGroups: { lr: number }[] };
  /** Watch every parameter, not only weight matrices (ndim >= 2). */
  allParameters?: boolean;
  /** The range [lo, hi] of mean |grad| the gradient flow spans, for monitors to share one other than the default. */
  gradAxis?: [number, number];
  /** Record gradient statistics every n-th log call (they cost a pass over the weights). */
  gradEvery?: number;
  /** Minimum milliseconds between redraws. */
  redrawMs?: number;
  /** Show the displays at construction (default: in notebooks). */
  show?: boolean;
}

let nextId = 0;
/** Monitors whose run goes on: the widget's controls can reach them. */
const live = new Map<string, Monitor>();
/** The widgets' comms open on each monitor, closed when its run ends. */
const widgetComms = new WeakMap<Monitor, Set<CommChannel>>();

/**
 * Route widget commands to the monitor they name, and end every live run when the cell
 * that runs it ends (the kernel says how), so no widget shows "running" for a loop that is
 * gone. A message of the wrong shape is answered with {error} naming the problem; nothing
 * a widget sends can throw into the cell that is training.
 */
function ensureCommTarget(): void {
  const sink = currentSink();
  if (!sink || targetOn.has(sink)) return;
  targetOn.add(sink);
  whenCellEnds(endLiveRuns);
  comms.registerTarget(MONITOR_COMM_TARGET, (comm: CommChannel, openMsg) => {
    const open = parseOpen(openMsg?.content?.data);
    const m = typeof open === "string" ? undefined : live.get(open.monitorId);
    if (!m) {
      comm.close({ error: typeof open === "string" ? open : `no running monitor ${open.monitorId}` });
      return;
    }
    let widgets = widgetComms.get(m);
    if (!widgets) widgetComms.set(m, (widgets = new Set()));
    widgets.add(comm);
    comm.onClose(() => widgets.delete(comm));
    // every command is answered with the state it left, so the widget shows what the loop sees
    comm.onMsg((data) => {
      let error: string | null;
      try {
        const cmd = parseCommand(data);
        error = typeof cmd === "string" ? cmd : m.command(cmd);
      } catch (e) {
        error = `the command failed: ${(e as Error)?.message ?? String(e)}`;
      }
      if (!comm.closed) comm.send(error ? { error, state: m.state() } : { state: m.state() });
    });
    comm.send({ state: m.state() });
  });
}
/** The sinks (kernels, test hosts) the comm target and the cell-end hook were registered with. */
const targetOn = new WeakSet<NotebookSink>();

/** The kernel's cell-end hook: each run still live ends the way its cell did. */
function endLiveRuns(outcome: CellOutcome): void {
  for (const m of [...live.values()]) m.cellEnded(outcome);
}

/**
 * Least milliseconds between two gradient-flow updates. A picture of one step needs no more,
 * and its bundle is the larger one: sent as often as the curves, it took the kernel's output
 * budget from them, or (once bigger than the budget) waited behind them for the whole run.
 */
export const GRADFLOW_REDRAW_MS = 1000;

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
  get points(): { step: number; series: string; value: number; run?: string }[] { return this.curves.points; }
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
  /** How the run ended (null while it goes on); drawn in the display and sent to the widget. */
  private ended: MonitorEnd | null = null;
  /** close() was called: a later log() records but does not make the run live again. */
  private closedByCode = false;

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
   * a name starting with "val" is drawn as a validation curve. `{run}` puts the values in a
   * run of their own, so several runs share one chart, each in its colour; the linked
   * optimizer's learning rate (or `{lr}`) is noted where it changes.
   * @example mon.log({ train: loss }, step, { run: "relu" })
   */
  log(values: Record<string, number | Tensor>, step = this.lastStep + 1, opts: LogOptions = {}): void {
    this.curves.record(values, step, opts);
    const lr = this.opts.optimizer?.paramGroups[0]?.lr;
    if (opts.lr === undefined && typeof lr === "number") this.curves.recordLr(step, lr, opts.run);
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
    const n = recordGradientStats(model.namedParameters(), step, !!this.opts.allParameters, this.prevWeights, this.layerStats);
    if (n > 0) this.gradDirty = true;
  }

  /**
   * Let widget commands in and wait while paused; false once a stop was requested. A run
   * that ended with its cell goes on (live again, the old Stop forgotten) when a later
   * cell polls it.
   */
  async poll(): Promise<boolean> {
    this.resume();
    await new Promise((r) => setImmediate(r));
    while (this.paused && !this.stopRequested) await new Promise((r) => setTimeout(r, 50));
    return !this.stopRequested;
  }

  /**
   * A command from the widget: {action: "stop" | "pause" | "resume" | "lr", lr?}. Returns
   * null when applied, or why it was refused (an lr outside 0 < lr ≤ MONITOR_MAX_LR, no
   * optimizer, a malformed command).
   * @example mon.command({ action: "lr", lr: 1e308 }) // "lr must be a finite number with 0 < lr ≤ 10, got 1e+308"
   */
  command(msg: unknown): string | null {
    const cmd = parseCommand(msg);
    if (typeof cmd === "string") return cmd;
    switch (cmd.action) {
      case "stop": this.stopRequested = true; break;
      case "pause": this.paused = true; break;
      case "resume": this.paused = false; break;
      case "lr":
        if (!this.opts.optimizer) return "this monitor was made without an optimizer: pass {optimizer} to set its lr";
        for (const g of this.opts.optimizer.paramGroups) g.lr = cmd.lr;
        break;
    }
    return null;
  }

  /**
   * What the widget's controls show: whether a stop was asked for, whether the loop is
   * paused, the optimiser's learning rate (null without one, and then `optimizer: false`),
   * and once the run is over how it ended. Sent after every command.
   * @example mon.command({ action: "pause" }); mon.state() // { stopRequested: false, paused: true, lr: 0.001 }
   */
  state(): MonitorState {
    const lr = this.opts.optimizer?.paramGroups[0]?.lr;
    return {
      stopRequested: this.stopRequested,
      paused: this.paused,
      lr: typeof lr === "number" && Number.isFinite(lr) ? lr : null,
      ...(this.opts.optimizer ? {} : { optimizer: false as const }),
      ...(this.ended ? { ended: this.ended } : {}),
    };
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

  /** Draw the final state ("finished" or "stopped" at the last step) and release the widget's controls. */
  close(): void {
    this.closedByCode = true;
    if (!this.ended) this.end(endOf({ status: "ok" }, this.stopRequested, this.step()));
    else this.redraw(true);
  }

  /**
   * The kernel's word that the cell running this monitor ended (ok, interrupted, failed):
   * a run close() did not end ends now, the way its cell did.
   */
  cellEnded(outcome: CellOutcome): void {
    if (!this.ended) this.end(endOf(outcome, this.stopRequested, this.step()));
  }

  /** The last logged step, or null before the first log(). */
  private step(): number | null {
    return this.lastStep >= 0 ? this.lastStep : null;
  }

  /** Mark the run ended: the display keeps how (a saved notebook shows it), widgets get it and their comms close. */
  private end(how: MonitorEnd): void {
    this.ended = how;
    live.delete(this.id);
    this.dirty = true;
    this.redraw(true);
    const open = widgetComms.get(this);
    if (open) {
      for (const comm of [...open]) {
        if (comm.closed) continue;
        comm.send({ state: this.state() });
        comm.close({ ended: how });
      }
      open.clear();
    }
  }

  /** A run its cell ended is used again by a later cell: live again, with a fresh Stop and Pause. */
  private resume(): void {
    if (!this.ended || this.closedByCode) return;
    this.ended = null;
    this.stopRequested = this.paused = false;
    live.set(this.id, this);
    this.dirty = true;
    // at once, so the widget finds the run live and reconnects
    this.redraw(true);
  }

  /** Send what changed and is due: the curves every redrawMs, the gradient flow less often. */
  private redraw(force: boolean): void {
    if (!force && this.dirty) this.resume();
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
    const bundle = this.curves.bundle({
      title: this.title, xLabel: this.xLabel, yLabel: this.opts.yLabel ?? "loss", logY: this.opts.logY,
      logX: this.opts.logX, controls: this.opts.controls,
      monitorId: this.id, running: live.has(this.id),
    });
    // how the run ended stays in the saved display, so a reopened notebook says it
    const curves = bundle[CURVES_MIME] as Record<string, unknown> | undefined;
    if (this.ended && curves) {
      curves.ended = this.ended;
      bundle["text/plain"] = `${String(bundle["text/plain"] ?? "")} (${endText(this.ended)})`;
    }
    return bundle;
  }

  /**
   * The gradient flow as the extension draws it (see monitor-gradflow.ts).
   * @example display(mon.gradflowBundle(), { raw: true })
   */
  gradflowBundle(): Record<string, unknown> {
    return gradflowBundle(this.layerStats, { axis: this.opts.gradAxis });
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return this.curvesBundle();
  }
}

/** "finished at step 99", "failed: Error: …": how a run ended, in words. */
function endText(e: MonitorEnd): string {
  const at = e.step === null ? "" : ` at step ${e.step}`;
  return e.outcome === "failed" ? `failed${at}: ${e.message ?? ""}` : `${e.outcome}${at}`;
}
