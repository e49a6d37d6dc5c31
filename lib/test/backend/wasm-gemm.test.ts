// The WebAssembly GEMM's own paths against the TypeScript reference: both builds (relaxed
// SIMD with its 6x8 micro-kernel, plain SIMD with 4x8), on one thread and on two with the
// threshold for splitting at 1, so that even tiny products take the shared-B split (B
// packed once by column ranges, C cut into row and column blocks) and the tiled batches.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { JsBackend } from "../../src/backend/js";
import type { GemmArgs } from "../../src/backend/types";
import { type WasmBackend, createWasmBackend } from "../../src/backend/wasm";
import { type GemmCase, checkGemm } from "./gemm-check";
import { mulberry32, uniformArray } from "./seeded";

const ref = new JsBackend();

let rnd = mulberry32(1);
const randInt = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const check = (b: WasmBackend, opts: GemmCase) => checkGemm(b, opts, rnd);

const builds: [string, boolean, number][] = [
  ["relaxed SIMD, 1 thread", true, 1],
  ["relaxed SIMD, 2 threads", true, 2],
  ["plain SIMD, 1 thread", false, 1],
  ["plain SIMD, 2 threads", false, 2],
];

for (const [name, relaxed, threads] of builds) {
  const b = createWasmBackend({ relaxed, threads });
  describe.skipIf(!b)(`wasm gemm, ${name}`, () => {
    const be = b as WasmBackend;

    beforeAll(async () => {
      for (let i = 0; i < 300 && be.threads() < threads; i++) await new Promise((r) => setTimeout(r, 10));
      be.configureThreads(1, threads, false);
    });
    afterAll(() => be.close());

    test("threads come up and the build is the one asked for where the engine has it", () => {
      expect(be.threads()).toBe(threads);
      if (!relaxed) expect(be.relaxedSimd()).toBe(false);
    });

    test("edges: 1xN, Nx1, sizes around the 6x8 and 4x8 blocks, k = 0, every transpose", () => {
      rnd = mulberry32(31);
      const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 16, 17, 23, 25, 49];
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (let trial = 0; trial < 30; trial++) {
            const m = sizes[randInt(0, sizes.length - 1)], n = sizes[randInt(0, sizes.length - 1)];
            const k = sizes[randInt(0, sizes.length - 1)];
            check(be, { m, n, k, transA, transB, pad: trial % 3 === 0 ? randInt(1, 3) : 0, beta: trial % 4 === 1 ? 1 : 0 });
          }
          check(be, { m: 1, n: 300, k: 70, transA, transB });
          check(be, { m: 300, n: 1, k: 70, transA, transB });
          check(be, { m: 1, n: 1, k: 513, transA, transB, beta: 1 });
          check(be, { m: 7, n: 9, k: 0, transA, transB, beta: 0 });
          check(be, { m: 7, n: 9, k: 0, transA, transB, beta: 1 });
        }
      }
    });

    test("k past one packed block (256), accumulating, with padded leading dimensions", () => {
      rnd = mulberry32(32);
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          check(be, { m: 61, n: 45, k: 600, transA, transB, pad: 2 });
          check(be, { m: 130, n: 67, k: 257, transA, transB, beta: 1 });
          check(be, { m: 6, n: 8, k: 512, transA, transB, beta: 1, pad: 1 });
          // a B large enough (past 64K floats packed) for every thread to pack part of it
          check(be, { m: 20, n: 300, k: 257, transA, transB, beta: transA ? 1 : 0 });
        }
      }
      check(be, { m: 250, n: 130, k: 300, transA: false, transB: false });
    });

    test("batched, and products accumulating into one C", () => {
      rnd = mulberry32(33);
      check(be, { batch: 48, m: 13, n: 17, k: 9, transA: false, transB: true });
      check(be, { batch: 3, m: 70, n: 50, k: 300, transA: true, transB: false, pad: 1 });
      check(be, { batch: 5, m: 30, n: 19, k: 11, transA: true, transB: true, sharedC: true, beta: 1 });
      check(be, { batch: 2, m: 1, n: 1, k: 3, transA: false, transB: false, sharedC: true, beta: 1 });
    });

    test("both operands views of one array, as attention's q and k are of one projection", () => {
      rnd = mulberry32(34);
      // qkv [T, 3C]: heads of q at column h hs, of k at C + h hs
      const T = 37, C = 24, heads = 3, hs = C / heads;
      const qkv = uniformArray(rnd, T * 3 * C + 5);
      // q k^T ([T, hs] @ [hs, T]) and q^T k ([hs, T] @ [T, hs])
      for (const [transA, transB] of [[false, true], [true, false]]) {
        const m = transA ? hs : T, n = transB ? T : hs, k = transA ? T : hs;
        const args = (c: Float32Array, x = qkv): GemmArgs => ({
          batch: heads, m, n, k, transA, transB,
          a: x, aOffsets: Array.from({ length: heads }, (_, h) => 1 + h * hs), lda: 3 * C,
          b: x, bOffsets: Array.from({ length: heads }, (_, h) => 1 + C + h * hs), ldb: 3 * C,
          c, cOffsets: Array.from({ length: heads }, (_, h) => h * m * n), ldc: n, beta: 0,
        });
        const want = new Float32Array(heads * m * n), got = new Float32Array(heads * m * n);
        ref.gemm(args(want));
        be.gemm(args(got));
        const bound = new Float32Array(heads * m * n);
        ref.gemm(args(bound, qkv.map(Math.abs)));
        for (let i = 0; i < want.length; i++) {
          expect(Math.abs(got[i] - want[i]), `transA=${transA} transB=${transB} [${i}]`).toBeLessThanOrEqual(1e-6 + 2e-5 * bound[i]);
        }
      }
    });
  });
}
