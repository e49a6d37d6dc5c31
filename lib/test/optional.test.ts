import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { requireOptional } from "../src/optional";

const dir = mkdtempSync(join(tmpdir(), "chainlab-optional-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("an optional package that is missing is named, with the command that installs it", () => {
  expect(() => requireOptional("@chainlab/no-such-package", "someLoader()")).toThrow(
    'someLoader(): the package "@chainlab/no-such-package" is not installed; install it with `npm install @chainlab/no-such-package`',
  );
});

test("a package that is there but lacks one of its own dependencies is not reported as missing", () => {
  const broken = join(dir, "broken.js");
  writeFileSync(broken, 'require("@chainlab/dependency-that-is-not-there");\n');
  expect(() => requireOptional(broken, "someLoader()")).toThrow(/Cannot find module '@chainlab\/dependency-that-is-not-there'/);
  expect(() => requireOptional(broken, "someLoader()")).not.toThrow(/is not installed/);
});

test("an installed optional package is returned as require gives it", () => {
  const good = join(dir, "good.js");
  writeFileSync(good, "module.exports = { answer: 42 };\n");
  expect(requireOptional<{ answer: number }>(good, "someLoader()").answer).toBe(42);
});
