// Entry point of the compiler thread (its client is main/compiler-client.ts): TypeScript
// and tslab's converter live here, in an isolate of their own, so that the heap a training
// step's full GCs walk in the main thread does not hold the compiler. Requests come in on
// a port; each reply is posted back and announced on a shared counter the main thread
// waits on.
import { parentPort, workerData } from "node:worker_threads";
import { createConverter, type Converter } from "./converter";
import type { CompilerData, CompilerEvent, CompilerReply, CompilerRequest, ConvertResult, PreludeNames } from "../shared/compiler-link";
import { declaredExports } from "./declarations";
import { takeLineMap } from "./line-maps";
import { log } from "../shared/log";
import { declaredPreludeNames, preludeCode } from "../shared/prelude";
import { saveTypeScriptCache } from "./typescript";

const data = workerData as CompilerData;
const wake = new Int32Array(data.wake);
const post = (e: CompilerEvent) => parentPort!.postMessage(e);

function answer(reply: CompilerReply): void {
  data.port.postMessage(reply);
  Atomics.add(wake, 0, 1);
  Atomics.notify(wake, 0);
}

// Anything the compiler prints is the kernel's diagnostics, never a cell's output.
for (const stream of [process.stdout, process.stderr]) {
  stream.write = ((chunk: string | Uint8Array) => {
    log(`compiler: ${String(chunk).trimEnd()}`);
    return true;
  }) as typeof stream.write;
}
process.on("uncaughtException", (e) => {
  answer({ id: 0, fatal: `${(e as Error).stack ?? e}` });
  process.exit(1);
});

let made: ReturnType<typeof createConverter> | undefined;
const fresh = () => (made = createConverter(data.modulePaths));

/**
 * Runs a converter call; if the converter's incremental state broke (it throws on a
 * rebuild it did not expect), builds a fresh one and tries once more.
 */
function withConverter<T>(fn: (c: Converter) => T): T {
  const m = made ?? fresh();
  try {
    return fn(m.converter);
  } catch (e) {
    if (!(e instanceof Error) || !/rebuildTimer|clearing unexpected/.test(e.message)) throw e;
    try {
      m.converter.close();
    } catch {
      // The broken one may fail to close; it is dropped anyway.
    }
    return fn(fresh().converter);
  }
}

function convert(prevDecl: string, src: string): ConvertResult {
  const out = withConverter((c) => c.convert(prevDecl, src));
  const lineMap = out.output ? takeLineMap(out.output) : (takeLineMap(""), undefined);
  return { ...out, lineMap };
}

/** The prelude converted before anyone asks: the main thread meanwhile loads the library. */
let early: { src: string; result: ConvertResult } | undefined;

function serve(req: CompilerRequest): unknown {
  switch (req.method) {
    case "convert": {
      const [prevDecl, src] = req.args;
      const hit = early && prevDecl === "" && early.src === src ? early.result : undefined;
      early = undefined;
      return hit ?? convert(prevDecl, src);
    }
    case "inspect":
      return withConverter((c) => c.inspect(...req.args));
    case "complete":
      return withConverter((c) => c.complete(...req.args));
    case "isCompleteCode":
      return (made ?? fresh()).isCompleteCode(req.args[0]);
  }
}

function start(): void {
  fresh();
  let names: PreludeNames | undefined;
  if (data.libDir) {
    try {
      names = declaredPreludeNames(data.libDir, (file) => declaredExports(file));
      const src = preludeCode(data.libDir, names, undefined);
      if (src) early = { src, result: convert("", src) };
    } catch (e) {
      log(`reading chainlab's declarations failed: ${(e as Error).stack ?? e}`);
    }
  }
  post({ type: "prelude", names });
  // Later, not on the way to the first cell.
  setTimeout(saveTypeScriptCache, 3000).unref();
}

start();
data.port.on("message", (req: CompilerRequest | null) => {
  // Empty messages are the main thread checking that this thread is still there.
  if (!req) return;
  let reply: CompilerReply;
  try {
    reply = { id: req.id, value: serve(req) };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { id: req.id, error: { name: err.name, message: err.message, stack: err.stack } };
  }
  answer(reply);
});
