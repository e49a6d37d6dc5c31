import { beforeEach, describe, expect, test } from "vitest";
import { cl, distinct, expectClose, gradcheckLayouts, leaf, refMatmul2 } from "./reference";

const { F } = cl;
const int = (v: cl.NestedNumbers) => cl.tensor(v, { dtype: "int32" });

beforeEach(() => cl.manualSeed(21));

const logSumExp = (vs: number[]) => {
  const m = Math.max(...vs);
  return m + Math.log(vs.reduce((s, v) => s + Math.exp(v - m), 0));
};

describe("F.linear", () => {
  test("y = x W^T + b against a naive product", () => {
    const x = leaf([2, 3]), w = leaf([4, 3]), b = leaf([4]);
    const want = refMatmul2(x.toArray(), (w.T.contiguous().toArray() as number[][])).map((r) => r.map((v, j) => v + b.data[j]));
    expectClose(F.linear(x, w, b), { shape: [2, 4], data: want.flat() }, 1e-5, 1e-5);
    expectClose(F.linear(x, w), { shape: [2, 4], data: refMatmul2(x.toArray(), w.T.contiguous().toArray() as number[][]).flat() }, 1e-5, 1e-5);
  });

  test("gradcheck with batch dims, with and without bias, on views", () => {
    cl.gradcheck((x, w, b) => F.linear(x, w, b), [leaf([2, 3, 4]), leaf([5, 4]), leaf([5])]);
    cl.gradcheck((x, w) => F.linear(x, w), [leaf([3, 4]), leaf([2, 4])]);
    gradcheckLayouts((x, w, b) => F.linear(x, w, b), [3, 4], [leaf([2, 4]), leaf([2])]);
  });
});

describe("F activations and softmax", () => {
  test("match the tensor methods and gradcheck", () => {
    const x = leaf([3, 4], { kinks: [0] });
    expectClose(F.relu(x), Object.assign({ shape: [3, 4] }, { data: Array.from(x.relu().data) }));
    expectClose(F.gelu(x), { shape: [3, 4], data: Array.from(x.gelu().data) });
    expectClose(F.softmax(x, 0), { shape: [3, 4], data: Array.from(x.softmax(0).data) });
    expectClose(F.logSoftmax(x, -1), { shape: [3, 4], data: Array.from(x.logSoftmax(-1).data) });
    cl.gradcheck((t) => F.relu(t), [x]);
    cl.gradcheck((t) => F.gelu(t), [x]);
    expectClose(F.gelu(x, { approximate: "tanh" }), { shape: [3, 4], data: Array.from(x.gelu({ approximate: "tanh" }).data) });
    cl.gradcheck((t) => F.gelu(t, { approximate: "tanh" }), [x]);
    cl.gradcheck((t) => F.softmax(t, 1), [x]);
    cl.gradcheck((t) => F.logSoftmax(t, 0), [x]);
  });
});

