// Which backend runs is said: backendInfo() names it and its GEMM, and a program that falls
// back from the native backend without asking prints one line saying so and why (an install
// that skipped the addon would otherwise run at WebAssembly speed without a word).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { addonPath } from "../../src/backend/blas";

const dist = join(__dirname, "..", "..", "dist");

/**
 * Runs `code` in a fresh Node with the built library as `cl`; `hideAddon` makes every addon
 * look absent ("all"), or only the one built at install ("built").
 */
function run(code: string, opts: { hideAddon?: "all" | "built"; cpuFlags?: string; env?: Record<string, string> } = {}) {
  if (!existsSync(join(dist, "index.js"))) throw new Error(`no build at ${dist}: run npm run build -w lib first`);
  const hidden = opts.hideAddon === "built" ? JSON.stringify(addonPath()) : opts.hideAddon === "all" ? `"chainlab_native.node"` : null;
  let hide = hidden
    ? `const fs = require("node:fs"); const real = fs.existsSync; fs.existsSync = (p) => !String(p).endsWith(${hidden}) && real(p);`
    : "";
  // `cpuFlags` stands in for /proc/cpuinfo's flags: a CPU with other vector units
  if (opts.cpuFlags !== undefined) {
    hide += `\n{ const fs = require("node:fs"); const read = fs.readFileSync; fs.readFileSync = (p, ...a) => p === "/proc/cpuinfo" ? ${JSON.stringify(`processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: ${opts.cpuFlags}\n`)} : read(p, ...a); }`;
  }
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...opts.env };
  if (!opts.env?.CHAINLAB_BACKEND) delete env.CHAINLAB_BACKEND;
  const r = spawnSync(process.execPath, ["-e", `${hide}\nconst cl = require(${JSON.stringify(dist)});\n${code}`], { encoding: "utf8", env });
  expect(r.status, r.stderr).toBe(0);
  return { out: r.stdout.trim(), err: r.stderr.trim() };
}

test("without the native addon, the first op prints one line naming the backend, its GEMM and why", () => {
  const { out, err } = run(`cl.tensor([1, 2]).add(1); cl.tensor([3]).mul(2); console.log(JSON.stringify(cl.backendInfo()));`, { hideAddon: "all" });
  const info = JSON.parse(out);
  expect(info.name).toBe("wasm");
  expect(info.gemm).toMatch(/^wasm-(relaxed-)?simd$/);
  expect(info.fallback).toMatch(/the native addon is not built/);
  const lines = err.split("\n").filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^chainlab: running on WebAssembly \(wasm-(relaxed-)?simd GEMM, \d+ threads?\): the native addon is not built .*`npm rebuild chainlab`/);
});

test("a backend asked for by CHAINLAB_BACKEND runs without a notice, and says it was not a fallback", () => {
  const { out, err } = run(`cl.tensor([1, 2]).add(1); console.log(JSON.stringify(cl.backendInfo()));`, { hideAddon: "all", env: { CHAINLAB_BACKEND: "js" } });
  expect(JSON.parse(out)).toEqual({ name: "js", gemm: "js", threads: 1, addon: null, fallback: null });
  expect(err).toBe("");
});

test.skipIf(!existsSync(addonPath()))("with the native addon built, nothing is printed and backendInfo() names the GEMM", () => {
  const { out, err } = run(`cl.tensor([1, 2]).add(1); console.log(JSON.stringify(cl.backendInfo()));`);
  const info = JSON.parse(out);
  expect(info.name).toBe("blas");
  expect(info.gemm).toMatch(/^(chainlab-(avx512|avx2|portable)|openblas)$/);
  expect(info.threads).toBeGreaterThanOrEqual(1);
  expect(info.addon).toBe("built");
  expect(info.fallback).toBeNull();
  expect(err).toBe("");
});

// lib/prebuilds is made by `npm pack` (native/prebuild.js); the package test checks it installed
const prebuilt = join(__dirname, "..", "..", "prebuilds", `${process.platform}-${process.arch}`);
const info = (flags?: string) => {
  const { out, err } = run(`cl.tensor([1, 2]).add(1); console.log(JSON.stringify(cl.backendInfo()));`, { hideAddon: "built", cpuFlags: flags });
  return { ...JSON.parse(out), err };
};
test.skipIf(!existsSync(prebuilt))("without the addon built at install, the widest prebuilt one the CPU runs is loaded, silently", () => {
  const base = "fpu sse sse2 sse4_1 avx";
  expect(info(`${base} avx2 fma avx512f avx512dq avx512bw avx512vl`)).toMatchObject({ name: "blas", addon: "prebuilt", gemm: "chainlab-avx512", fallback: null, err: "" });
  expect(info(`${base} avx2 fma`)).toMatchObject({ name: "blas", addon: "prebuilt", gemm: "chainlab-avx2", fallback: null, err: "" });
  expect(info(base)).toMatchObject({ name: "blas", addon: "prebuilt", gemm: "chainlab-portable", fallback: null, err: "" });
});
