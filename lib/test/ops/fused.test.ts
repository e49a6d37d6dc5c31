// The fused ops (linear, layerNorm with its affine part, causal attention): their values
// against the composition of primitives they stand for, and their backward by gradcheck.
import { beforeEach, describe, expect, test } from "vitest";
import { causalAttention } from "../../src/ops/attention";
import type { Tensor } from "../../src";
import { cl, expectClose, leaf } from "./reference";

const { F } = cl;

beforeEach(() => cl.manualSeed(5));

const same = (got: Tensor, want: Tensor, rtol = 1e-5, atol = 1e-5) =>
  expectClose(got, { shape: [...want.shape], data: Array.from(want.data) }, rtol, atol);

/** Gradients of a scalar projection of fn, for comparing two implementations. */
function grads(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): Tensor[] {
  for (const t of inputs) t.grad = null;
  const out = fn(...inputs);
  out.backward(cl.randn([...out.shape]).mul(0.5));
  return inputs.map((t) => t.grad!);
}

describe("linear", () => {
  const composed = (x: Tensor, w: Tensor, b?: Tensor) => {
    const y = x.matmul(w.transpose(0, 1));
    return b ? y.add(b) : y;
  };

  test("matches x @ W^T + b, values and gradients, with any leading dims", () => {
    for (const shape of [[5], [3, 5], [2, 3, 5]]) {
      const x = leaf(shape), w = leaf([4, 5]), b = leaf([4]);
      same(F.linear(x, w, b), composed(x, w, b));
      same(F.linear(x, w), composed(x, w));
      cl.manualSeed(1);
      const want = grads(composed, [x, w, b]);
      cl.manualSeed(1);
      const got = grads((x, w, b) => F.linear(x, w, b), [x, w, b]);
      got.forEach((g, i) => same(g, want[i], 1e-4, 1e-5));
    }
  });

  test("gradcheck, with inputs that do not require grad and a non-contiguous input", () => {
    cl.gradcheck((x, w, b) => F.linear(x, w, b), [leaf([2, 3, 4]), leaf([5, 4]), leaf([5])]);
    const frozen = cl.randn(5, 4);
    cl.gradcheck((x, b) => F.linear(x, frozen, b), [leaf([3, 4]), leaf([5])]);
    const input = cl.randn(3, 4);
    cl.gradcheck((w) => F.linear(input, w), [leaf([2, 4])]);
    cl.gradcheck((x, w) => F.linear(x.transpose(0, 1), w.transpose(0, 1)), [leaf([4, 3]), leaf([4, 2])]);
  });

  test("a bias of another shape broadcasts as in the composition", () => {
    const x = leaf([3, 4]), w = leaf([2, 4]), b = leaf([3, 1]);
    same(F.linear(x, w, b), composed(x, w, b));
    cl.gradcheck((x, w, b) => F.linear(x, w, b), [x, w, b]);
  });
});

describe("layerNorm with weight and bias", () => {
  const composed = (x: Tensor, w: Tensor | null, b: Tensor | null) => {
    const mu = x.mean(-1, true);
    const xc = x.sub(mu);
    let y = xc.div(xc.square().mean(-1, true).add(1e-5).sqrt());
    if (w) y = y.mul(w);
    if (b) y = y.add(b);
    return y;
  };

  test("matches the composition, values and gradients", () => {
    const x = leaf([2, 3, 6]), w = leaf([6]), b = leaf([6]);
    for (const [wi, bi] of [[w, b], [w, null], [null, b], [null, null]] as const) {
      same(F.layerNorm(x, [6], wi, bi), composed(x, wi, bi), 1e-4, 1e-5);
      const inputs = [x, ...(wi ? [wi] : []), ...(bi ? [bi] : [])];
      cl.manualSeed(2);
      const want = grads(() => composed(x, wi, bi), inputs);
      cl.manualSeed(2);
      const got = grads(() => F.layerNorm(x, [6], wi, bi), inputs);
      got.forEach((g, i) => same(g, want[i], 1e-3, 1e-4));
    }
  });

  test("gradcheck, with the affine part frozen, and with a broadcasting weight", () => {
    cl.gradcheck((x, w, b) => F.layerNorm(x, [5], w, b), [leaf([3, 5]), leaf([5]), leaf([5])]);
    const frozen = cl.randn(5);
    cl.gradcheck((x) => F.layerNorm(x, [5], frozen, frozen), [leaf([3, 5])]);
    const input = cl.randn(3, 5);
    cl.gradcheck((w) => F.layerNorm(input, [5], w), [leaf([5])]);
    cl.gradcheck((x, w) => F.layerNorm(x, [5], w), [leaf([3, 5]), leaf([3, 1])]);
  });
});

