// Exported names of a declaration file, read with the TypeScript parser (compiler thread).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { typescript } from "./typescript";

/** Exported names of a declaration file, following `export * from` and `export {..} from`. */
export function declaredExports(file: string, seen = new Set<string>()): Set<string> {
  const ts = typescript();
  const names = new Set<string>();
  if (seen.has(file) || !existsSync(file)) return names;
  seen.add(file);
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const resolve = (spec: string) => {
    const base = path.resolve(path.dirname(file), spec);
    for (const candidate of [base + ".d.ts", path.join(base, "index.d.ts"), base.replace(/\.js$/, ".d.ts")]) {
      if (existsSync(candidate)) return candidate;
    }
    return undefined;
  };
  for (const stmt of sf.statements) {
    if (ts.isExportDeclaration(stmt)) {
      const spec = stmt.moduleSpecifier && ts.isStringLiteral(stmt.moduleSpecifier) ? stmt.moduleSpecifier.text : undefined;
      if (!stmt.exportClause) {
        const target = spec ? resolve(spec) : undefined;
        if (target) for (const n of declaredExports(target, seen)) names.add(n);
      } else if (ts.isNamedExports(stmt.exportClause)) {
        for (const el of stmt.exportClause.elements) names.add(el.name.text);
      } else if (ts.isNamespaceExport(stmt.exportClause)) {
        names.add(stmt.exportClause.name.text);
      }
      continue;
    }
    const modifiers = ts.canHaveModifiers(stmt) ? ts.getModifiers(stmt) : undefined;
    if (!modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) continue;
    if (ts.isVariableStatement(stmt)) {
      for (const d of stmt.declarationList.declarations) if (ts.isIdentifier(d.name)) names.add(d.name.text);
    } else if (
      (ts.isFunctionDeclaration(stmt) ||
        ts.isClassDeclaration(stmt) ||
        ts.isInterfaceDeclaration(stmt) ||
        ts.isTypeAliasDeclaration(stmt) ||
        ts.isEnumDeclaration(stmt) ||
        ts.isModuleDeclaration(stmt) ||
        // `export import nn = nnNamespace;`, how the library's root exports its namespaces
        ts.isImportEqualsDeclaration(stmt)) &&
      stmt.name &&
      ts.isIdentifier(stmt.name)
    ) {
      names.add(stmt.name.text);
    }
  }
  return names;
}
