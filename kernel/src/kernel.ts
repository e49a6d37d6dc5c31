// The chainlab kernel: a Jupyter kernel around tslab's TypeScript converter with chainlab
// preloaded, speaking the messaging protocol in full (execute results, errors with
// tracebacks, history, comms both ways, interrupts, stdin, display updates).
import { readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as rawSetTimeout } from "node:timers";
import { Worker } from "node:worker_threads";
import * as zmq from "zeromq";
import { ts } from "./compile";
import { Executor, KeyboardInterrupt, type ExecuteOutcome } from "./executor";
import { Outputs } from "./outputs";
import { buildPrelude } from "./prelude";
import type { CommChannel, CommMessage, CommTargetHandler, MimeBundle, NotebookSink } from "chainlab";
import { Codec, protocolVersion, type ConnectionInfo, type Header, type Message } from "./wire";
import { address, inputState, sendQueue, sharedInts, sharedSize, sharedText, slot, type ChannelsData, type FromChannels, type ToChannels } from "./thread-link";

export interface KernelOptions {
  connectionFile: string;
  /** Where the notebook lives; cells resolve relative imports from here. */
  cwd?: string;
  /** Skip preloading chainlab (for measuring the bare kernel). */
  noPrelude?: boolean;
}

const kernelVersion: string = JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).version;
const tslabVersion: string = require("tslab/package.json").version;
const sinkKey = Symbol.for("chainlab.notebook.sink");
const rawStdoutWrite = process.stdout.write.bind(process.stdout);
const rawStderrWrite = process.stderr.write.bind(process.stderr);

function log(text: string): void {
  rawStderrWrite(`[chainlab kernel] ${text}\n`);
}

function libraryDir(): string | undefined {
  try {
    return path.dirname(require.resolve("chainlab/package.json"));
  } catch {
    return undefined;
  }
}

export function kernelInfo(): Record<string, unknown> {
  let libVersion = "unknown";
  const lib = libraryDir();
  if (lib) libVersion = JSON.parse(readFileSync(path.join(lib, "package.json"), "utf8")).version;
  return {
    status: "ok",
    protocol_version: protocolVersion,
    implementation: "chainlab",
    implementation_version: kernelVersion,
    language_info: {
      name: "typescript",
      version: ts.version,
      mimetype: "text/typescript",
      file_extension: ".ts",
      pygments_lexer: "typescript",
      codemirror_mode: { name: "javascript", typescript: true },
    },
    banner: `chainlab ${libVersion} kernel ${kernelVersion}: TypeScript ${ts.version} on Node ${process.version} (tslab ${tslabVersion})`,
    help_links: [],
    debugger: false,
  };
}

class KernelComm implements CommChannel {
  closed = false;
  readonly msgHandlers: ((data: unknown, msg: CommMessage) => void)[] = [];
  readonly closeHandlers: ((data: unknown, msg: CommMessage | null) => void)[] = [];
  constructor(
    private readonly kernel: Kernel,
    readonly commId: string,
    readonly targetName: string,
  ) {}
  send(data: unknown, metadata: Record<string, unknown> = {}, buffers: Uint8Array[] = []): void {
    if (this.closed) throw new Error(`comm ${this.commId} (${this.targetName}) is closed`);
    this.kernel.publishComm("comm_msg", { comm_id: this.commId, data: data ?? {} }, metadata, buffers);
  }
  onMsg(handler: (data: unknown, msg: CommMessage) => void): void {
    this.msgHandlers.push(handler);
  }
  onClose(handler: (data: unknown, msg: CommMessage | null) => void): void {
    this.closeHandlers.push(handler);
  }
  close(data?: unknown): void {
    if (this.closed) return;
    this.kernel.publishComm("comm_close", { comm_id: this.commId, data: data ?? {} });
    this.kernel.dropComm(this, data, null);
  }
}

