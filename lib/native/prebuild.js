#!/usr/bin/env node
// The prebuilt native addons the npm package ships in prebuilds/<platform>-<arch>/<level>/, for
// installs whose scripts never run (pnpm 10 and Bun block them, `npm i --ignore-scripts`, a
// machine without a C++ compiler): without them those users would get WebAssembly speed.
// Each is chainlab's own GEMM without OpenBLAS (a prebuilt addon cannot know where a user's
// OpenBLAS is), at one vector width; the loader takes the widest this CPU runs, after an
// addon built at install.
//
//   node native/prebuild.js       (npm pack and npm publish run it as `prepack`)
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const here = __dirname;
/** Vector widths the package ships, widest first (build.js's names). */
const LEVELS = ["avx512", "avx2", "portable"];

/**
 * Builds the addon from copies of these sources, one folder per variant under
 * build/variants/, all at once (a core each) and again only when a source changed. Each
 * variant is { dir, args, env }: build.js's arguments and environment. Returns the .node
 * files, in order, or throws naming a variant that did not build, with its log.
 */
function buildVariants(variants) {
  const dirs = variants.map((v) => {
    const dir = path.join(here, "build", "variants", v.dir);
    fs.mkdirSync(dir, { recursive: true });
    // every file beside build.js is a source of the addon (its build output is a folder)
    for (const e of fs.readdirSync(here, { withFileTypes: true })) {
      if (!e.isFile()) continue;
      const src = path.join(here, e.name), dst = path.join(dir, e.name);
      if (!fs.existsSync(dst) || !fs.readFileSync(src).equals(fs.readFileSync(dst))) fs.copyFileSync(src, dst);
    }
    return dir;
  });
  // one shell starts every build in the background and waits for them all; paths and
  // arguments go in as its arguments, never into the script's text
  const script = `while [ $# -gt 0 ]; do
    env $3 "$NODE" "$1/build.js" --if-stale $2 > "$1/build.log" 2>&1 &
    shift 3
  done
  wait`;
  const argv = variants.flatMap((v, i) => [dirs[i], v.args.join(" "), Object.entries(v.env ?? {}).map(([k, x]) => `${k}=${x}`).join(" ") || "CHAINLAB_VARIANT=1"]);
  spawnSync("sh", ["-c", script, "sh", ...argv], { stdio: "ignore", env: { ...process.env, NODE: process.execPath } });
  return variants.map((v, i) => {
    const file = path.join(dirs[i], "build", "Release", "chainlab_native.node");
    if (!fs.existsSync(file)) {
      throw new Error(`native addon variant ${v.dir} did not build: ${fs.readFileSync(path.join(dirs[i], "build.log"), "utf8").trim()}`);
    }
    return file;
  });
}

/** Where the prebuilt addon of one vector width goes: prebuilds/linux-x64/avx2/, say. */
function prebuildDir(level, platform = process.platform, arch = process.arch) {
  return path.join(here, "..", "prebuilds", `${platform}-${arch}`, level);
}

// what it says goes to stderr: `npm pack --json` prints its record on stdout after this runs
const say = (line) => console.error(line);

function main() {
  if (process.platform !== "linux" || process.arch !== "x64") {
    say(`chainlab: no prebuilt addons made on ${process.platform}-${process.arch} (linux-x64 only)`);
    return;
  }
  let files;
  try {
    files = buildVariants(LEVELS.map((level) => ({ dir: `prebuild-${level}`, args: [`--simd=${level}`], env: { CHAINLAB_NO_OPENBLAS: 1 } })));
  } catch (e) {
    // a package without prebuilt addons still works (built at install, or WebAssembly)
    say(`chainlab: prebuilt addons not made: ${e.message.split("\n")[0]}`);
    return;
  }
  LEVELS.forEach((level, i) => {
    const out = prebuildDir(level);
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    for (const name of ["chainlab_native.node", "chainlab_native.flags"]) {
      fs.copyFileSync(path.join(path.dirname(files[i]), name), path.join(out, name));
    }
  });
  say(`chainlab: prebuilt addons for linux-x64 (${LEVELS.join(", ")}) in ${path.relative(process.cwd(), path.dirname(prebuildDir(LEVELS[0])))}`);
}

module.exports = { LEVELS, buildVariants, prebuildDir };
if (require.main === module) main();
