// The chainlab kernel: a Jupyter kernel around tslab's TypeScript converter with chainlab
// preloaded. This thread owns the shell and IOPub sockets and runs cells; control, stdin and
// heartbeat live on the channels thread (channels.ts) so they answer while a cell runs, and
// the converter lives on the compiler thread (compiler.ts), away from the cells' heap.
import { readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as rawSetTimeout } from "node:timers";
import { Worker } from "node:worker_threads";
import * as zmq from "zeromq";
import { Comms } from "./comms";
import { Execution } from "./execute";
import type { Compiler } from "./compiler";
import { Executor } from "./executor";
import { kernelInfo } from "./kernel-info";
import { kernelModules, runPrelude, startCompiler } from "./library";
import { log } from "./log";
import { PreludeGate } from "./prelude-gate";
import { outputLimits } from "./output-limits";
import { Outputs } from "./outputs";
import { watchParent } from "./parent-watch";
import { callbackErrorReporter, captureProcessOutput, hookTslabDisplay, installProcessHandlers, refuseProcessExit } from "./process-hooks";
import { CurrentRequest } from "./request";
import { CellEndHooks, installKernelSink, kernelSink } from "./sink";
import { Stdin } from "./stdin";
import { address, sendQueue, sharedInts, sharedSize, sharedText, type ChannelsData, type Frames, type FromChannels, type ToChannels } from "./thread-link";
import { Codec, type ConnectionInfo, type Message } from "./wire";

export interface KernelOptions {
  connectionFile: string;
  /** Where the notebook lives; cells resolve relative imports from here. */
  cwd?: string;
  /** Skip preloading chainlab (for measuring the bare kernel). */
  noPrelude?: boolean;
  /** The compiler thread, when the caller started it early (see cli.ts). */
  compiler?: Compiler;
}

/** The sockets and parts of a started kernel. */
interface Parts {
  codec: Codec;
  shell: zmq.Router;
  iopub: zmq.Publisher;
  shellSend: (frames: Frames) => void;
  worker: Worker;
  outputs: Outputs;
  executor: Executor;
  comms: Comms;
  execution: Execution;
}

export class Kernel {
  private parts!: Parts;
  private readonly current = new CurrentRequest();
  private closing = false;
  /** Completion and inspection wait for the prelude's names. */
  private prelude!: PreludeGate;

  constructor(
    private readonly options: KernelOptions,
    private readonly exit: (code: number) => never = (code) => process.exit(code),
  ) {}

  async start(): Promise<void> {
    const compiler = this.options.compiler ?? startCompiler(!this.options.noPrelude);
    const conn = JSON.parse(readFileSync(this.options.connectionFile, "utf8")) as ConnectionInfo;
    const codec = new Codec(conn);
    const shared = new SharedArrayBuffer(sharedSize);
    const ints = sharedInts(shared);
    const worker = new Worker(path.join(__dirname, "channels-thread.js"), {
      workerData: { connection: conn, shared, kernelInfo: kernelInfo(), compilerWake: compiler.wake } satisfies ChannelsData,
    });
    worker.on("message", (m: FromChannels) => this.onChannels(m));
    worker.on("error", (e) => log(`channels thread: ${e.stack ?? e}`));
    worker.unref();

    // A full subscriber queue makes a send wait instead of dropping the message (outputs.ts
    // queues behind it): output is never lost between here and the client.
    const iopub = new zmq.Publisher({ noDrop: true });
    const shell = new zmq.Router();
    await Promise.all([iopub.bind(address(conn, conn.iopub_port)), shell.bind(address(conn, conn.shell_port))]);
    const outputs = new Outputs(iopub, codec, outputLimits(process.env.CHAINLAB_OUTPUT_BACKLOG));
    const current = this.current;
    const executor = new Executor({
      cwd: this.options.cwd ?? process.cwd(),
      modules: kernelModules(),
      shared: ints,
      compiler,
      onTslab: () => hookTslabDisplay(outputs, current),
      outputHeld: () => outputs.held(),
    });
    const report = callbackErrorReporter(outputs, current, executor);
    const comms = new Comms((msgType, content, metadata = {}, buffers = []) => {
      outputs.flushStreams();
      outputs.send(codec.encode([Buffer.from(msgType)], msgType, content, current.header, metadata, buffers), msgType);
    }, report);
    const stdin = new Stdin({
      ints,
      text: sharedText(shared),
      current,
      executor,
      post: (m) => worker.postMessage(m),
      flush: () => outputs.flushStreams(),
    });
    const shellSend = sendQueue(shell);
    const reply = (msg: Message, msgType: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
      shellSend(codec.encode(msg.identities, msgType, content, msg.header, metadata));
    captureProcessOutput(outputs, current);
    const cellEnd = new CellEndHooks();
    installKernelSink(kernelSink(outputs, current, comms, stdin, cellEnd));
    installProcessHandlers(outputs, current, executor, report);
    const ready = this.options.noPrelude ? Promise.resolve() : runPrelude(executor, compiler);
    this.prelude = new PreludeGate(ready);
    const execution = new Execution(executor, outputs, current, reply, ready, cellEnd);
    this.parts = { codec, shell, iopub, shellSend, worker, outputs, executor, comms, execution };
    void this.shellLoop();
    outputs.status("starting", undefined);
  }

  private reply(msg: Message, msgType: string, content: Record<string, unknown>): void {
    const { shellSend, codec } = this.parts;
    shellSend(codec.encode(msg.identities, msgType, content, msg.header));
  }

  private onChannels(m: FromChannels): void {
    switch (m.type) {
      case "interrupt":
        this.parts.executor.checkEpoch();
        break;
      case "shutdown":
        void this.shutdown();
        break;
    }
  }

  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const { outputs, worker, executor, shell, iopub } = this.parts;
    outputs.flushStreams();
    outputs.flushUpdates(true);
    await outputs.drained();
    worker.postMessage({ type: "close" } satisfies ToChannels);
    await new Promise((r) => rawSetTimeout(r, 20));
    try {
      executor.close();
      shell.close();
      iopub.close();
    } catch {
      // Already closed.
    }
    await worker.terminate();
    this.exit(0);
  }

