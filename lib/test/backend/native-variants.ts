// The native addon as other machines build it: without OpenBLAS, and for a smaller vector
// unit than this CPU's (so that chainlab's portable GEMM runs here too), built as the package's
// prebuilt addons are (native/prebuild.js), into native/build/variants/<dir>.
import * as fs from "node:fs";
import { BlasBackend, addonPath, cpuFlags } from "../../src/backend/blas";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildVariants } = require("../../native/prebuild.js") as {
  buildVariants(variants: { dir: string; args: string[]; env?: Record<string, string | number> }[]): string[];
};

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

/**
 * The variants, built side by side; none where this machine could not build the addon itself
 * (no compiler): where it could, a variant that fails to build is an error.
 */
export function nativeVariants(): Variant[] {
  if (!fs.existsSync(addonPath())) return [];
  const files = buildVariants(KINDS.map((k) => ({ dir: k.dir, args: [], env: { CHAINLAB_NO_OPENBLAS: 1, CHAINLAB_NATIVE_SIMD: k.simd } })));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return KINDS.map((k, i) => ({ name: k.name, gemm: k.gemm, backend: new BlasBackend(require(files[i])) }));
}