export class Kernel {
  private codec!: Codec;
  private shell!: zmq.Router;
  private iopub!: zmq.Publisher;
  private outputs!: Outputs;
  private worker!: Worker;
  private executor!: Executor;
  private readonly shared = new SharedArrayBuffer(sharedSize);
  private readonly ints = sharedInts(this.shared);
  private readonly inputBytes = sharedText(this.shared);
  private executionCount = 0;
  private readonly history: { count: number; code: string; output: string | null }[] = [];
  private queue: Promise<void> = Promise.resolve();
  private errorGeneration = 0;
  private parent: Message | undefined;
  private allowStdin = false;
  private readonly comms = new Map<string, KernelComm>();
  private readonly commTargets = new Map<string, CommTargetHandler>();
  private readonly shownIds = new Set<string>();
  private prelude: Promise<void> = Promise.resolve();
  private closing = false;
  private shellSend!: (frames: (Buffer | string)[]) => void;

  constructor(private readonly options: KernelOptions) {}

  async start(): Promise<void> {
    const conn = JSON.parse(readFileSync(this.options.connectionFile, "utf8")) as ConnectionInfo;
    this.codec = new Codec(conn);
    this.worker = new Worker(path.join(__dirname, "channels-thread.js"), {
      workerData: { connection: conn, shared: this.shared, kernelInfo: kernelInfo() } satisfies ChannelsData,
    });
    this.worker.on("message", (m: FromChannels) => this.onChannels(m));
    this.worker.on("error", (e) => log(`channels thread: ${e.stack ?? e}`));
    this.worker.unref();

    this.iopub = new zmq.Publisher();
    this.shell = new zmq.Router();
    await Promise.all([this.iopub.bind(address(conn, conn.iopub_port)), this.shell.bind(address(conn, conn.shell_port))]);
    this.outputs = new Outputs(this.iopub, this.codec);
    this.shellSend = sendQueue(this.shell);

    this.executor = new Executor({
      cwd: this.options.cwd ?? process.cwd(),
      modules: this.moduleMap(),
      shared: this.ints,
    });
    this.captureProcessOutput();
    this.installSink();
    this.installProcessHandlers();
    if (!this.options.noPrelude) this.prelude = this.runPrelude();
    void this.shellLoop();
    this.outputs.status("starting", undefined);
  }

  private moduleMap(): Record<string, { dir: string; types: string }> {
    const lib = libraryDir();
    if (!lib) return {};
    return { chainlab: { dir: lib, types: lib } };
  }

  private async runPrelude(): Promise<void> {
    const lib = libraryDir();
    if (!lib) {
      log("chainlab is not installed next to the kernel; starting without it");
      return;
    }
    let prelude;
    try {
      prelude = buildPrelude(lib, () => require(lib));
    } catch (e) {
      log(`chainlab did not load: ${(e as Error).stack ?? e}`);
      prelude = buildPrelude(lib, () => undefined);
    }
    if (!prelude.code) return;
    const result = await this.executor.execute(prelude.code, "<prelude>");
    if (result.status === "error") log(`preloading chainlab failed: ${result.evalue}\n${result.traceback.join("\n")}`);
  }

