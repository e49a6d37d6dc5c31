// The library's notebook sink in the worker: display, live updates, comms and input become
// messages to the kernel in the page, which sends them on under the running request.
import type { CellOutcome, CommChannel, CommMessage, CommTargetHandler, MimeBundle, NotebookSink } from "../../lib/src/notebook/sink";
import type { CommContent, FromWorker, OutputType } from "../src/messages";

type Post = (msg: FromWorker, transfer?: Transferable[]) => void;

/** At most one update of a display every this many ms; the newest state always goes out. */
const UPDATE_INTERVAL = 50;

function buffersOf(list: Uint8Array[] | undefined): ArrayBuffer[] {
  return (list ?? []).map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
}

class WorkerComm implements CommChannel {
  closed = false;
  private readonly msgHandlers: ((data: unknown, msg: CommMessage) => void)[] = [];
  private readonly closeHandlers: ((data: unknown, msg: CommMessage | null) => void)[] = [];

  constructor(readonly commId: string, readonly targetName: string, private readonly sink: WorkerSink) {}

  send(data: unknown, metadata: Record<string, unknown> = {}, buffers?: Uint8Array[]): void {
    if (this.closed) return;
    this.sink.output("comm_msg", { comm_id: this.commId, data }, metadata, buffersOf(buffers));
  }

  close(data: unknown = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.output("comm_close", { comm_id: this.commId, data });
    this.sink.forget(this.commId);
    for (const h of this.closeHandlers) h(data, null);
  }

  onMsg(handler: (data: unknown, msg: CommMessage) => void): void {
    this.msgHandlers.push(handler);
  }

  onClose(handler: (data: unknown, msg: CommMessage | null) => void): void {
    this.closeHandlers.push(handler);
  }

  /** A message from the frontend. */
  received(data: unknown, msg: CommMessage): void {
    for (const h of this.msgHandlers) h(data, msg);
  }

  /** The frontend closed the comm. */
  closedByFrontend(data: unknown, msg: CommMessage): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers) h(data, msg);
  }
}

export class WorkerSink implements NotebookSink {
  readonly kind = "chainlab-lite";
  private readonly comms = new Map<string, WorkerComm>();
  private readonly targets = new Map<string, CommTargetHandler>();
  private readonly cellEnd: ((o: CellOutcome) => void)[] = [];
  private readonly pendingUpdates = new Map<string, Record<string, unknown>>();
  private readonly lastUpdate = new Map<string, number>();
  private updateTimer: ReturnType<typeof setTimeout> | undefined;
  private inputWaiter: ((value: string) => void) | undefined;
  private nextComm = 0;

  constructor(private readonly post: Post, private readonly beforeOutput: () => void) {}

  output(msgType: OutputType, content: Record<string, unknown>, metadata?: Record<string, unknown>, buffers?: ArrayBuffer[]): void {
    // stream text written before this output goes first
    if (msgType !== "stream") this.beforeOutput();
    this.post({ type: "output", msgType, content, metadata, buffers }, buffers ?? []);
  }

  display(bundle: MimeBundle, metadata: Record<string, unknown>, displayId?: string): void {
    if (displayId !== undefined) this.pendingUpdates.delete(displayId);
    this.output("display_data", { data: bundle, metadata, transient: displayId !== undefined ? { display_id: displayId } : {} });
  }

  updateDisplay(displayId: string, bundle: MimeBundle, metadata: Record<string, unknown>): void {
    this.pendingUpdates.set(displayId, { data: bundle, metadata, transient: { display_id: displayId } });
    this.flushUpdates(false);
  }

