// Picks the compute backend once, at load time: CHAINLAB_BACKEND=js|wasm|blas forces one;
// otherwise the fastest that loads on this machine (native BLAS, then WebAssembly, then
// the TypeScript reference).
import { loadBlas, nativeSkipped } from "./blas";
import { describeBackend, fallbackNotice, type BackendInfo } from "./describe";
import { JsBackend } from "./js";
import { loadWasm } from "./wasm";
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
  const forced = process.env.CHAINLAB_BACKEND;
  if (forced) {
    if (!(forced in loaders)) {
      throw new Error(`CHAINLAB_BACKEND=${forced} is not a backend: choose js, wasm or blas`);
    }
    const b = tryLoad(forced as BackendName);
    if (!b) throw new Error(`CHAINLAB_BACKEND=${forced}: that backend did not load on this machine`);
    return b;
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
 * @example backendInfo() // { name: "blas", gemm: "chainlab-avx512", threads: 2, fallback: null }
 */
export function backendInfo(): BackendInfo {
  return describeBackend(kernels(), Boolean(process.env.CHAINLAB_BACKEND) || chosen);
}

let chosen = false;

/** Switch backends at run time (tests and benchmarks compare them in one process). */
export function setBackend(name: BackendName): void {
  const b = tryLoad(name);
  if (!b) throw new Error(`setBackend("${name}"): that backend did not load on this machine`);
  active = b;
  chosen = true;
}

export type { Backend } from "./types";
export type { BackendInfo } from "./describe";
