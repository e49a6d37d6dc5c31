// Picks the compute backend once, at load time: CHAINLAB_BACKEND=js|wasm|blas forces one;
// otherwise the fastest that loads on this machine (native BLAS, then WebAssembly, then
// the TypeScript reference). In a browser the page hands over the WebAssembly module's bytes
// first (`useWasmHost(webWasmHost(...))`), and WebAssembly is then the backend.
import { loadBlas, nativeSkipped } from "./blas";
import { describeBackend, fallbackNotice, type BackendInfo } from "./describe";
import { JsBackend } from "./js";
import { loadWasm, setWasmHost, wasmHostGiven, type WasmHost } from "./wasm";
import { envVar } from "./wasm-runtime";
import type { Backend } from "./types";

export type BackendName = Backend["name"];

type Loader = () => Backend | null;

const loaders: Record<BackendName, Loader> = {
  blas: loadBlas,
  wasm: loadWasm,
  js: () => new JsBackend(),
};

function tryLoad(name: BackendName): Backend | null {
  try {
    return loaders[name]();
  } catch {
    return null;
  }
}

function pick(): Backend {
  const forced = envVar("CHAINLAB_BACKEND");
  if (forced) {
    if (!(forced in loaders)) {
      throw new Error(`CHAINLAB_BACKEND=${forced} is not a backend: choose js, wasm or blas`);
    }
    const b = tryLoad(forced as BackendName);
    if (!b) throw new Error(`CHAINLAB_BACKEND=${forced}: that backend did not load on this machine`);
    return b;
  }
  // a host that gave the module's bytes (a browser) has no native addon to miss
  if (wasmHostGiven()) {
    const w = tryLoad("wasm");
    if (!w) console.warn("chainlab: running on plain TypeScript kernels: the WebAssembly module did not load here");
    return w ?? new JsBackend();
  }
  const b = tryLoad("blas") ?? tryLoad("wasm") ?? new JsBackend();
  const info = describeBackend(b, false);
  // an addon skipped for this CPU has said so already, in its own line
  if (info.fallback && !nativeSkipped) console.warn(fallbackNotice(info));
  return b;
}

let active: Backend | null = null;

/** The kernels every op runs on. */
export function kernels(): Backend {
  return (active ??= pick());
}

/** Which backend is active: "blas", "wasm" or "js". */
export function backend(): BackendName {
  return kernels().name;
}

/**
 * Which backend runs, which GEMM it multiplies matrices with, on how many threads, and why
 * the native backend is not the one running (null when it is, or when another was asked for).
 * @example backendInfo() // { name: "blas", gemm: "chainlab-avx512", threads: 2, addon: "built", fallback: null }
 */
export function backendInfo(): BackendInfo {
  return describeBackend(kernels(), Boolean(envVar("CHAINLAB_BACKEND")) || chosen || wasmHostGiven());
}

let chosen = false;

/** Switch backends at run time (tests and benchmarks compare them in one process). */
export function setBackend(name: BackendName): void {
  const b = tryLoad(name);
  if (!b) throw new Error(`setBackend("${name}"): that backend did not load on this machine`);
  active = b;
  chosen = true;
}

/**
 * Load the WebAssembly backend from `host` (in a browser: `webWasmHost` with the bytes the
 * page fetched) instead of Node's files, and run ops on it from the next op on.
 * @example useWasmHost(webWasmHost({ plain: bytes })); backend() // "wasm"
 */
export function useWasmHost(host: WasmHost): void {
  setWasmHost(host);
  active = null;
}

export { webWasmHost, webThreads } from "./wasm-web";
export type { WasmHost } from "./wasm";
export type { WebWasmOptions } from "./wasm-web";
export type { Backend } from "./types";
export type { BackendInfo } from "./describe";
