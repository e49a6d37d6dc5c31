// Jupyter comms in both directions: comms code opens to frontend targets, and targets code
// registers for comms the frontend opens. Handlers run on the main thread, between a cell's
// awaits, so a widget can steer a training loop that is still running.
import { randomUUID } from "node:crypto";
import type { CommChannel, CommMessage, CommTargetHandler } from "chainlab";
import { log } from "../shared/log";
import type { Message } from "../shared/wire";

type Publish = (msgType: string, content: Record<string, unknown>, metadata?: Record<string, unknown>, buffers?: Uint8Array[]) => void;
/** Reports an exception a handler threw, without stopping the kernel. */
type Report = (heading: string, e: unknown) => void;

class KernelComm implements CommChannel {
  closed = false;
  readonly msgHandlers: ((data: unknown, msg: CommMessage) => void)[] = [];
  readonly closeHandlers: ((data: unknown, msg: CommMessage | null) => void)[] = [];

  constructor(
    private readonly comms: Comms,
    readonly commId: string,
    readonly targetName: string,
  ) {}

  send(data: unknown, metadata: Record<string, unknown> = {}, buffers: Uint8Array[] = []): void {
    if (this.closed) throw new Error(`comm ${this.commId} (${this.targetName}) is closed`);
    this.comms.publish("comm_msg", { comm_id: this.commId, data: data ?? {} }, metadata, buffers);
  }

  onMsg(handler: (data: unknown, msg: CommMessage) => void): void {
    this.msgHandlers.push(handler);
  }

  onClose(handler: (data: unknown, msg: CommMessage | null) => void): void {
    this.closeHandlers.push(handler);
  }

  close(data?: unknown): void {
    if (this.closed) return;
    this.comms.publish("comm_close", { comm_id: this.commId, data: data ?? {} });
    this.comms.drop(this, data, null);
  }
}

function commMessage(msg: Message): CommMessage {
  return { header: msg.header, content: msg.content, metadata: msg.metadata, buffers: msg.buffers.map((b) => new Uint8Array(b)) };
}

export class Comms {
  private readonly open = new Map<string, KernelComm>();
  private readonly targets = new Map<string, CommTargetHandler>();

  constructor(
    readonly publish: Publish,
    private readonly report: Report,
  ) {}

  /** A comm from the kernel to a frontend target. */
  openComm(targetName: string, data: unknown, metadata: Record<string, unknown> = {}): CommChannel {
    const comm = new KernelComm(this, randomUUID().replace(/-/g, ""), targetName);
    this.open.set(comm.commId, comm);
    this.publish("comm_open", { comm_id: comm.commId, target_name: targetName, data: data ?? {} }, metadata);
    return comm;
  }

  registerTarget(name: string, handler: CommTargetHandler): void {
    this.targets.set(name, handler);
  }

  unregisterTarget(name: string): void {
    this.targets.delete(name);
  }

  drop(comm: KernelComm, data: unknown, msg: CommMessage | null): void {
    comm.closed = true;
    this.open.delete(comm.commId);
    for (const h of comm.closeHandlers) this.guard(() => h(data, msg));
  }

  /** comm_open from the frontend. */
  onOpen(msg: Message): void {
    const c = msg.content ?? {};
    // a comm_open naming no comm cannot be answered on one: only the kernel's log hears of it
    if (typeof c.comm_id !== "string" || c.comm_id === "") return log(`comm_open without a string comm_id: ${JSON.stringify(c.comm_id) ?? typeof c.comm_id}`);
    if (this.open.has(c.comm_id)) return log(`comm_open for comm ${c.comm_id}, which is already open`);
    const target = typeof c.target_name === "string" ? this.targets.get(c.target_name) : undefined;
    const comm = new KernelComm(this, c.comm_id, String(c.target_name));
    if (!target) {
      // Tell the frontend nobody listens, as ipykernel does, and why.
      const error = typeof c.target_name === "string" ? `no comm target ${c.target_name}` : "comm_open needs a string target_name";
      this.publish("comm_close", { comm_id: comm.commId, data: { error } });
      return;
    }
    this.open.set(comm.commId, comm);
    this.guard(() => target(comm, commMessage(msg)));
  }

  onMsg(msg: Message): void {
    const comm = this.open.get(String(msg.content?.comm_id));
    if (!comm) return;
    const m = commMessage(msg);
    for (const h of comm.msgHandlers) this.guard(() => h(msg.content.data, m));
  }

  onClose(msg: Message): void {
    const comm = this.open.get(String(msg.content?.comm_id));
    if (comm) this.drop(comm, msg.content.data, commMessage(msg));
  }

  /** The comm_info_reply's `comms`, for one target or all. */
  info(targetName?: unknown): Record<string, { target_name: string }> {
    const comms: Record<string, { target_name: string }> = {};
    for (const comm of this.open.values()) {
      if (!targetName || comm.targetName === targetName) comms[comm.commId] = { target_name: comm.targetName };
    }
    return comms;
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report("Error in a comm handler", e);
    }
  }
}
