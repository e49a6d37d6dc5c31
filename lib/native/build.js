#!/usr/bin/env node
// Builds the native addon when this machine can: a C++ compiler, make and Python (for
// node-gyp), and OpenBLAS's headers and library if they are there (without them, chainlab's
// own GEMM runs every product). Otherwise prints one line and exits 0, so that installing
// chainlab never fails; the library then runs on WebAssembly or plain TypeScript kernels.
//
//   node native/build.js             build (npm install runs this)
//   node native/build.js --if-stale  build only when the sources, this CPU's flags or the
//                                    OpenBLAS found changed
//   node native/build.js --simd=avx2 build for exactly that vector unit (avx512, avx2, portable)
//
// CHAINLAB_NO_OPENBLAS=1 builds without OpenBLAS where it is installed; CHAINLAB_NATIVE_SIMD
// (avx512, avx2 or portable) builds for a vector unit below this CPU's, for a machine that has less.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const here = __dirname;
const addon = path.join(here, "build", "Release", "chainlab_native.node");
// what the addon was built from: the vector flags of the CPU it was built for
const stamp = path.join(here, "build", "Release", "chainlab_native.flags");

function skip(reason) {
  const prebuilt = fs.existsSync(path.join(here, "..", "prebuilds", `${process.platform}-${process.arch}`));
  console.log(`chainlab: native backend not built (${reason}); using ${prebuilt ? "the prebuilt addon the package ships" : "WebAssembly/TypeScript kernels"}`);
  process.exit(0);
}

function has(cmd, args = ["--version"]) {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return r.status === 0;
}

function firstExisting(paths) {
  return paths.find((p) => p && fs.existsSync(p));
}

// All files named `name` one or two directories below each root (Debian puts OpenBLAS in
// multiarch and alternative-specific folders).
function findBelow(roots, name) {
  const found = [];
  for (const root of roots) {
    if (!root || !fs.existsSync(root)) continue;
    if (fs.existsSync(path.join(root, name))) found.push(path.join(root, name));
    let subs = [];
    try { subs = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()); } catch { continue; }
    for (const d of subs) {
      const p1 = path.join(root, d.name);
      if (fs.existsSync(path.join(p1, name))) found.push(path.join(p1, name));
      let subs2 = [];
      try { subs2 = fs.readdirSync(p1, { withFileTypes: true }).filter((e) => e.isDirectory()); } catch { continue; }
      for (const e of subs2) {
        const p2 = path.join(p1, e.name, name);
        if (fs.existsSync(p2)) found.push(p2);
      }
    }
  }
  return found;
}

if (process.env.CHAINLAB_SKIP_NATIVE) skip("CHAINLAB_SKIP_NATIVE is set");
if (process.platform === "win32") skip("not set up for Windows builds");

const home = process.env.OPENBLAS_HOME;
const incRoots = [home && path.join(home, "include"), "/usr/include", "/usr/local/include", "/opt/OpenBLAS/include", "/opt/homebrew/opt/openblas/include", "/usr/local/opt/openblas/include"];
const libRoots = [home && path.join(home, "lib"), "/usr/lib", "/usr/lib64", "/usr/local/lib", "/opt/OpenBLAS/lib", "/opt/homebrew/opt/openblas/lib", "/usr/local/opt/openblas/lib"];

// OpenBLAS's own cblas.h sits beside openblas_config.h and declares openblas_set_num_threads
const libName = process.platform === "darwin" ? "libopenblas.dylib" : "libopenblas.so";
const header = process.env.CHAINLAB_NO_OPENBLAS ? undefined
  : findBelow(incRoots, "cblas.h").find((h) => fs.existsSync(path.join(path.dirname(h), "openblas_config.h")));
const lib = header ? findBelow(libRoots, libName)[0] : undefined;
const withoutOpenblas = process.env.CHAINLAB_NO_OPENBLAS ? "CHAINLAB_NO_OPENBLAS is set"
  : !header ? "OpenBLAS headers not found; e.g. apt-get install libopenblas-dev" : !lib ? `${libName} not found` : null;
const cxx = process.env.CXX || (has("c++") ? "c++" : has("g++") ? "g++" : has("clang++") ? "clang++" : null);
if (!cxx) skip("no C++ compiler");
if (!has("make")) skip("make not found");
const python = process.env.PYTHON || (has("python3") ? "python3" : has("python") ? "python" : null);
if (!python) skip("Python not found (node-gyp needs it)");

