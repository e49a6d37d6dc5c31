// The names every notebook starts with: all exports of chainlab's root, values and types,
// so cells use `tensor`, `nn.Linear` or a type like `Tensor` without importing anything.
// The declared names come from the compiler thread (which reads the declaration files);
// the main thread adds what the loaded library exports at run time.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { PreludeNames } from "./compiler-link";

const identifier = /^[A-Za-z_$][\w$]*$/;

function typesOf(libDir: string): { root: string; notebook: string } {
  const pkg = JSON.parse(readFileSync(path.join(libDir, "package.json"), "utf8")) as { types?: string };
  return { root: path.join(libDir, pkg.types ?? "dist/index.d.ts"), notebook: path.join(libDir, "dist", "notebook", "index.d.ts") };
}

/** What the library's root and notebook declaration files export. */
export function declaredPreludeNames(libDir: string, declared: (file: string) => Iterable<string>): PreludeNames {
  const files = typesOf(libDir);
  return { root: [...declared(files.root)], notebook: [...declared(files.notebook)] };
}

/**
 * The cell that runs before the user's first one: named imports (they carry both the value
 * and the type meaning of each name) of everything chainlab's root exports. The notebook
 * functions come from chainlab's notebook module when the root does not re-export them.
 */
export function preludeCode(libDir: string, declared: PreludeNames, runtime: Record<string, unknown> | undefined): string {
  const names = new Set<string>(declared.root);
  if (runtime) for (const k of Object.keys(runtime)) names.add(k);
  const rootNames = [...names].filter((n) => identifier.test(n) && n !== "default" && !n.startsWith("__"));
  const notebookNames = declared.notebook.filter((n) => identifier.test(n) && !names.has(n));
  const lines: string[] = [];
  if (rootNames.length && existsSync(typesOf(libDir).root)) lines.push(`import { ${rootNames.join(", ")} } from "chainlab";`);
  if (notebookNames.length) lines.push(`import { ${notebookNames.join(", ")} } from "chainlab/dist/notebook";`);
  return lines.join("\n");
}