describe("F.crossEntropy and F.nllLoss", () => {
  const logits = () => cl.tensor([[1, 2, 3], [1, 0, -1], [0.5, 0.5, 2], [-1, 3, 0]], { requiresGrad: true });
  const targets = int([2, 0, 1, 1]);
  const perRow = (x: number[][], t: number[]) => x.map((row, i) => logSumExp(row) - row[t[i]]);

  test("values for each reduction, against log-sum-exp by hand", () => {
    const x = logits();
    const want = perRow(x.toArray(), [2, 0, 1, 1]);
    expectClose(F.crossEntropy(x, targets, { reduction: "none" }), want);
    expectClose(F.crossEntropy(x, targets, { reduction: "sum" }), want.reduce((a, b) => a + b));
    expectClose(F.crossEntropy(x, targets), want.reduce((a, b) => a + b) / 4);
    expectClose(F.crossEntropy(x, [2, 0, 1, 1]), want.reduce((a, b) => a + b) / 4);
  });

  test("a custom ignoreIndex skips positions and the mean divides by the rest", () => {
    const x = logits();
    const want = perRow(x.toArray(), [2, 0, 1, 1]);
    expectClose(F.crossEntropy(x, int([2, 7, 1, 7]), { ignoreIndex: 7 }), (want[0] + want[2]) / 2);
    expectClose(F.crossEntropy(x, int([2, 7, 1, 7]), { ignoreIndex: 7, reduction: "sum" }), want[0] + want[2]);
    // every position ignored: the mean is 0/0, as in PyTorch; the sum is 0
    expectClose(F.crossEntropy(x, int([7, 7, 7, 7]), { ignoreIndex: 7 }), NaN);
    expectClose(F.crossEntropy(x, int([7, 7, 7, 7]), { ignoreIndex: 7, reduction: "sum" }), 0);
  });

  test("ignoreIndex: values and zero gradient on ignored rows", () => {
    const x = logits();
    const t = int([2, -100, 1, -100]);
    const want = perRow(x.toArray(), [2, 0, 1, 0]);
    const loss = F.crossEntropy(x, t);
    expectClose(loss, (want[0] + want[2]) / 2);
    expectClose(F.crossEntropy(x, t, { reduction: "none" }), [want[0], 0, want[2], 0]);
    loss.backward();
    const g = x.grad!.toArray() as number[][];
    expect(g[1]).toEqual([0, 0, 0]);
    expect(g[3]).toEqual([0, 0, 0]);
    // (softmax - onehot) / 2 on the kept rows
    const row0 = x.toArray()[0] as number[];
    const p = row0.map((v) => Math.exp(v - logSumExp(row0)));
    g[0].forEach((gv, c) => expect(gv).toBeCloseTo((p[c] - (c === 2 ? 1 : 0)) / 2, 6));
  });

  test("logits with leading dims [B, T, C] and targets [B, T]", () => {
    const x = leaf([2, 3, 5]);
    const t = int([[0, 4, 2], [1, 1, 3]]);
    const flat = F.crossEntropy(x.reshape(6, 5), t.reshape(6));
    expectClose(F.crossEntropy(x, t), flat.item());
    expect(F.crossEntropy(x, t, { reduction: "none" }).shape).toEqual([2, 3]);
  });

  test("gradcheck for every reduction, with ignoreIndex, on a transposed input", () => {
    const t = int([2, 0, -1, 1]);
    for (const reduction of ["mean", "sum", "none"] as const) {
      cl.gradcheck((x) => F.crossEntropy(x, t, { reduction, ignoreIndex: -1 }), [leaf([4, 3])]);
      cl.gradcheck((x) => F.nllLoss(x.logSoftmax(-1), t, { reduction, ignoreIndex: -1 }), [leaf([4, 3])]);
    }
    cl.gradcheck((x) => F.crossEntropy(x.T, int([0, 1, 2])), [leaf([4, 3])]);
  });

  test("nllLoss picks -x[target] and agrees with crossEntropy on logSoftmax", () => {
    const x = cl.tensor([[-1, -2, -3], [-0.5, -4, -0.25]]);
    expectClose(F.nllLoss(x, int([1, 2]), { reduction: "none" }), [2, 0.25]);
    expectClose(F.nllLoss(x, int([1, 2])), 1.125);
    expectClose(F.nllLoss(x, int([1, 2]), { reduction: "sum" }), 2.25);
    const l = logits();
    expectClose(F.nllLoss(l.logSoftmax(-1), targets), F.crossEntropy(l, targets).item());
  });
});

describe("F.mseLoss", () => {
  test("values for each reduction and gradcheck", () => {
    const a = cl.tensor([1, 2, 3]), b = cl.tensor([1, 0, 6]);
    expectClose(F.mseLoss(a, b), 13 / 3);
    expectClose(F.mseLoss(a, b, { reduction: "sum" }), 13);
    expectClose(F.mseLoss(a, b, { reduction: "none" }), [0, 4, 9]);
    cl.gradcheck((x, y) => F.mseLoss(x, y), [leaf([2, 3]), leaf([2, 3])]);
    gradcheckLayouts((x, y) => F.mseLoss(x, y, { reduction: "sum" }), [3, 4], [leaf([3, 4])]);
  });
});

describe("F.binaryCrossEntropyWithLogits", () => {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const ref = (x: number, y: number, pw = 1) => -(pw * y * Math.log(sig(x)) + (1 - y) * Math.log(1 - sig(x)));

  test("values against -[y log s + (1 - y) log(1 - s)], and stable for large logits", () => {
    const x = [-3, -0.5, 0, 0.7, 4], y = [0, 1, 0.3, 1, 0];
    const want = x.map((v, i) => ref(v, y[i]));
    expectClose(F.binaryCrossEntropyWithLogits(cl.tensor(x), cl.tensor(y), { reduction: "none" }), want);
    expectClose(F.binaryCrossEntropyWithLogits(cl.tensor(x), cl.tensor(y)), want.reduce((a, b) => a + b) / 5);
    expectClose(F.binaryCrossEntropyWithLogits(cl.tensor([200, -200]), cl.tensor([0, 0]), { reduction: "none" }), [200, 0]);
    const wantPw = x.map((v, i) => ref(v, y[i], 3));
    expectClose(F.binaryCrossEntropyWithLogits(cl.tensor(x), cl.tensor(y), { reduction: "none", posWeight: 3 }), wantPw, 1e-5, 1e-5);
  });

  test("the gradient at logit 0 is sigmoid(0) - y", () => {
    const x = cl.zeros([3], { requiresGrad: true });
    F.binaryCrossEntropyWithLogits(x, cl.tensor([0, 1, 0.25]), { reduction: "sum" }).backward();
    expectClose(x.grad!, [0.5, -0.5, 0.25]);
  });

  test("gradcheck for logits and targets, with posWeight", () => {
    const y = () => leaf([2, 3], { low: 0, high: 1 });
    cl.gradcheck((x, t) => F.binaryCrossEntropyWithLogits(x, t), [leaf([2, 3]), y()]);
    cl.gradcheck((x, t) => F.binaryCrossEntropyWithLogits(x, t, { posWeight: 2.5, reduction: "sum" }), [leaf([2, 3]), y()]);
    gradcheckLayouts((x, t) => F.binaryCrossEntropyWithLogits(x, t, { reduction: "none" }), [3, 4], [leaf([3, 4], { low: 0, high: 1 })]);
  });
});