  private reply(msg: Message, msgType: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}): void {
    this.shellSend(this.codec.encode(msg.identities, msgType, content, msg.header, metadata));
  }

  // ---- process integration ---------------------------------------------------------

  private captureProcessOutput(): void {
    const make = (name: "stdout" | "stderr") =>
      ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
        const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
        this.outputs.stream(name, text, this.parent?.header);
        const done = typeof encoding === "function" ? encoding : cb;
        if (typeof done === "function") (done as () => void)();
        return true;
      }) as typeof process.stdout.write;
    process.stdout.write = make("stdout");
    process.stderr.write = make("stderr");
  }

  private installProcessHandlers(): void {
    const report = (kind: string, e: unknown) => {
      if (e instanceof KeyboardInterrupt) return;
      const content = this.executor.errorContent(e, "?");
      this.outputs.stream("stderr", `${kind}:\n${content.traceback.slice(2).join("\n")}\n`, this.parent?.header);
    };
    process.on("uncaughtException", (e) => report("Uncaught exception in a callback", e));
    process.on("unhandledRejection", (e) => report("Unhandled promise rejection", e));
    process.on("SIGINT", () => {
      // A signal that arrives while no script runs under breakOnSigint (an awaiting cell).
      // Signals the control thread sent itself were already handled through the counter.
      if (this.executor.consumeSelfSignal()) return;
      this.executor.interrupt();
    });
    // The tslab display API writes through this hook; route it to the current cell.
    const tslabJupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
    tslabJupyter.lastWriteDisplayData = (data: Record<string, unknown>, update: boolean) =>
      this.outputs.publish(update ? "update_display_data" : "display_data", data, this.parent?.header);
  }

  private installSink(): void {
    const sink: NotebookSink = {
      kind: "chainlab-kernel",
      display: (bundle, metadata, displayId) => {
        if (displayId) {
          this.outputs.dropUpdate(displayId);
          this.shownIds.add(displayId);
        }
        this.outputs.publish("display_data", { data: bundle, metadata, transient: displayId ? { display_id: displayId } : {} }, this.parent?.header);
      },
      updateDisplay: (displayId, bundle, metadata) => {
        this.outputs.update(displayId, { data: bundle, metadata, transient: { display_id: displayId } }, this.parent?.header);
      },
      clearOutput: (wait) => this.outputs.publish("clear_output", { wait }, this.parent?.header),
      openComm: (targetName, data, metadata = {}) => {
        const comm = new KernelComm(this, cryptoId(), targetName);
        this.comms.set(comm.commId, comm);
        this.publishComm("comm_open", { comm_id: comm.commId, target_name: targetName, data: data ?? {} }, metadata);
        return comm;
      },
      registerCommTarget: (name, handler) => void this.commTargets.set(name, handler),
      unregisterCommTarget: (name) => void this.commTargets.delete(name),
      inputSync: (prompt, password) => this.inputSync(prompt, password),
      input: (prompt, password) => this.inputAsync(prompt, password),
    };
    (globalThis as Record<symbol, unknown>)[sinkKey] = sink;
  }

  publishComm(msgType: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}, buffers: Uint8Array[] = []): void {
    this.outputs.flushStreams();
    const frames = this.codec.encode([Buffer.from(msgType)], msgType, content, this.parent?.header, metadata, buffers);
    this.outputs.send(frames);
  }

  dropComm(comm: KernelComm, data: unknown, msg: CommMessage | null): void {
    comm.closed = true;
    this.comms.delete(comm.commId);
    for (const h of comm.closeHandlers) this.guard(() => h(data, msg));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      const content = this.executor.errorContent(e, "?");
      this.outputs.stream("stderr", `Error in a comm handler:\n${content.traceback.slice(2).join("\n")}\n`, this.parent?.header);
    }
  }

  // ---- stdin ----------------------------------------------------------------------

  private requestInput(prompt: string, password: boolean): void {
    if (!this.parent || !this.allowStdin) {
      const e = new Error("this frontend does not accept input (allow_stdin is false)");
      e.name = "StdinNotImplementedError";
      throw e;
    }
    this.outputs.flushStreams();
    Atomics.store(this.ints, slot.inputState, inputState.waiting);
    const m: ToChannels = {
      type: "input",
      prompt,
      password,
      identities: this.parent.identities.map((b) => new Uint8Array(b)),
      parent: this.parent.header,
    };
    this.worker.postMessage(m);
  }

  private takeInput(): string {
    const state = Atomics.load(this.ints, slot.inputState);
    Atomics.store(this.ints, slot.inputState, inputState.idle);
    if (state === inputState.interrupted) {
      this.executor.checkEpoch();
      throw new KeyboardInterrupt();
    }
    const n = Atomics.load(this.ints, slot.inputLength);
    return Buffer.from(this.inputBytes.subarray(0, n)).toString("utf8");
  }

  private inputSync(prompt: string, password: boolean): string {
    this.requestInput(prompt, password);
    // An interrupt answers the wait itself; a signal on top of it would hit whatever the
    // main thread runs next.
    const inVm = Atomics.exchange(this.ints, slot.inVm, 0);
    try {
      while (Atomics.load(this.ints, slot.inputState) === inputState.waiting) {
        Atomics.wait(this.ints, slot.inputState, inputState.waiting, 1000);
      }
    } finally {
      Atomics.store(this.ints, slot.inVm, inVm);
    }
    return this.takeInput();
  }

  private async inputAsync(prompt: string, password: boolean): Promise<string> {
    this.requestInput(prompt, password);
    while (Atomics.load(this.ints, slot.inputState) === inputState.waiting) {
      const w = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string } }).waitAsync(
        this.ints,
        slot.inputState,
        inputState.waiting,
        1000,
      );
      if (w.async) await w.value;
    }
    return this.takeInput();
  }

  // ---- channels thread --------------------------------------------------------------

  private onChannels(m: FromChannels): void {
    switch (m.type) {
      case "interrupt":
        this.executor.checkEpoch();
        break;
      case "shutdown":
        void this.shutdown(m.restart);
        break;
      case "log":
        log(m.text);
        break;
    }
  }

  async shutdown(_restart: boolean): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.outputs.flushStreams();
    this.outputs.flushUpdates(true);
    await this.outputs.drained();
    this.worker.postMessage({ type: "close" } satisfies ToChannels);
    await new Promise((r) => rawSetTimeout(r, 20));
    try {
      this.executor.close();
      this.shell.close();
      this.iopub.close();
    } catch {
      // Already closed.
    }
    await this.worker.terminate();
    process.exit(0);
  }

  // ---- shell --------------------------------------------------------------------------

  private async shellLoop(): Promise<void> {
    for await (const frames of this.shell) {
      let msg: Message;
      try {
        msg = this.codec.decode(frames);
      } catch (e) {
        log(`shell: ${String(e)}`);
        continue;
      }
      try {
        this.onShell(msg);
      } catch (e) {
        log(`shell ${msg.header.msg_type}: ${(e as Error).stack ?? e}`);
      }
    }
  }

  /** Status around a quick request; none while a cell runs, so the kernel still looks busy. */
  private quick(msg: Message, fn: () => void): void {
    const busy = this.executor.running;
    if (!busy) this.outputs.status("busy", msg.header);
    try {
      fn();
    } finally {
      if (!busy) this.outputs.status("idle", msg.header);
    }
  }

  private onShell(msg: Message): void {
    const c = msg.content;
    switch (msg.header.msg_type) {
      case "execute_request": {
        const generation = this.errorGeneration;
        this.queue = this.queue.then(() => this.execute(msg, generation)).catch((e) => log(`execute: ${(e as Error).stack ?? e}`));
        return;
      }
      case "kernel_info_request":
        return this.quick(msg, () => this.reply(msg, "kernel_info_reply", kernelInfo()));
      case "complete_request":
        return this.quick(msg, () => {
          const info = this.executor.complete(String(c.code), Number(c.cursor_pos));
          this.reply(msg, "complete_reply", { status: "ok", matches: info.candidates, cursor_start: info.start, cursor_end: info.end, metadata: {} });
        });
      case "inspect_request":
        return this.quick(msg, () => {
          const text = this.executor.inspect(String(c.code), Number(c.cursor_pos));
          this.reply(msg, "inspect_reply", { status: "ok", found: !!text, data: text ? { "text/plain": text } : {}, metadata: {} });
        });
      case "is_complete_request":
        return this.quick(msg, () => {
          const r = this.executor.isCompleteCode(String(c.code));
          this.reply(msg, "is_complete_reply", r.completed ? { status: "complete" } : { status: "incomplete", indent: r.indent ?? "" });
        });
      case "history_request":
        return this.quick(msg, () => this.reply(msg, "history_reply", { status: "ok", history: this.historyFor(c) }));
      case "comm_info_request":
        return this.quick(msg, () => {
          const comms: Record<string, { target_name: string }> = {};
          for (const comm of this.comms.values()) {
            if (!c.target_name || comm.targetName === c.target_name) comms[comm.commId] = { target_name: comm.targetName };
          }
          this.reply(msg, "comm_info_reply", { status: "ok", comms });
        });
      case "comm_open":
        return this.quick(msg, () => this.onCommOpen(msg));
      case "comm_msg":
        return this.quick(msg, () => {
          const comm = this.comms.get(String(c.comm_id));
          if (!comm) return;
          const m = commMessage(msg);
          for (const h of comm.msgHandlers) this.guard(() => h(c.data, m));
        });
      case "comm_close":
        return this.quick(msg, () => {
          const comm = this.comms.get(String(c.comm_id));
          if (comm) this.dropComm(comm, c.data, commMessage(msg));
        });
      case "shutdown_request":
        this.reply(msg, "shutdown_reply", { status: "ok", restart: !!c.restart });
        void this.shutdown(!!c.restart);
        return;
      default:
        log(`unsupported request ${msg.header.msg_type}`);
    }
  }

  private onCommOpen(msg: Message): void {
    const c = msg.content;
    const target = this.commTargets.get(String(c.target_name));
    const comm = new KernelComm(this, String(c.comm_id), String(c.target_name));
    if (!target) {
      // Tell the frontend nobody listens, as ipykernel does.
      this.publishComm("comm_close", { comm_id: comm.commId, data: {} });
      return;
    }
    this.comms.set(comm.commId, comm);
    this.guard(() => target(comm, commMessage(msg)));
  }

  private historyFor(c: Record<string, unknown>): [number, number, unknown][] {
    const withOutput = !!c.output;
    const all = this.history.map((h) => [0, h.count, withOutput ? [h.code, h.output] : h.code] as [number, number, string]);
    const type = c.hist_access_type;
    if (type === "tail") return all.slice(-Math.max(0, Number(c.n ?? 10)));
    if (type === "range") {
      const start = Number(c.start ?? 0);
      const stop = c.stop == null ? Infinity : Number(c.stop);
      return all.filter(([, n]) => n >= start && n < stop);
    }
    if (type === "search") {
      const glob = String(c.pattern ?? "*");
      const re = new RegExp("^" + glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, ".") + "$");
      const source = (entry: [number, number, unknown]) => (Array.isArray(entry[2]) ? String(entry[2][0]) : String(entry[2]));
      let hits = all.filter((entry) => re.test(source(entry)));
      if (c.unique) {
        const seen = new Set<string>();
        hits = hits.reverse().filter((entry) => (seen.has(source(entry)) ? false : (seen.add(source(entry)), true))).reverse();
      }
      return c.n != null ? hits.slice(-Number(c.n)) : hits;
    }
    return [];
  }

  private async execute(msg: Message, generation: number): Promise<void> {
    const c = msg.content;
    const code = String(c.code ?? "");
    const silent = !!c.silent;
    const storeHistory = c.store_history !== false && !silent;
    this.outputs.status("busy", msg.header);
    if (generation !== this.errorGeneration) {
      this.reply(msg, "execute_reply", { status: "aborted", execution_count: this.executionCount });
      this.outputs.status("idle", msg.header);
      return;
    }
    await this.prelude;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    this.parent = msg;
    this.allowStdin = !!c.allow_stdin;
    if (!silent) this.outputs.publish("execute_input", { code, execution_count: count }, msg.header);
    const entry = { count, code, output: null as string | null };
    if (storeHistory) this.history.push(entry);
    let outcome: ExecuteOutcome;
    try {
      outcome = code.trim() ? await this.executor.execute(code, `In[${count}]`) : { status: "ok", hasValue: false };
    } catch (e) {
      outcome = { status: "error", ...this.executor.errorContent(e, `In[${count}]`) };
    }
    // Live displays reach their final state before the result that follows them.
    this.outputs.flushUpdates(true);
    if (outcome.status === "ok" && outcome.hasValue && !silent) {
      let data: MimeBundle;
      try {
        data = bundleOf(outcome.value);
      } catch (e) {
        outcome = { status: "error", ...this.executor.errorContent(e, `In[${count}]`) };
        data = {};
      }
      if (outcome.status === "ok") entry.output = String(data["text/plain"]);
      if (outcome.status === "ok") this.outputs.publish("execute_result", { execution_count: count, data, metadata: {} }, msg.header);
    }
    this.outputs.flushUpdates(true);
    this.outputs.flushStreams();
    if (outcome.status === "error") {
      const { ename, evalue, traceback } = outcome;
      this.outputs.publish("error", { ename, evalue, traceback }, msg.header);
      if (c.stop_on_error !== false) this.errorGeneration++;
      this.reply(msg, "execute_reply", { status: "error", execution_count: count, ename, evalue, traceback }, { status: "error" });
    } else {
      this.reply(msg, "execute_reply", { status: "ok", execution_count: count, user_expressions: this.userExpressions(c.user_expressions), payload: [] });
    }
    this.outputs.status("idle", msg.header);
  }

  private userExpressions(expressions: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (!expressions || typeof expressions !== "object") return out;
    for (const [key, expr] of Object.entries(expressions as Record<string, string>)) {
      try {
        const value = (0, eval)(String(expr));
        out[key] = { status: "ok", data: bundleOf(value), metadata: {} };
      } catch (e) {
        out[key] = { status: "error", ename: (e as Error).name ?? "Error", evalue: String((e as Error).message ?? e), traceback: [] };
      }
    }
    return out;
  }
}

