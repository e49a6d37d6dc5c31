// Stop, pause and learning-rate controls of a training Monitor. They talk to the loop over
// a comm to the kernel's "chainlab.monitor" target, opened with the monitor's id; the
// kernel answers every open and every command with {state: {stopRequested, paused, lr}},
// and a refused command with {error, state}. When the cell running the loop ends (by its
// own end, Stop, Kernel › Interrupt or an error) the kernel sends the final state with
// `ended` and closes the comm; the bundle keeps `ended`, so a saved notebook says the same.
// The kernel, not the widget, closes a comm whose run ended: a close from both sides at
// once is what makes JupyterLab log "Comm not found for comm id".
import type { Kernel, KernelMessage } from "@jupyterlab/services";
import { MONITOR_MAX_LR } from "chainlab/dist/display/contract";
import { fmtNumber } from "../shared/format";
import { kernelFor } from "../shared/kernel-link";
import { MONITOR_COMM_TARGET } from "../shared/mime";
import { el } from "../shared/base-renderer";

export type MonitorCommand = { action: "stop" | "pause" | "resume" } | { action: "lr"; lr: number };

export interface MonitorState {
  stopRequested: boolean;
  paused: boolean;
  /** The optimiser's learning rate; null when it has none or the value is not a finite number. */
  lr: number | null;
  /** False only when the monitor was made without an optimizer. */
  optimizer: boolean;
  ended: MonitorEnd | null;
}

/** How a run ended, as the library reports it (lib/src/display/monitor-comm.ts). */
export interface MonitorEnd {
  outcome: "finished" | "stopped" | "interrupted" | "failed";
  step: number | null;
  message?: string;
}

export const NOT_CONNECTED = "not connected to a running loop";

const OUTCOMES = ["finished", "stopped", "interrupted", "failed"];

/** The `ended` of a bundle or a kernel message, or null when there is none we can read. */
export function readEnded(data: unknown): MonitorEnd | null {
  const e = (data as { ended?: unknown } | null)?.ended as Record<string, unknown> | undefined;
  if (typeof e !== "object" || e === null || !OUTCOMES.includes(e.outcome as string)) return null;
  const step = typeof e.step === "number" && Number.isFinite(e.step) ? e.step : null;
  const message = typeof e.message === "string" ? e.message.slice(0, 300) : undefined;
  return { outcome: e.outcome as MonitorEnd["outcome"], step, ...(message !== undefined ? { message } : {}) };
}

/** "finished at step 99", "stopped at step 12", "interrupted at step 5", "failed at step 3: RangeError: …". */
export function endText(e: MonitorEnd): string {
  const at = e.step === null ? "" : ` at step ${fmtNumber(e.step)}`;
  if (e.outcome === "failed") return `failed${at}${e.message ? `: ${e.message}` : ""}`;
  if (e.outcome === "finished" && e.step === null) return "finished, nothing logged";
  return e.outcome + at;
}

/** The state in a kernel message, or null when the message holds none we can read. */
export function readState(data: unknown): MonitorState | null {
  const s = (data as { state?: unknown } | null)?.state as Record<string, unknown> | undefined;
  if (typeof s !== "object" || s === null) return null;
  const lr = typeof s.lr === "number" && Number.isFinite(s.lr) ? s.lr : null;
  return { stopRequested: s.stopRequested === true, paused: s.paused === true, lr, optimizer: s.optimizer !== false, ended: readEnded(s) };
}

/**
 * Why the text typed in the lr box is not a learning rate the kernel would take, or null.
 * The kernel checks the same range again (any client can send a comm message).
 */
export function lrInputProblem(text: string): string | null {
  const lr = text === "" ? NaN : Number(text);
  if (Number.isFinite(lr) && lr > 0 && lr <= MONITOR_MAX_LR) return null;
  const shown = text.length > 40 ? text.slice(0, 40) + "…" : text;
  return `the learning rate must be a number with 0 < lr ≤ ${MONITOR_MAX_LR}, not "${shown}"`;
}

function button(action: string, text: string): HTMLButtonElement {
  const b = el("button", "cl-button", text);
  b.type = "button";
  b.dataset.action = action;
  return b;
}

export class MonitorControls {
  readonly node = el("div", "cl-controls");
  private readonly stopButton = button("stop", "Stop");
  private readonly pauseButton = button("pause", "Pause");
  private readonly lrInput = el("input", "cl-lr cl-mono");
  private readonly lrButton = button("lr", "Set");
  private readonly stateText = el("span", "cl-monitor-state");
  private readonly note = el("span", "cl-monitor-note");