describe("F.layerNorm", () => {
  test("values against mean and population variance per row, with weight and bias", () => {
    const x = leaf([2, 3, 4]), w = leaf([4]), b = leaf([4]);
    const rows = (x.toArray() as number[][][]).flat();
    const want = rows.flatMap((r) => {
      const mu = r.reduce((s, v) => s + v, 0) / r.length;
      const v = r.reduce((s, u) => s + (u - mu) ** 2, 0) / r.length;
      return r.map((u, j) => ((u - mu) / Math.sqrt(v + 1e-5)) * w.data[j] + b.data[j]);
    });
    expectClose(F.layerNorm(x, [4], w, b), { shape: [2, 3, 4], data: want }, 1e-4, 1e-5);
    const y = F.layerNorm(x, [3, 4]);
    expectClose(y.mean([1, 2]), [0, 0], 0, 1e-5);
    expectClose(y.var([1, 2], false, 0), [1, 1], 1e-3);
  });

  test("gradcheck with and without weight and bias, on views", () => {
    cl.gradcheck((x, w, b) => F.layerNorm(x, [4], w, b), [leaf([3, 4]), leaf([4]), leaf([4])]);
    cl.gradcheck((x) => F.layerNorm(x, [2, 3]), [leaf([2, 2, 3])]);
    gradcheckLayouts((x, w) => F.layerNorm(x, [4], w), [3, 4], [leaf([4])]);
  });
});

describe("F.embedding", () => {
  test("rows by index, any index shape", () => {
    const w = cl.arange(10).float().reshape(5, 2);
    expect(F.embedding(int([[4, 0], [1, 1]]), w).toArray()).toEqual([[[8, 9], [0, 1]], [[2, 3], [2, 3]]]);
    expect(F.embedding([3], w).toArray()).toEqual([[6, 7]]);
  });

  test("backward scatter-adds: a row used k times gets k gradients", () => {
    const w = leaf([5, 3]);
    F.embedding(int([[1, 4, 1], [0, 1, 2]]), w).sum().backward();
    expect(w.grad!.toArray()).toEqual([[1, 1, 1], [3, 3, 3], [1, 1, 1], [0, 0, 0], [1, 1, 1]]);
    cl.gradcheck((t) => F.embedding(int([2, 2, 0, 2]), t), [leaf([3, 2])]);
    cl.gradcheck((t) => F.embedding(int([[1, 0], [1, 1]]), t.T), [leaf([2, 3])]);
  });
});

describe("F.dropout", () => {
  test("zeroes a fraction p and scales the rest by 1/(1-p)", () => {
    const x = cl.ones(20000);
    const y = F.dropout(x, 0.3);
    const v = y.data;
    let zeros = 0;
    for (const e of v) {
      if (e === 0) zeros++;
      else expect(e).toBeCloseTo(1 / 0.7, 6);
    }
    // 20,000 Bernoulli(0.3) draws: the standard deviation of the fraction is 0.0032
    expect(Math.abs(zeros / v.length - 0.3)).toBeLessThan(0.015);
    expect(Math.abs(y.mean().item() - 1)).toBeLessThan(0.03);
  });

  test("eval mode and p = 0 pass the input through; p = 1 zeroes all", () => {
    const x = leaf([3, 4]);
    expect(F.dropout(x, 0.5, false)).toBe(x);
    expect(F.dropout(x, 0)).toBe(x);
    expect(Array.from(F.dropout(x, 1).data).every((e) => e === 0)).toBe(true);
  });

  test("seeded: the same seed gives the same mask; the gradient is the mask", () => {
    const x = leaf([50]);
    cl.manualSeed(99);
    const a = F.dropout(x, 0.5);
    cl.manualSeed(99);
    const b = F.dropout(x, 0.5);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const c = F.dropout(x, 0.5);
    expect(Array.from(c.data)).not.toEqual(Array.from(a.data));
    a.sum().backward();
    const g = x.grad!.data;
    a.data.forEach((v, i) => expect(g[i]).toBe(v === 0 ? 0 : 2));
  });

  test("gradcheck with the mask fixed by reseeding inside fn", () => {
    const seeded = (t: import("../../src").Tensor) => { cl.manualSeed(5); return F.dropout(t, 0.4); };
    cl.gradcheck(seeded, [leaf([3, 4])]);
    gradcheckLayouts(seeded, [3, 4]);
  });
});

