// IOPub output: ordered sends that lose nothing, buffered streams, and display updates
// coalesced per display id, all paced under jupyter_server's IOPub rate limits (1,000
// messages/s and 1 MB/s of stream text over a 3 s window), with the newest state of every
// display always delivered.
//
// The publisher is set not to drop (kernel.ts): when a subscriber's queue is full, a send
// waits, and messages wait here in order. A cell that never yields cannot be held back, so
// the backlog has a ceiling; past it, outputs are dropped, counted, and the cell is told.
import { setTimeout as rawSetTimeout, clearTimeout as rawClearTimeout } from "node:timers";
import { safe } from "../shared/builtins";
import { defaultLimits, type OutputLimits } from "./output-limits";
import type { Codec, Header } from "../shared/wire";

/** Where IOPub messages go: the kernel's zeromq publisher, or a test's list. */
export interface Publisher { send(frames: (Buffer | string)[]): Promise<unknown> }

/** Messages jupyter_server does not count against its rate limit. */
const uncounted = new Set(["status", "comm_open", "execute_input"]);
/** Messages that may be dropped when the backlog is full (never replies, errors or status). */
const droppable = new Set(["display_data", "update_display_data", "stream", "clear_output"]);

interface Entry {
  frames: (Buffer | string)[];
  bytes: number;
  counted: boolean;
  streamBytes: number;
}

