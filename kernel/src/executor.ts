// Runs cells: converts them with tslab's converter, evaluates them in this context, keeps
// their declarations for later cells, turns failures into Jupyter error content, and
// stops interrupted cells together with everything they started.
import { AsyncLocalStorage } from "node:async_hooks";
import Module, { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";
import { awaitHook, createConverter, printQuickInfo, takeLineMap, tickHook, type Converter, type Diagnostic } from "./compile";
import { slot } from "./thread-link";

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

export type ExecuteOutcome =
  | { status: "ok"; hasValue: boolean; value?: unknown }
  | ({ status: "error" } & ErrorContent);

/** What a running cell owns: async continuations and timers it started carry it along. */
export interface CellContext {
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

interface CellRecord {
  label: string;
  lines: string[];
  lineMap: number[];
}

const red = (s: string) => `\x1b[31m${s}\x1b[0m`;
const green = (s: string) => `\x1b[32m${s}\x1b[0m`;
const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;

export interface ExecutorOptions {
  cwd: string;
  /** Modules cells import by a bare name, resolved from the kernel (e.g. chainlab). */
  modules: Record<string, { dir: string; types: string }>;
  /** The slots shared with the channels thread (thread-link.ts), for interrupts. */
  shared?: Int32Array;
}

export class Executor {
  readonly als = new AsyncLocalStorage<CellContext>();
  private converter: Converter;
  private readonly modulePaths: Record<string, string[]>;
  readonly isCompleteCode: (src: string) => { completed: boolean; indent?: string };
  private prevDecl = "";
  private readonly locals: Record<string, unknown> = {};
  private readonly cells = new Map<number, CellRecord>();
  private nextId = 0;
  private current: CellContext | undefined;
  private interruptedCount = 0;
  private seenEpoch = 0;
  private consumedSelfSignals = 0;
  private readonly sideOutputs = new Map<string, string>();
  private readonly sideModules = new Map<string, Module>();

  constructor(private readonly options: ExecutorOptions) {
    const paths: Record<string, string[]> = {};
    for (const [name, m] of Object.entries(options.modules)) {
      paths[name] = [m.types];
      paths[`${name}/*`] = [`${m.dir}/*`];
    }
    this.modulePaths = paths;
    const made = createConverter(paths);
    this.converter = made.converter;
    this.isCompleteCode = made.isCompleteCode;
    this.installHooks();
  }

  /** The context of the cell whose code is running now (also in its callbacks). */
  currentContext(): CellContext | undefined {
    return this.als.getStore();
  }

  get running(): boolean {
    return this.current !== undefined;
  }

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
    g.__chainlab_cell__ = { exports: exportsProxy, require: this.makeRequire(this.options.cwd) };
    g[awaitHook] = (value: unknown) => {
      const ctx = this.als.getStore();
      if (!ctx) return value;
      this.checkEpoch();
      if (ctx.interrupted) throw new KeyboardInterrupt();
      return Promise.resolve(value).then((v) => {
        if (ctx.interrupted) throw new KeyboardInterrupt();
        return v;
      });
    };
    g[tickHook] = () => {
      const shared = this.options.shared;
      if (shared && shared[slot.epoch] !== this.seenEpoch) this.checkEpoch();
      if (this.interruptedCount > 0 && this.als.getStore()?.interrupted) throw new KeyboardInterrupt();
    };
    this.wrapTimers();
  }

  /** Timers started by a cell die with it once it is interrupted. */
  private wrapTimers(): void {
    const als = this.als;
    const g = globalThis as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const [name, clear] of [
      ["setTimeout", "clearTimeout"],
      ["setInterval", "clearInterval"],
      ["setImmediate", "clearImmediate"],
    ] as const) {
      const original = g[name];
      const clearer = g[clear];
      const replacement = function (this: unknown, fn: unknown, ...rest: unknown[]) {
        const ctx = als.getStore();
        if (!ctx || typeof fn !== "function") return original.call(this, fn, ...rest);
        let handle: unknown;
        const guarded = function (this: unknown, ...args: unknown[]) {
          if (ctx.interrupted) {
            clearer(handle);
            return;
          }
          return (fn as (...a: unknown[]) => unknown).apply(this, args);
        };
        handle = original.call(this, guarded, ...rest);
        return handle;
      };
      Object.assign(replacement, original);
      g[name] = replacement;
    }
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

  private makeRequire(dir: string): NodeJS.Require {
    const plain = createRequire(path.join(dir, "__cell__.js"));
    const kernelRequire = require;
    const modules = this.options.modules;
    const fromSide = (id: string): unknown => {
      if (!id.startsWith(".")) return undefined;
      let file = path.resolve(dir, id);
      if (!path.extname(file)) file += ".js";
      const cached = this.sideModules.get(file);
      if (cached) return cached.exports;
      const src = this.sideOutputs.get(file);
      if (src === undefined) return undefined;
      const mod = new Module(file, module) as Module & { _compile(s: string, f: string): void; paths: string[] };
      mod.filename = file;
      mod.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(path.dirname(file));
      mod.require = this.makeRequire(path.dirname(file));
      mod._compile(src, file);
      this.sideModules.set(file, mod);
      return mod.exports;
    };
    const req = ((id: string) => {
      if (id === "tslab") return kernelRequire("tslab");
      const bare = Object.keys(modules).find((name) => id === name || id.startsWith(name + "/"));
      if (bare) return kernelRequire(modules[bare].dir + id.slice(bare.length));
      const side = fromSide(id);
      if (side !== undefined) return side;
      return plain(id);
    }) as NodeJS.Require;
    return Object.assign(req, { resolve: plain.resolve, cache: plain.cache, main: plain.main, extensions: plain.extensions });
  }

  /**
   * Runs one cell. `label` names it in tracebacks (`In[3]`). The prelude runs through here
   * too, with `record` false so it never shows up in tracebacks.
   */
  /**
   * Runs a converter call; if the converter's incremental state broke (it throws on a
   * rebuild it did not expect), builds a fresh one and tries once more.
   */
  private withConverter<T>(fn: (c: Converter) => T): T {
    try {
      return fn(this.converter);
    } catch (e) {
      if (!(e instanceof Error) || !/rebuildTimer|clearing unexpected/.test(e.message)) throw e;
      try {
        this.converter.close();
      } catch {
        // The broken one may fail to close; it is dropped anyway.
      }
      this.converter = createConverter(this.modulePaths).converter;
      return fn(this.converter);
    }
  }

  async execute(code: string, label: string): Promise<ExecuteOutcome> {
    const converted = this.withConverter((c) => c.convert(this.prevDecl, code));
    for (const out of converted.sideOutputs ?? []) {
      this.sideModules.delete(out.path);
      this.sideOutputs.set(out.path, out.data);
    }
    if (converted.diagnostics.length > 0) {
      takeLineMap("");
      return { status: "error", ...this.compileError(converted.diagnostics, code, label) };
    }
    if (!converted.output) {
      this.prevDecl = converted.declOutput ?? "";
      return { status: "ok", hasValue: false };
    }
    const id = ++this.nextId;
    this.cells.set(id, { label, lines: code.split("\n"), lineMap: takeLineMap(converted.output) ?? [] });
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
        }
        if (aborted) await Promise.race([result, aborted]);
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
          return { status: "error", ...this.errorContent(new KeyboardInterrupt(), label, false) };
        }
        return { status: "error", ...this.errorContent(e, label) };
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

  private compileError(diags: Diagnostic[], code: string, label: string): ErrorContent {
    const lines = code.split("\n");
    const traceback: string[] = [];
    for (const d of diags) {
      const where = d.fileName ? `${d.fileName}, line ${d.start.line + 1}` : `Cell ${label}, line ${d.start.line + 1}`;
      const parts = [`${bold(where)}:${d.start.character + 1} - ${red("error")} TS${d.code}: ${d.messageText}`];
      if (!d.fileName && lines[d.start.line] !== undefined) {
        const width = d.start.line === d.end.line ? Math.max(1, d.end.character - d.start.character) : 1;
        parts.push(`${String(d.start.line + 1).padStart(5)} | ${lines[d.start.line]}`);
        parts.push(`      | ${" ".repeat(d.start.character)}${red("~".repeat(width))}`);
      }
      traceback.push(parts.join("\n"));
    }
    const first = diags[0];
    return {
      ename: "CompileError",
      evalue: `line ${first.start.line + 1}: ${first.messageText}` + (diags.length > 1 ? ` (and ${diags.length - 1} more)` : ""),
      traceback,
    };
  }

  /** Maps `cell:<id>:<line>:<col>` locations in a stack to cell lines. */
  private mapLocation(id: number, line: number): { label: string; line: number } | undefined {
    const cell = this.cells.get(id);
    if (!cell) return undefined;
    const mapped = cell.lineMap[line - 1];
    // Lines without a mapping belong to the wrapper around the cell's code.
    if (mapped === undefined || mapped < 0) return cell.lineMap.length ? undefined : { label: cell.label, line };
    return { label: cell.label, line: mapped + 1 };
  }

  /** Jupyter error content with a traceback in cell lines, for any thrown value. */
  errorContent(e: unknown, label: string, withStack = true): ErrorContent {
    const err = e instanceof Error ? e : undefined;
    const ename = err ? err.name || err.constructor?.name || "Error" : typeof e === "object" && e !== null ? (e as object).constructor?.name ?? "Error" : "Error";
    const evalue = err ? err.message : typeof e === "string" ? e : safeString(e);
    const traceback: string[] = [red("-".repeat(75)), `${red(ename.padEnd(42))}Traceback (most recent call last)`];
    const frames: string[] = [];
    let context: string | undefined;
    if (withStack && err?.stack) {
      for (const raw of err.stack.split("\n").slice(1)) {
        const line = raw.trim();
        if (!line.startsWith("at ")) continue;
        if (/\(node:|at node:|\/kernel\/dist\/|__chainlab_cell__/.test(line)) continue;
        const m = /cell:(\d+):(\d+):(\d+)/.exec(line);
        if (m) {
          const loc = this.mapLocation(Number(m[1]), Number(m[2]));
          if (!loc) continue;
          const fn = /^at (?:async )?([^\s(]+) \(/.exec(line)?.[1];
          const name = fn && !/^(exports|Object)\.?$/.test(fn) && !fn.startsWith("exports.") ? fn : undefined;
          frames.push(`Cell ${loc.label}, line ${loc.line}${name ? `, in ${name}` : ""}`);
          if (context === undefined) context = this.codeContext(Number(m[1]), loc.line);
        } else if (!/\bvm\.js|node:vm|runInThisContext/.test(line)) {
          frames.push(line.replace(/^at /, ""));
        }
      }
    }
    if (context) traceback.push(context);
    if (frames.length) traceback.push(frames.map((f) => `  ${f}`).join("\n"));
    traceback.push(`${red(ename)}: ${evalue}`);
    return { ename, evalue, traceback };
  }

  private codeContext(id: number, line: number): string | undefined {
    const cell = this.cells.get(id);
    if (!cell) return undefined;
    const out = [green(`Cell ${cell.label}, line ${line}`)];
    for (let l = Math.max(1, line - 2); l <= Math.min(cell.lines.length, line + 2); l++) {
      const text = `${String(l).padStart(5)} ${cell.lines[l - 1]}`;
      out.push(l === line ? green("---->") + text.slice(5) : text);
    }
    return out.join("\n");
  }

  complete(code: string, cursor: number): { start: number; end: number; candidates: string[] } {
    return this.withConverter((c) => c.complete(this.prevDecl, code, cursor));
  }

  inspect(code: string, cursor: number): string | undefined {
    const info = this.withConverter((c) => c.inspect(this.prevDecl, code, cursor));
    return info ? printQuickInfo(info) : undefined;
  }

  close(): void {
    this.converter.close();
  }
}

function isSigintBreak(e: unknown): boolean {
  return e instanceof Error && /Script execution (was )?interrupted/.test(e.message);
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
