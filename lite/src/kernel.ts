// The chainlab kernel as JupyterLite sees it: the Jupyter protocol in the page, cells
// type-checked and transpiled in one Web Worker (worker/compiler.ts) and run in another
// (worker/main.ts) that holds the library on its WebAssembly backend. The page keeps the
// workers' outputs in the protocol: each goes out under the request it belongs to.
import { KernelMessage } from "@jupyterlab/services";
import { BaseKernel, type IKernel } from "@jupyterlite/services";
import type { CommInfoReply, CompileOutcome, CompleteReply, ExecuteOutcome, FromCompiler, FromWorker, InspectReply, ToCompiler, ToWorker } from "./messages";

export interface ChainlabKernelOptions extends IKernel.IOptions {
  /** The folder of the worker's script and the WebAssembly module (ends with a slash). */
  assets: string;
  /** What cells find in `process.env`. */
  env?: Record<string, string>;
}

/** The kernel's language as notebooks record it. */
export function languageInfo(typescript: string): KernelMessage.IInfoReply["language_info"] {
  return {
    name: "typescript",
    version: typescript,
    mimetype: "text/typescript",
    file_extension: ".ts",
    codemirror_mode: { name: "javascript", typescript: true },
    pygments_lexer: "typescript",
  };
}

/** Requests answered by the worker in order, one after another (everything but comms and input). */
const COMM = new Set(["comm_open", "comm_msg", "comm_close"]);

export class ChainlabKernel extends BaseKernel {
  private readonly worker: Worker;
  private readonly compiler: Worker;
  private readonly compiling = new Map<number, (c: never) => void>();
  private readonly send: IKernel.SendMessage;
  /** Bumped by an interrupt; every loop turn of cell code reads it (only where memory can be shared). */
  private readonly interruptFlag: Int32Array | undefined;
  /** Requests run one after another here, not under JupyterLite's lock (see handleMessage). */
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private lastSeq = 0;
  /** Executes queued up to this one are aborted (after an error or an interrupt). */
  private abortUpTo = 0;
  private readonly started: Promise<void>;
  private startError: string | undefined;
  private typescript = "";
  private banner = "chainlab in the browser (loading)";
  private nextId = 1;
  private readonly waiting = new Map<number, (content: unknown) => void>();

  constructor(options: ChainlabKernelOptions) {
    super(options);
    this.send = options.sendMessage;
    const shared = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated && typeof SharedArrayBuffer === "function";
    this.interruptFlag = shared ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
    this.worker = new Worker(`${options.assets}chainlab-worker.js`);
    this.compiler = new Worker(`${options.assets}chainlab-compiler.js`);
    const running = new Promise<void>((resolve) => {
      this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.fromWorker(e.data, resolve);
      this.worker.onerror = (e: ErrorEvent) => this.failed(`the kernel's worker did not start: ${e.message || "its script did not load"}`, resolve);
    });
    const compiling = new Promise<void>((resolve) => {
      this.compiler.onmessage = (e: MessageEvent<FromCompiler>) => this.fromCompiler(e.data, resolve);
      this.compiler.onerror = (e: ErrorEvent) => this.failed(`the kernel's compiler did not start: ${e.message || "its script did not load"}`, resolve);
    });
    this.started = Promise.all([running, compiling]).then(() => undefined);
    this.post({ type: "init", assets: options.assets, env: options.env ?? {}, interrupt: this.interruptFlag?.buffer as SharedArrayBuffer | undefined });
    this.toCompiler({ type: "init", assets: options.assets });
  }

  /** A worker that cannot start leaves a kernel that says why on every cell. */
  private failed(why: string, started: () => void): void {
    this.startError ??= why;
    const error = { ename: "KernelError", evalue: this.startError, traceback: [this.startError] };
    for (const [id, done] of this.waiting) {
      this.waiting.delete(id);
      done({ status: "error", ...error });
    }
    for (const [id, done] of this.compiling) {
      this.compiling.delete(id);
      done({ ok: false, error } as never);
    }
    started();
  }

  private toCompiler(msg: ToCompiler): void {
    this.compiler.postMessage(msg);
  }

  private compile(code: string, count: number): Promise<CompileOutcome> {
    if (this.startError) return Promise.resolve({ ok: false, error: { ename: "KernelError", evalue: this.startError, traceback: [this.startError] } });
    return this.askCompiler<CompileOutcome>({ type: "compile", id: this.nextId++, code, count });
  }

  private askCompiler<T>(msg: ToCompiler & { id: number }): Promise<T> {
    return new Promise<T>((resolve) => {
      this.compiling.set(msg.id, resolve as (c: never) => void);
      this.toCompiler(msg);
    });
  }

