// The README's example must run as written and print what its comments say.
import { readFileSync } from "node:fs";
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
