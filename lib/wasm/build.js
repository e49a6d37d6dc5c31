#!/usr/bin/env node
// Compiles the WebAssembly kernels (lib/wasm/assembly) with AssemblyScript, which comes
// from npm, so every machine that installs chainlab's dev dependencies can build them.
// The module imports one shared memory so that worker threads can run GEMM on it too.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const here = __dirname;
const out = path.join(here, "chainlab.wasm");
let asc;
try {
  asc = require.resolve("assemblyscript/bin/asc.js", { paths: [here] });
} catch {
  console.log("chainlab: WebAssembly kernels skipped (assemblyscript not installed); using TypeScript kernels");
  process.exit(0);
}
const args = [
  asc, path.join(here, "assembly", "kernels.ts"),
  "-o", out,
  "-O3", "--noAssert", "--runtime", "stub",
  "--enable", "simd", "--enable", "threads",
  "--importMemory", "--sharedMemory", "--initialMemory", "64", "--maximumMemory", "65536",
  "--use", "abort=",
];
const r = spawnSync(process.execPath, args, { stdio: "inherit" });
if (r.status !== 0) {
  console.error("chainlab: building the WebAssembly kernels failed");
  process.exit(1);
}
