// A TypeScript cell as JavaScript the worker can run: TypeScript's transpiler strips the
// types (imports become require calls), then the cell's top-level declarations become
// assignments to globals, so a later cell sees them and may declare the same name again,
// and the last expression's value is returned for display. The edits never add a line, so
// the transpiler's source map still gives each line of the run code its cell line.
import ts from "typescript";
import type { CompiledCell } from "../src/messages";
import { firstSourceLines } from "../../kernel/src/shared/source-map-lines";

export interface Diagnostic {
  line: number;
  character: number;
  length: number;
  code: number;
  message: string;
}

export type { CompiledCell };

export type CompileResult = { ok: true; cell: CompiledCell } | { ok: false; diagnostics: Diagnostic[] };

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  // every cell is a module, so top-level await parses as await
  moduleDetection: ts.ModuleDetectionKind.Force,
  esModuleInterop: true,
  sourceMap: true,
  inlineSources: false,
};

// ---- edits ---------------------------------------------------------------------------

interface Edit {
  at: number;
  end: number;
  text: string;
  /** Order among edits at the same place (lower first). */
  order: number;
}

function applyEdits(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => b.at - a.at || b.order - a.order);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

function boundNames(name: ts.BindingName, into: string[]): void {
  if (ts.isIdentifier(name)) {
    into.push(name.text);
    return;
  }
  for (const el of name.elements) if (!ts.isOmittedExpression(el)) boundNames(el.name, into);
}