let nodeGyp = process.env.npm_config_node_gyp;
if (!nodeGyp || !fs.existsSync(nodeGyp)) {
  try { nodeGyp = require.resolve("node-gyp/bin/node-gyp.js"); } catch { nodeGyp = undefined; }
}
if (!nodeGyp) {
  nodeGyp = firstExisting([
    path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ]);
}
if (!nodeGyp) skip("node-gyp not found");

// Node's headers ship beside its binary in most installs; using them avoids a download
const prefix = path.resolve(path.dirname(process.execPath), "..");
const nodedir = fs.existsSync(path.join(prefix, "include", "node", "node_api.h")) ? prefix : null;

// The addon is built on the machine that runs it, so it may use that CPU's vector units
const SIMD = {
  avx512: "-mavx2 -mfma -mavx512f -mavx512dq -mavx512bw -mavx512vl -mprefer-vector-width=512",
  avx2: "-mavx2 -mfma",
  portable: "",
};
let flags = [];
try {
  flags = fs.readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1].split(/\s+/) ?? [];
} catch { /* not Linux/x86: compiler defaults */ }
let level = ["avx512f", "avx512dq", "avx512bw", "avx512vl"].every((f) => flags.includes(f)) ? "avx512"
  : flags.includes("avx2") && flags.includes("fma") ? "avx2" : "portable";
// --simd=LEVEL builds exactly that level, whatever this CPU has (the prebuilt addons the
// package ships, lib/native/prebuild.js); CHAINLAB_NATIVE_SIMD only ever asks for less
const exact = process.argv.find((a) => a.startsWith("--simd="))?.slice("--simd=".length);
const asked = exact ?? process.env.CHAINLAB_NATIVE_SIMD;
if (asked) {
  const levels = Object.keys(SIMD);
  if (!levels.includes(asked)) skip(`${exact ? "--simd" : "CHAINLAB_NATIVE_SIMD"} must be one of ${levels.join(", ")}, not "${asked}"`);
  if (exact || levels.indexOf(asked) > levels.indexOf(level)) level = asked;
}
// a portable build asked for runs on any CPU of this architecture; one found here may use SSE4.1
const simd = level === "portable" && !asked && flags.includes("sse4_1") ? "-msse4.1" : SIMD[level];
const stampText = `${simd}\n${lib ?? "no OpenBLAS"}`;

if (process.argv.includes("--if-stale") && fs.existsSync(addon) && fs.existsSync(stamp) &&
  fs.readFileSync(stamp, "utf8") === stampText &&
  ["chainlab_native.cc", "gemm.cc", "gemm.h", "binding.gyp", "build.js"].every((f) => fs.statSync(path.join(here, f)).mtimeMs <= fs.statSync(addon).mtimeMs)) {
  process.exit(0); // up to date, and built for this CPU
}

const args = [nodeGyp, "rebuild", "--silent", `--simd_flags=${simd}`];
if (!withoutOpenblas) {
  args.push(`--cblas_include=${path.dirname(header)}`, `--openblas_lib=${lib}`, `--openblas_rpath=${path.dirname(fs.realpathSync(lib))}`);
}
if (nodedir) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(process.execPath, args, {
  cwd: here,
  encoding: "utf8",
  env: { ...process.env, CXX: cxx, PYTHON: python },
});
if (r.status !== 0 || !fs.existsSync(addon)) {
  const log = path.join(os.tmpdir(), "chainlab-native-build.log");
  fs.writeFileSync(log, `${r.stdout ?? ""}\n${r.stderr ?? ""}\n${r.error ?? ""}`);
  skip(`node-gyp failed, log in ${log}`);
}
const probe = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(addon)})`], { encoding: "utf8" });
if (probe.status !== 0) {
  fs.rmSync(addon, { force: true });
  skip(`the built addon does not load: ${(probe.stderr || "").trim().split("\n")[0]}`);
}
fs.writeFileSync(stamp, stampText);
console.log(withoutOpenblas
  ? `chainlab: native backend built with chainlab's own GEMM (${level}) and without OpenBLAS (${withoutOpenblas})`
  : `chainlab: native backend built for ${level} against ${lib}`);
