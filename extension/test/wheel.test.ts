// The check that keeps a half-written build out of the extension's wheel
// (scripts/extension-wheel.mjs): a build empties labextension/ and writes it again.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script without types
import { missingFromBuild } from "../../scripts/extension-wheel.mjs";

const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "chainlab-labext-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const pkg = JSON.stringify({ name: "@chainlab/jupyterlab", jupyterlab: { _build: { load: "static/remoteEntry.0123456789abcdef.js" } } });
const entry = `var x={120:"4d37451efd9d6b58",225:"94fa94d95cac723d"}[e]`;

it("calls an emptied or half-written build incomplete, naming what is missing", () => {
  expect(missingFromBuild(folder({}))).toEqual(["package.json"]);
  expect(missingFromBuild(folder({ "package.json": "{\"name\": " }))).toEqual(["package.json (not readable JSON yet)"]);
  expect(missingFromBuild(folder({ "package.json": "{}" }))).toEqual(["package.json's jupyterlab._build.load"]);
  expect(missingFromBuild(folder({ "package.json": pkg }))).toEqual(["static/remoteEntry.0123456789abcdef.js"]);
  expect(missingFromBuild(folder({
    "package.json": pkg, "static/remoteEntry.0123456789abcdef.js": entry, "static/120.4d37451efd9d6b58.js": "",
  }))).toEqual(["static/225.94fa94d95cac723d.js"]);
});

it("calls a build with its remoteEntry and every chunk it names complete", () => {
  expect(missingFromBuild(folder({
    "package.json": pkg, "static/remoteEntry.0123456789abcdef.js": entry,
    "static/120.4d37451efd9d6b58.js": "", "static/225.94fa94d95cac723d.js": "",
  }))).toEqual([]);
});

it("finds a chunk missing from a copy of the real build", () => {
  // if the builder changed how remoteEntry names chunks, the check would pass a half build
  const built = path.resolve(__dirname, "..", "labextension");
  expect(missingFromBuild(built)).toEqual([]);
  const copy = mkdtempSync(path.join(tmpdir(), "chainlab-labext-"));
  dirs.push(copy);
  cpSync(built, copy, { recursive: true });
  const chunks = readdirSync(path.join(copy, "static")).filter((f) => /^\d+\.[0-9a-f]+\.js$/.test(f));
  expect(chunks.length).toBeGreaterThan(3);
  rmSync(path.join(copy, "static", chunks[0]));
  expect(missingFromBuild(copy)).toEqual([`static/${chunks[0]}`]);
});
