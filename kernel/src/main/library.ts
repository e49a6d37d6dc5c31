// Where chainlab is installed next to the kernel, the compiler thread that knows its types,
// and the prelude that brings its names into every notebook.
import path from "node:path";
import { CompilerClient } from "./compiler-client";
import type { CellRunner } from "./cell-runner";
import { log } from "../shared/log";
import { preludeCode } from "../shared/prelude";

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

/**
 * Starts the compiler thread. The sooner the better: it loads TypeScript and converts the
 * prelude while the main thread loads the library and binds the sockets.
 */
export function startCompiler(prelude = true): CompilerClient {
  return new CompilerClient({ modules: kernelModules(), libDir: prelude ? libraryDir() : undefined });
}

/**
 * Runs the prelude cell; a library that fails to load leaves a working bare kernel. The
 * library loads here while the compiler thread converts the prelude from its declarations.
 */
export async function runPrelude(runner: CellRunner, compiler: CompilerClient): Promise<void> {
  const lib = libraryDir();
  if (!lib) {
    log("chainlab is not installed next to the kernel; starting without it");
    return;
  }
  let runtime: Record<string, unknown> | undefined;
  try {
    runtime = require(lib);
  } catch (e) {
    log(`chainlab did not load: ${(e as Error).stack ?? e}`);
  }
  const names = await compiler.preludeNames;
  if (!names) {
    log("the compiler thread did not read chainlab's declarations; starting without the prelude");
    return;
  }
  const code = preludeCode(lib, names, runtime);
  if (!code) return;
  const result = await runner.execute(code, "<prelude>");
  if (result.status === "error") log(`preloading chainlab failed: ${result.evalue}\n${result.traceback.join("\n")}`);
}
