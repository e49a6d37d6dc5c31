// The worker that runs a notebook's cells in the tab: the library loaded once on its
// WebAssembly backend, its names in every cell's scope, cells compiled by TypeScript's
// transpiler and run one after another, their outputs sent to the kernel in the page.
import { backendInfo, useWasmHost, webWasmHost } from "../../lib/src/backend/index";
import * as chainlab from "../../lib/src/index";
import { installSink, mimeBundle } from "../../lib/src/notebook/index";
import type { CompiledCell, ExecuteOutcome, FromWorker, ToWorker } from "../src/messages";
import { complete } from "./complete";
import { format } from "./format";
import { installGlobals, processShim, streams } from "./globals";
import { cellRequire, setAssets } from "./modules";
import { persist, restore } from "./shims/fs";
import { StreamBuffer, streamConsole } from "./output";
import { WorkerSink } from "./sink";
import { Tracebacks } from "./traceback";

interface WorkerScope {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  addEventListener(type: string, f: (e: Event & { reason?: unknown; error?: unknown; message?: string }) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

const out = new StreamBuffer((name, text) => post({ type: "output", msgType: "stream", content: { name, text } }));
const sink = new WorkerSink(post, () => out.flush());
const tracebacks = new Tracebacks();

/** What an interrupted cell throws, as in the Node kernel. */
class KeyboardInterrupt extends Error {
  override name = "KeyboardInterrupt";
  constructor() {
    super("execution interrupted");
  }
}

// Interrupts: the page bumps a shared counter (where the page is cross-origin isolated) that
// every loop turn of cell code reads, and sends a message that stops a cell waiting at an
// await. `pending` stays set until the next cell starts, so a loop the interrupted cell left
// running in the background stops at its next turn too.
let interruptFlag: Int32Array | undefined;
let interruptSeen = 0;
let pending = false;
let rejectRunning: ((e: unknown) => void) | undefined;

function interrupted(): boolean {
  if (!pending && interruptFlag && Atomics.load(interruptFlag, 0) !== interruptSeen) pending = true;
  return pending;
}

function tick(): void {
  if (interrupted()) throw new KeyboardInterrupt();
}

function interrupt(): void {
  pending = true;
  rejectRunning?.(new KeyboardInterrupt());
}
const cellExports = {};
const cellModule = { exports: cellExports };

/** Makes `name` an own, writable property of the global object, so a cell's assignment lands there. */
function ensureGlobal(name: string): void {
  const g = globalThis as Record<string, unknown>;
  const d = Object.getOwnPropertyDescriptor(g, name);
  if (d && "value" in d && d.writable) return;
  if (d && !d.configurable) return;
  Object.defineProperty(g, name, { value: d && "value" in d ? d.value : undefined, writable: true, configurable: true, enumerable: true });
}

async function fetchBytes(url: string): Promise<Uint8Array | null> {
  try {
    const r = await fetch(url);
    return r.ok ? new Uint8Array(await r.arrayBuffer()) : null;
  } catch {
    return null;
  }
}

async function init(assets: string, env: Record<string, string>, flag: SharedArrayBuffer | undefined): Promise<void> {
  const t0 = performance.now();
  installGlobals();
  setAssets(assets);
  interruptFlag = flag ? new Int32Array(flag) : undefined;
  (globalThis as { __chainlabTick?: unknown }).__chainlabTick = tick;
  Object.assign(processShim.env, env);
  streams.stdout = (text) => out.write("stdout", text);
  streams.stderr = (text) => out.write("stderr", text);
  (globalThis as { console: Console }).console = streamConsole((name, text) => out.write(name, text));
  (globalThis as { require?: unknown }).require = cellRequire;
  // a default import: the module's `default` where it has one, else the module itself
  (globalThis as { __chainlabDefault?: unknown }).__chainlabDefault = (m: { default?: unknown } | null | undefined) =>
    m && typeof m === "object" && "default" in m ? m.default : m;
  scope.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    out.write("stderr", `Unhandled promise rejection: ${format(e.reason)}\n`);
  });
  scope.addEventListener("error", (e) => {
    e.preventDefault();
    out.write("stderr", `Uncaught ${e.error !== undefined ? format(e.error) : e.message}\n`);
  });
  // the relaxed-SIMD build where this engine validates it, else the plain one
  const relaxed = await fetchBytes(`${assets}chainlab-relaxed.wasm`);
  const relaxedOk = relaxed !== null && WebAssembly.validate(relaxed as Uint8Array<ArrayBuffer>);
  const plain = relaxedOk ? null : await fetchBytes(`${assets}chainlab.wasm`);
  useWasmHost(webWasmHost({ relaxed: relaxedOk ? relaxed : null, plain }));
  // the files earlier kernels of this site wrote (a checkpoint, a safetensors file)
  await restore();
  const info = backendInfo();
  installSink(sink);
  // every notebook starts with the library's names in scope, as in the Node kernel
  for (const [name, value] of Object.entries(chainlab)) {
    ensureGlobal(name);
    (globalThis as Record<string, unknown>)[name] = value;
  }
  post({ type: "ready", backend: info.name, threads: info.threads, ms: performance.now() - t0 });
}

/** Runs a cell the compiler worker transpiled (`cell`; `code` is its source, for tracebacks). */
async function execute(code: string, count: number, cell: CompiledCell): Promise<ExecuteOutcome> {
  const { js, names, lineMap } = cell;
  tracebacks.record(count, { lines: code.split("\n"), lineMap });
  pending = false;
  if (interruptFlag) interruptSeen = Atomics.load(interruptFlag, 0);
  try {
    for (const n of names) ensureGlobal(n);
    const run = (0, eval)(js) as (e: object, r: typeof cellRequire, m: object) => Promise<unknown[] | undefined>;
    const stopped = new Promise<never>((_, reject) => { rejectRunning = reject; });
    const returned = await Promise.race([run(cellExports, cellRequire, cellModule), stopped]);
    const value = returned?.[0];
    if (value === undefined) return { status: "ok" };
    return { status: "ok", result: { data: mimeBundle(value), metadata: {} } };
  } catch (e) {
    return { status: "error", ...tracebacks.errorContent(e) };
  } finally {
    rejectRunning = undefined;
  }
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case "init":
      try {
        await init(msg.assets, msg.env, msg.interrupt);
      } catch (e) {
        post({ type: "failed", error: `the library did not load in the worker: ${e instanceof Error ? e.stack ?? e.message : String(e)}` });
      }
      break;
    case "execute": {
      const outcome = await execute(msg.code, msg.count, msg.cell);
      sink.endCell(outcome.status === "ok" ? { status: "ok" }
        : outcome.ename === "KeyboardInterrupt" ? { status: "interrupted" }
        : { status: "error", ename: outcome.ename, evalue: outcome.evalue });
      out.flush();
      post({ type: "reply", id: msg.id, content: outcome });
      void persist();
      break;
    }
    case "complete":
      post({ type: "reply", id: msg.id, content: complete(msg.code, msg.cursor) });
      break;
    case "comm_info":
      post({ type: "reply", id: msg.id, content: { comms: sink.commInfo(msg.target) } });
      break;
    case "comm":
      try {
        sink.fromFrontend(msg.msgType, msg.content, msg.metadata ?? {}, msg.buffers ?? []);
      } catch (e) {
        out.write("stderr", `a comm handler failed: ${format(e)}\n`);
      }
      break;
    case "interrupt":
      interrupt();
      break;
    case "input_reply":
      sink.inputReply(msg.value);
      break;
  }
}

scope.onmessage = (e) => void handle(e.data);
