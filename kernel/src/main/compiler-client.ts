// The main thread's handle on the compiler thread (compiler/thread.ts). Calls are
// synchronous, as tslab's converter is: the request goes out on a port and this thread
// blocks on a shared counter until the reply is there. While it waits it watches for an
// interrupt (the channels thread's counter, or SIGINT through vm's breakOnSigint) and for
// the thread's end; either way it gives up the thread and starts a fresh one.
import path from "node:path";
import vm from "node:vm";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { Completion, CompilerData, CompilerEvent, CompilerReply, CompilerRequest, ConvertResult, PreludeNames } from "../shared/compiler-link";
import { log } from "../shared/log";

type Request = CompilerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/** The compiler thread ended (or never started) before it answered. */
export class CompilerCrash extends Error {
  override name = "CompilerCrash";
}

/** A call given up because of an interrupt (`bySignal`: a SIGINT, which nothing else saw). */
export class CompileInterrupted extends Error {
  override name = "CompileInterrupted";
  constructor(readonly bySignal: boolean) {
    super("compile interrupted");
  }
}

interface Thread {
  worker: Worker;
  port: MessagePort;
  ended: boolean;
  /** Why it ended, when it said so. */
  fatal?: string;
}

const waitSlot = "__chainlab_compiler_wait";
const sliceMs = 250;

interface CompilerClientOptions {
  modules: Record<string, { dir: string; types: string }>;
  /** Where chainlab is installed; its prelude is converted as soon as the thread is up. */
  libDir?: string;
}

export class CompilerClient {
  /** Slot 0 counts replies; the channels thread also wakes it on an interrupt. */
  readonly wake = new SharedArrayBuffer(4);
  private readonly ints = new Int32Array(this.wake);
  private readonly modulePaths: Record<string, string[]> = {};
  private thread: Thread;
  private nextId = 0;
  private closed = false;
  /** The library's declared prelude names, once the first thread read them. */
  readonly preludeNames: Promise<PreludeNames | undefined>;
  private pending?: { thread: Thread; id: number; stop: () => boolean };
  private readonly waitScript = new vm.Script(`globalThis.${waitSlot}()`);

  constructor(options: CompilerClientOptions) {
    for (const [name, m] of Object.entries(options.modules)) {
      this.modulePaths[name] = [m.types];
      this.modulePaths[`${name}/*`] = [`${m.dir}/*`];
    }
    let resolveNames!: (n: PreludeNames | undefined) => void;
    this.preludeNames = new Promise((r) => (resolveNames = r));
    this.thread = this.spawn(options.libDir, resolveNames);
  }

  private spawn(libDir?: string, onNames?: (n: PreludeNames | undefined) => void): Thread {
    const { port1, port2 } = new MessageChannel();
    const data: CompilerData = { modulePaths: this.modulePaths, libDir, port: port2, wake: this.wake };
    const worker = new Worker(path.join(__dirname, "..", "compiler", "thread.js"), { workerData: data, transferList: [port2], stdout: true, stderr: true });
    const thread: Thread = { worker, port: port1, ended: false };
    worker.on("message", (e: CompilerEvent) => {
      if (e.type === "prelude") onNames?.(e.names);
      else log(e.text);
    });
    worker.on("error", (e) => log(`compiler thread: ${e.stack ?? e}`));
    worker.on("exit", (code) => {
      thread.ended = true;
      onNames?.(undefined);
      if (!this.closed && this.thread === thread) log(`compiler thread ended (exit code ${code}); a fresh one starts with the next request`);
    });
    for (const stream of [worker.stdout, worker.stderr]) stream.on("data", (d: Buffer) => log(`compiler: ${d.toString().trimEnd()}`));
    worker.unref();
    return thread;
  }

  /** Ends the current thread (if it still runs) and starts another. */
  private replace(): void {
    const old = this.thread;
    old.ended = true;
    void old.worker.terminate();
    old.port.close();
    this.thread = this.spawn();
  }

