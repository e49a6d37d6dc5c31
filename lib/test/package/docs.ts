// What a learner sees on inspect: the doc comments of the package root's exports, read from
// the built declarations (lib/dist/*.d.ts) with the TypeScript compiler the repo declares.
import { join } from "node:path";
import ts from "typescript";

export interface Undocumented {
  name: string;
  kind: string;
}

export interface DocReport {
  /** Exports and public methods without a doc comment. */
  missing: Undocumented[];
  /** Those with a doc comment but no @example. */
  withoutExample: Undocumented[];
  checked: number;
}

const hasDoc = (s: ts.Symbol, checker: ts.TypeChecker) =>
  ts.displayPartsToString(s.getDocumentationComment(checker)).trim().length > 0;

const isInternal = (s: ts.Symbol) => s.getJsDocTags().some((t) => t.name === "internal");

function memberIsPublic(s: ts.Symbol, dist: string): boolean {
  if (s.name.startsWith("_") || s.name.startsWith("__@") || s.name === "prototype") return false;
  const decl = s.declarations?.[0];
  // members inherited from the platform (Error.prepareStackTrace, ...) are not ours to document
  if (!decl || !decl.getSourceFile().fileName.startsWith(dist)) return false;
  const mods = ts.getCombinedModifierFlags(decl as ts.Declaration);
  return !(mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));
}

const callableMember = (s: ts.Symbol) =>
  !!(s.flags & (ts.SymbolFlags.Method | ts.SymbolFlags.GetAccessor));

/** Every exported function, class, constant and namespace of dist/index.d.ts, and each public method of the classes, without a doc comment. */
export function undocumented(dist: string): DocReport {
  const program = ts.createProgram([join(dist, "index.d.ts")], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, types: ["node"] });
  const checker = program.getTypeChecker();
  const root = checker.getSymbolAtLocation(program.getSourceFile(join(dist, "index.d.ts"))!)!;
  const missing: Undocumented[] = [];
  const withoutExample: Undocumented[] = [];
  let checked = 0;
  const seen = new Set<ts.Symbol>();
  const check = (s: ts.Symbol, name: string, kind: string) => {
    checked++;
    if (!hasDoc(s, checker)) missing.push({ name, kind });
    else if (!s.getJsDocTags(checker).some((t) => t.name === "example")) withoutExample.push({ name, kind });
  };

  const visit = (exported: ts.Symbol, path: string) => {
    const s = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (seen.has(s) || isInternal(s)) return;
    seen.add(s);
    if (s.flags & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule) && !(s.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Function))) {
      // a namespace export (F, nn, optim, ...): documented itself where it is declared, and each of its exports
      if (exported.flags & ts.SymbolFlags.Alias && !hasDoc(exported, checker) && !hasDoc(s, checker)) missing.push({ name: path, kind: "namespace" });
      checked++;
      for (const e of checker.getExportsOfModule(s)) visit(e, `${path}.${e.name}`);
      return;
    }
    if (s.flags & ts.SymbolFlags.Class) {
      check(s, path, "class");
      const type = checker.getDeclaredTypeOfSymbol(s);
      for (const m of checker.getPropertiesOfType(type)) {
        if (!callableMember(m) || !memberIsPublic(m, dist) || isInternal(m)) continue;
        check(m, `${path}.${m.name}`, "method");
      }
      const statics = checker.getTypeOfSymbol(s);
      for (const m of checker.getPropertiesOfType(statics)) {
        if (!callableMember(m) || !memberIsPublic(m, dist) || isInternal(m)) continue;
        check(m, `${path}.${m.name}`, "static method");
      }
      return;
    }
    if (s.flags & ts.SymbolFlags.Function) return check(s, path, "function");
    if (s.flags & ts.SymbolFlags.Variable) return check(s, path, "constant");
  };
  for (const e of checker.getExportsOfModule(root)) visit(e, e.name);
  return { missing, withoutExample, checked };
}
