// Stand-ins the curves tests share: a Plotly that records its calls (jsdom cannot run the
// real one) and a kernel connection whose comms record what the widget sends.
import type { Kernel } from "@jupyterlab/services";
import { MIME } from "../src/shared/mime";
import { arrowBase64 } from "./helpers";

export type PlotCall = { fn: "newPlot" | "react" | "relayout" | "purge" | "resize"; args: unknown[] };

export function fakePlotly() {
  const calls: PlotCall[] = [];
  const record = (fn: PlotCall["fn"]) => (...args: unknown[]) => {
    calls.push({ fn, args });
    return Promise.resolve();
  };
  return {
    calls,
    count: (fn: PlotCall["fn"]) => calls.filter((c) => c.fn === fn).length,
    last: (fn: PlotCall["fn"]) => calls.filter((c) => c.fn === fn).pop(),
    plotly: {
      newPlot: record("newPlot"),
      react: record("react"),
      relayout: record("relayout"),
      purge: (...args: unknown[]) => void calls.push({ fn: "purge", args }),
      Plots: { resize: (...args: unknown[]) => void calls.push({ fn: "resize", args }) },
    },
  };
}

class FakeSignal<T> {
  private slots: [(s: unknown, v: T) => void, unknown][] = [];
  connect(fn: (s: unknown, v: T) => void, thisArg?: unknown): boolean {
    this.slots.push([fn, thisArg]);
    return true;
  }
  disconnect(fn: (s: unknown, v: T) => void, thisArg?: unknown): boolean {
    const n = this.slots.length;
    this.slots = this.slots.filter(([f, t]) => f !== fn || t !== thisArg);
    return this.slots.length < n;
  }
  emit(sender: unknown, v: T): void {
    for (const [f, t] of [...this.slots]) f.call(t, sender, v);
  }
  get size(): number {
    return this.slots.length;
  }
}

export interface FakeComm {
  targetName: string;
  opened: unknown[];
  sent: unknown[];
  closed: boolean;
  isDisposed: boolean;
  onMsg: (msg: unknown) => void;
  onClose: (msg: unknown) => void;
  /** The kernel sends {state} or anything else on this comm. */
  reply(data: unknown): void;
  /** The kernel closes the comm. */
  kernelClose(data: unknown): void;
}

export function fakeKernel(answer?: (comm: FakeComm, data: unknown) => void) {
  const comms: FakeComm[] = [];
  const statusChanged = new FakeSignal<string>();
  const disposed = new FakeSignal<void>();
  const kernel = {
    isDisposed: false,
    statusChanged,
    disposed,
    createComm(targetName: string): FakeComm {
      const comm: FakeComm = {
        targetName, opened: [], sent: [], closed: false, isDisposed: false,
        onMsg: () => {},
        onClose: () => {},
        reply(data) { comm.onMsg({ content: { comm_id: "c", data } }); },
        kernelClose(data) { comm.closed = true; comm.onClose({ content: { comm_id: "c", data } }); },
      };
      Object.assign(comm, {
        open: (data: unknown) => { comm.opened.push(data); answer?.(comm, { open: data }); },
        send: (data: unknown) => { comm.sent.push(data); answer?.(comm, data); },
        close: () => { comm.closed = true; },
      });
      comms.push(comm);
      return comm;
    },
  };
  return { kernel: kernel as unknown as Kernel.IKernelConnection, comms, statusChanged, disposed };
}

/** A loop's state as the library's Monitor answers. */
export function monitorLoop(lr: number | null = 0.1) {
  const state = { stopRequested: false, paused: false, lr };
  return (comm: FakeComm, data: unknown) => {
    const d = data as { action?: string; lr?: number };
    if (d.action === "stop") state.stopRequested = true;
    if (d.action === "pause") state.paused = true;
    if (d.action === "resume") state.paused = false;
    if (d.action === "lr" && state.lr !== null) state.lr = d.lr!;
    comm.reply({ state: { ...state } });
  };
}

export interface SeriesSpec {
  name: string;
  run?: string;
  split?: string;
  steps: number[];
  values: number[];
  count?: number;
}

/** A curves bundle as Monitor.curvesBundle() makes it. */
export function curvesBundle(series: SeriesSpec[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const rows = series.flatMap((s) => s.steps.map((step, i) => ({ step, series: s.name, value: s.values[i], run: s.run ?? "" })));
  const runs = series.some((s) => s.run !== undefined);
  return {
    version: 1,
    title: "training",
    xLabel: "step",
    monitorId: "monitor-1-1",
    running: true,
    downsampled: false,
    series: series.map((s) => ({ name: s.name, ...(s.run !== undefined ? { run: s.run } : {}), ...(s.split ? { split: s.split } : {}), count: s.count ?? s.steps.length })),
    data: arrowBase64({
      step: Float64Array.from(rows, (r) => r.step),
      series: rows.map((r) => r.series),
      value: Float64Array.from(rows, (r) => r.value),
      ...(runs ? { run: rows.map((r) => r.run) } : {}),
    }),
    ...extra,
  };
}

export const CURVES = MIME.curves;

export const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
