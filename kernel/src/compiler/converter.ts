// The TypeScript side of a cell, on the compiler thread only (thread.ts): tslab's
// incremental converter, loaded with a TypeScript module whose compiler host is adjusted
// for this kernel. Three adjustments:
//  - source maps through both of tslab's emit stages, so errors report cell lines
//    (line-maps.ts);
//  - a transform that turns every `await` and every loop iteration of cell code into an
//    interruption checkpoint (checkpoints.ts);
//  - a module path for `chainlab`, so the library resolves from any notebook directory.
// Nothing is loaded on import: TypeScript comes in with the first converter.
import Module, { createRequire } from "node:module";
import { readFileSync, realpathSync } from "node:fs";
import { dirname } from "node:path";
import type * as TS from "typescript";
import type { Completion, ConvertResult } from "../shared/compiler-link";
import { checkpointTransformer } from "./checkpoints";
import { mappedTranspile } from "./line-maps";
import { tslabRequire, typescript, type Ts } from "./typescript";

export interface Converter {
  convert(prevDecl: string, src: string): ConvertResult;
  inspect(prevDecl: string, src: string, position: number): TS.QuickInfo | undefined;
  complete(prevDecl: string, src: string, position: number): Completion;
  close(): void;
}

/**
 * A file system view that does not watch files outside the notebook's directory: the
 * library and type packages are loaded once per kernel process (like the modules themselves),
 * and a rebuild of them on disk must not fire the compiler's rebuild timer between cells.
 */
function quietSys(ts: Ts, cwd: string, excluded: string[]): TS.System {
  // Only the user's own modules next to the notebook are watched. Directory watches feed
  // the compiler's second (failed lookup) timer, which tslab's converter cannot take.
  const inside = (p: string) => p.startsWith(cwd + "/") && !p.includes("/node_modules/") && !excluded.some((d) => p.startsWith(d + "/"));
  const idle = { close: () => undefined };
  const real = ts.sys;
  return Object.create(real, {
    watchFile: { writable: true, configurable: true, value: (p: string, ...rest: unknown[]) => (inside(p) ? (real.watchFile as (...a: unknown[]) => TS.FileWatcher)(p, ...rest) : idle) },
    watchDirectory: { writable: true, configurable: true, value: () => idle },
  });
}

function adjustedTs(modulePaths: Record<string, string[]>): Ts {
  const ts = typescript();
  const wrapped: Record<string, unknown> = { __esModule: true };
  const excluded = Object.values(modulePaths).flat().map((p) => p.replace(/\/\*$/, ""));
  const sys = quietSys(ts, process.cwd(), excluded.flatMap((p) => { try { return [p, realpathSync(p)]; } catch { return [p]; } }));
  for (const key of Object.keys(ts)) {
    Object.defineProperty(wrapped, key, { enumerable: true, configurable: true, get: () => (ts as unknown as Record<string, unknown>)[key] });
  }
  const createWatchCompilerHost = (rootFiles: string[], options: TS.CompilerOptions, ...rest: unknown[]) => {
    const adjusted: TS.CompilerOptions = {
      ...options,
      inlineSourceMap: true,
      paths: { ...modulePaths, ...(options.paths ?? {}) },
      // Only Node's globals: type packages that other tools hoisted into node_modules/@types
      // (test runners, emscripten...) would slow start-up and clutter completion.
      types: ["node"],
    };
    const host = (ts.createWatchCompilerHost as (...a: unknown[]) => TS.WatchCompilerHostOfFilesAndCompilerOptions<TS.EmitAndSemanticDiagnosticsBuilderProgram>)(
      rootFiles,
      adjusted,
      ...rest,
    );
    let after: ((b: TS.EmitAndSemanticDiagnosticsBuilderProgram) => void) | undefined;
    Object.defineProperty(host, "afterProgramCreate", {
      configurable: true,
      get: () => after,
      set: (fn: (b: TS.EmitAndSemanticDiagnosticsBuilderProgram) => void) => {
        after = (builder) => {
          const emit = builder.emit.bind(builder);
          const checker = builder.getProgram().getTypeChecker();
          builder.emit = (file, write, cancel, onlyDts, transformers) =>
            emit(file, write, cancel, onlyDts, {
              ...(transformers ?? {}),
              before: [(c) => checkpointTransformer(ts, checker, c), ...(transformers?.before ?? [])],
            });
          fn(builder);
        };
      },
    });
    return host;
  };
  const transpileModule = mappedTranspile(ts);
  Object.defineProperty(wrapped, "sys", { value: sys, enumerable: true });
  Object.defineProperty(wrapped, "createWatchCompilerHost", { value: createWatchCompilerHost, enumerable: true });
  Object.defineProperty(wrapped, "transpileModule", { value: transpileModule, enumerable: true });
  return wrapped as unknown as Ts;
}

/** tslab's converter module, loaded once more with the adjusted TypeScript module. */
function loadConverterModule(modulePaths: Record<string, string[]>): {
  createConverter(o: { isJS: boolean; isBrowser: boolean }): Converter;
  isCompleteCode(src: string): { completed: boolean; indent?: string };
} {
  const file = tslabRequire().resolve("tslab/dist/converter.js");
  const mod = new Module(file, module) as Module & { _compile(src: string, file: string): void; paths: string[] };
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(dirname(file));
  const plain = createRequire(file);
  const patched = adjustedTs(modulePaths);
  mod.require = ((id: string) => (id === "@tslab/typescript-for-tslab" ? patched : plain(id))) as NodeJS.Require;
  mod._compile(readFileSync(file, "utf8"), file);
  return mod.exports as never;
}

export function createConverter(modulePaths: Record<string, string[]>): {
  converter: Converter;
  isCompleteCode(src: string): { completed: boolean; indent?: string };
} {
  const m = loadConverterModule(modulePaths);
  return { converter: m.createConverter({ isJS: false, isBrowser: false }), isCompleteCode: m.isCompleteCode };
}
