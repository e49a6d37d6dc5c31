// Picks the compute backend once, at load time: CHAINLAB_BACKEND=js|wasm|blas forces one;
// otherwise the fastest that loads on this machine (native BLAS, then WebAssembly, then
// the TypeScript reference).
import { loadBlas } from "./blas";
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
  return tryLoad("blas") ?? tryLoad("wasm") ?? new JsBackend();
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

/** Switch backends at run time (tests and benchmarks compare them in one process). */
export function setBackend(name: BackendName): void {
  const b = tryLoad(name);
  if (!b) throw new Error(`setBackend("${name}"): that backend did not load on this machine`);
  active = b;
}

export type { Backend } from "./types";
