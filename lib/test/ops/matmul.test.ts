import { beforeEach, describe, expect, test } from "vitest";
import { arr, cl, expectClose, gradcheckLayouts, leaf, refMatmul2, refReduce } from "./reference";
import type { Tensor } from "../../src";

beforeEach(() => cl.manualSeed(5));

const m2 = (t: Tensor) => t.toArray() as number[][];

describe("matmul", () => {
  test("2-D against a naive triple loop", () => {
    const a = leaf([3, 4]), b = leaf([4, 5]);
    const want = refMatmul2(m2(a), m2(b));
    expectClose(a.matmul(b), { shape: [3, 5], data: want.flat() }, 1e-5, 1e-5);
  });

  test("1-D operands: dot, vector-matrix, matrix-vector", () => {
    const v = cl.tensor([1, 2, 3]), m = cl.tensor([[1, 0], [0, 1], [1, 1]]);
    expect(v.matmul(v).shape).toEqual([]);
    expect(v.matmul(v).item()).toBe(14);
    expect(v.matmul(m).toArray()).toEqual([4, 5]);
    expect(m.T.matmul(v).toArray()).toEqual([4, 5]);
  });

  test("batched and broadcast batch dims", () => {
    const a = leaf([2, 1, 3, 4]), b = leaf([3, 4, 2]);
    const out = a.matmul(b);
    expect(out.shape).toEqual([2, 3, 3, 2]);
    const A = a.toArray() as number[][][][], B = b.toArray() as number[][][];
    const want = A.flatMap((ai) => B.map((bj) => refMatmul2(ai[0], bj)));
    expectClose(out, { shape: [2, 3, 3, 2], data: want.flat(2) }, 1e-5, 1e-5);
  });

  test("transposed, sliced and expanded operands give the values of their copies", () => {
    const a = leaf([4, 3]), b = leaf([5, 4]);
    const want = refMatmul2(m2(a.T.contiguous()), m2(b.T.contiguous()));
    expectClose(a.T.matmul(b.T), { shape: [3, 5], data: want.flat() }, 1e-5, 1e-5);
    const s = leaf([6, 8]).index([null, null, 2], [1, null, 2]); // [3, 4], strides [16, 2]
    const want2 = refMatmul2(m2(s.contiguous()), m2(b.T.contiguous()));
    expectClose(s.matmul(b.T), { shape: [3, 5], data: want2.flat() }, 1e-5, 1e-5);
    const row = leaf([1, 4]).expand(3, 4);
    expectClose(row.matmul(b.T), { shape: [3, 5], data: refMatmul2(m2(row.contiguous()), m2(b.T.contiguous())).flat() }, 1e-5, 1e-5);
    const batchT = leaf([2, 4, 3]).transpose(1, 2); // [2, 3, 4]
    const bb = leaf([4, 2]);
    const wantB = (batchT.contiguous().toArray() as number[][][]).map((x) => refMatmul2(x, m2(bb)));
    expectClose(batchT.matmul(bb), { shape: [2, 3, 2], data: wantB.flat(2) }, 1e-5, 1e-5);
  });

  test("a 256 x 256 product matches a float64 reference (fast kernels block and thread here)", () => {
    const a = cl.randn(256, 256), b = cl.randn(256, 256);
    const A = a.data, B = b.data;
    const out = a.matmul(b).data;
    let worst = 0;
    for (const [i, j] of [[0, 0], [17, 200], [255, 255], [128, 3], [99, 131]]) {
      let s = 0;
      for (let k = 0; k < 256; k++) s += A[i * 256 + k] * B[k * 256 + j];
      worst = Math.max(worst, Math.abs(out[i * 256 + j] - s));
    }
    expect(worst).toBeLessThan(1e-3);
  });

  test.each([
    ["1-D @ 1-D", [4], [4]],
    ["1-D @ 2-D", [4], [4, 3]],
    ["2-D @ 1-D", [3, 4], [4]],
    ["2-D @ 2-D", [3, 4], [4, 2]],
    ["batched", [2, 3, 4], [2, 4, 2]],
    ["broadcast batch", [2, 1, 3, 4], [3, 4, 2]],
    ["batch @ 2-D", [2, 3, 4], [4, 2]],
    ["2-D @ batch", [3, 4], [2, 4, 2]],
    ["1-D @ batch", [4], [2, 4, 3]],
  ])("gradcheck %s", (_n, sa, sb) => {
    cl.gradcheck((a, b) => a.matmul(b), [leaf(sa as number[]), leaf(sb as number[])]);
  });

  test("gradcheck with transposed, sliced and expanded operands", () => {
    const b = leaf([4, 5]);
    gradcheckLayouts((a, w) => a.matmul(w), [3, 4], [b]);
    gradcheckLayouts((w, a) => a.matmul(w), [4, 5], [leaf([3, 4])]);
    cl.gradcheck((a, w) => a.T.matmul(w.T), [leaf([4, 3]), leaf([5, 4])]);
    cl.gradcheck((a, w) => a.transpose(1, 2).matmul(w.unsqueeze(0).expand(2, 4, 3)), [leaf([2, 4, 3]), leaf([4, 3])]);
  });
});

describe("softmax and logSoftmax", () => {
  const refSoftmax = (vs: number[]) => {
    const m = Math.max(...vs);
    const e = vs.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };

  test.each([[-1], [0], [1]])("values along dim %i", (dim) => {
    const x = leaf([3, 4]);
    const s = x.softmax(dim), l = x.logSoftmax(dim);
    // compare one row or column at a time, taken with a plain loop
    const X = x.toArray() as number[][];
    const S = s.toArray() as number[][], L = l.toArray() as number[][];
    const lines = dim === 0 ? [0, 1, 2, 3].map((j) => X.map((r) => r[j])) : X;
    lines.forEach((line, i) => {
      const want = refSoftmax(line);
      const got = dim === 0 ? S.map((r) => r[i]) : S[i];
      const gotL = dim === 0 ? L.map((r) => r[i]) : L[i];
      want.forEach((w, k) => {
        expect(got[k]).toBeCloseTo(w, 6);
        expect(gotL[k]).toBeCloseTo(Math.log(w), 5);
      });
    });
    expectClose(s.sum(dim), refReduce(arr(s), () => 1, [dim]));
  });

  test("stable for large logits; a fully masked row of -inf stays finite elsewhere", () => {
    expectClose(cl.tensor([1000, 1000]).softmax(), [0.5, 0.5]);
    expectClose(cl.tensor([1000, 0]).logSoftmax(), [0, -1000], 1e-6, 1e-3);
    const causal = cl.zeros(2, 2).maskedFill(cl.triu(cl.ones(2, 2), 1), -Infinity).softmax(-1);
    expectClose(causal, { shape: [2, 2], data: [1, 0, 0.5, 0.5] });
  });

  test("gradcheck along each dim and on views", () => {
    for (const dim of [0, 1, -1]) {
      cl.gradcheck((x) => x.softmax(dim), [leaf([3, 4])]);
      cl.gradcheck((x) => x.logSoftmax(dim), [leaf([3, 4])]);
    }
    cl.gradcheck((x) => x.softmax(1), [leaf([2, 3, 4])]);
    gradcheckLayouts((x) => x.softmax(-1), [3, 4]);
    gradcheckLayouts((x) => x.logSoftmax(0), [3, 4]);
  });
});
