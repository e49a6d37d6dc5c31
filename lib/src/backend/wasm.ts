import type { Backend } from "./types";
/** The WebAssembly SIMD backend, or null where it was not built. */
export function loadWasm(): Backend | null {
  return null;
}
