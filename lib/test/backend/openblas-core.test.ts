// Which OpenBLAS kernels the addon asks for: AVX-512 ones on AMD CPUs that have it (which
// OpenBLAS before 0.3.22 runs with AVX2 kernels), nothing elsewhere.
import { expect, test } from "vitest";
import { openblasCoreType } from "../../src/backend/blas";

const cpu = (vendor: string, flags: string) => `processor\t: 0\nvendor_id\t: ${vendor}\nflags\t\t: ${flags}\n`;
const avx512 = "fpu sse sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl";

test("AMD with AVX-512 gets the AVX-512 kernels, Cooperlake's where bf16 is there too", () => {
  expect(openblasCoreType(cpu("AuthenticAMD", avx512))).toBe("SKYLAKEX");
  expect(openblasCoreType(cpu("AuthenticAMD", `${avx512} avx512_bf16`))).toBe("COOPERLAKE");
});

test("OpenBLAS chooses alone on Intel, and on AMD without the whole AVX-512 set", () => {
  expect(openblasCoreType(cpu("GenuineIntel", `${avx512} avx512_bf16`))).toBeNull();
  expect(openblasCoreType(cpu("AuthenticAMD", "fpu sse sse2 avx avx2 fma"))).toBeNull();
  expect(openblasCoreType(cpu("AuthenticAMD", "avx2 fma avx512f avx512vl"))).toBeNull();
  expect(openblasCoreType("")).toBeNull();
});
