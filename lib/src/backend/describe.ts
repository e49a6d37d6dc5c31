// Which backend and which GEMM run, as data (`backendInfo()`) and as the one line printed
// when chainlab runs on less than the native backend without being asked to: a user whose
// install skipped the addon (no compiler, install scripts blocked by pnpm or Bun) would
// otherwise get WebAssembly speed without knowing why.
import { addonCandidates, addonPath, BlasBackend, loadedAddon, nativeSkipped } from "./blas";
import type { Backend } from "./types";
import { WasmBackend } from "./wasm";

export interface BackendInfo {
  /** The backend every op runs on. */
  name: Backend["name"];
  /**
   * The GEMM that runs matrix products: `chainlab-avx512`, `chainlab-avx2`, `chainlab-portable`
   * or `openblas` (native), `wasm-relaxed-simd` or `wasm-simd` (WebAssembly), `js` (plain loops).
   */
  gemm: string;
  /** Threads a large GEMM is split over. */
  threads: number;
  /**
   * The native addon running: `built` (compiled at install, for this CPU), `prebuilt` (shipped
   * in the package, for installs whose scripts did not run), or null on another backend.
   */
  addon: "built" | "prebuilt" | null;
  /** Why the native backend is not the one running, or null when it is (or another was asked for). */
  fallback: string | null;
}

/** What `b` is, and, when it is not native, why the native addon is not running. @internal */
export function describeBackend(b: Backend, forced: boolean): BackendInfo {
  if (b instanceof BlasBackend) {
    const info = b.info();
    const addon = loadedAddon === null ? null : loadedAddon === addonPath() ? "built" : "prebuilt";
    return { name: b.name, gemm: info.gemm, threads: info.maxThreads, addon, fallback: null };
  }
  const gemm = b instanceof WasmBackend ? (b.relaxedSimd() ? "wasm-relaxed-simd" : "wasm-simd") : "js";
  const threads = b instanceof WasmBackend ? b.maxThreads() : 1;
  return { name: b.name, gemm, threads, addon: null, fallback: forced ? null : whyNotNative() };
}

function whyNotNative(): string {
  if (nativeSkipped) return nativeSkipped;
  if (addonCandidates().length === 0) {
    return "the native addon is not built (installing found no C++ compiler, or install scripts were not run)" +
      ` and none is prebuilt for ${process.platform}-${process.arch}`;
  }
  return "the native addon did not load";
}

/** The one line said when chainlab falls back from the native backend. @internal */
export function fallbackNotice(info: BackendInfo): string {
  const what = info.name === "wasm" ? `WebAssembly (${info.gemm} GEMM, ${info.threads} thread${info.threads === 1 ? "" : "s"})` : "plain TypeScript kernels";
  return `chainlab: running on ${what}: ${info.fallback}; \`npm rebuild chainlab\` builds the addon, CHAINLAB_BACKEND=${info.name} silences this`;
}
