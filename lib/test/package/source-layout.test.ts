// The shape helpers every layer leans on are defined once, in src/core/shape.ts (the README's
// file table is checked against src/ by readme.test.ts).
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

test("numel and isContiguous are defined once, in src/core/shape.ts", () => {
  const definition = /\bfunction\s+(numel|isContiguous|sizeOf)\s*\(|\b(const|let)\s+(numel|isContiguous|sizeOf)\s*=/;
  const where = sources(join(lib, "src")).filter((f) => definition.test(readFileSync(join(lib, f), "utf8")));
  expect(where).toEqual(["src/core/shape.ts"]);
});