  private async shellLoop(): Promise<void> {
    const { shell, codec } = this.parts;
    for await (const frames of shell) {
      let msg: Message;
      try {
        msg = codec.decode(frames);
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
    const { executor, outputs } = this.parts;
    const busy = executor.running;
    if (!busy) outputs.status("busy", msg.header);
    try {
      fn();
    } finally {
      if (!busy) outputs.status("idle", msg.header);
    }
  }

  private onShell(msg: Message): void {
    const { executor, comms, execution } = this.parts;
    const c = msg.content;
    switch (msg.header.msg_type) {
      case "execute_request":
        return execution.submit(msg);
      case "kernel_info_request":
        return this.quick(msg, () => this.reply(msg, "kernel_info_reply", kernelInfo()));
      case "complete_request":
        return this.prelude.run(() => this.quick(msg, () => {
          const info = executor.complete(String(c.code), Number(c.cursor_pos));
          this.reply(msg, "complete_reply", { status: "ok", matches: info.candidates, cursor_start: info.start, cursor_end: info.end, metadata: {} });
        }));
      case "inspect_request":
        return this.prelude.run(() => this.quick(msg, () => {
          const data = executor.inspect(String(c.code), Number(c.cursor_pos));
          this.reply(msg, "inspect_reply", { status: "ok", found: !!data, data: data ?? {}, metadata: {} });
        }));
      case "is_complete_request":
        return this.quick(msg, () => {
          const r = executor.isCompleteCode(String(c.code));
          this.reply(msg, "is_complete_reply", r.completed ? { status: "complete" } : { status: "incomplete", indent: r.indent ?? "" });
        });
      case "history_request":
        return this.quick(msg, () => this.reply(msg, "history_reply", { status: "ok", history: execution.history.query(c) }));
      case "comm_info_request":
        return this.quick(msg, () => this.reply(msg, "comm_info_reply", { status: "ok", comms: comms.info(c.target_name) }));
      case "comm_open":
        return this.quick(msg, () => comms.onOpen(msg));
      case "comm_msg":
        return this.quick(msg, () => comms.onMsg(msg));
      case "comm_close":
        return this.quick(msg, () => comms.onClose(msg));
      case "shutdown_request":
        this.reply(msg, "shutdown_reply", { status: "ok", restart: !!c.restart });
        void this.shutdown();
        return;
      default:
        log(`unsupported request ${msg.header.msg_type}`);
    }
  }
}

export function startKernel(options: KernelOptions): Kernel {
  // From here on the only way out of the process: cells are refused process.exit.
  const kernelExit = refuseProcessExit();
  const kernel = new Kernel(options, kernelExit);
  kernel.start().catch((e) => {
    log(`failed to start: ${(e as Error).stack ?? e}`);
    kernelExit(1);
  });
  watchParent(() => {
    log("the server that started this kernel is gone: shutting down");
    rawSetTimeout(() => kernelExit(0), 5000).unref(); // if a clean shutdown hangs on its sockets
    void kernel.shutdown();
  });
  return kernel;
}
