#!/usr/bin/env node
// Compiles the WebAssembly kernels (lib/wasm/assembly) with AssemblyScript, which comes
// from npm, so every machine that installs chainlab's dev dependencies can build them.
// The module imports one shared memory so that worker threads can run GEMM on it too.
// Two builds: chainlab.wasm with 128-bit SIMD, which every current engine runs, and
// chainlab-relaxed.wasm with relaxed SIMD too (fused multiply-add), which the backend
// prefers where the engine accepts it.
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const here = __dirname;
let asc;
try {
  asc = require.resolve("assemblyscript/bin/asc.js", { paths: [here] });
} catch {
  console.log("chainlab: WebAssembly kernels skipped (assemblyscript not installed); using TypeScript kernels");
  process.exit(0);
}
for (const [file, features] of [["chainlab.wasm", ["simd"]], ["chainlab-relaxed.wasm", ["simd", "relaxed-simd"]]]) {
  const args = [
    asc, path.join(here, "assembly", "kernels.ts"),
    "-o", path.join(here, file),
    "-O3", "--noAssert", "--runtime", "stub",
    ...features.flatMap((f) => ["--enable", f]), "--enable", "threads",
    "--importMemory", "--sharedMemory", "--initialMemory", "64", "--maximumMemory", "65536",
    "--use", "abort=",
  ];
  const r = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`chainlab: building the WebAssembly kernels (${file}) failed`);
    process.exit(1);
  }
}
