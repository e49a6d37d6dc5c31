// The WebAssembly backend's host in a browser (a Web Worker): the module's bytes come from
// the page (it fetched them from its own site), and the extra GEMM threads are Web Workers
// started from a blob, which only a cross-origin isolated page can give shared memory.
import type { WasmHost } from "./wasm";
import { workerSource } from "./wasm-protocol";
import { WebAssembly, type SpawnThread } from "./wasm-runtime";

// The compiler settings declare no DOM; these are the parts of it used here.
interface WebWorker {
  postMessage(data: unknown): void;
  terminate(): void;
  onerror: (() => void) | null;
}
interface WebGlobals {
  Worker?: new (url: string) => WebWorker;
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string };
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
}

export interface WebWasmOptions {
  /** The plain SIMD build (chainlab.wasm). */
  plain?: Uint8Array | null;
  /** The relaxed-SIMD build (chainlab-relaxed.wasm), taken first where the engine has it. */
  relaxed?: Uint8Array | null;
  /**
   * Threads for GEMM, the caller's included. Default: 2 (at most the cores) where the page is
   * cross-origin isolated, else 1.
   */
  threads?: number;
}

/** How many threads a page allows: shared memory needs cross-origin isolation. */
export function webThreads(): number {
  const g = globalThis as WebGlobals;
  if (!g.crossOriginIsolated || !g.Worker || !g.Blob || !g.URL) return 1;
  return Math.max(1, Math.min(2, g.navigator?.hardwareConcurrency ?? 1));
}

let workerUrl: string | undefined;

const spawn: SpawnThread = (data, onError) => {
  const g = globalThis as WebGlobals;
  if (!g.Worker || !g.Blob || !g.URL) throw new Error("no Web Workers here");
  workerUrl ??= g.URL.createObjectURL(new g.Blob([workerSource("web")], { type: "text/javascript" }));
  const w = new g.Worker(workerUrl);
  w.onerror = onError;
  w.postMessage(data);
  return w;
};

/**
 * A host for `setWasmHost` from bytes the page fetched.
 * @example setWasmHost(webWasmHost({ plain: new Uint8Array(await (await fetch("chainlab.wasm")).arrayBuffer()) }))
 */
export function webWasmHost(options: WebWasmOptions): WasmHost {
  return {
    bytes: (relaxed) => (relaxed ? options.relaxed : options.plain) ?? null,
    // a worker may compile synchronously (only a page's main thread is limited to small modules)
    compile: (bytes) => new WebAssembly.Module(bytes),
    threads: () => options.threads ?? webThreads(),
    spawn,
  };
}
