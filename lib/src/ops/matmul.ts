// Matrix product with NumPy's rules: 1-D operands are promoted and the added dim removed,
// leading (batch) dims broadcast. Forward and backward are both GEMMs, with transposed
// operands passed to the kernel as flags rather than copied.
import { record } from "../core/autograd";
import { opKind } from "../core/derivative";
import { kernels } from "../backend";
import { broadcastShapes, fmt, numel } from "../core/shape";
import type { Tensor } from "../tensor";
import { tensorOf } from "../core/tensor-data";
import { floats } from "../core/storage";
import { requireFloat, sumTo } from "./operands";

/** How a kernel reads the last two dims of x: directly, transposed, or (else) from a copy. */
function gemmOperand(x: Tensor): { t: Tensor; trans: boolean; ld: number } {
  const n = x.ndim;
  const [rows, cols] = [x.shape[n - 2], x.shape[n - 1]];
  const [rs, cs] = [x.strides[n - 2], x.strides[n - 1]];
  if ((cs === 1 || cols === 1) && (rs >= cols || rows === 1)) return { t: x, trans: false, ld: Math.max(rs, cols, 1) };
  if ((rs === 1 || rows === 1) && (cs >= rows || cols === 1)) return { t: x, trans: true, ld: Math.max(cs, rows, 1) };
  const c = x.contiguous();
  return { t: c, trans: false, ld: Math.max(cols, 1) };
}

/** Storage offsets of each matrix of x when its batch dims are broadcast to `batch`. */
function batchOffsets(x: Tensor, batch: readonly number[]): Int32Array {
  const nb = x.ndim - 2;
  const offsets = new Int32Array(numel(batch));
  const added = batch.length - nb;
  const idx = new Array<number>(batch.length).fill(0);
  for (let i = 0; i < offsets.length; i++) {
    let off = x.offset;
    for (let d = 0; d < nb; d++) if (x.shape[d] !== 1) off += idx[added + d] * x.strides[d];
    offsets[i] = off;
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return offsets;
}

/** a [..., m, k] @ b [..., k, n] for tensors of at least 2 dims, without autograd. */
export function rawMatmul(a: Tensor, b: Tensor): Tensor {
  const m = a.shape[a.ndim - 2], k = a.shape[a.ndim - 1], n = b.shape[b.ndim - 1];
  const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const A = gemmOperand(a), B = gemmOperand(b);
  const count = numel(batch);
  const c = floats(count * m * n, false); // every element written: by the GEMM, or zeroed below when k = 0
  const cOffsets = new Int32Array(count);
  for (let i = 0; i < count; i++) cOffsets[i] = i * m * n;
  if (m > 0 && n > 0) {
    if (k === 0) c.fill(0);
    else
      kernels().gemm({
        batch: count, m, n, k,
        transA: A.trans, transB: B.trans,
        a: A.t.storage as Float32Array, aOffsets: batchOffsets(A.t, batch), lda: A.ld,
        b: B.t.storage as Float32Array, bOffsets: batchOffsets(B.t, batch), ldb: B.ld,
        c, cOffsets, ldc: n, beta: 0,
      });
  }
  return tensorOf(c, [...batch, m, n]);
}

const MATMUL = opKind("matmul", "Y = A @ B", ["∂Y/∂A: row i of Y uses row i of A with B", "∂Y/∂B: column j of Y uses A with column j of B"],
  ["g @ Bᵀ", "Aᵀ @ g"]);
export function matmul(a: Tensor, b: Tensor): Tensor {
  requireFloat("matmul", a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul(): both operands need at least 1 dim, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const x = a.ndim === 1 ? a.unsqueeze(0) : a;
  const y = b.ndim === 1 ? b.unsqueeze(1) : b;
  const k1 = x.shape[x.ndim - 1], k2 = y.shape[y.ndim - 2];
  if (k1 !== k2) {
    throw new Error(
      `matmul(): inner sizes differ: ${fmt(a.shape)} @ ${fmt(b.shape)} — the first's last dim (${k1}) ` +
        `must equal the second's ${b.ndim === 1 ? "only" : "second-to-last"} dim (${k2})`,
    );
  }
  const ba = x.shape.slice(0, -2), bb = y.shape.slice(0, -2);
  for (let i = 1; i <= Math.min(ba.length, bb.length); i++) {
    const [p, q] = [ba[ba.length - i], bb[bb.length - i]];
    if (p !== q && p !== 1 && q !== 1) {
      throw new Error(
        `matmul(): batch dims of ${fmt(a.shape)} @ ${fmt(b.shape)} cannot be broadcast: sizes ${p} and ${q} ` +
          `(the dims before the last two must be equal, or one of them 1)`,
      );
    }
  }
  if (x.ndim > 2 && b.ndim === 2 && x.isContiguous()) {
    // [..., m, k] @ [k, n] is one [(... m), k] @ [k, n] product: one GEMM, and a gradient
    // for y that needs no sum over batch dims
    const rows = x.shape.slice(0, -1);
    return matmul(x.reshape(-1, k1), y).reshape([...rows, y.shape[1]]);
  }
  let out = record(rawMatmul(x, y), MATMUL, [x, y], (g) => [
    // dL/dx = g y^T and dL/dy = x^T g, summed over any broadcast batch dims
    x.requiresGrad ? sumTo(rawMatmul(g, y.transpose(-2, -1)), x.shape) : null,
    y.requiresGrad ? sumTo(rawMatmul(x.transpose(-2, -1), g), y.shape) : null,
  ]);
  if (a.ndim === 1) out = out.squeeze(-2);
  if (b.ndim === 1) out = out.squeeze(-1);
  return out;
}