  private monitorId: string | undefined;
  private running = true;
  /** How the run ended, from the bundle or the kernel's last word; null while it goes on. */
  private ended: MonitorEnd | null = null;
  private kernel: Kernel.IKernelConnection | null = null;
  private comm: Kernel.IComm | null = null;
  /** What the kernel last told us, with our own commands applied until it answers. */
  private paused = false;
  private stopRequested = false;
  /** The optimizer's learning rate; null when unknown to us, undefined until the kernel answers. */
  private lr: number | null | undefined = undefined;
  private hasOptimizer = true;
  /** Why the controls are off; null while they work. */
  private reason: string | null = NOT_CONNECTED;
  private retried = false;
  /** No kernel was found yet: a later bundle may find it. A comm the kernel closed is not reopened. */
  private kernelMissing = true;
  private disposed = false;

  /** `host` is the output's node: it finds the kernel of the notebook it sits in. */
  constructor(private readonly host: HTMLElement) {
    this.lrInput.type = "text";
    this.lrInput.inputMode = "decimal";
    this.lrInput.placeholder = "e.g. 0.01";
    this.lrInput.size = 9;
    this.lrInput.setAttribute("aria-label", "learning rate");
    const lrLabel = el("label", "cl-lr-label", "lr ");
    lrLabel.append(this.lrInput);
    this.stopButton.addEventListener("click", () => this.send({ action: "stop" }));
    this.pauseButton.addEventListener("click", () => this.send({ action: this.paused ? "resume" : "pause" }));
    this.lrButton.addEventListener("click", () => this.setLr());
    this.lrInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.setLr();
    });
    this.lrInput.addEventListener("input", () => this.lrInput.classList.remove("cl-invalid"));
    this.node.append(this.stopButton, this.pauseButton, lrLabel, this.lrButton, this.stateText, this.note);
    this.refresh();
  }

  /**
   * What each bundle says: which monitor it is, whether its run goes on, and how it ended.
   * `data` is the bundle itself, read for its `ended`.
   */
  update(monitorId: string | undefined, running: boolean, data?: unknown): void {
    if (monitorId !== this.monitorId) {
      this.disconnect(NOT_CONNECTED);
      this.monitorId = monitorId;
      this.reset();
    }
    this.node.hidden = monitorId === undefined;
    const revived = running && !this.running;
    this.running = running;
    if (!running) {
      // the kernel closes the comm of a run that ended; the widget only stops using it
      this.ended = readEnded(data) ?? this.ended;
    } else if (revived) {
      // a later cell took the run up again: a fresh start, on a fresh comm
      this.disconnect(NOT_CONNECTED);
      this.reset();
      if (this.host.isConnected) this.connect();
    } else if (!this.comm && this.kernelMissing && this.host.isConnected) {
      // the notebook's kernel may not have been known when the output was attached
      this.connect();
    }
    this.refresh();
  }

  /** Find the notebook's kernel and open the comm; called once the output is attached. */
  connect(): void {
    if (this.disposed || this.comm || this.monitorId === undefined || !this.running) return;
    const kernel = kernelFor(this.host);
    if (!kernel || kernel.isDisposed) {
      this.kernelMissing = true;
      this.reason = NOT_CONNECTED;
      this.refresh();
      return;
    }
    let comm: Kernel.IComm;
    try {
      comm = kernel.createComm(MONITOR_COMM_TARGET);
      comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
        if (this.comm === comm) this.onMessage(msg?.content?.data);
      };
      comm.onClose = (msg: KernelMessage.ICommCloseMsg) => {
        if (this.comm !== comm) return;
        const data = msg?.content?.data as { error?: unknown } | undefined;
        const ended = readEnded(data);
        if (ended) {
          this.ended = ended;
          this.running = false;
        }
        this.dropComm(typeof data?.error === "string" && data.error ? data.error : NOT_CONNECTED);
      };
    } catch (e) {
      this.reason = `${NOT_CONNECTED} (${(e as Error)?.message ?? String(e)})`;
      this.refresh();
      return;
    }
    // ours before it opens: an answer may come while open() is still on the stack
    this.kernel = kernel;
    this.kernelMissing = false;
    this.comm = comm;
    this.reason = null;
    this.note.textContent = "";
    kernel.statusChanged.connect(this.onStatus, this);
    kernel.disposed.connect(this.onKernelDisposed, this);
    this.refresh();
    try {
      comm.open({ monitorId: this.monitorId });
    } catch (e) {
      if (this.comm === comm) this.dropComm(`${NOT_CONNECTED} (${(e as Error)?.message ?? String(e)})`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disconnect(NOT_CONNECTED);
    this.disposed = true;
  }

  private reset(): void {
    this.paused = this.stopRequested = false;
    this.lr = undefined;
    this.hasOptimizer = true;
    this.ended = null;
    this.retried = false;
    this.kernelMissing = true;
    this.note.textContent = "";
  }

  private onStatus(_k: Kernel.IKernelConnection, status: KernelMessage.Status): void {
    if (status === "restarting" || status === "autorestarting") this.dropComm("the kernel restarted; this run is gone");
    else if (status === "dead") this.dropComm("the kernel died");
    else if (status === "terminating") this.dropComm("the kernel shut down");
  }

  private onKernelDisposed(): void {
    this.dropComm("the kernel is gone");
  }

  private onMessage(data: unknown): void {
    const error = (data as { error?: unknown } | null)?.error;
    if (typeof error === "string") {
      // a command the kernel refused: say why, and mark the lr box if it was the lr
      this.note.textContent = error.slice(0, 300);
      if (/\blr\b/.test(error)) this.lrInput.classList.add("cl-invalid");
    }
    const state = readState(data);
    if (!state) return;
    this.paused = state.paused;
    this.stopRequested = state.stopRequested;
    this.lr = state.lr;
    this.hasOptimizer = state.optimizer;
    if (state.ended) {
      this.ended = state.ended;
      this.running = false;
    }
    // what the kernel last said, apart from the state shown at once on a click
    this.node.dataset.kernelState = state.ended ? "ended" : state.stopRequested ? "stopping" : state.paused ? "paused" : "running";
    if (state.lr !== null && document.activeElement !== this.lrInput) this.lrInput.value = fmtNumber(state.lr);
    this.refresh();
  }

  private setLr(): void {
    const text = this.lrInput.value.trim();
    const problem = lrInputProblem(text);
    if (problem) {
      this.note.textContent = problem;
      this.lrInput.classList.add("cl-invalid");
      return;
    }
    this.lrInput.classList.remove("cl-invalid");
    this.send({ action: "lr", lr: Number(text) });
  }

  private send(cmd: MonitorCommand): void {
    if (!this.comm && !this.retried) {
      // the kernel may not have been reachable when the output was attached
      this.retried = true;
      this.connect();
    }
    const comm = this.comm;
    if (!comm || this.reason !== null || !this.running) return;
    try {
      comm.send(cmd as unknown as Parameters<Kernel.IComm["send"]>[0]);
    } catch (e) {
      this.dropComm(`${NOT_CONNECTED} (${(e as Error)?.message ?? String(e)})`);
      return;
    }
    this.note.textContent = "";
    // shown at once; the kernel's reply overwrites it with what the loop really has
    if (cmd.action === "pause") this.paused = true;
    else if (cmd.action === "resume") this.paused = false;
    else if (cmd.action === "stop") this.stopRequested = true;
    this.refresh();
  }

  /** Close our side (the widget goes away, or shows another monitor). */
  private disconnect(reason: string): void {
    const comm = this.comm;
    this.dropComm(reason);
    if (comm && !comm.isDisposed) {
      try {
        comm.close();
      } catch {
        // a dead kernel's comm cannot be closed; it is gone anyway
      }
    }
  }

  private dropComm(reason: string): void {
    if (this.kernel) {
      this.kernel.statusChanged.disconnect(this.onStatus, this);
      this.kernel.disposed.disconnect(this.onKernelDisposed, this);
    }
    this.kernel = null;
    this.comm = null;
    this.reason = reason;
    this.refresh();
  }

  private refresh(): void {
    const live = this.reason === null && this.running && this.comm !== null;
    const stopping = this.stopRequested;
    this.stopButton.disabled = !live || stopping;
    this.pauseButton.disabled = !live || stopping;
    this.pauseButton.textContent = this.paused && live ? "Resume" : "Pause";
    const lrOff = !live || stopping || !this.hasOptimizer;
    this.lrInput.disabled = lrOff;
    this.lrButton.disabled = lrOff;
    this.lrButton.title = !this.hasOptimizer
      ? "this monitor was made without an optimizer"
      : `set the learning rate of every parameter group (0 < lr ≤ ${MONITOR_MAX_LR})`;
    this.node.classList.toggle("cl-controls-off", !live);
    delete this.node.dataset.outcome;
    if (this.ended) {
      // how the run ended says it all: the reason the comm closed would only repeat it
      this.stateText.textContent = endText(this.ended);
      this.stateText.title = this.stateText.textContent;
      if (this.reason !== null) this.note.textContent = "";
      this.node.dataset.state = "ended";
      this.node.dataset.outcome = this.ended.outcome;
      return;
    }
    this.stateText.title = "";
    if (!live) {
      this.stateText.textContent = this.running ? "" : "ended";
      this.note.textContent = this.reason ?? "";
    } else {
      const what = stopping ? "stopping" : this.paused ? "paused" : this.lr === undefined ? "connecting…" : "running";
      const lr = this.lr === undefined ? ""
        : !this.hasOptimizer ? " · no optimizer linked"
        : this.lr === null ? " · lr not a finite number"
        : ` · lr ${fmtNumber(this.lr)}`;
      this.stateText.textContent = what + lr;
    }
    this.node.dataset.state = !live ? "off" : stopping ? "stopping" : this.paused ? "paused" : "running";
  }
}
