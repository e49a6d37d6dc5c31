// Runs cells: converts them in the compiler thread, evaluates them in this context, keeps
// their declarations for later cells, turns failures into Jupyter error content, and stops
// interrupted cells together with everything they started.
import { AsyncLocalStorage } from "node:async_hooks";
import path from "node:path";
import type { MimeBundle } from "chainlab";
import vm from "node:vm";
import { CellModules } from "./cell-modules";
import { guardTimers } from "./cell-timers";
import { CompileInterrupted, CompilerCrash, type CompilerClient } from "./compiler-client";
import { intrinsicsGuard } from "../shared/builtins";
import { awaitHook, tickHook, type ConvertResult } from "../shared/compiler-link";
import { inspectBundle, type QuickInfo } from "./inspect";
import { log } from "../shared/log";
import { slot } from "../shared/channels-link";
import { compileError, Tracebacks, type ErrorContent } from "./traceback";

export type { ErrorContent };

export type ExecuteOutcome =
  | { status: "ok"; hasValue: boolean; value?: unknown }
  | ({ status: "error" } & ErrorContent);

/** What a running cell owns: async continuations and timers it started carry it along. */
interface CellContext {
  readonly id: number;
  interrupted: boolean;
  abort?: (reason: unknown) => void;
}

export class KeyboardInterrupt extends Error {
  override name = "KeyboardInterrupt";
  constructor() {
    super("execution interrupted");
  }
}

interface CellRunnerOptions {
  cwd: string;
  /** Modules cells import by a bare name, resolved from the kernel (e.g. chainlab). */
  modules: Record<string, { dir: string; types: string }>;
  /** The slots shared with the channels thread (shared/channels-link.ts), for interrupts. */
  shared?: Int32Array;
  /** The compiler thread's handle, started early (it converts the prelude meanwhile). */
  compiler: CompilerClient;
  /** Called when a cell first requires tslab (its display API needs a hook). */
  onTslab?: () => void;
  outputHeld?: () => Promise<void> | undefined;
}

export class CellRunner {
  private readonly als = new AsyncLocalStorage<CellContext>();
  private readonly compiler: CompilerClient;
  private prevDecl = "";
  private readonly locals: Record<string, unknown> = {};
  private readonly tracebacks: Tracebacks;
  private readonly cellModules: CellModules;
  private nextId = 0;
  private current: CellContext | undefined;
  private interruptedCount = 0;
  private seenEpoch = 0;
  private consumedSelfSignals = 0;

  constructor(private readonly options: CellRunnerOptions) {
    this.compiler = options.compiler;
    this.cellModules = new CellModules(options.modules, options.onTslab);
    this.tracebacks = new Tracebacks({
      libraries: Object.fromEntries(Object.entries(options.modules).map(([name, m]) => [name, m.dir])),
      hidden: [path.join(__dirname, "..", ".."), path.dirname(require.resolve("tslab/package.json"))],
      cwd: options.cwd,
    });
    this.installHooks();
  }

  /** Intrinsics a cell replaces are put back as soon as its code returns (shared/builtins.ts). */
  readonly intrinsics = intrinsicsGuard();

  get running(): boolean { return this.current !== undefined; }

  private installHooks(): void {
    const exportsProxy = new Proxy(this.locals, {
      // Imports compile to defineProperty with getters; plain values keep names rebindable.
      defineProperty: (target, prop, attrs) => {
        if (prop === "__esModule") return true;
        (target as Record<string | symbol, unknown>)[prop] = attrs.get ? attrs.get() : attrs.value;
        return true;
      },
    });
    const g = globalThis as Record<string, unknown>;
    g.__chainlab_cell__ = { exports: exportsProxy, require: this.cellModules.requireFrom(this.options.cwd) };
    g[awaitHook] = (value: unknown) => {
      const ctx = this.als.getStore();
      if (!ctx) return value;
      this.checkEpoch();
      if (ctx.interrupted) throw new KeyboardInterrupt();
      return (this.options.outputHeld?.()?.then(() => value) ?? Promise.resolve(value)).then((v) => {
        if (ctx.interrupted) throw new KeyboardInterrupt();
        return v;
      });
    };
    g[tickHook] = () => {
      const shared = this.options.shared;
      if (shared && shared[slot.epoch] !== this.seenEpoch) this.checkEpoch();
      if (this.interruptedCount > 0 && this.als.getStore()?.interrupted) throw new KeyboardInterrupt();
    };
    guardTimers(this.als);
  }

  /** Applies interrupts another thread announced through the shared counter. */
  checkEpoch(): void {
    const shared = this.options.shared;
    if (!shared) return;
    const now = Atomics.load(shared, slot.epoch);
    if (now === this.seenEpoch) return;
    this.seenEpoch = now;
    Atomics.store(shared, slot.seenEpoch, now);
    this.interrupt();
  }

  /** True (once per signal) when a SIGINT came from the control thread. */
  consumeSelfSignal(): boolean {
    const shared = this.options.shared;
    if (!shared || this.consumedSelfSignals >= Atomics.load(shared, slot.selfSignals)) return false;
    this.consumedSelfSignals++;
    return true;
  }

