// One GEMM case on random operands, checked against the TypeScript reference: the test
// files of both fast backends' GEMMs share it.
import { JsBackend } from "../../src/backend/js";
import type { Backend, GemmArgs } from "../../src/backend/types";
import { uniformArray } from "./seeded";

const ref = new JsBackend();

export interface GemmCase {
  batch?: number; m: number; n: number; k: number; transA: boolean; transB: boolean;
  /** Added to each leading dimension's minimum. */
  pad?: number; beta?: 0 | 1;
  /** Every batch item reads the same A (or B). */
  bcastA?: boolean; bcastB?: boolean;
  /** Every batch item accumulates into the same C. */
  sharedC?: boolean;
}

/**
 * Runs `opts` on `b` and on the reference with operands drawn from `rnd` (in [-1, 1]), at
 * offsets past the arrays' starts; the error bound per element comes from |A| @ |B| (plus
 * |C| when accumulating).
 */
export function checkGemm(b: Backend, opts: GemmCase, rnd: () => number): void {
  const { m, n, k, transA, transB } = opts;
  const batch = opts.batch ?? 1, pad = opts.pad ?? 0, beta = opts.beta ?? 0;
  const lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
  const aSize = (transA ? k : m) * lda, bSize = (transB ? n : k) * ldb, cSize = m * ldc;
  const aOffsets = Array.from({ length: batch }, (_, t) => 3 + (opts.bcastA ? 0 : t * aSize));
  const bOffsets = Array.from({ length: batch }, (_, t) => 2 + (opts.bcastB ? 0 : t * bSize));
  const cOffsets = Int32Array.from({ length: batch }, (_, t) => 1 + (opts.sharedC ? 0 : t * cSize));
  const a = uniformArray(rnd, 3 + batch * aSize + 2), bb = uniformArray(rnd, 2 + batch * bSize + 2);
  const c0 = uniformArray(rnd, 1 + batch * cSize + 2);
  const args = (c: Float32Array, x = a, y = bb): GemmArgs => ({
    batch, m, n, k, transA, transB, a: x, aOffsets, lda, b: y, bOffsets, ldb, c, cOffsets, ldc, beta,
  });
  const want = c0.slice(), got = c0.slice();
  ref.gemm(args(want));
  b.gemm(args(got));
  const bound = beta ? c0.map(Math.abs) : new Float32Array(c0.length);
  ref.gemm({ ...args(bound, a.map(Math.abs), bb.map(Math.abs)), beta: 1 });
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-6 + 2e-5 * bound[i];
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      throw new Error(`gemm ${JSON.stringify(opts)}: [${i}] got ${got[i]}, expected ${want[i]} (tolerance ${tol})`);
    }
  }
}
