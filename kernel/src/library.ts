// Where chainlab is installed next to the kernel, and the prelude that brings its names
// into every notebook.
import path from "node:path";
import type { Executor } from "./executor";
import { log } from "./log";
import { buildPrelude } from "./prelude";

export function libraryDir(): string | undefined {
  try {
    return path.dirname(require.resolve("chainlab/package.json"));
  } catch {
    return undefined;
  }
}

/** Bare module names cells import from the kernel's installation. */
export function kernelModules(): Record<string, { dir: string; types: string }> {
  const lib = libraryDir();
  return lib ? { chainlab: { dir: lib, types: lib } } : {};
}

/** Runs the prelude cell; a library that fails to load leaves a working bare kernel. */
export async function runPrelude(executor: Executor): Promise<void> {
  const lib = libraryDir();
  if (!lib) {
    log("chainlab is not installed next to the kernel; starting without it");
    return;
  }
  let prelude;
  try {
    prelude = buildPrelude(lib, () => require(lib));
  } catch (e) {
    log(`chainlab did not load: ${(e as Error).stack ?? e}`);
    prelude = buildPrelude(lib, () => undefined);
  }
  if (!prelude.code) return;
  const result = await executor.execute(prelude.code, "<prelude>");
  if (result.status === "error") log(`preloading chainlab failed: ${result.evalue}\n${result.traceback.join("\n")}`);
}
