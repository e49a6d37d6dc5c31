// The chainlab kernel: a Jupyter kernel around tslab's TypeScript converter with chainlab
// preloaded. This thread owns the shell and IOPub sockets and runs cells (assemble.ts wires
// its parts); control, stdin and heartbeat live on the channels thread (channels/) so they
// answer while a cell runs, and the converter lives on the compiler thread (compiler/,
// reached through compiler-client.ts), away from the cells' heap.
import { readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as rawSetTimeout } from "node:timers";
import { Worker } from "node:worker_threads";
import * as zmq from "zeromq";
import { address, sendQueue, sharedSize, type ChannelsData, type FromChannels, type ToChannels } from "../shared/channels-link";
import { log } from "../shared/log";
import { Codec, type ConnectionInfo, type Message } from "../shared/wire";
import { assembleKernel, type KernelParts } from "./assemble";
import type { CompilerClient } from "./compiler-client";
import { kernelInfo } from "./kernel-info";
import { startCompiler } from "./library";
import { watchParent } from "./parent-watch";
import { refuseProcessExit } from "./process-hooks";

export interface KernelOptions {
  connectionFile: string;
  /** Where the notebook lives; cells resolve relative imports from here. */
  cwd?: string;
  /** Skip preloading chainlab (for measuring the bare kernel). */
  noPrelude?: boolean;
  /** The compiler thread, when the caller started it early (see cli.ts). */
  compiler?: CompilerClient;
}

/** The sockets, the channels thread and the parts of a started kernel. */
interface Parts extends KernelParts {
  codec: Codec;
  shellSocket: zmq.Router;
  iopub: zmq.Publisher;
  worker: Worker;
}

export class Kernel {
  private parts!: Parts;
  private closing = false;

  constructor(
    private readonly options: KernelOptions,
    private readonly exit: (code: number) => never = (code) => process.exit(code),
  ) {}

  async start(): Promise<void> {
    const compiler = this.options.compiler ?? startCompiler(!this.options.noPrelude);
    const conn = JSON.parse(readFileSync(this.options.connectionFile, "utf8")) as ConnectionInfo;
    const codec = new Codec(conn);
    const shared = new SharedArrayBuffer(sharedSize);
    const worker = new Worker(path.join(__dirname, "..", "channels", "thread.js"), {
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
    const main = assembleKernel(
      {
        cwd: this.options.cwd ?? process.cwd(),
        compiler,
        noPrelude: this.options.noPrelude,
        backlog: process.env.CHAINLAB_OUTPUT_BACKLOG,
        processHooks: true,
        shutdown: () => void this.shutdown(),
      },
      { codec, iopub, shellSend: sendQueue(shell), postChannels: (m) => worker.postMessage(m), shared },
    );
    this.parts = { ...main, codec, worker, iopub, shellSocket: shell };
    void this.shellLoop();
    main.outputs.status("starting", undefined);
  }

  private onChannels(m: FromChannels): void {
    switch (m.type) {
      case "interrupt":
        this.parts.runner.checkEpoch();
        break;
      case "shutdown":
        void this.shutdown();
        break;
    }
  }

  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const { outputs, worker, runner, shellSocket, iopub } = this.parts;
    outputs.flushStreams();
    outputs.flushUpdates(true);
    await outputs.drained();
    worker.postMessage({ type: "close" } satisfies ToChannels);
    await new Promise((r) => rawSetTimeout(r, 20));
    try {
      runner.close();
      shellSocket.close();
      iopub.close();
    } catch {
      // Already closed.
    }
    await worker.terminate();
    this.exit(0);
  }

  private async shellLoop(): Promise<void> {
    const { shellSocket, shell, codec } = this.parts;
    for await (const frames of shellSocket) {
      let msg: Message;
      try {
        msg = codec.decode(frames);
      } catch (e) {
        log(`shell: ${String(e)}`);
        continue;
      }
      try {
        shell.handle(msg);
      } catch (e) {
        log(`shell ${msg.header.msg_type}: ${(e as Error).stack ?? e}`);
      }
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
