#!/usr/bin/env node
// Writes dist/index.mjs and dist/index.d.mts: the ESM entry point of the package. It
// re-exports the CommonJS build rather than being a second build, so that `import` and
// `require` in one program share one library (one backend, one Tensor class, one seed).
// The names are listed explicitly: an ES module cannot re-export a CommonJS module's names
// with `export *`, and Node's guess at them misses what TypeScript's helpers define.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist");
const names = Object.keys(require(path.join(dist, "index.js"))).filter((n) => n !== "__esModule" && n !== "default");
const bad = names.filter((n) => !/^[A-Za-z_$][\w$]*$/.test(n));
if (bad.length) throw new Error(`esm-wrapper: these exports are not identifiers: ${bad.join(", ")}`);

fs.writeFileSync(path.join(dist, "index.mjs"), `// The ES module entry of chainlab: the CommonJS build's exports, one library for import and require.
import chainlab from "./index.js";
export const {
${names.map((n) => `  ${n},`).join("\n")}
} = chainlab;
export default chainlab;
`);
fs.writeFileSync(path.join(dist, "index.d.mts"), `import * as chainlab from "./index.js";
export * from "./index.js";
export default chainlab;
`);