export class Outputs {
  private queue: Entry[] = [];
  private head = 0;
  private backlogBytes = 0;
  private draining = false;
  /** What left over the last `window` ms, for pacing. */
  private readonly window: { at: number; streamBytes: number }[] = [];
  private windowHead = 0;
  private windowStreamBytes = 0;
  private readonly dropped = new Map<string, number>();
  private droppedParent: Partial<Header> | undefined;
  private readonly waiters: (() => void)[] = [];
  private readonly sent: { at: number; bytes: number }[] = [];
  private streams = new Map<string, string>();
  private streamParent: Partial<Header> | undefined;
  private streamTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<string, { content: Record<string, unknown>; parent: Partial<Header> | undefined }>();
  private readonly lastUpdate = new Map<string, number>();
  private updateTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Publisher,
    private readonly codec: Codec,
    private readonly limits: OutputLimits = defaultLimits,
  ) {}

  /** Messages waiting to be sent. */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  send(frames: (Buffer | string)[], msgType = ""): void {
    let bytes = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      bytes += typeof f === "string" ? safe.byteLength(f) : f.length;
    }
    if (droppable.has(msgType) && (this.backlog >= this.limits.maxBacklog || this.backlogBytes + bytes > this.limits.maxBacklogBytes)) {
      this.dropped.set(msgType, (this.dropped.get(msgType) ?? 0) + 1);
      return;
    }
    if (msgType === "update_display_data") safe.push(this.sent, { at: safe.now(), bytes });
    const counted = !uncounted.has(msgType);
    safe.push(this.queue, { frames, bytes, counted, streamBytes: msgType === "stream" ? bytes : 0 });
    this.backlogBytes += bytes;
    this.drain();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      try {
        while (this.head < this.queue.length) {
          const entry = this.queue[this.head];
          if (entry.counted) {
            const wait = this.paceWait(entry.streamBytes);
            if (wait > 0 && (await safe.sleep(wait), true)) continue;
          }
          try {
            await this.socket.send(entry.frames);
          } catch (e) {
            // A publisher that must not drop says EAGAIN while a subscriber's queue is full
            // (it never reports itself unwritable, so zeromq cannot wait for us): retry.
            if ((e as { code?: string }).code !== "EAGAIN") throw e;
            await safe.sleep(2);
            continue;
          }
          (this.queue as (Entry | undefined)[])[this.head] = undefined;
          this.head++;
          this.backlogBytes -= entry.bytes;
          if (entry.counted) {
            safe.push(this.window, { at: safe.now(), streamBytes: entry.streamBytes });
            this.windowStreamBytes += entry.streamBytes;
          }
          if (this.head > 4096 && this.head * 2 > this.queue.length) this.head = ((this.queue = safe.slice(this.queue, this.head)), 0);
          this.wakeWaiters();
        }
      } catch {
        // Closed while shutting down.
      } finally {
        this.draining = false;
        this.wakeWaiters();
      }
    })();
  }

  /** How long to wait (ms) before a counted message of `streamBytes` may leave. */
  private paceWait(streamBytes: number): number {
    const now = safe.now();
    const w = this.window;
    while (this.windowHead < w.length && now - w[this.windowHead].at >= this.limits.window) {
      this.windowStreamBytes -= w[this.windowHead].streamBytes;
      this.windowHead++;
    }
    if (this.windowHead > 4096) this.windowHead = (w.splice(0, this.windowHead), 0);
    const inWindow = w.length - this.windowHead;
    if (inWindow === 0) return 0;
    const overMessages = inWindow >= this.limits.windowMessages;
    const overBytes = streamBytes > 0 && this.windowStreamBytes + streamBytes > this.limits.windowStreamBytes;
    if (!overMessages && !overBytes) return 0;
    return Math.max(5, this.limits.window - (now - w[this.windowHead].at));
  }

  private wakeWaiters(): void {
    if (this.backlog > this.limits.holdBacklog / 2 && this.draining) return;
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
  }

  /** While the backlog is large, a promise of its draining to half: a cell's `await` waits on it. */
  held(): Promise<void> | undefined {
    if (this.backlog <= this.limits.holdBacklog) return undefined;
    return safe.promise<void>((resolve) => safe.push(this.waiters, resolve));
  }

  /** Tells the cell what the full backlog made the kernel drop (the notice is never dropped). */
  reportDropped(parent: Partial<Header> | undefined): void {
    if (!this.dropped.size) return;
    let total = 0;
    const kinds: string[] = [];
    for (const [kind, n] of this.dropped) safe.push(kinds, `${n} ${kind}`), (total += n);
    this.dropped.clear();
    const mb = Math.round(this.limits.maxBacklogBytes / 2 ** 20);
    const text =
      `chainlab kernel: ${total} output message(s) of this cell were dropped (${kinds.join(", ")}): ` +
      `the cell produced output faster than the frontend reads it, and more than ` +
      `${this.limits.maxBacklog} messages or ${mb} MB were waiting to be sent. ` +
      `Display less often (e.g. every 100th step), or await in the loop so output can drain.\n`;
    this.flushStreams();
    this.send(this.codec.encode([safe.bufferFrom("stream")], "stream", { name: "stderr", text }, parent), "notice");
  }

  /** Publishes at once (after any buffered stream text, to keep outputs in order). */
  publish(msgType: string, content: Record<string, unknown>, parent: Partial<Header> | undefined, metadata: Record<string, unknown> = {}): void {
    if (msgType !== "status") this.flushStreams();
    this.send(this.codec.encode([safe.bufferFrom(msgType)], msgType, content, parent, metadata), msgType);
  }

  status(state: "busy" | "idle" | "starting", parent: Partial<Header> | undefined): void {
    this.send(this.codec.encode([safe.bufferFrom("status")], "status", { execution_state: state }, parent), "status");
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
      // In parts: jupyter_server drops a message that alone exceeds its byte budget.
      for (let at = 0; at < text.length; ) {
        let end = Math.min(text.length, at + this.limits.streamChunk);
        const code = text.charCodeAt(end - 1);
        if (end < text.length && code >= 0xd800 && code <= 0xdbff) end--;
        this.send(this.codec.encode([safe.bufferFrom("stream")], "stream", { name, text: text.slice(at, end) }, parent), "stream");
        at = end;
      }
    }
  }

  private budget(now: number): { messages: number; bytes: number } {
    while (this.sent.length && now - this.sent[0].at > 1000) this.sent.shift();
    let bytes = 0;
    for (let i = 0; i < this.sent.length; i++) bytes += this.sent[i].bytes;
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
        const size = safe.stringify(p.content).length;
        // Coalesce while earlier output still waits: the pacing below would hold it anyway.
        if (left.messages < 1 || (left.bytes < size && this.sent.length > 0) || this.backlog > 0) {
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

  /** Waits for the backlog to be sent, for at most `timeout` ms. */
  async drained(timeout = 1000): Promise<void> {
    for (let i = 0; i < timeout / 5 && (this.backlog || this.draining); i++) await safe.sleep(5);
  }
}