  /** Stops the running cell: it fails now, and its leftovers stop at their next checkpoint. */
  interrupt(): boolean {
    const ctx = this.current;
    if (!ctx || ctx.interrupted) return false;
    ctx.interrupted = true;
    this.interruptedCount++;
    ctx.abort?.(new KeyboardInterrupt());
    return true;
  }

  /** An interrupt came in that this thread has not acted on yet. */
  private readonly interruptPending = (): boolean => {
    const shared = this.options.shared;
    return !!shared && Atomics.load(shared, slot.epoch) !== this.seenEpoch;
  };

  /** A compiler call for completion or inspection: nothing when the compiler cannot answer. */
  private ask<T>(what: string, fn: (c: CompilerClient) => T): T | undefined {
    try {
      return fn(this.compiler);
    } catch (e) {
      if (!(e instanceof CompilerCrash || e instanceof CompileInterrupted)) throw e;
      // A SIGINT that broke this wait was meant for the cell that awaits meanwhile.
      if (e instanceof CompileInterrupted && e.bySignal) this.interrupt();
      log(`${what}: ${e.message}`);
      return undefined;
    }
  }

  isCompleteCode(src: string): { completed: boolean; indent?: string } { return this.ask("is_complete", (c) => c.isCompleteCode(src)) ?? { completed: true }; }

  /** Runs one cell; `label` names it in tracebacks (`In[3]`). */
  async execute(code: string, label: string): Promise<ExecuteOutcome> {
    let converted: ConvertResult;
    try {
      converted = this.compiler.convert(this.prevDecl, code, this.interruptPending);
    } catch (e) {
      if (!(e instanceof CompileInterrupted || e instanceof CompilerCrash)) throw e;
      this.compiler.warm(this.prevDecl);
      if (e instanceof CompilerCrash) return { status: "error", ename: e.name, evalue: e.message, traceback: [`${e.name}: ${e.message}`] };
      this.checkEpoch();
      return { status: "error", ...this.tracebacks.errorContent(new KeyboardInterrupt(), false) };
    }
    this.cellModules.update(converted.sideOutputs ?? []);
    if (converted.diagnostics.length > 0) return { status: "error", ...compileError(converted.diagnostics, code, label) };
    if (!converted.output) {
      this.prevDecl = converted.declOutput ?? "";
      return { status: "ok", hasValue: false };
    }
    const id = ++this.nextId;
    this.tracebacks.record(id, label, code, converted.lineMap ?? []);
    const ctx: CellContext = { id, interrupted: false };
    let aborted: Promise<never> | undefined;
    if (converted.hasToplevelAwait) {
      aborted = new Promise<never>((_, reject) => (ctx.abort = reject));
      aborted.catch(() => undefined);
    }
    this.current = ctx;
    try {
      const wrapped =
        (converted.hasToplevelAwait ? "(async function(exports, require) { " : "(function(exports, require) { ") +
        converted.output +
        "\n})(__chainlab_cell__.exports, __chainlab_cell__.require)";
      let result: unknown;
      try {
        const shared = this.options.shared;
        if (shared) Atomics.store(shared, slot.inVm, 1);
        try {
          result = this.als.run(ctx, () => vm.runInThisContext(wrapped, { filename: `cell:${id}`, breakOnSigint: true }));
        } finally {
          if (shared) Atomics.store(shared, slot.inVm, 0);
          this.intrinsics.restore();
        }
        try {
          if (aborted) await Promise.race([result, aborted]);
        } finally {
          this.intrinsics.restore();
        }
      } catch (e) {
        // What the cell declared before it failed stays usable, as in Python: a training
        // cell that was interrupted still leaves its `losses` for the next cell to plot.
        this.prevDecl = converted.declOutput ?? this.prevDecl;
        if (isSigintBreak(e)) this.consumeSelfSignal();
        if (ctx.interrupted || isSigintBreak(e)) {
          if (!ctx.interrupted) {
            ctx.interrupted = true;
            this.interruptedCount++;
          }
          return { status: "error", ...this.tracebacks.errorContent(new KeyboardInterrupt(), false) };
        }
        return { status: "error", ...this.tracebacks.errorContent(e) };
      }
      this.prevDecl = converted.declOutput ?? "";
      const name = converted.lastExpressionVar;
      if (name && name in this.locals) {
        const value = this.locals[name];
        delete this.locals[name];
        if (value !== undefined) return { status: "ok", hasValue: true, value };
      }
      return { status: "ok", hasValue: false };
    } finally {
      this.current = undefined;
    }
  }

  /** Jupyter error content for anything thrown, with cell lines in its traceback. */
  errorContent(e: unknown): ErrorContent { return this.tracebacks.errorContent(e); }

  complete(code: string, cursor: number): { start: number; end: number; candidates: string[] } {
    return this.ask("complete", (c) => c.complete(this.prevDecl, code, cursor)) ?? { start: cursor, end: cursor, candidates: [] };
  }

  /** The signature and doc comment of what is under the cursor, as a MIME bundle. */
  inspect(code: string, cursor: number): MimeBundle | undefined {
    const info = this.ask("inspect", (c) => c.inspect<QuickInfo>(this.prevDecl, code, cursor));
    return info ? inspectBundle(info) : undefined;
  }

  close(): void { this.compiler.close(); }
}

const isSigintBreak = (e: unknown): boolean => e instanceof Error && /Script execution (was )?interrupted/.test(e.message);
