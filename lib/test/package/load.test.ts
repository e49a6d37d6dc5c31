// The built package as a program loads it: `require("chainlab")` in a fresh Node. `npm test`
// builds lib/dist before the suite runs.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";

const dist = join(__dirname, "..", "..", "dist");

function run(script: string): string {
  if (!existsSync(join(dist, "index.js"))) throw new Error(`no build at ${dist}: run npm run build -w lib first`);
  return execFileSync(process.execPath, ["-e", script], { encoding: "utf8", env: { ...process.env, CHAINLAB_DIST: dist } }).trim();
}

const arrowModules = `Object.keys(require.cache).filter((k) => k.includes("apache-arrow")).length`;

test("loading the library does not load apache-arrow; the first bundle does", () => {
  const out = run(`
    const cl = require(process.env.CHAINLAB_DIST);
    const before = ${arrowModules};
    const bundle = cl.tensor([[1, 2], [3, 4]])[Symbol.for("Jupyter.display")]();
    const after = ${arrowModules};
    console.log(JSON.stringify({ before, after, data: typeof bundle[cl.TENSOR_MIME].data }));
  `);
  const r = JSON.parse(out);
  expect(r.before).toBe(0);
  expect(r.after).toBeGreaterThan(0);
  expect(r.data).toBe("string");
});
