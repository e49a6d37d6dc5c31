// The WebAssembly backend's host in Node: the module's files next to the package, compiled
// optimised up front, and worker_threads for the extra threads.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as v8 from "node:v8";
import { Worker } from "node:worker_threads";
import { envVar, WebAssembly, type SpawnThread, type WasmModule } from "./wasm-runtime";
import type { WasmHost } from "./wasm";
import { workerSource } from "./wasm-protocol";

/**
 * Where the build puts the module: lib/wasm, from lib/src/backend or lib/dist/backend alike.
 * `relaxed` names the build with relaxed SIMD (fused multiply-add).
 */
export function wasmPath(relaxed = false): string {
  return path.join(__dirname, "..", "..", "wasm", relaxed ? "chainlab-relaxed.wasm" : "chainlab.wasm");
}

// V8 compiles each WebAssembly function on its first call with its baseline compiler and
// optimises hot ones later, per thread: a worker's first GEMMs would run at a third of the
// speed, and the optimised code depends on when tier-up happened (once it kept the GEMM
// micro-kernel's accumulators in memory). Compiling this one small module optimised and
// up front, with the flags set only while it compiles (about 3 ms), avoids both. Relaxed
// SIMD is on by default from V8 11.4 (Node 22); Node 20's V8 has it behind a flag.
function compile(bytes: Uint8Array, relaxed: boolean): WasmModule {
  const undo: string[] = [];
  const flag = (on: string, off: string) => {
    try {
      v8.setFlagsFromString(on);
      undo.push(off);
    } catch { /* flags unavailable: V8's defaults */ }
  };
  flag("--no-wasm-dynamic-tiering", "--wasm-dynamic-tiering");
  flag("--no-wasm-lazy-compilation", "--wasm-lazy-compilation");
  try {
    try {
      return new WebAssembly.Module(bytes);
    } catch (e) {
      if (!relaxed) throw e;
    }
    flag("--experimental-wasm-relaxed-simd", "--no-experimental-wasm-relaxed-simd");
    return new WebAssembly.Module(bytes);
  } finally {
    for (const off of undo.reverse()) v8.setFlagsFromString(off);
  }
}

function threadCount(): number {
  const env = Number(envVar("CHAINLAB_THREADS"));
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 16);
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, 8));
}

const spawn: SpawnThread = (data, onError) => {
  const worker = new Worker(workerSource("node"), { eval: true, workerData: data });
  worker.unref();
  worker.on("error", onError);
  return worker;
};

/** Node's host: the built files, V8's flags while compiling, worker_threads. */
export const nodeWasmHost: WasmHost = {
  bytes: (relaxed) => {
    const file = wasmPath(relaxed);
    return fs.existsSync(file) ? fs.readFileSync(file) : null;
  },
  compile,
  threads: threadCount,
  spawn,
};
