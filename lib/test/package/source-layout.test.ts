// The source tree as the README describes it: every file in its table, and the shape helpers
// that every layer leans on defined once, in src/shape.ts.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, test } from "vitest";

const lib = join(__dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith(".ts") ? [relative(lib, p).split("\\").join("/")] : [];
  });
}

test("the README's file table lists every file under src", () => {
  const readme = readFileSync(join(lib, "README.md"), "utf8");
  const table = readme.split("\n").filter((l) => l.startsWith("| `src/"));
  const listed = new Set(table.flatMap((l) => l.split("|")[1].match(/src\/[\w./-]+\.ts/g) ?? []));
  const files = sources(join(lib, "src"));
  expect(files.length).toBeGreaterThan(50);
  expect(files.filter((f) => !listed.has(f))).toEqual([]);
  expect([...listed].filter((f) => !files.includes(f))).toEqual([]);
});

test("numel and isContiguous are defined once, in src/shape.ts", () => {
  const definition = /\bfunction\s+(numel|isContiguous|sizeOf)\s*\(|\b(const|let)\s+(numel|isContiguous|sizeOf)\s*=/;
  const where = sources(join(lib, "src")).filter((f) => definition.test(readFileSync(join(lib, f), "utf8")));
  expect(where).toEqual(["src/shape.ts"]);
});