describe("causalAttention", () => {
  /** The same attention, written with views, matmul, maskedFill and softmax. */
  const composed = (qkv: Tensor, nh: number) => {
    const [B, T, C3] = qkv.shape;
    const C = C3 / 3, hs = C / nh;
    const heads = (i: number) => qkv.narrow(2, i * C, C).reshape(B, T, nh, hs).transpose(1, 2);
    const mask = cl.triu(cl.ones(T, T), 1);
    const att = heads(0).matmul(heads(1).transpose(-2, -1)).mul(1 / Math.sqrt(hs)).maskedFill(mask, -Infinity).softmax(-1);
    return att.matmul(heads(2)).transpose(1, 2).reshape(B, T, C);
  };

  test("matches the composition, values and gradients", () => {
    for (const [B, T, nh, hs] of [[2, 5, 2, 3], [1, 1, 1, 4], [3, 7, 4, 2]]) {
      const qkv = leaf([B, T, 3 * nh * hs]);
      same(causalAttention(qkv, nh), composed(qkv, nh), 1e-4, 1e-5);
      cl.manualSeed(3);
      const [want] = grads((t) => composed(t, nh), [qkv]);
      cl.manualSeed(3);
      const [got] = grads((t) => causalAttention(t, nh), [qkv]);
      same(got, want, 1e-3, 1e-5);
    }
  });

  test("gradcheck, also on a non-contiguous input", () => {
    cl.gradcheck((t) => causalAttention(t, 2), [leaf([2, 4, 12])]);
    cl.gradcheck((t) => causalAttention(t.transpose(0, 1), 1), [leaf([3, 2, 6])]);
  });

  test("is causal and checks its input", () => {
    const qkv = cl.randn(1, 4, 6);
    const y = causalAttention(qkv, 1);
    const changed = qkv.clone();
    changed.storage[3 * 6 + 2] += 1; // the last position's k
    expectClose(causalAttention(changed, 1).narrow(1, 0, 3), { shape: [1, 3, 2], data: Array.from(y.narrow(1, 0, 3).data) });
    expect(() => causalAttention(cl.randn(2, 3, 7), 1)).toThrow("causalAttention(): expected qkv [B, T, 3C]");
  });

  test("CausalSelfAttention takes the fused path without dropout, the composed one with it, alike", () => {
    const attn = new cl.nn.CausalSelfAttention({ nEmbd: 8, nHead: 2, blockSize: 6 });
    const x = cl.randn(2, 5, 8);
    const fused = attn.forward(x);
    // the composed path is taken while attention dropout is active; with p = 0 it must agree
    (attn.attnDropout as { p: number }).p = 1e-12;
    same(attn.forward(x), fused, 1e-4, 1e-5);
  });
});

describe("embedding backward", () => {
  /** dW by hand: each picked row gets the gradient of every position that picked it. */
  const scatterAdd = (idx: number[], g: Tensor, V: number, D: number) => {
    const want = new Array<number>(V * D).fill(0);
    const gv = g.data;
    idx.forEach((r, i) => { for (let k = 0; k < D; k++) want[r * D + k] += gv[i * D + k]; });
    return { shape: [V, D], data: want };
  };

  test("gradcheck with repeated indices", () => {
    const idx = cl.tensor([[0, 3, 3], [1, 0, 4]], { dtype: "int32" });
    cl.gradcheck((w) => F.embedding(idx, w), [leaf([5, 3])]);
  });

  test("the one-hot product and the scatter-add loop (large vocabularies) agree with the definition", () => {
    for (const [V, N] of [[7, 20], [5000, 1000]]) {
      const D = 3;
      const idx = Array.from({ length: N }, (_, i) => (i * 7919) % V);
      const w = leaf([V, D]);
      const g = cl.randn(N, D);
      F.embedding(cl.tensor(idx, { dtype: "int32" }), w).backward(g);
      expectClose(w.grad!, scatterAdd(idx, g, V, D), 1e-5, 1e-5);
    }
  });
});

describe("gradients a fused op allocates", () => {
  test("become a leaf's .grad without a copy, but are never shared between leaves", () => {
    const x = leaf([3, 4]), w = leaf([2, 4]), b = leaf([2]);
    F.linear(x, w, b).backward(cl.ones(3, 2));
    const storages = [x.grad!, w.grad!, b.grad!].map((g) => g.storage);
    expect(new Set(storages).size).toBe(3);
    // a weight used twice (as when tied) receives the sum of both uses
    const a = cl.randn(3, 4), v = leaf([2, 4]);
    F.linear(a, v).sum().backward();
    const once = Array.from(v.grad!.data);
    v.grad = null;
    F.linear(a, v).add(F.linear(a, v)).sum().backward();
    expectClose(v.grad!, { shape: [2, 4], data: once.map((g) => 2 * g) });
    // the same gradient object reaching two leaves through an identity is copied for one of them
    const p = leaf([2, 4]), q = leaf([2, 4]);
    F.layerNorm(p.add(q), [4]).backward(cl.ones(2, 4).mul(cl.randn(2, 4)));
    expect(p.grad!.storage).not.toBe(q.grad!.storage);
  });
});
