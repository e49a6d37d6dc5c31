// IOPub output: ordered sends, buffered streams, and display updates coalesced per display
// id and paced under jupyter_server's IOPub rate limits (1,000 messages/s, 1 MB/s), with
// the newest state of every display always delivered.
import { setTimeout as rawSetTimeout, clearTimeout as rawClearTimeout } from "node:timers";
import type * as zmq from "zeromq";
import type { Codec, Header } from "./wire";

interface OutputLimits {
  /** Least time between two updates of one display id, in ms. */
  updateInterval: number;
  /** Budget for all IOPub messages over a sliding second. */
  messagesPerSecond: number;
  bytesPerSecond: number;
  /** How long stream text is held to be sent in one message, in ms. */
  streamDelay: number;
}

const defaultLimits: OutputLimits = { updateInterval: 50, messagesPerSecond: 400, bytesPerSecond: 400_000, streamDelay: 30 };

export class Outputs {
  private queue: (Buffer | string)[][] = [];
  private draining = false;
  private readonly sent: { at: number; bytes: number }[] = [];
  private streams = new Map<string, string>();
  private streamParent: Partial<Header> | undefined;
  private streamTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<string, { content: Record<string, unknown>; parent: Partial<Header> | undefined }>();
  private readonly lastUpdate = new Map<string, number>();
  private updateTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: zmq.Publisher,
    private readonly codec: Codec,
    private readonly limits: OutputLimits = defaultLimits,
  ) {}

  send(frames: (Buffer | string)[]): void {
    let bytes = 0;
    for (const f of frames) bytes += typeof f === "string" ? Buffer.byteLength(f) : f.length;
    this.sent.push({ at: Date.now(), bytes });
    this.queue.push(frames);
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      try {
        while (this.queue.length) await this.socket.send(this.queue.shift()!);
      } catch {
        // Closed while shutting down.
      } finally {
        this.draining = false;
      }
    })();
  }

  /** Publishes at once (after any buffered stream text, to keep outputs in order). */
  publish(msgType: string, content: Record<string, unknown>, parent: Partial<Header> | undefined, metadata: Record<string, unknown> = {}): void {
    if (msgType !== "status") this.flushStreams();
    this.send(this.codec.encode([Buffer.from(msgType)], msgType, content, parent, metadata));
  }

  status(state: "busy" | "idle" | "starting", parent: Partial<Header> | undefined): void {
    this.send(this.codec.encode([Buffer.from("status")], "status", { execution_state: state }, parent));
  }

  stream(name: string, text: string, parent: Partial<Header> | undefined): void {
    if (!text) return;
    if (this.streamParent?.msg_id !== parent?.msg_id) this.flushStreams();
    this.streamParent = parent;
    this.streams.set(name, (this.streams.get(name) ?? "") + text);
    this.streamTimer ??= rawSetTimeout(() => this.flushStreams(), this.limits.streamDelay);
  }

  flushStreams(): void {
    if (this.streamTimer) rawClearTimeout(this.streamTimer);
    this.streamTimer = undefined;
    const parent = this.streamParent;
    const streams = this.streams;
    this.streams = new Map();
    for (const [name, text] of streams) {
      this.send(this.codec.encode([Buffer.from("stream")], "stream", { name, text }, parent));
    }
  }

  private budget(now: number): { messages: number; bytes: number } {
    while (this.sent.length && now - this.sent[0].at > 1000) this.sent.shift();
    let bytes = 0;
    for (const s of this.sent) bytes += s.bytes;
    return { messages: this.limits.messagesPerSecond - this.sent.length, bytes: this.limits.bytesPerSecond - bytes };
  }

  /** Queues an update of a display; only the newest state per id is kept. */
  update(displayId: string, content: Record<string, unknown>, parent: Partial<Header> | undefined): void {
    // a newer state takes the place in line of the one it replaces (Map.set keeps the order)
    this.pending.set(displayId, { content, parent });
    this.flushUpdates(false);
  }

  /** Sends due updates; `force` sends every pending one now (end of a cell). */
  flushUpdates(force: boolean): void {
    if (this.updateTimer) rawClearTimeout(this.updateTimer);
    this.updateTimer = undefined;
    const now = Date.now();
    let wait = Infinity;
    for (const [id, p] of this.pending) {
      const since = now - (this.lastUpdate.get(id) ?? -Infinity);
      if (!force) {
        if (since < this.limits.updateInterval) {
          wait = Math.min(wait, this.limits.updateInterval - since);
          continue;
        }
        const left = this.budget(now);
        const size = JSON.stringify(p.content).length;
        if (left.messages < 1 || (left.bytes < size && this.sent.length > 0)) {
          // the oldest waiting update goes first: smaller ones behind it must not starve it
          wait = Math.min(wait, 50);
          break;
        }
      }
      this.pending.delete(id);
      this.lastUpdate.set(id, now);
      this.publish("update_display_data", p.content, p.parent);
    }
    if (this.pending.size && wait < Infinity) this.updateTimer = rawSetTimeout(() => this.flushUpdates(false), wait);
  }

  /** Forgets pending updates of a display id, e.g. because it is shown anew. */
  dropUpdate(displayId: string): void {
    this.pending.delete(displayId);
  }

  async drained(): Promise<void> {
    for (let i = 0; i < 200 && (this.queue.length || this.draining); i++) await new Promise((r) => rawSetTimeout(r, 5));
  }
}
