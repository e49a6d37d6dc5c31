// Runs an example: compiles examples/*.ts with the repository's TypeScript (strict, like a
// user's project) into examples/build/, then runs the compiled program with node.
//   node examples/run.mjs train-mlp [--steps N] [--out DIR] [--tiny]
//   node examples/run.mjs --all [--tiny]      every example in turn (npm test -- examples)
// The library must be built first (npm run build -w lib).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..");
const examples = readdirSync(here).filter((f) => f.endsWith(".ts") && f !== "args.ts").map((f) => f.slice(0, -3)).sort();
const [first, ...rest] = process.argv.slice(2);
const usage = `usage: node examples/run.mjs <${examples.join(" | ")}> [options]   or   node examples/run.mjs --all [--tiny]`;

if (!first || first === "--help" || first === "-h") {
  console.log(usage);
  process.exit(first ? 0 : 2);
}
const names = first === "--all" ? examples : [first];
for (const n of names) {
  if (!examples.includes(n)) {
    console.error(`no example "${n}" in examples/\n${usage}`);
    process.exit(2);
  }
}
if (!existsSync(path.join(root, "lib", "dist", "index.js"))) {
  console.error("the library is not built: run npm run build -w lib first");
  process.exit(1);
}

const tsc = spawnSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(here, "tsconfig.json")], { stdio: "inherit" });
if (tsc.status !== 0) {
  console.error("examples/: the TypeScript compiler found errors (above)");
  process.exit(1);
}

const failed = [];
for (const n of names) {
  if (names.length > 1) console.log(`\n-- examples/${n}.ts ${rest.join(" ")}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(here, "build", `${n}.js`), ...rest], { stdio: "inherit", cwd: root });
  if (r.status !== 0) failed.push(n);
  if (names.length > 1) console.log(`-- ${n}: ${r.status === 0 ? "ok" : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
if (failed.length) {
  console.error(`examples failed: ${failed.join(", ")}`);
  process.exit(1);
}