  /**
   * One request, answered synchronously. `stop` is polled while waiting: when it says so,
   * the request is abandoned (CompileInterrupted) and the thread replaced, since it may be
   * stuck in the compile for a long time still.
   */
  call<T>(request: Request, stop: () => boolean = () => false): T {
    if (this.thread.ended) this.replace();
    const thread = this.thread;
    const id = ++this.nextId;
    thread.port.postMessage({ ...request, id } as CompilerRequest);
    this.pending = { thread, id, stop };
    let reply: CompilerReply | "stopped" | "signal" | "ended";
    try {
      (globalThis as Record<string, unknown>)[waitSlot] = () => this.waitForReply();
      reply = this.waitScript.runInThisContext({ breakOnSigint: true }) as CompilerReply | "stopped" | "ended";
    } catch (e) {
      if (!(e instanceof Error && /Script execution (was )?interrupted/.test(e.message))) throw e;
      reply = "signal";
    } finally {
      this.pending = undefined;
    }
    if (reply === "stopped" || reply === "signal") {
      this.replace();
      throw new CompileInterrupted(reply === "signal");
    }
    if (reply === "ended") {
      const why = thread.fatal ? `: ${thread.fatal.split("\n")[0]}` : "";
      log(`compiler thread ended during a ${request.method} request${thread.fatal ? `\n${thread.fatal}` : ""}`);
      this.replace();
      throw new CompilerCrash(`the TypeScript compiler stopped while working on this cell${why}. A fresh compiler has started; run the cell again.`);
    }
    if ("error" in reply) {
      const e = new Error(reply.error.message);
      e.name = reply.error.name;
      throw e;
    }
    return (reply as { value: T }).value;
  }

  private waitForReply(): CompilerReply | "stopped" | "ended" {
    const { thread, id, stop } = this.pending!;
    let timedOut = false;
    for (;;) {
      // The counter is read before the port: a reply posted after this read moves it, so
      // the wait below returns at once instead of missing the reply.
      const seen = Atomics.load(this.ints, 0);
      for (let m = receiveMessageOnPort(thread.port); m; m = receiveMessageOnPort(thread.port)) {
        const reply = m.message as CompilerReply;
        if (reply.id === id) return reply;
        if ("fatal" in reply) thread.fatal = reply.fatal;
      }
      if (stop()) return "stopped";
      // Posting says whether the other end is still there (true), gone (false), or gone and
      // this end closed too (undefined, once receiveMessageOnPort took the closing message).
      if (thread.ended || (timedOut && (thread.port.postMessage(null) as unknown) !== true)) {
        thread.ended = true;
        return "ended";
      }
      timedOut = Atomics.wait(this.ints, 0, seen, sliceMs) === "timed-out";
    }
  }

  /**
   * Has a fresh thread load what the next cell needs (the earlier cells' declarations and
   * the library's types), without waiting for it; the reply is dropped.
   */
  warm(prevDecl: string): void {
    if (this.thread.ended) this.replace();
    this.thread.port.postMessage({ method: "convert", args: [prevDecl, ""], id: ++this.nextId } satisfies CompilerRequest);
  }

  convert(prevDecl: string, src: string, stop?: () => boolean): ConvertResult {
    return this.call({ method: "convert", args: [prevDecl, src] }, stop);
  }

  inspect<T>(prevDecl: string, src: string, position: number): T | undefined {
    return this.call({ method: "inspect", args: [prevDecl, src, position] });
  }

  complete(prevDecl: string, src: string, position: number): Completion {
    return this.call({ method: "complete", args: [prevDecl, src, position] });
  }

  isCompleteCode(src: string): { completed: boolean; indent?: string } {
    return this.call({ method: "isCompleteCode", args: [src] });
  }

  close(): void {
    this.closed = true;
    void this.thread.worker.terminate();
  }
}
