// The names every notebook starts with: all exports of chainlab's root, values and types,
// so cells use `tensor`, `nn.Linear` or a type like `Tensor` without importing anything.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ts } from "./compile";

const identifier = /^[A-Za-z_$][\w$]*$/;

/** Exported names of a declaration file, following `export * from` and `export {..} from`. */
function declaredExports(file: string, seen = new Set<string>()): Set<string> {
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
        ts.isModuleDeclaration(stmt)) &&
      stmt.name &&
      ts.isIdentifier(stmt.name)
    ) {
      names.add(stmt.name.text);
    }
  }
  return names;
}

interface Prelude {
  code: string;
}

/**
 * The cell that runs before the user's first one: named imports (they carry both the value
 * and the type meaning of each name) of everything chainlab's root exports. The notebook
 * functions come from chainlab's notebook module when the root does not re-export them.
 */
export function buildPrelude(libDir: string, loadRoot: () => Record<string, unknown> | undefined): Prelude {
  const pkg = JSON.parse(readFileSync(path.join(libDir, "package.json"), "utf8")) as { types?: string; main?: string };
  const rootTypes = path.join(libDir, pkg.types ?? "dist/index.d.ts");
  const names = new Set<string>(declaredExports(rootTypes));
  const runtime = loadRoot();
  if (runtime) for (const k of Object.keys(runtime)) names.add(k);
  const rootNames = [...names].filter((n) => identifier.test(n) && n !== "default" && !n.startsWith("__"));
  const notebookTypes = path.join(libDir, "dist", "notebook", "index.d.ts");
  const notebookNames = [...declaredExports(notebookTypes)].filter((n) => identifier.test(n) && !names.has(n));
  const lines: string[] = [];
  if (rootNames.length && existsSync(rootTypes)) lines.push(`import { ${rootNames.join(", ")} } from "chainlab";`);
  if (notebookNames.length) lines.push(`import { ${notebookNames.join(", ")} } from "chainlab/dist/notebook";`);
  return { code: lines.join("\n") };
}
