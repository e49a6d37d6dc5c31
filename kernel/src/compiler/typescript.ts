// The TypeScript that tslab's converter was built against, loaded when the compiler thread
// first needs it (never on import), with a V8 code cache: its 9 MB of JavaScript is
// otherwise compiled afresh by every kernel, on the compiler thread's path to the first
// cell. The cache is kept in the temporary directory, named for TypeScript's and Node's
// versions; V8 checks it against the source and its flags, and a rejected cache is simply
// written anew.
import Module, { createRequire } from "node:module";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import type * as TS from "typescript";

export type Ts = typeof TS;

/** `require` as seen from tslab's package: its converter and its TypeScript. */
export function tslabRequire(): NodeJS.Require {
  return createRequire(require.resolve("tslab/package.json"));
}

let ts: Ts | undefined;

/** tslab's TypeScript module, loaded on the first call. */
export function typescript(): Ts {
  ts ??= loadTypeScript<Ts>(tslabRequire().resolve("@tslab/typescript-for-tslab"));
  return ts;
}

let loaded: { script: vm.Script; file: string; fresh: boolean } | undefined;

function cacheFile(file: string): string {
  const version = (JSON.parse(readFileSync(path.join(path.dirname(file), "..", "package.json"), "utf8")) as { version: string }).version;
  const user = typeof process.getuid === "function" ? process.getuid() : "user";
  return path.join(os.tmpdir(), `chainlab-kernel-${user}`, `typescript-${version}-node-${process.version}.v8cache`);
}

/** Loads the CommonJS module `file` (TypeScript) through the code cache when there is one. */
function loadTypeScript<T>(file: string): T {
  const cache = cacheFile(file);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cache);
  } catch {
    // No cache yet.
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
  const mod = new Module(file, module) as Module & { paths: string[] };
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(path.dirname(file));
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  loaded = { script, file: cache, fresh: !cachedData || script.cachedDataRejected === true };
  return mod.exports as T;
}

/**
 * Writes the code cache if there was none (or V8 rejected it). Called once the compiler
 * has converted a cell, so the functions that took compiling are in it.
 */
export function saveTypeScriptCache(): void {
  if (!loaded?.fresh) return;
  const { script, file } = loaded;
  loaded.fresh = false;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, file);
  } catch {
    // A cache that cannot be written costs start-up time, nothing else.
  }
}