  private fromCompiler(msg: FromCompiler, started: () => void): void {
    if (msg.type === "ready") {
      this.typescript = msg.typescript;
      started();
    } else if (msg.type === "failed") {
      this.failed(`the kernel's compiler did not start: ${msg.error}`, started);
    } else {
      const done = this.compiling.get(msg.id);
      this.compiling.delete(msg.id);
      done?.(msg.content as never);
    }
  }

  /**
   * JupyterLite hands a kernel one message at a time and waits for it to be handled, so a
   * comm message from a widget (the Monitor's Stop, Pause, learning rate) would wait for the
   * running cell to end. Here requests go into this kernel's own queue and the call returns
   * at once; comm messages that come while a request runs go straight to the worker, which
   * hands them to the cell at its next await, with no busy/idle status of their own (that
   * would show the kernel idle while the cell runs).
   */
  override async handleMessage(msg: KernelMessage.IMessage): Promise<void> {
    const type = msg.header.msg_type;
    if (type === "input_reply") return super.handleMessage(msg);
    if (COMM.has(type) && this.queued > 0) {
      this.forwardComm(type as "comm_open" | "comm_msg" | "comm_close", msg as KernelMessage.ICommMsgMsg);
      return;
    }
    const seq = ++this.lastSeq;
    this.queued++;
    this.queue = this.queue.then(async () => {
      try {
        if (type === "execute_request" && seq <= this.abortUpTo) this.abort(msg as KernelMessage.IExecuteRequestMsg);
        else await super.handleMessage(msg);
      } catch (e) {
        console.error("chainlab kernel: a request failed", e);
      } finally {
        this.queued--;
      }
    });
  }

  /** An execute that waited behind a cell that failed or was interrupted: not run, as Jupyter does. */
  private abort(msg: KernelMessage.IExecuteRequestMsg): void {
    const base = { session: msg.header.session, parentHeader: msg.header };
    this.send(KernelMessage.createMessage({ ...base, channel: "iopub", msgType: "status", content: { execution_state: "busy" } }));
    this.send(KernelMessage.createMessage({ ...base, channel: "shell", msgType: "execute_reply", content: { status: "aborted" } as never }));
    this.send(KernelMessage.createMessage({ ...base, channel: "iopub", msgType: "status", content: { execution_state: "idle" } }));
  }

  /** Stops the running cell and drops the executes waiting behind it. */
  interrupt(): void {
    this.abortUpTo = this.lastSeq;
    if (this.interruptFlag) Atomics.add(this.interruptFlag, 0, 1);
    this.post({ type: "interrupt" });
  }

  override get ready(): Promise<void> {
    return this.started;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.worker.terminate();
    this.compiler.terminate();
    super.dispose();
  }

