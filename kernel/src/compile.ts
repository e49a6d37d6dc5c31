// The TypeScript side of a cell, loaded in the compiler thread only (compiler-thread.ts):
// tslab's incremental converter, loaded with a TypeScript module whose compiler host is
// adjusted for this kernel. Three adjustments:
//  - source maps through both of tslab's emit stages, so errors report cell lines;
//  - a transform that turns every `await` and every loop iteration of cell code into an
//    interruption checkpoint (an interrupted cell stops at its next checkpoint, even when
//    it runs in the background after its promise was abandoned);
//  - a module path for `chainlab`, so the library resolves from any notebook directory.
import Module, { createRequire } from "node:module";
import { readFileSync, realpathSync } from "node:fs";
import { dirname } from "node:path";
import type * as TS from "typescript";
import { awaitHook, tickHook, type Completion, type ConvertResult } from "./compiler-link";
import { loadTypeScript } from "./ts-cache";

type Ts = typeof TS;
const tslabRequire = createRequire(require.resolve("tslab/package.json"));
export const ts: Ts = loadTypeScript(tslabRequire.resolve("@tslab/typescript-for-tslab"));

export interface Converter {
  convert(prevDecl: string, src: string): ConvertResult;
  inspect(prevDecl: string, src: string, position: number): TS.QuickInfo | undefined;
  complete(prevDecl: string, src: string, position: number): Completion;
  close(): void;
}

// ---- source maps -------------------------------------------------------------------

const base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const base64Index = new Map([...base64].map((c, i) => [c, i]));

/** For each generated line, the source line (0-based) of its first mapping, or -1. */
function decodeLineMap(mappings: string): number[] {
  const lines: number[] = [];
  let srcLine = 0;
  for (const line of mappings.split(";")) {
    let first = -1;
    for (const seg of line.split(",")) {
      if (!seg) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = base64Index.get(ch) ?? 0;
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      if (fields.length >= 4) {
        srcLine += fields[2];
        if (first < 0) first = srcLine;
      }
    }
    lines.push(first);
  }
  return lines;
}

function lookup(lines: number[], line: number): number {
  for (let l = Math.min(line, lines.length - 1); l >= 0; l--) if (lines[l] >= 0) return lines[l];
  return -1;
}

const inlineMapPattern = /\n?\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

/** Line maps (generated JS line → 0-based cell line) of recently converted outputs. */
const lineMaps = new Map<string, number[]>();

/** Takes the line map of a converted output (once). */
export function takeLineMap(output: string): number[] | undefined {
  const map = lineMaps.get(output);
  lineMaps.clear();
  return map;
}

// ---- checkpoints -----------------------------------------------------------------

/**
 * Earlier cells' variables live on `exports`, and tslab rewrites references to them — but
 * not the shorthand `{ foo }`, whose name resolves to the new property. Spell those out as
 * `{ foo: exports.foo }`.
 */
function expandShorthand(checker: TS.TypeChecker, f: TS.NodeFactory, n: TS.Node): TS.Node | undefined {
  if (!ts.isShorthandPropertyAssignment(n) || n.objectAssignmentInitializer) return undefined;
  const decls = checker.getShorthandAssignmentValueSymbol(n)?.declarations ?? [];
  if (!decls.some((d) => d.getSourceFile().fileName.endsWith("/__prev__.d.ts"))) return undefined;
  const name = n.name.text;
  return f.createPropertyAssignment(name, f.createPropertyAccessExpression(f.createIdentifier("exports"), name));
}

function checkpointTransformer(checker: TS.TypeChecker, context: TS.TransformationContext): TS.Transformer<TS.SourceFile> {
  const f = context.factory;
  const tick = () => f.createExpressionStatement(f.createCallExpression(f.createIdentifier(tickHook), undefined, []));
  const withTick = (body: TS.Statement): TS.Statement =>
    ts.isBlock(body) ? f.updateBlock(body, [tick(), ...body.statements]) : f.createBlock([tick(), body], true);
  const visit = (node: TS.Node): TS.Node => {
    const expanded = expandShorthand(checker, f, node);
    if (expanded) return expanded;
    const n = ts.visitEachChild(node, visit, context);
    if (ts.isAwaitExpression(n)) {
      return f.updateAwaitExpression(n, f.createCallExpression(f.createIdentifier(awaitHook), undefined, [n.expression]));
    }
    if (ts.isForStatement(n)) return f.updateForStatement(n, n.initializer, n.condition, n.incrementor, withTick(n.statement));
    if (ts.isForOfStatement(n)) return f.updateForOfStatement(n, n.awaitModifier, n.initializer, n.expression, withTick(n.statement));
    if (ts.isForInStatement(n)) return f.updateForInStatement(n, n.initializer, n.expression, withTick(n.statement));
    if (ts.isWhileStatement(n)) return f.updateWhileStatement(n, n.expression, withTick(n.statement));
    if (ts.isDoStatement(n)) return f.updateDoStatement(n, withTick(n.statement), n.expression);
    return n;
  };
  return (sf) => (sf.isDeclarationFile || sf.fileName.includes("/node_modules/") ? sf : (ts.visitNode(sf, visit) as TS.SourceFile));
}

// ---- the adjusted TypeScript module ----------------------------------------------

/**
 * A file system view that does not watch files outside the notebook's directory: the
 * library and type packages are loaded once per kernel process (like the modules themselves),
 * and a rebuild of them on disk must not fire the compiler's rebuild timer between cells.
 */
function quietSys(cwd: string, excluded: string[]): TS.System {
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
  const wrapped: Record<string, unknown> = { __esModule: true };
  const excluded = Object.values(modulePaths).flat().map((p) => p.replace(/\/\*$/, ""));
  const sys = quietSys(process.cwd(), excluded.flatMap((p) => { try { return [p, realpathSync(p)]; } catch { return [p]; } }));
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
              before: [(c) => checkpointTransformer(checker, c), ...(transformers?.before ?? [])],
            });
          fn(builder);
        };
      },
    });
    return host;
  };
  const transpileModule = (input: string, options: TS.TranspileOptions): TS.TranspileOutput => {
    const m = inlineMapPattern.exec(input);
    if (!m) return ts.transpileModule(input, options);
    const first = decodeLineMap(JSON.parse(Buffer.from(m[1], "base64").toString("utf8")).mappings);
    const js = input.slice(0, m.index);
    const out = ts.transpileModule(js, { ...options, compilerOptions: { ...options.compilerOptions, sourceMap: true } });
    const outputText = out.outputText.replace(/\n?\/\/# sourceMappingURL=.*\s*$/, "\n");
    if (out.sourceMapText) {
      const second = decodeLineMap(JSON.parse(out.sourceMapText).mappings);
      // Cell sources carry a one-line prefix ("export {};") in front of the user's code.
      lineMaps.set(
        outputText,
        second.map((_, line) => {
          const jsLine = lookup(second, line);
          const src = jsLine < 0 ? -1 : lookup(first, jsLine);
          return src < 0 ? -1 : src - 1;
        }),
      );
    }
    return { ...out, outputText };
  };
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
  const file = tslabRequire.resolve("tslab/dist/converter.js");
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
