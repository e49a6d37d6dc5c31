// Stop, pause and learning-rate controls of a training Monitor. They talk to the loop over
// a comm to the kernel's "chainlab.monitor" target, opened with the monitor's id; the
// kernel answers every open and every command with {state: {stopRequested, paused, lr}}.
// The controls only work while that comm is open: a run that ended, a kernel that
// restarted or died, or a notebook opened without its kernel leaves them disabled, with
// the reason written beside them.
import type { Kernel, KernelMessage } from "@jupyterlab/services";
import { fmtNumber } from "./format";
import { kernelFor } from "./kernel-link";
import { MONITOR_COMM_TARGET } from "./mime";
import { el } from "./renderer";

export type MonitorCommand = { action: "stop" | "pause" | "resume" } | { action: "lr"; lr: number };

export interface MonitorState {
  stopRequested: boolean;
  paused: boolean;
  lr: number | null;
}

export const NOT_CONNECTED = "not connected to a running loop";

/** The state in a kernel message, or null when the message holds none we can read. */
export function readState(data: unknown): MonitorState | null {
  const s = (data as { state?: unknown } | null)?.state as Record<string, unknown> | undefined;
  if (typeof s !== "object" || s === null) return null;
  const lr = typeof s.lr === "number" && Number.isFinite(s.lr) ? s.lr : null;
  return { stopRequested: s.stopRequested === true, paused: s.paused === true, lr };
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
  private kernel: Kernel.IKernelConnection | null = null;
  private comm: Kernel.IComm | null = null;
  /** What the kernel last told us, with our own commands applied until it answers. */
  private paused = false;
  private stopRequested = false;
  /** The optimizer's learning rate; null without one, undefined until the kernel answers. */
  private lr: number | null | undefined = undefined;
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
    this.lrInput.placeholder = "learning rate";
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
    this.node.append(this.stopButton, this.pauseButton, lrLabel, this.lrButton, this.stateText, this.note);
    this.refresh();
  }

  /** What each bundle says: which monitor it is, and whether its run goes on. */
  update(monitorId: string | undefined, running: boolean): void {
    if (monitorId !== this.monitorId) {
      this.disconnect(NOT_CONNECTED);
      this.monitorId = monitorId;
      this.paused = this.stopRequested = false;
      this.lr = undefined;
      this.retried = false;
      this.kernelMissing = true;
    }
    this.node.hidden = monitorId === undefined;
    this.running = running;
    if (!running) {
      this.disconnect("the run has ended");
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
      comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => this.onMessage(msg.content.data);
      comm.onClose = (msg: KernelMessage.ICommCloseMsg) => {
        if (this.comm !== comm) return;
        const error = (msg?.content?.data as { error?: unknown } | undefined)?.error;
        this.dropComm(typeof error === "string" && error ? error : NOT_CONNECTED);
      };
      comm.open({ monitorId: this.monitorId });
    } catch (e) {
      this.reason = `${NOT_CONNECTED} (${(e as Error)?.message ?? String(e)})`;
      this.refresh();
      return;
    }
    this.kernel = kernel;
    this.kernelMissing = false;
    this.comm = comm;
    this.reason = null;
    this.note.textContent = "";
    kernel.statusChanged.connect(this.onStatus, this);
    kernel.disposed.connect(this.onKernelDisposed, this);
    this.refresh();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disconnect(NOT_CONNECTED);
    this.disposed = true;
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
    if (typeof error === "string") this.note.textContent = error;
    const state = readState(data);
    if (!state) return;
    this.paused = state.paused;
    this.stopRequested = state.stopRequested;
    this.lr = state.lr;
    // what the kernel last said, apart from the state shown at once on a click
    this.node.dataset.kernelState = state.stopRequested ? "stopping" : state.paused ? "paused" : "running";
    if (state.lr !== null && document.activeElement !== this.lrInput) this.lrInput.value = fmtNumber(state.lr);
    this.refresh();
  }

  private setLr(): void {
    const text = this.lrInput.value.trim();
    const lr = text === "" ? NaN : Number(text);
    if (!Number.isFinite(lr) || lr <= 0) {
      this.note.textContent = `the learning rate must be a positive number, not "${text.slice(0, 40)}"`;
      this.lrInput.classList.add("cl-invalid");
      return;
    }
    this.lrInput.classList.remove("cl-invalid");
    this.send({ action: "lr", lr });
  }

  private send(cmd: MonitorCommand): void {
    if (!this.comm && !this.retried) {
      // the kernel may not have been reachable when the output was attached
      this.retried = true;
      this.connect();
    }
    const comm = this.comm;
    if (!comm || this.reason !== null) return;
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

  /** Close our side (the run ended, or the widget goes away). */
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
    this.pauseButton.textContent = this.paused ? "Resume" : "Pause";
    const lrOff = !live || stopping || this.lr === null;
    this.lrInput.disabled = lrOff;
    this.lrButton.disabled = lrOff;
    this.lrButton.title = this.lr === null ? "this monitor was made without an optimizer" : "set the learning rate of every parameter group";
    if (!live) {
      this.stateText.textContent = this.running ? "" : "ended";
      this.note.textContent = this.reason ?? "";
    } else {
      const what = stopping ? "stopping" : this.paused ? "paused" : this.lr === undefined ? "connecting…" : "running";
      const lr = this.lr === undefined ? "" : this.lr === null ? " · no optimizer linked" : ` · lr ${fmtNumber(this.lr)}`;
      this.stateText.textContent = what + lr;
    }
    this.node.classList.toggle("cl-controls-off", !live);
    this.node.dataset.state = !live ? "off" : stopping ? "stopping" : this.paused ? "paused" : "running";
  }
}
