// The README's example must run as written and print what its comments say.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { expect, test } from "vitest";
import * as chainlab from "../src";

test("README ten-line example runs and prints what it claims", () => {
  const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
  const block = /## Ten lines[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeTruthy();
  const js = ts.transpileModule(block!, { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
  const printed: unknown[] = [];
  const fakeConsole = { log: (v: unknown) => printed.push(v) };
  const req = (name: string) => {
    if (name !== "chainlab") throw new Error(`unexpected import ${name}`);
    return chainlab;
  };
  new Function("require", "console", "exports", js)(req, fakeConsole, {});
  expect(printed).toEqual([83, [12, 20, 28], "sum", "pow"]);
});

test("lib/README's defineOp example runs with the package's names in scope, as in a notebook", () => {
  const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
  const block = /## Ops of your own[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeTruthy();
  const js = ts.transpileModule(block!, { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
  const names = Object.keys(chainlab).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
  const run = new Function(...names, `${js}\nreturn { x, cube };`);
  const { x, cube } = run(...names.map((n) => (chainlab as Record<string, unknown>)[n])) as { x: chainlab.Tensor; cube: (t: chainlab.Tensor) => chainlab.Tensor };
  const want = Array.from(x.data, (v) => 3 * v * v);
  Array.from(x.grad!.data).forEach((g, i) => expect(g).toBeCloseTo(want[i], 4));
  expect(cube(x).gradFn!.name).toBe("cube");
});

test("lib/README's file table names every source file", () => {
  const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
  const table = /## Where things are([\s\S]*?)\n## /.exec(readme)?.[1] ?? "";
  const listed = new Set([...table.matchAll(/`(src\/[\w./-]+\.ts)`/g)].map((m) => m[1]));
  const walk = (dir: string): string[] =>
    readdirSync(join(__dirname, "..", dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : []);
  const files = walk("src");
  expect(files.filter((f) => !listed.has(f))).toEqual([]);
  expect([...listed].filter((f) => !files.includes(f))).toEqual([]);
});