describe("F.conv2d", () => {
  /** The definition: out[n, o, y, x] = b[o] + sum over c, i, j of w[o, c, i, j] * xpad[n, c, y*s + i, x*s + j]. */
  function naiveConv(x: number[][][][], w: number[][][][], b: number[] | null, stride: number, pad: number): number[][][][] {
    const H = x[0][0].length, W = x[0][0][0].length, kh = w[0][0].length, kw = w[0][0][0].length;
    const OH = Math.floor((H + 2 * pad - kh) / stride) + 1, OW = Math.floor((W + 2 * pad - kw) / stride) + 1;
    const px = (n: number, c: number, yy: number, xx: number) =>
      yy < 0 || yy >= H || xx < 0 || xx >= W ? 0 : x[n][c][yy][xx];
    return x.map((_, n) => w.map((wo, o) => Array.from({ length: OH }, (_, oy) => Array.from({ length: OW }, (_, ox) => {
      let s = b ? b[o] : 0;
      wo.forEach((wc, c) => wc.forEach((wr, i) => wr.forEach((wv, j) => {
        s += wv * px(n, c, oy * stride - pad + i, ox * stride - pad + j);
      })));
      return s;
    }))));
  }

  test.each([[1, 0], [2, 1], [1, 2], [3, 1]])("values against the naive loop (stride %i, padding %i)", (stride, padding) => {
    const x = leaf([2, 3, 7, 6]), w = leaf([4, 3, 3, 2]), b = leaf([4]);
    const want = naiveConv(x.toArray(), w.toArray(), Array.from(b.data), stride, padding);
    const out = F.conv2d(x, w, b, { stride, padding });
    expect(out.shape).toEqual([2, 4, want[0][0].length, want[0][0][0].length]);
    expectClose(out, { shape: [...out.shape], data: want.flat(3) }, 1e-5, 1e-5);
    const noBias = naiveConv(x.toArray(), w.toArray(), null, stride, padding);
    expectClose(F.conv2d(x, w, null, { stride, padding }), { shape: [...out.shape], data: noBias.flat(3) }, 1e-5, 1e-5);
  });

  test("gradcheck for input, weight and bias, with stride and padding", () => {
    cl.gradcheck((x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), [leaf([1, 2, 5, 4]), leaf([3, 2, 3, 3]), leaf([3])]);
    cl.gradcheck((x, w) => F.conv2d(x, w, null, { stride: [1, 2], padding: [0, 1] }), [leaf([2, 1, 4, 4]), leaf([2, 1, 2, 2])]);
    cl.gradcheck((x, w) => F.conv2d(x.permute(0, 3, 1, 2), w), [leaf([1, 4, 4, 2]), leaf([2, 2, 2, 2])]);
  });
});

describe("F.maxPool2d", () => {
  function naivePool(x: number[][][][], k: number, s: number): number[][][][] {
    const H = x[0][0].length, W = x[0][0][0].length;
    const OH = Math.floor((H - k) / s) + 1, OW = Math.floor((W - k) / s) + 1;
    return x.map((xn) => xn.map((xc) => Array.from({ length: OH }, (_, oy) => Array.from({ length: OW }, (_, ox) => {
      let m = -Infinity;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) m = Math.max(m, xc[oy * s + i][ox * s + j]);
      return m;
    }))));
  }

  test.each([[2, 2], [3, 1], [2, 1], [3, 2]])("values against the naive loop (kernel %i, stride %i)", (k, s) => {
    const x = leaf([2, 2, 6, 7]);
    const want = naivePool(x.toArray(), k, s);
    const out = F.maxPool2d(x, k, s);
    expectClose(out, { shape: [2, 2, want[0][0].length, want[0][0][0].length], data: want.flat(3) });
  });

  test("the gradient goes to each window's maximum; gradcheck on distinct values", () => {
    const x = cl.tensor([[[[1, 5, 2, 0], [3, 4, 8, 1]]]], { requiresGrad: true });
    F.maxPool2d(x, 2).sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[0, 1, 0, 0], [0, 0, 1, 0]]]]);
    cl.gradcheck((t) => F.maxPool2d(t, 2), [distinct([1, 2, 4, 4])]);
    cl.gradcheck((t) => F.maxPool2d(t, 3, 1), [distinct([2, 1, 4, 5])]);
    cl.gradcheck((t) => F.maxPool2d(t.transpose(2, 3), 2), [distinct([1, 1, 4, 6])]);
  });
});
