// Causal self-attention as one fused op, with the closed-form backward of its three products.
import { record } from "../core/autograd";
import { unaryKind } from "../core/derivative";
import { kernels } from "../backend";
import { fmt } from "../core/shape";
import type { Tensor } from "../tensor";
import { tensorOf } from "../core/tensor-data";
import { floats } from "../core/storage";
import { requireFloat } from "./operands";
import { flat, matOp } from "./matrix";
import { Scratch } from "../core/scratch";

const SCALAR = (v: number) => new Float32Array([v]);

// [heads, T, T] work arrays, each used by the forward and then by the backward
const PRODUCTS = new Scratch("causalAttention: the scores q kᵀ; in backward, dy vᵀ");
const SCALED = new Scratch("causalAttention: the scaled, masked scores; in backward, their gradient");

const masks = new Map<number, Float32Array>();

/** [T, T]: 0 on and below the diagonal, -inf above it; kept per T. */
function causalMask(T: number): Float32Array {
  let m = masks.get(T);
  if (!m) {
    m = new Float32Array(T * T);
    for (let i = 0; i < T; i++) m.fill(-Infinity, i * T + i + 1, (i + 1) * T);
    masks.set(T, m);
  }
  return m;
}

const CAUSAL_ATTENTION = unaryKind("causalAttention", "q, k, v = a's three parts; y = softmax(q kᵀ/√d, masked above the diagonal) v",
  "∂y/∂a: through v (Pᵀ), through P's softmax into q and k", "dv = Pᵀg, dP = g vᵀ, dS = P · (dP − Σ dP·P)/√d, dq = dS k, dk = dSᵀ q");
/**
 * Causal multi-head self-attention on a fused projection qkv [B, T, 3C] (q, k and v side by
 * side, each split into nHead heads of size hs = C / nHead), giving [B, T, C] with the heads
 * side by side again:
 *   S = q k^T / sqrt(hs), hidden above the diagonal;  P = softmax(S);  y = P v.
 * Fused so that no head is copied out of qkv or back into y: every product is one batched
 * GEMM over the B * nHead heads that reads and writes them in place through offsets and
 * leading dimensions. Its backward, with dP = dy v^T and dS = softmax'(P) dP / sqrt(hs):
 *   dq = dS k,  dk = dS^T q,  dv = P^T dy.
 * (Hidden entries have P = 0, so they pass no gradient, as with a -inf mask.)
 */
export function causalAttention(qkv: Tensor, nHead: number): Tensor {
  requireFloat("causalAttention", qkv);
  if (qkv.ndim !== 3 || qkv.shape[2] % (3 * nHead) !== 0) {
    throw new Error(`causalAttention(): expected qkv [B, T, 3C] with C divisible by nHead ${nHead}, got ${fmt(qkv.shape)}`);
  }
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3, hs = C / nHead, heads = B * nHead, scale = 1 / Math.sqrt(hs);
  const [qv, qo] = flat(qkv);
  // where head (b, h) starts: in qkv (its q; k and v follow at +C, +2C), in y, in P
  const inQkv = new Int32Array(heads), inY = new Int32Array(heads), inP = new Int32Array(heads);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nHead; h++) {
      const i = b * nHead + h;
      inQkv[i] = qo + b * T * C3 + h * hs;
      inY[i] = b * T * C + h * hs;
      inP[i] = i * T * T;
    }
  }
  const shift = (offs: Int32Array, by: number) => offs.map((o) => o + by);
  const inK = shift(inQkv, C), inV = shift(inQkv, 2 * C);
  const gemm = (m: number, n: number, k: number, a: Float32Array, aOffsets: Int32Array, lda: number, transA: boolean,
    b: Float32Array, bOffsets: Int32Array, ldb: number, transB: boolean, c: Float32Array, cOffsets: Int32Array, ldc: number) => {
    if (heads > 0 && m > 0 && n > 0 && k > 0) {
      kernels().gemm({ batch: heads, m, n, k, transA, transB, a, aOffsets, lda, b, bOffsets, ldb, c, cOffsets, ldc, beta: 0 });
    }
    return c;
  };

  const n = heads * T * T;
  const k = kernels();
  const scores = gemm(T, T, hs, qv, inQkv, C3, false, qv, inK, C3, true, PRODUCTS.take(n), inP, T); // q k^T
  const p = floats(n, false);
  if (n && k.causalSoftmax) {
    k.causalSoftmax(scores, heads, T, scale, p);
  } else if (n) {
    // scale, then add 0 on and below the diagonal and -inf above it (each position t sees 0..t)
    const masked = matOp("mul", heads, T * T, scores, SCALAR(scale), "scalar", SCALED.take(n));
    matOp("add", heads, T * T, masked, causalMask(T), "col", masked);
    k.softmax(masked, heads * T, T, p, false);
  }
  const y = gemm(T, hs, T, p, inP, T, false, qv, inV, C3, false, floats(B * T * C, false), inY, C); // P v

  return record(tensorOf(y, [B, T, C]), CAUSAL_ATTENTION, [qkv], (g) => {
    const gv = g.values() as Float32Array;
    const dp = gemm(T, T, hs, gv, inY, C, false, qv, inV, C3, true, PRODUCTS.take(n), inP, T); // dy v^T
    const ds = SCALED.take(n);
    if (n && k.causalSoftmaxBackward) {
      k.causalSoftmaxBackward(p, dp, heads, T, scale, ds);
    } else if (n) {
      k.softmaxBackward(p, dp, heads * T, T, ds, false);
      matOp("mul", heads, T * T, ds, SCALAR(scale), "scalar", ds);
    }
    const dqkv = floats(B * T * C3, false); // q, k and v parts each written whole by a GEMM
    const at = shift(inQkv, -qo); // the same heads in dqkv, which starts at 0
    gemm(T, hs, T, ds, inP, T, false, qv, inK, C3, false, dqkv, at, C3); // dq = dS k
    gemm(T, hs, T, ds, inP, T, true, qv, inQkv, C3, false, dqkv, shift(at, C), C3); // dk = dS^T q
    gemm(T, hs, T, p, inP, T, true, gv, inY, C, false, dqkv, shift(at, 2 * C), C3); // dv = P^T dy
    return [tensorOf(dqkv, qkv.shape)];
  }, true, [p]);
}

const SPLIT_HEADS = unaryKind("splitHeads", "y = one of q, k, v of a, cut into heads [B, nh, T, hs]", "∂y/∂a = 1 on that part's columns",
  "g written back into that part's columns of a");
/**
 * Part `part` (0 q, 1 k, 2 v) of a fused projection [B, T, 3C] as a [B, nh, T, hs] view of
 * the same storage, which the batched GEMM reads through its strides. Its backward writes
 * the gradient into that part's columns in one pass over contiguous rows.
 */
export function splitHeads(qkv: Tensor, part: number, nh: number): Tensor {
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3, hs = C / nh;
  const view = tensorOf(qkv.storage, [B, nh, T, hs], [T * C3, hs, C3, 1], qkv.offset + part * C);
  return record(view, SPLIT_HEADS, [qkv], (g) => {
    const gv = g.values(); // row-major [B, nh, T, hs]
    const gx = floats(B * T * C3, true);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < nh; h++) {
        for (let t = 0; t < T; t++) {
          const src = ((b * nh + h) * T + t) * hs;
          gx.set(gv.subarray(src, src + hs), (b * T + t) * C3 + part * C + h * hs);
        }
      }
    }
    return [tensorOf(gx, qkv.shape)];
  }, false);
}
