// The linear layer and the embedding lookup, each one GEMM forward and backward.
import { record } from "../core/autograd";
import { opKind, unaryKind } from "../core/derivative";
import { kernels } from "../backend";
import { fmt, numel } from "../core/shape";
import type { Tensor } from "../tensor";
import { tensorOf } from "../core/tensor-data";
import { indexTensor, requireFloat } from "./operands";
import { floats, recycle } from "../core/storage";
import { flat, gemm1 } from "./matrix";

const LINEAR = opKind("linear", "Y = X @ Wᵀ + bias (X = a, W = b, bias = c)", ["∂Y/∂X = W", "∂Y/∂W = X", "∂Y/∂bias = 1"],
  ["g @ W", "gᵀ @ X", "g summed over the batch"]);
const LINEAR_NO_BIAS = opKind("linear", "Y = X @ Wᵀ (X = a, W = b; no bias)", ["∂Y/∂X = W", "∂Y/∂W = X"], ["g @ W", "gᵀ @ X"]);
/**
 * y = x W^T + b, W [out, in], over the last dim of x (its leading dims folded into rows).
 * Fused so that the forward is one GEMM that reads W transposed through a flag, with the
 * bias written into the output first and the GEMM adding onto it; and so that the backward
 * needs no transposed copies: dx = g W, dW = g^T x, db = the column sums of g.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  requireFloat("linear", x, weight);
  const [outF, inF] = weight.shape;
  const rows = numel(x.shape.slice(0, -1));
  const [xv, xo] = flat(x);
  const [wv, wo] = flat(weight);
  // every element is written by the bias below or by the GEMM, unless there is neither
  const out = floats(rows * outF, !bias && inF === 0);
  if (bias) {
    const bv = bias.values() as Float32Array;
    for (let r = 0; r < rows; r++) out.set(bv, r * outF);
  }
  gemm1(rows, outF, inF, xv, xo, inF, false, wv, wo, inF, true, out, bias ? 1 : 0);
  const y = tensorOf(out, [...x.shape.slice(0, -1), outF]);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, bias ? LINEAR : LINEAR_NO_BIAS, inputs, (g) => {
    const gv = g.values() as Float32Array;
    let gx: Tensor | null = null, gw: Tensor | null = null, gb: Tensor | null = null;
    if (x.requiresGrad) {
      const d = floats(rows * inF, outF === 0);
      gemm1(rows, inF, outF, gv, 0, outF, false, wv, wo, inF, false, d, 0);
      gx = tensorOf(d, x.shape);
    }
    if (weight.requiresGrad) {
      const d = floats(outF * inF, rows === 0);
      gemm1(outF, inF, rows, gv, 0, outF, true, xv, xo, inF, false, d, 0);
      gw = tensorOf(d, weight.shape);
    }
    if (bias?.requiresGrad) {
      const d = floats(outF, true);
      if (rows > 0) kernels().reduce("sum", gv, 1, rows, outF, d);
      gb = tensorOf(d, bias.shape);
    }
    return [gx, gw, gb];
  });
}


const EMBEDDING = unaryKind("embedding", "y = W[idx] (W = a)", "∂y/∂W[r] = 1 for the rows r looked up", "g rows added into the rows of W that were read");
/** Rows of weight [V, D] picked by int32 indices of any shape; the backward scatter-adds. */
export function embedding(idxLike: Tensor | number[], weight: Tensor): Tensor {
  const idx = indexTensor("embedding", idxLike);
  if (weight.ndim !== 2) throw new Error(`embedding(): weight must be 2-D [vocab, dim], got ${fmt(weight.shape)}`);
  const [V, D] = weight.shape;
  const iv = idx.values();
  for (let i = 0; i < iv.length; i++) {
    if (iv[i] < 0 || iv[i] >= V) {
      throw new Error(`embedding(): index ${iv[i]} at position ${i} is out of range for an embedding of ${V} rows (valid: 0..${V - 1})`);
    }
  }
  const wv = weight.values();
  const out = floats(iv.length * D, false); // every row is set below
  for (let i = 0; i < iv.length; i++) out.set(wv.subarray(iv[i] * D, iv[i] * D + D), i * D);
  return record(tensorOf(out, [...idx.shape, D]), EMBEDDING, [weight], (g) => {
    // The lookup is onehot(idx) @ W, so dW = onehot(idx)^T @ g: rows picked twice get both
    // gradients. One GEMM does it while the one-hot matrix is small; else a scatter-add loop.
    const gw = floats(V * D, true);
    const gv = g.values() as Float32Array;
    const N = iv.length;
    if (N * V <= 1 << 22) {
      const onehot = floats(N * V, true);
      for (let i = 0; i < N; i++) onehot[i * V + iv[i]] = 1;
      gemm1(V, D, N, onehot, 0, V, true, gv, 0, D, false, gw, 0);
      recycle(onehot);
    } else {
      for (let i = 0; i < N; i++) {
        const o = iv[i] * D;
        for (let k = 0; k < D; k++) gw[o + k] += gv[i * D + k];
      }
    }
    return [tensorOf(gw, weight.shape)];
  }, false);
}
