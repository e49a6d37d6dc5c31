// The extension's folders: one per renderer, its factory and renderer in renderer.ts and its
// parts beside it, and shared/ for what several renderers use. shared/ depends on no
// renderer, and a renderer reaches another only through that one's renderer.ts.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";

const src = path.join(__dirname, "..", "src");
const folders = readdirSync(src, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const renderers = folders.filter((f) => f !== "shared");

/** Relative imports of every file under src, as paths from src without extension. */
function imports(): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  for (const file of readdirSync(src, { recursive: true }) as string[]) {
    if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
    const text = readFileSync(path.join(src, file), "utf8");
    for (const m of text.matchAll(/(?:from|import\()\s*"(\.[^"]+)"/g)) {
      out.push({ file: file.split(path.sep).join("/"), target: path.posix.normalize(path.posix.join(path.posix.dirname(file.split(path.sep).join("/")), m[1])) });
    }
  }
  return out;
}

/** Imports that break the layout: shared/ into a renderer, or into another renderer's parts. */
function strayImports(found: { file: string; target: string }[]): string[] {
  return found
    .filter(({ file, target }) => {
      const from = file.split("/")[0];
      const to = target.split("/")[0];
      if (!file.includes("/") || !target.includes("/") || from === to || to === "shared") return false;
      return from === "shared" || target !== `${to}/renderer`;
    })
    .map(({ file, target }) => `${file} -> ${target}`);
}

test("one folder per renderer, each with its renderer and factory, all registered", () => {
  expect(renderers).toEqual(["curves", "gradflow", "graph", "module", "progress", "tensor"]);
  const registered = readFileSync(path.join(src, "renderers.ts"), "utf8");
  for (const kind of renderers) {
    const file = path.join(src, kind, "renderer.ts");
    expect(existsSync(file), `${kind}/renderer.ts`).toBe(true);
    expect(readFileSync(file, "utf8")).toMatch(new RegExp(`export const ${kind}Extension\\b`));
    expect(registered).toContain(`import { ${kind}Extension } from "./${kind}/renderer";`);
  }
});

test("shared/ imports no renderer, and renderers reach each other only through renderer.ts", () => {
  const found = imports();
  expect(found.some((i) => i.file === "graph/renderer.ts" && i.target === "tensor/renderer")).toBe(true);
  expect(strayImports(found)).toEqual([]);
});

test("the layout check finds stray imports", () => {
  expect(strayImports([
    { file: "shared/colour.ts", target: "tensor/renderer" },
    { file: "graph/svg.ts", target: "tensor/paint" },
    { file: "graph/svg.ts", target: "tensor/renderer" },
    { file: "graph/svg.ts", target: "shared/format" },
  ])).toEqual(["shared/colour.ts -> tensor/renderer", "graph/svg.ts -> tensor/paint"]);
});
