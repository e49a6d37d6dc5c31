// An addon compiled for vector units this CPU lacks is never loaded (it would die with SIGILL
// and take the kernel with it): the build's stamp names its compiler flags, /proc/cpuinfo the
// CPU's features.
import { expect, test } from "vitest";
import { missingCpuFlags, requiredCpuFlags } from "../../src/backend/blas";

const cpu = (flags: string) => `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: ${flags}\n`;
const avx512Build = "-mavx2 -mfma -mavx512f -mavx512dq -mavx512bw -mavx512vl -mprefer-vector-width=512\n/usr/lib/libopenblas.so";

test("compiler flags name the CPU features the addon executes, tuning flags none", () => {
  expect(requiredCpuFlags(avx512Build.split("\n")[0])).toEqual(["avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl"]);
  expect(requiredCpuFlags("-msse4.1")).toEqual(["sse4_1"]);
  expect(requiredCpuFlags("")).toEqual([]);
});

test("an AVX-512 build on an AVX2 machine lacks the AVX-512 features, and runs where they are", () => {
  expect(missingCpuFlags(avx512Build, cpu("fpu sse sse2 sse4_1 avx avx2 fma"))).toEqual(["avx512f", "avx512dq", "avx512bw", "avx512vl"]);
  expect(missingCpuFlags(avx512Build, cpu("sse4_1 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512cd"))).toEqual([]);
});

test("a portable build runs anywhere; an SSE4.1 one not on a CPU without it", () => {
  expect(missingCpuFlags("\nno OpenBLAS", cpu("fpu sse sse2"))).toEqual([]);
  expect(missingCpuFlags("-msse4.1\nno OpenBLAS", cpu("fpu sse sse2"))).toEqual(["sse4_1"]);
});