  /** Sends the updates that are due; `all` sends every waiting one (a cell's end). */
  flushUpdates(all: boolean): void {
    if (this.updateTimer !== undefined) clearTimeout(this.updateTimer);
    this.updateTimer = undefined;
    const now = performance.now();
    let wait = Infinity;
    for (const [id, content] of this.pendingUpdates) {
      const since = now - (this.lastUpdate.get(id) ?? -Infinity);
      if (!all && since < UPDATE_INTERVAL) {
        wait = Math.min(wait, UPDATE_INTERVAL - since);
        continue;
      }
      this.pendingUpdates.delete(id);
      this.lastUpdate.set(id, now);
      this.output("update_display_data", content);
    }
    if (wait < Infinity) this.updateTimer = setTimeout(() => this.flushUpdates(false), wait);
  }

  clearOutput(wait: boolean): void {
    this.output("clear_output", { wait });
  }

  openComm(targetName: string, data: unknown, metadata: Record<string, unknown> = {}): CommChannel {
    const id = `chainlab-lite-${Date.now().toString(36)}-${++this.nextComm}`;
    const comm = new WorkerComm(id, targetName, this);
    this.comms.set(id, comm);
    this.output("comm_open", { comm_id: id, target_name: targetName, data }, metadata);
    return comm;
  }

  registerCommTarget(targetName: string, handler: CommTargetHandler): void {
    this.targets.set(targetName, handler);
  }

  unregisterCommTarget(targetName: string): void {
    this.targets.delete(targetName);
  }

  forget(commId: string): void {
    this.comms.delete(commId);
  }

  /** The comms open now, for comm_info. */
  commInfo(target?: string): Record<string, { target_name: string }> {
    const out: Record<string, { target_name: string }> = {};
    for (const [id, c] of this.comms) if (!target || c.targetName === target) out[id] = { target_name: c.targetName };
    return out;
  }

  /** A comm message from the frontend: comm_open to a registered target, comm_msg, comm_close. */
  fromFrontend(msgType: "comm_open" | "comm_msg" | "comm_close", content: CommContent, metadata: Record<string, unknown>, buffers: ArrayBuffer[]): void {
    const msg: CommMessage = {
      header: { msg_type: msgType },
      content: content as unknown as Record<string, unknown>,
      metadata,
      buffers: buffers.map((b) => new Uint8Array(b)),
    };
    if (msgType === "comm_open") {
      const target = typeof content.target_name === "string" ? content.target_name : undefined;
      const handler = target !== undefined ? this.targets.get(target) : undefined;
      if (!handler || !content.comm_id) {
        const why = target === undefined ? "comm_open needs a string target_name" : `no comm target named "${target}" is registered in the kernel`;
        if (content.comm_id) this.output("comm_close", { comm_id: content.comm_id, data: { error: why } });
        return;
      }
      const comm = new WorkerComm(content.comm_id, target!, this);
      this.comms.set(content.comm_id, comm);
      handler(comm, msg);
      return;
    }
    const comm = this.comms.get(content.comm_id);
    if (!comm) return;
    if (msgType === "comm_msg") {
      comm.received(content.data, msg);
    } else {
      this.comms.delete(content.comm_id);
      comm.closedByFrontend(content.data, msg);
    }
  }

  inputSync(): string {
    throw new Error("prompt() cannot wait for an answer in the browser tab (the page would freeze); use `await input(...)` instead");
  }

  input(prompt: string, password: boolean): Promise<string> {
    this.beforeOutput();
    return new Promise<string>((resolve) => {
      this.inputWaiter = resolve;
      this.post({ type: "input_request", prompt, password });
    });
  }

  /** The frontend's answer to an input request. */
  inputReply(value: string): void {
    const w = this.inputWaiter;
    this.inputWaiter = undefined;
    w?.(value);
  }

  onCellEnd(handler: (outcome: CellOutcome) => void): void {
    this.cellEnd.push(handler);
  }

  /** Tells the library's hooks how the cell ended, then sends what is still waiting. */
  endCell(outcome: CellOutcome): void {
    for (const h of this.cellEnd) {
      try {
        h(outcome);
      } catch { /* a hook's failure must not fail the cell's reply */ }
    }
    this.flushUpdates(true);
  }
}
