// Inspect (Shift+Tab) shows a function's doc comment: every export of the package root, and
// every public method of its classes, has one, as the built declarations carry it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { undocumented } from "./docs";

const dist = join(__dirname, "..", "..", "dist");

test("every exported function, class, constant and public method has a doc comment", () => {
  if (!existsSync(join(dist, "index.d.ts"))) throw new Error(`no build at ${dist}: run npm run build -w lib first`);
  const { missing, checked } = undocumented(dist);
  expect(checked).toBeGreaterThan(300);
  expect(missing.map((m) => `${m.kind} ${m.name}`)).toEqual([]);
}, 60_000);

const making = new Set(["tensor", "full", "zeros", "ones", "zerosLike", "onesLike", "randn", "rand", "randint", "arange", "linspace", "eye", "cat", "stack", "where", "triu", "tril"]);

test("every Tensor method and every function that makes or joins tensors shows an @example", () => {
  const { withoutExample } = undocumented(dist);
  const rootOrTensor = withoutExample.filter((m) => m.name.startsWith("Tensor.") || making.has(m.name));
  expect(rootOrTensor.map((m) => `${m.kind} ${m.name}`)).toEqual([]);
}, 60_000);