function commMessage(msg: Message): CommMessage {
  return { header: msg.header, content: msg.content, metadata: msg.metadata, buffers: msg.buffers.map((b) => new Uint8Array(b)) };
}

function cryptoId(): string {
  return require("node:crypto").randomUUID().replace(/-/g, "");
}

/** text/plain always, plus the object's own bundle (Symbol.for("Jupyter.display")). */
export function bundleOf(value: unknown): MimeBundle {
  const util = require("node:util") as typeof import("node:util");
  let bundle: MimeBundle = {};
  const hook =
    value !== null && (typeof value === "object" || typeof value === "function")
      ? (value as Record<symbol, unknown>)[Symbol.for("Jupyter.display")]
      : undefined;
  if (typeof hook === "function") {
    const produced = hook.call(value);
    if (produced && typeof produced === "object") bundle = { ...(produced as MimeBundle) };
  }
  if (typeof bundle["text/plain"] !== "string") {
    // Compiled modules (e.g. the F namespace) expose exports as getters; show the values.
    const shown = isModuleNamespace(value) ? Object.fromEntries(Object.keys(value).map((k) => [k, (value as Record<string, unknown>)[k]])) : value;
    bundle["text/plain"] = util.inspect(shown, { depth: 4, maxArrayLength: 100, breakLength: 100 });
  }
  return bundle;
}

function isModuleNamespace(value: unknown): value is object {
  if (value === null || typeof value !== "object") return false;
  return (value as { __esModule?: unknown }).__esModule === true || Object.prototype.toString.call(value) === "[object Module]";
}

export function startKernel(options: KernelOptions): Kernel {
  const kernel = new Kernel(options);
  kernel.start().catch((e) => {
    log(`failed to start: ${(e as Error).stack ?? e}`);
    process.exit(1);
  });
  return kernel;
}

export { rawStdoutWrite };
