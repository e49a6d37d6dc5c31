// The worker that compiles cells for the tab's kernel: TypeScript's language service checks
// each cell against the library's declarations and the earlier cells (check.ts), and a cell
// without errors is transpiled for the worker that runs it (cell.ts). Type errors come back
// as TypeScript's diagnostics under their cell lines, as in the Node kernel.
import type { FromCompiler, ToCompiler } from "../src/messages";
import { compileCell, importsAsRequires, typescriptVersion } from "./cell";
import { CellChecker } from "./check";
import { syntaxErrorContent } from "./traceback";

interface WorkerScope {
  postMessage(msg: FromCompiler): void;
  onmessage: ((e: MessageEvent<ToCompiler>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

let checker: CellChecker | undefined;

async function init(assets: string): Promise<void> {
  const t0 = performance.now();
  const r = await fetch(`${assets}chainlab-types.json`);
  if (!r.ok) throw new Error(`the library's declarations did not load (${r.status} for chainlab-types.json)`);
  const types = (await r.json()) as { files: Record<string, string>; roots: string[] };
  checker = new CellChecker(types.files, types.roots);
  // the first check reads every declaration file: done now, not on the first cell
  checker.check("");
  scope.postMessage({ type: "ready", typescript: typescriptVersion, ms: performance.now() - t0 });
}

function compile(id: number, code: string, count: number): void {
  const diagnostics = checker ? checker.check(importsAsRequires(code)) : [];
  if (diagnostics.length) {
    scope.postMessage({ type: "reply", id, content: { ok: false, error: syntaxErrorContent(diagnostics, code, count) } });
    return;
  }
  const compiled = compileCell(code, count);
  scope.postMessage({
    type: "reply", id,
    content: compiled.ok ? { ok: true, cell: compiled.cell } : { ok: false, error: syntaxErrorContent(compiled.diagnostics, code, count) },
  });
}

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === "init") {
    init(msg.assets).catch((err: unknown) => scope.postMessage({ type: "failed", error: err instanceof Error ? err.message : String(err) }));
  } else if (msg.type === "complete") {
    const r = checker?.complete(msg.code, msg.cursor) ?? { matches: [], start: msg.cursor, end: msg.cursor };
    scope.postMessage({ type: "reply", id: msg.id, content: { matches: r.matches, cursor_start: r.start, cursor_end: r.end } });
  } else if (msg.type === "inspect") {
    const r = checker?.inspect(msg.code, msg.cursor);
    scope.postMessage({ type: "reply", id: msg.id, content: r ? { found: true, ...r } : { found: false } });
  } else {
    try {
      compile(msg.id, msg.code, msg.count);
    } catch (err) {
      const text = `the compiler failed on this cell: ${err instanceof Error ? err.stack ?? err.message : String(err)}`;
      scope.postMessage({ type: "reply", id: msg.id, content: { ok: false, error: { ename: "CompilerError", evalue: text, traceback: [text] } } });
    }
  }
};
