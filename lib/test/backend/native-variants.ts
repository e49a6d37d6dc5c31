// The native addon as other machines build it: without OpenBLAS, and for a smaller vector
// unit than this CPU's (so that chainlab's portable GEMM runs here too). Each is built from
// the same sources into native/build/variants/<dir>, once and again when a source changes.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BlasBackend, addonPath, cpuFlags } from "../../src/backend/blas";

const native = path.join(__dirname, "..", "..", "native");

export interface Variant {
  name: string;
  /** info().gemm the variant must report: its own GEMM, at the vector width it was built for. */
  gemm: string;
  backend: BlasBackend;
}

function hasAvx2(): boolean {
  try {
    const flags = cpuFlags(fs.readFileSync("/proc/cpuinfo", "utf8"));
    return flags.has("avx2") && flags.has("fma");
  } catch {
    return false;
  }
}

const KINDS = [
  { name: "blas without OpenBLAS (avx2)", dir: "avx2-no-openblas", simd: "avx2", gemm: hasAvx2() ? "chainlab-avx2" : "chainlab-portable" },
  { name: "blas without OpenBLAS (portable)", dir: "portable-no-openblas", simd: "portable", gemm: "chainlab-portable" },
];

function prepare(kind: (typeof KINDS)[number]): { dir: string; file: string } {
  const dir = path.join(native, "build", "variants", kind.dir);
  fs.mkdirSync(dir, { recursive: true });
  // every file beside build.js is a source of the addon (its build output is a folder)
  const sources = fs.readdirSync(native, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  for (const f of sources) {
    const src = path.join(native, f), dst = path.join(dir, f);
    if (!fs.existsSync(dst) || !fs.readFileSync(src).equals(fs.readFileSync(dst))) fs.copyFileSync(src, dst);
  }
  return { dir, file: path.join(dir, "build", "Release", "chainlab_native.node") };
}

/**
 * The variants, built side by side (each build on a core of its own); none where this machine
 * could not build the addon itself (no compiler): where it could, a variant that fails to
 * build is an error.
 */
export function nativeVariants(): Variant[] {
  if (!fs.existsSync(addonPath())) return [];
  const dirs = KINDS.map(prepare);
  // one shell starts every build in the background and waits for them all; the paths go in
  // as arguments, never into the script's text
  const script = `while [ $# -gt 0 ]; do
    CHAINLAB_NO_OPENBLAS=1 CHAINLAB_NATIVE_SIMD="$1" "$NODE" "$2/build.js" --if-stale > "$2/build.log" 2>&1 &
    shift 2
  done
  wait`;
  spawnSync("sh", ["-c", script, "sh", ...KINDS.flatMap((k, i) => [k.simd, dirs[i].dir])],
    { stdio: "ignore", env: { ...process.env, NODE: process.execPath } });
  return KINDS.map((k, i) => {
    const { dir, file } = dirs[i];
    if (!fs.existsSync(file)) {
      throw new Error(`native addon variant ${k.dir} did not build: ${fs.readFileSync(path.join(dir, "build.log"), "utf8").trim()}`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { name: k.name, gemm: k.gemm, backend: new BlasBackend(require(file)) };
  });
}