/** The cell's JavaScript with its declarations as global assignments and its last value returned. */
function globalise(js: string): { body: string; names: string[] } {
  const sf = ts.createSourceFile("cell.js", js, {
    languageVersion: ts.ScriptTarget.ES2022,
    // parse as a module, so top-level `await (x)` is an await and not a call of `await`
    setExternalModuleIndicator: (f) => { (f as unknown as { externalModuleIndicator: boolean }).externalModuleIndicator = true; },
  }, true, ts.ScriptKind.JS);
  const edits: Edit[] = [];
  const names: string[] = [];
  const hoisted: string[] = [];
  const statements = sf.statements;
  let firstCode: number | undefined;
  statements.forEach((st, i) => {
    const isDirective = ts.isExpressionStatement(st) && ts.isStringLiteral(st.expression) && firstCode === undefined;
    if (!isDirective) firstCode ??= st.getStart(sf);
    if (ts.isVariableStatement(st)) {
      const list = st.declarationList;
      // `using` declarations stay in the cell: their disposal is tied to its scope
      const kind = list.flags & ts.NodeFlags.BlockScoped;
      if (kind === ts.NodeFlags.Using || kind === ts.NodeFlags.AwaitUsing) return;
      const keyword = kind === ts.NodeFlags.Const ? "const" : kind === ts.NodeFlags.Let ? "let" : "var";
      const start = list.getStart(sf);
      if (!js.startsWith(keyword, start)) return;
      edits.push({ at: start, end: start + keyword.length, text: "", order: 0 });
      for (const d of list.declarations) {
        boundNames(d.name, names);
        const at = d.getStart(sf);
        if (!d.initializer && keyword === "var") {
          // `var x;` keeps x's value (an enum or namespace then fills it in)
          edits.push({ at, end: d.end, text: "void 0", order: 1 });
        } else {
          edits.push({ at, end: at, text: "(", order: 1 });
          edits.push({ at: d.end, end: d.end, text: d.initializer ? ")" : " = void 0)", order: 1 });
        }
      }
    } else if (ts.isFunctionDeclaration(st) && st.name) {
      names.push(st.name.text);
      hoisted.push(st.name.text);
    } else if (ts.isClassDeclaration(st) && st.name) {
      names.push(st.name.text);
      const at = st.getStart(sf);
      edits.push({ at, end: at, text: `${st.name.text} = `, order: 1 });
      edits.push({ at: st.end, end: st.end, text: ";", order: 1 });
    } else if (i === statements.length - 1 && ts.isExpressionStatement(st) && !isDirective && !st.getText(sf).startsWith("Object.defineProperty(exports")) {
      // an array, not the value itself: a returned promise would be awaited, not shown
      const e = st.expression;
      edits.push({ at: e.getStart(sf), end: e.getStart(sf), text: "return [(", order: 2 });
      edits.push({ at: e.end, end: e.end, text: ")];", order: 0 });
    }
  });
  // every loop turn is a checkpoint where an interrupt stops the cell (a loop that never
  // awaits cannot be reached otherwise)
  const visit = (n: ts.Node): void => {
    if (ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n)) {
      const body = n.statement;
      edits.push({ at: body.getStart(sf), end: body.getStart(sf), text: "{ __chainlabTick(); ", order: 3 });
      edits.push({ at: body.end, end: body.end, text: " }", order: -2 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  if (hoisted.length && firstCode !== undefined) {
    // functions are hoisted in the cell, so they become globals before any of its code runs
    edits.push({ at: firstCode, end: firstCode, text: hoisted.map((n) => `globalThis[${JSON.stringify(n)}] = ${n}; `).join(""), order: -1 });
  }
  return { body: applyEdits(js, edits), names: [...new Set(names)] };
}

/**
 * Top-level imports as `const` declarations of what `require` returns, before the
 * transpiler sees them: it would drop an import whose names this cell does not use, but a
 * later cell may. Each keeps its lines (the replacement ends with as many line breaks).
 */
export function importsAsRequires(code: string): string {
  const sf = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const edits: Edit[] = [];
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const from = `require(${JSON.stringify(st.moduleSpecifier.text)})`;
    const clause = st.importClause;
    const parts: string[] = [];
    if (clause && !clause.isTypeOnly) {
      if (clause.name) parts.push(`${clause.name.text} = __chainlabDefault(${from})`);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) parts.push(`${bindings.name.text} = ${from}`);
      if (bindings && ts.isNamedImports(bindings)) {
        const names = bindings.elements.filter((e) => !e.isTypeOnly)
          .map((e) => (e.propertyName ? `${e.propertyName.getText(sf)}: ${e.name.text}` : e.name.text));
        if (names.length) parts.push(`{ ${names.join(", ")} } = ${from}`);
      }
    }
    const text = !clause ? `${from};` : parts.length ? `const ${parts.join(", ")};` : "";
    const original = code.slice(st.getStart(sf), st.end);
    const breaks = original.split("\n").length - 1;
    edits.push({ at: st.getStart(sf), end: st.end, text: text + "\n".repeat(breaks), order: 0 });
  }
  return edits.length ? applyEdits(code, edits) : code;
}

function diagnosticOf(d: ts.Diagnostic): Diagnostic {
  const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
  return { line: pos.line, character: pos.character, length: d.length ?? 1, code: d.code, message: ts.flattenDiagnosticMessageText(d.messageText, "\n") };
}

/** Compiles a cell; syntax errors come back as TypeScript's diagnostics. */
export function compileCell(code: string, count: number): CompileResult {
  const out = ts.transpileModule(importsAsRequires(code), { fileName: `cell-${count}.ts`, compilerOptions: options, reportDiagnostics: true });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) return { ok: false, diagnostics: errors.map(diagnosticOf) };
  const text = out.outputText.replace(/\n?\/\/# sourceMappingURL=.*\s*$/, "");
  const lineMap = out.sourceMapText ? firstSourceLines(JSON.parse(out.sourceMapText).mappings as string) : [];
  const { body, names } = globalise(text);
  // the wrapper's opening stays on the first line, so line numbers are the transpiler's
  const js = `(async function (exports, require, module) { ${body}\n})\n//# sourceURL=${cellUrl(count)}`;
  return { ok: true, cell: { js, names, lineMap } };
}

/** The name a cell's code runs under, as stack traces show it. */
export function cellUrl(count: number): string {
  return `chainlab-cell-${count}.js`;
}

export const typescriptVersion = ts.version;