  private post(msg: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  private request<T>(msg: ToWorker & { id: number }): Promise<T> {
    if (this.startError) {
      return Promise.resolve({ status: "error", ename: "KernelError", evalue: this.startError, traceback: [this.startError] } as T);
    }
    return new Promise<T>((resolve) => {
      this.waiting.set(msg.id, resolve as (c: unknown) => void);
      this.post(msg);
    });
  }

  private fromWorker(msg: FromWorker, started: () => void): void {
    switch (msg.type) {
      case "ready":
        this.banner = `chainlab in the browser: ${msg.backend} backend on ${msg.threads} thread${msg.threads === 1 ? "" : "s"} (loaded in ${Math.round(msg.ms)} ms)`;
        started();
        break;
      case "failed":
        this.failed(msg.error, started);
        break;
      case "reply": {
        const done = this.waiting.get(msg.id);
        this.waiting.delete(msg.id);
        done?.(msg.content);
        break;
      }
      case "input_request":
        this.inputRequest({ prompt: msg.prompt, password: msg.password });
        break;
      case "output":
        this.output(msg);
        break;
    }
  }

  /** An output of the running cell (or of code it left running) under the latest request. */
  private output(msg: Extract<FromWorker, { type: "output" }>): void {
    const c = msg.content as never;
    switch (msg.msgType) {
      case "stream":
        this.stream(c);
        break;
      case "display_data":
        this.displayData(c);
        break;
      case "update_display_data":
        this.updateDisplayData(c);
        break;
      case "clear_output":
        this.clearOutput(c);
        break;
      case "comm_open":
      case "comm_msg":
      case "comm_close":
        this.handleComm(msg.msgType, c, (msg.metadata ?? {}) as never, msg.buffers ?? []);
        break;
    }
  }

  async kernelInfoRequest(): Promise<KernelMessage.IInfoReplyMsg["content"]> {
    return {
      status: "ok",
      protocol_version: "5.3",
      implementation: "chainlab-lite",
      implementation_version: "0.1.0",
      language_info: languageInfo(this.typescript),
      banner: this.startError ? `chainlab in the browser did not start: ${this.startError}` : `${this.banner}, TypeScript ${this.typescript}`,
      help_links: [{ text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/" }],
    };
  }

  async executeRequest(content: KernelMessage.IExecuteRequestMsg["content"]): Promise<KernelMessage.IExecuteReplyMsg["content"]> {
    const count = this.executionCount;
    const compiled = await this.compile(content.code, count);
    const outcome: ExecuteOutcome = compiled.ok
      ? await this.request<ExecuteOutcome>({ type: "execute", id: this.nextId++, code: content.code, count, cell: compiled.cell })
      : { status: "error", ...compiled.error };
    if (outcome.status === "error") {
      const { ename, evalue, traceback } = outcome;
      // the cells queued behind a failed one are not run (Jupyter's stop_on_error)
      if (content.stop_on_error !== false) this.abortUpTo = this.lastSeq;
      this.publishExecuteError({ ename, evalue, traceback });
      return { status: "error", execution_count: count, ename, evalue, traceback };
    }
    if (outcome.result && !content.silent) {
      this.publishExecuteResult({ execution_count: count, data: outcome.result.data as never, metadata: outcome.result.metadata as never });
    }
    return { status: "ok", execution_count: count, user_expressions: {} };
  }

  async completeRequest(content: KernelMessage.ICompleteRequestMsg["content"]): Promise<KernelMessage.ICompleteReplyMsg["content"]> {
    // from the types in the compiler; from the live values in the runner when it has none
    let reply = this.startError ? undefined : await this.askCompiler<CompleteReply>({ type: "complete", id: this.nextId++, code: content.code, cursor: content.cursor_pos });
    if (!reply?.matches.length) reply = await this.request<CompleteReply>({ type: "complete", id: this.nextId++, code: content.code, cursor: content.cursor_pos });
    return { status: "ok", metadata: {}, matches: reply.matches ?? [], cursor_start: reply.cursor_start ?? content.cursor_pos, cursor_end: reply.cursor_end ?? content.cursor_pos };
  }

  async inspectRequest(content: KernelMessage.IInspectRequestMsg["content"]): Promise<KernelMessage.IInspectReplyMsg["content"]> {
    if (this.startError) return { status: "ok", found: false, data: {}, metadata: {} };
    const r = await this.askCompiler<InspectReply>({ type: "inspect", id: this.nextId++, code: content.code, cursor: content.cursor_pos });
    if (!r.found) return { status: "ok", found: false, data: {}, metadata: {} };
    const text = r.docs ? `${r.signature}\n\n${r.docs}` : r.signature ?? "";
    const markdown = `\`\`\`ts\n${r.signature ?? ""}\n\`\`\`${r.docs ? `\n\n${r.docs}` : ""}`;
    return { status: "ok", found: true, data: { "text/plain": text, "text/markdown": markdown }, metadata: {} };
  }

  async isCompleteRequest(_content: KernelMessage.IIsCompleteRequestMsg["content"]): Promise<KernelMessage.IIsCompleteReplyMsg["content"]> {
    return { status: "complete" };
  }

  async commInfoRequest(content: KernelMessage.ICommInfoRequestMsg["content"]): Promise<KernelMessage.ICommInfoReplyMsg["content"]> {
    const reply = await this.request<CommInfoReply>({ type: "comm_info", id: this.nextId++, target: content.target_name });
    return { status: "ok", comms: reply.comms ?? {} };
  }

  inputReply(content: KernelMessage.IInputReplyMsg["content"]): void {
    this.post({ type: "input_reply", value: content.status === "ok" ? content.value : "" });
  }

  private forwardComm(msgType: "comm_open" | "comm_msg" | "comm_close", msg: KernelMessage.ICommOpenMsg | KernelMessage.ICommMsgMsg | KernelMessage.ICommCloseMsg): void {
    const buffers = (msg.buffers ?? []).map((b) => {
      const view = ArrayBuffer.isView(b) ? b : new Uint8Array(b);
      return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer;
    });
    this.post({ type: "comm", msgType, content: msg.content as never, metadata: msg.metadata as Record<string, unknown>, buffers }, buffers);
  }

  async commOpen(msg: KernelMessage.ICommOpenMsg): Promise<void> {
    this.forwardComm("comm_open", msg);
  }

  async commMsg(msg: KernelMessage.ICommMsgMsg): Promise<void> {
    this.forwardComm("comm_msg", msg);
  }

  async commClose(msg: KernelMessage.ICommCloseMsg): Promise<void> {
    this.forwardComm("comm_close", msg);
  }
}
