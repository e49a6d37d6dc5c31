// Type-checking cells in the tab, as the Node kernel does: one TypeScript language service
// over the library's declarations, a prelude that puts the library's exports in scope, and
// the declarations of earlier cells. A cell is checked as a script; what it declares is
// then emitted as declarations and replaces what earlier cells said about the same names,
// so a later cell sees the types and may declare the same name again.
import ts from "typescript";
import type { Diagnostic } from "./cell";

/** Errors that only say a cell is not a module (the kernel runs top-level await anyway). */
const IGNORED = new Set([1375, 1378, 1431, 1432]);

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts"],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  esModuleInterop: true,
  declaration: true,
  emitDeclarationOnly: true,
  skipLibCheck: true,
  types: [],
  experimentalDecorators: true,
};

const CELL = "/cell.ts";
const PREV = "/prev.d.ts";

export class CellChecker {
  private readonly files = new Map<string, { text: string; version: number }>();
  private readonly dirs = new Set<string>();
  /** Each earlier name's declarations, as statements of a .d.ts. */
  private readonly declared = new Map<string, string[]>();
  private readonly service: ts.LanguageService;
  private readonly roots: string[];

  /** `files`: path → text of the default libraries (/lib/...), the library's declarations and the prelude. */
  constructor(files: Record<string, string>, roots: string[]) {
    for (const [p, text] of Object.entries(files)) this.put(p, text);
    this.put(PREV, "");
    this.put(CELL, "");
    this.roots = [...roots, PREV, CELL];
    const host: ts.LanguageServiceHost = {
      getCompilationSettings: () => options,
      getScriptFileNames: () => this.roots,
      getScriptVersion: (f) => String(this.files.get(f)?.version ?? 0),
      getScriptSnapshot: (f) => {
        const e = this.files.get(f);
        return e ? ts.ScriptSnapshot.fromString(e.text) : undefined;
      },
      getCurrentDirectory: () => "/",
      getDefaultLibFileName: () => "/lib/lib.es2022.d.ts",
      fileExists: (f) => this.files.has(f),
      readFile: (f) => this.files.get(f)?.text,
      directoryExists: (d) => this.dirs.has(d.replace(/\/$/, "") || "/"),
      getDirectories: () => [],
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  private put(path: string, text: string): void {
    const old = this.files.get(path);
    this.files.set(path, { text, version: (old?.version ?? 0) + 1 });
    for (let d = path.slice(0, path.lastIndexOf("/")); d; d = d.slice(0, d.lastIndexOf("/"))) this.dirs.add(d);
    this.dirs.add("/");
  }

  /** Names a cell declares at its top level. */
  private namesOf(sf: ts.SourceFile): Set<string> {
    const names = new Set<string>();
    const bind = (n: ts.BindingName) => {
      if (ts.isIdentifier(n)) names.add(n.text);
      else for (const el of n.elements) if (!ts.isOmittedExpression(el)) bind(el.name);
    };
    for (const st of sf.statements) {
      if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) bind(d.name);
      else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st) || ts.isModuleDeclaration(st)) && st.name && ts.isIdentifier(st.name)) {
        names.add(st.name.text);
      }
    }
    return names;
  }

  private prevText(): string {
    return [...new Set([...this.declared.values()].flat())].join("\n");
  }

  /**
   * The cell's errors as TypeScript reports them (an empty list when it type-checks); its
   * declarations are kept for later cells either way, as far as they could be emitted.
   */
  check(code: string): Diagnostic[] {
    const sf = ts.createSourceFile(CELL, code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const mine = this.namesOf(sf);
    // what earlier cells declared under the same names gives way to this cell
    for (const n of mine) this.declared.delete(n);
    this.put(PREV, this.prevText());
    this.put(CELL, code);
    const all = [...this.service.getSyntacticDiagnostics(CELL), ...this.service.getSemanticDiagnostics(CELL)];
    const errors = all.filter((d) => d.category === ts.DiagnosticCategory.Error && !IGNORED.has(d.code));
    this.keepDeclarations();
    return errors.map((d) => {
      const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
      return { line: pos.line, character: pos.character, length: d.length ?? 1, code: d.code, message: ts.flattenDiagnosticMessageText(d.messageText, "\n") };
    });
  }

  /** Puts `code` in the cell's place for a query, leaving the earlier cells' declarations as they are. */
  private query(code: string): void {
    this.put(CELL, code);
  }

  /** Completions at `cursor` from the types (members after a dot, names in scope otherwise). */
  complete(code: string, cursor: number): { matches: string[]; start: number; end: number } {
    this.query(code);
    const info = this.service.getCompletionsAtPosition(CELL, cursor, { includeCompletionsWithInsertText: true });
    let start = cursor;
    while (start > 0 && /[\w$]/.test(code[start - 1])) start--;
    const prefix = code.slice(start, cursor);
    const matches = (info?.entries ?? [])
      .map((e) => e.name)
      .filter((n) => n.startsWith(prefix) && !n.startsWith("__"))
      .sort((a, b) => a.localeCompare(b));
    return { matches: [...new Set(matches)], start, end: cursor };
  }

  /** The signature and documentation of what is at `cursor`, as TypeScript's quick info has them. */
  inspect(code: string, cursor: number): { signature: string; docs: string } | undefined {
    this.query(code);
    // the name just before the cursor too (Shift+Tab after typing it)
    const at = cursor > 0 && !/[\w$]/.test(code[cursor] ?? "") ? cursor - 1 : cursor;
    const info = this.service.getQuickInfoAtPosition(CELL, at);
    if (!info) return undefined;
    const signature = ts.displayPartsToString(info.displayParts);
    const docs = [ts.displayPartsToString(info.documentation),
      ...(info.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`)].filter(Boolean).join("\n\n");
    return { signature, docs };
  }

  private keepDeclarations(): void {
    const out = this.service.getEmitOutput(CELL, true).outputFiles.find((f) => f.name.endsWith(".d.ts"));
    if (!out) return;
    const dts = ts.createSourceFile("/cell.d.ts", out.text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    for (const st of dts.statements) {
      if (ts.isVariableStatement(st)) {
        const kind = st.declarationList.flags & ts.NodeFlags.Const ? "const" : st.declarationList.flags & ts.NodeFlags.Let ? "let" : "var";
        for (const d of st.declarationList.declarations) {
          if (!ts.isIdentifier(d.name)) continue;
          this.declared.set(d.name.text, [`declare ${kind} ${d.getText(dts)};`]);
        }
      } else if ("name" in st && st.name && ts.isIdentifier(st.name as ts.Node)) {
        const name = (st.name as ts.Identifier).text;
        const text = st.getText(dts);
        // overloads and merged declarations of one cell stay together
        const list = this.declared.get(name);
        if (list && list.includes(text)) continue;
        this.declared.set(name, [...(list ?? []), text]);
      }
    }
  }
}
