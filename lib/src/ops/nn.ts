// The fused ops of neural networks: each has a closed-form backward that is cheaper and
// more stable than the chain of primitives it stands for.
import { fresh, record } from "../autograd";
import { kernels } from "../backend";
import { fmt, normDim, numel } from "../shape";
import { defaultGenerator } from "../random";
import { Tensor, allocate, uninitialized } from "../tensor";
import { recycle } from "../storage";
import { requireFloat } from "./elementwise";
import { indexTensor } from "./shape";
import { matOp, scratch, sumOver } from "./flat";

/** Run a last-dim kernel on any dim by moving that dim last and back. */
function alongDim(x: Tensor, dim: number, op: string, f: (x: Tensor) => Tensor): Tensor {
  const d = normDim(op, dim, x.shape);
  if (d === x.ndim - 1 || x.ndim === 0) return f(x);
  return f(x.transpose(d, -1)).transpose(d, -1);
}

function softmaxLast(x: Tensor, log: boolean): Tensor {
  const name = log ? "logSoftmax" : "softmax";
  const cols = x.ndim ? x.shape[x.ndim - 1] : 1;
  const rows = cols ? x.numel() / cols : 0;
  const out = uninitialized(x.numel());
  kernels().softmax(x.values() as Float32Array, rows, cols, out, log);
  const y = new Tensor(out, x.shape);
  return record(y, name, [x], (g) => {
    const gx = uninitialized(out.length);
    kernels().softmaxBackward(out, g.values() as Float32Array, rows, cols, gx, log);
    return [new Tensor(gx, x.shape)];
  });
}

export function softmax(x: Tensor, dim = -1): Tensor {
  requireFloat("softmax", x);
  return alongDim(x, dim, "softmax", (t) => softmaxLast(t, false));
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  requireFloat("logSoftmax", x);
  return alongDim(x, dim, "logSoftmax", (t) => softmaxLast(t, true));
}

/** A float tensor as a kernel reads it: its own storage and offset when contiguous, else a copy. */
function flat(t: Tensor): [Float32Array, number] {
  return t.isContiguous() ? [t.storage as Float32Array, t.offset] : [t.values() as Float32Array, 0];
}

const ZERO = [0];

/** c = op(a) @ op(b) for one product of row-major matrices (offsets into a, b and c). */
function gemm1(m: number, n: number, k: number, a: Float32Array, ao: number, lda: number, transA: boolean,
  b: Float32Array, bo: number, ldb: number, transB: boolean, c: Float32Array, beta: 0 | 1): void {
  if (m === 0 || n === 0 || k === 0) return; // with k = 0 the caller hands in a zeroed c (or one holding the bias)
  kernels().gemm({ batch: 1, m, n, k, transA, transB, a, aOffsets: [ao], lda, b, bOffsets: [bo], ldb, c, cOffsets: ZERO, ldc: n, beta });
}

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
  // every element is written: by the bias below, or by the GEMM when there is a product to sum
  const out = bias || inF > 0 ? uninitialized(rows * outF) : new Float32Array(rows * outF);
  if (bias) {
    const bv = bias.values() as Float32Array;
    for (let r = 0; r < rows; r++) out.set(bv, r * outF);
  }
  gemm1(rows, outF, inF, xv, xo, inF, false, wv, wo, inF, true, out, bias ? 1 : 0);
  const y = new Tensor(out, [...x.shape.slice(0, -1), outF]);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, "linear", inputs, (g) => {
    const gv = g.values() as Float32Array;
    let gx: Tensor | null = null, gw: Tensor | null = null, gb: Tensor | null = null;
    if (x.requiresGrad) {
      const d = outF > 0 ? uninitialized(rows * inF) : new Float32Array(rows * inF);
      gemm1(rows, inF, outF, gv, 0, outF, false, wv, wo, inF, false, d, 0);
      gx = fresh(new Tensor(d, x.shape));
    }
    if (weight.requiresGrad) {
      const d = rows > 0 ? uninitialized(outF * inF) : new Float32Array(outF * inF);
      gemm1(outF, inF, rows, gv, 0, outF, true, xv, xo, inF, false, d, 0);
      gw = fresh(new Tensor(d, weight.shape));
    }
    if (bias?.requiresGrad) {
      const d = new Float32Array(outF);
      if (rows > 0) kernels().reduce("sum", gv, 1, rows, outF, d);
      gb = fresh(new Tensor(d, bias.shape));
    }
    return [gx, gw, gb];
  });
}

/** Normalise over the trailing dims of normalizedShape, then scale and shift. */
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  requireFloat("layerNorm", x);
  const tail = x.shape.slice(x.ndim - normalizedShape.length);
  if (normalizedShape.length > x.ndim || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new Error(`layerNorm(): normalizedShape ${fmt(normalizedShape)} does not match the end of input shape ${fmt(x.shape)}`);
  }
  const cols = numel(normalizedShape);
  if ((weight && weight.numel() !== cols) || (bias && bias.numel() !== cols)) {
    // an affine part that is not one value per normalised element broadcasts by the general rules
    let y = layerNorm(x, normalizedShape, null, null, eps);
    if (weight) y = y.mul(weight);
    if (bias) y = y.add(bias);
    return y;
  }
  if (weight) requireFloat("layerNorm", weight);
  if (bias) requireFloat("layerNorm", bias);
  const rows = cols ? x.numel() / cols : 0;
  const xhatData = uninitialized(x.numel());
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  kernels().layerNorm(x.values() as Float32Array, rows, cols, eps, xhatData, mean, rstd);
  const wv = weight ? (weight.values() as Float32Array) : null;
  const bv = bias ? (bias.values() as Float32Array) : null;
  // y = xhat * weight + bias, per column; xhat itself is kept for the backward
  let out = xhatData;
  if (wv) out = matOp("mul", rows, cols, xhatData, wv, "col", uninitialized(xhatData.length));
  if (bv) out = matOp("add", rows, cols, out, bv, "col", out === xhatData ? uninitialized(out.length) : out);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(new Tensor(out, x.shape), "layerNorm", inputs, (g) => {
    // With gh = g * weight, per row: dx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat));
    // dweight = the sum over rows of g * xhat, dbias = the sum over rows of g.
    const gv = g.values() as Float32Array;
    const n = gv.length;
    const grads: Tensor[] = [];
    const prod = scratch(0, n);
    const gh = wv ? matOp("mul", rows, cols, gv, wv, "col", scratch(1, n)) : gv;
    const mg = sumOver("cols", gh, rows, cols);
    const mgx = sumOver("cols", matOp("mul", rows, cols, gh, xhatData, "full", prod), rows, cols);
    for (let r = 0; r < rows; r++) {
      mg[r] /= cols;
      mgx[r] /= cols;
    }
    const t = matOp("mul", rows, cols, xhatData, mgx, "row", prod); // xhat * mean(gh * xhat)
    matOp("sub", rows, cols, gh, t, "full", t);
    matOp("sub", rows, cols, t, mg, "row", t);
    grads.push(fresh(new Tensor(matOp("mul", rows, cols, t, rstd, "row", uninitialized(n)), x.shape)));
    if (weight) grads.push(fresh(new Tensor(sumOver("rows", matOp("mul", rows, cols, gv, xhatData, "full", prod), rows, cols), weight.shape)));
    if (bias) grads.push(fresh(new Tensor(sumOver("rows", gv, rows, cols), bias.shape)));
    return grads;
  }, true, out === xhatData ? null : [xhatData]);
}

const SCALAR = (v: number) => new Float32Array([v]);

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
  const scores = gemm(T, T, hs, qv, inQkv, C3, false, qv, inK, C3, true, scratch(0, n), inP, T); // q k^T
  // scale, then add 0 on and below the diagonal and -inf above it (each position t sees 0..t)
  const masked = matOp("mul", heads, T * T, scores, SCALAR(scale), "scalar", scratch(1, n));
  matOp("add", heads, T * T, masked, causalMask(T), "col", masked);
  const p = uninitialized(n);
  if (n) kernels().softmax(masked, heads * T, T, p, false);
  const y = gemm(T, hs, T, p, inP, T, false, qv, inV, C3, false, uninitialized(B * T * C), inY, C); // P v

  return record(new Tensor(y, [B, T, C]), "causalAttention", [qkv], (g) => {
    const gv = g.values() as Float32Array;
    const dp = gemm(T, T, hs, gv, inY, C, false, qv, inV, C3, true, scratch(0, n), inP, T); // dy v^T
    const ds = scratch(1, n);
    if (n) kernels().softmaxBackward(p, dp, heads * T, T, ds, false);
    matOp("mul", heads, T * T, ds, SCALAR(scale), "scalar", ds);
    const dqkv = uninitialized(B * T * C3); // q, k and v parts each written whole by a GEMM
    const at = shift(inQkv, -qo); // the same heads in dqkv, which starts at 0
    gemm(T, hs, T, ds, inP, T, false, qv, inK, C3, false, dqkv, at, C3); // dq = dS k
    gemm(T, hs, T, ds, inP, T, true, qv, inQkv, C3, false, dqkv, shift(at, C), C3); // dk = dS^T q
    gemm(T, hs, T, p, inP, T, true, gv, inY, C, false, dqkv, shift(at, 2 * C), C3); // dv = P^T dy
    return [new Tensor(dqkv, qkv.shape)];
  }, true, [p]);
}

/** Targets as int32 class indices, flattened to line up with rows of the logits. */
function classTargets(op: string, target: Tensor | number[], x: Tensor, ignoreIndex: number): Int32Array {
  const [rows, classes] = rowsOf(op, x);
  const t = indexTensor(op, target);
  const tv = t.values() as Int32Array;
  if (tv.length !== rows) {
    throw new Error(`${op}(): ${tv.length} targets of shape ${fmt(t.shape)} for ${rows} rows of predictions (input shape ${fmt(x.shape)})`);
  }
  for (let i = 0; i < tv.length; i++) {
    if (tv[i] !== ignoreIndex && (tv[i] < 0 || tv[i] >= classes)) {
      throw new Error(
        `${op}(): target ${tv[i]} at position ${i} is out of range for ${classes} classes ` +
          `(valid: 0..${classes - 1}, or ignoreIndex ${ignoreIndex} to skip a position)`,
      );
    }
  }
  return tv;
}

export interface LossOptions {
  ignoreIndex?: number;
  reduction?: "mean" | "sum" | "none";
}

/** Rows and classes of logits shaped [N, C] or [..., C]. */
function rowsOf(op: string, x: Tensor): [number, number] {
  if (x.ndim < 1) throw new Error(`${op}(): input must have a class dim, got shape ${fmt(x.shape)}`);
  const classes = x.shape[x.ndim - 1];
  return [x.numel() / Math.max(classes, 1), classes];
}

/**
 * Negative log-likelihood of class targets under log-probabilities x ([..., C]).
 * Targets equal to ignoreIndex add nothing; "mean" divides by the rest.
 */
export function nllLoss(x: Tensor, target: Tensor | number[], opts: LossOptions = {}): Tensor {
  requireFloat("nllLoss", x);
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? "mean";
  const [rows, classes] = rowsOf("nllLoss", x);
  const tv = classTargets("nllLoss", target, x, ignore);
  const { out, denom } = pickedLoss(x.values(), x.shape, tv, ignore, reduction);
  return record(out, "nllLoss", [x], (g) => {
    const gv = g.values();
    const gx = new Float32Array(x.numel());
    for (let r = 0; r < rows; r++) {
      if (tv[r] === ignore) continue;
      gx[r * classes + tv[r]] = -(reduction === "none" ? gv[r] : gv[0] / denom);
    }
    return [new Tensor(gx, x.shape)];
  }, false);
}

/**
 * The loss of each row, -logp[r, target[r]] (0 where the target is ignored), reduced as
 * asked; "mean" divides by the rows that count, so it is NaN (0/0) when none does.
 */
function pickedLoss(logp: ArrayLike<number>, shape: readonly number[], tv: Int32Array, ignore: number,
  reduction: NonNullable<LossOptions["reduction"]>): { out: Tensor; denom: number } {
  const rows = tv.length, classes = shape[shape.length - 1];
  const per = new Float32Array(rows);
  let count = 0, sum = 0;
  for (let r = 0; r < rows; r++) {
    if (tv[r] === ignore) continue;
    per[r] = -logp[r * classes + tv[r]];
    sum += per[r];
    count++;
  }
  const denom = reduction === "mean" ? count : 1;
  const out = reduction === "none" ? new Tensor(per, shape.slice(0, -1)) : new Tensor(new Float32Array([sum / denom]), []);
  return { out, denom };
}

/** logSoftmax and nllLoss fused: the gradient is (softmax - onehot) / count. */
export function crossEntropy(logits: Tensor, target: Tensor | number[], opts: LossOptions = {}): Tensor {
  requireFloat("crossEntropy", logits);
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? "mean";
  const [rows, classes] = rowsOf("crossEntropy", logits);
  const tv = classTargets("crossEntropy", target, logits, ignore);
  const lsm = uninitialized(logits.numel());
  kernels().softmax(logits.values() as Float32Array, rows, classes, lsm, true);
  const { out, denom } = pickedLoss(lsm, logits.shape, tv, ignore, reduction);
  return record(out, "crossEntropy", [logits], (g) => {
    // (softmax - onehot) * scale, the row's scale being its share of the loss's gradient
    const gv = g.values() as Float32Array;
    const scales = reduction === "none" ? Float32Array.from(gv) : new Float32Array(rows).fill(gv[0] / denom);
    for (let r = 0; r < rows; r++) if (tv[r] === ignore) scales[r] = 0;
    const probs = scratch(0, lsm.length);
    kernels().unary("exp", lsm, probs, lsm.length);
    const gx = matOp("mul", rows, classes, probs, scales, "row", uninitialized(lsm.length));
    for (let r = 0; r < rows; r++) if (tv[r] !== ignore) gx[r * classes + tv[r]] -= scales[r];
    return [new Tensor(gx, logits.shape)];
  }, false, [lsm]);
}

/**
 * Binary cross-entropy on logits x against targets y in [0, 1], elementwise, as
 * l = (1 - y) x + w softplus(-x) with w = 1 + (posWeight - 1) y, and softplus(-x) computed as
 * max(-x, 0) + log(1 + exp(-|x|)) so that no exp overflows. Fused because the composition of
 * relu and abs has the wrong one-sided derivative at x = 0, where sigmoid(0) - y is exact.
 */
export function bceWithLogits(x: Tensor, y: Tensor, posWeight = 1): Tensor {
  requireFloat("binaryCrossEntropyWithLogits", x, y);
  if (x.ndim !== y.ndim || x.shape.some((d, i) => d !== y.shape[i])) {
    throw new Error(`binaryCrossEntropyWithLogits(): input shape ${fmt(x.shape)} and target shape ${fmt(y.shape)} differ`);
  }
  const xv = x.values(), yv = y.values();
  const out = new Float32Array(xv.length);
  const softplusNeg = new Float64Array(xv.length);
  for (let i = 0; i < xv.length; i++) {
    const sp = Math.max(-xv[i], 0) + Math.log1p(Math.exp(-Math.abs(xv[i])));
    softplusNeg[i] = sp;
    out[i] = (1 - yv[i]) * xv[i] + (1 + (posWeight - 1) * yv[i]) * sp;
  }
  return record(new Tensor(out, x.shape), "binaryCrossEntropyWithLogits", [x, y], (g) => {
    const gv = g.values();
    const gx = new Float32Array(xv.length), gy = new Float32Array(xv.length);
    for (let i = 0; i < xv.length; i++) {
      // dl/dx = (1 - y) - w sigmoid(-x); dl/dy = -x + (posWeight - 1) softplus(-x)
      const sigNeg = xv[i] >= 0 ? Math.exp(-xv[i]) / (1 + Math.exp(-xv[i])) : 1 / (1 + Math.exp(xv[i]));
      gx[i] = gv[i] * (1 - yv[i] - (1 + (posWeight - 1) * yv[i]) * sigNeg);
      gy[i] = gv[i] * (-xv[i] + (posWeight - 1) * softplusNeg[i]);
    }
    return [new Tensor(gx, x.shape), new Tensor(gy, y.shape)];
  });
}

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
  const out = uninitialized(iv.length * D); // every row is set below
  for (let i = 0; i < iv.length; i++) out.set(wv.subarray(iv[i] * D, iv[i] * D + D), i * D);
  return record(new Tensor(out, [...idx.shape, D]), "embedding", [weight], (g) => {
    // The lookup is onehot(idx) @ W, so dW = onehot(idx)^T @ g: rows picked twice get both
    // gradients. One GEMM does it while the one-hot matrix is small; else a scatter-add loop.
    const gw = allocate("float32", V * D) as Float32Array;
    const gv = g.values() as Float32Array;
    const N = iv.length;
    if (N * V <= 1 << 22) {
      const onehot = allocate("float32", N * V) as Float32Array;
      for (let i = 0; i < N; i++) onehot[i * V + iv[i]] = 1;
      gemm1(V, D, N, onehot, 0, V, true, gv, 0, D, false, gw, 0);
      recycle(onehot);
    } else {
      for (let i = 0; i < N; i++) {
        const o = iv[i] * D;
        for (let k = 0; k < D; k++) gw[o + k] += gv[i * D + k];
      }
    }
    return [fresh(new Tensor(gw, weight.shape))];
  }, false);
}

/** Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout). */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new Error(`dropout(): p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const mask = new Float32Array(x.numel());
  const keep = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = defaultGenerator.random() < p ? 0 : keep;
  return x.mul(new Tensor(mask, x.shape));
}

// ---- convolution and pooling (NCHW) --------------------------------------------------------

function pair(v: number | [number, number]): [number, number] {
  return typeof v === "number" ? [v, v] : v;
}

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
}

/** Unfold x [N, C, H, W] into columns [N, C*kh*kw, OH*OW] (im2col); fold is its adjoint. */
function im2col(xv: Float32Array | Int32Array, N: number, C: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, fold: Float32Array | null, cols: Float32Array): void {
  const L = OH * OW;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const row = ((n * C + c) * kh + i) * kw + j;
          for (let oy = 0; oy < OH; oy++) {
            const y = oy * sh - ph + i;
            if (y < 0 || y >= H) continue;
            for (let ox = 0; ox < OW; ox++) {
              const xx = ox * sw - pw + j;
              if (xx < 0 || xx >= W) continue;
              const src = ((n * C + c) * H + y) * W + xx;
              const dst = row * L + oy * OW + ox;
              if (fold) fold[src] += cols[dst];
              else cols[dst] = xv[src];
            }
          }
        }
      }
    }
  }
}

export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  requireFloat("conv2d", x, weight);
  if (x.ndim !== 4) throw new Error(`conv2d(): input must be 4-D [N, C, H, W], got ${fmt(x.shape)}`);
  if (weight.ndim !== 4) throw new Error(`conv2d(): weight must be 4-D [outC, inC, kH, kW], got ${fmt(weight.shape)}`);
  const [N, C, H, W] = x.shape;
  const [O, Cw, kh, kw] = weight.shape;
  if (C !== Cw) throw new Error(`conv2d(): input has ${C} channels (shape ${fmt(x.shape)}) but weight expects ${Cw} (shape ${fmt(weight.shape)})`);
  const [sh, sw] = pair(opts.stride ?? 1);
  const [ph, pw] = pair(opts.padding ?? 0);
  const OH = Math.floor((H + 2 * ph - kh) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
  if (OH <= 0 || OW <= 0) {
    throw new Error(`conv2d(): kernel ${kh}x${kw} is larger than the padded input ${H + 2 * ph}x${W + 2 * pw}`);
  }
  const K = C * kh * kw, L = OH * OW;
  const colsData = new Float32Array(N * K * L);
  im2col(x.values(), N, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, null, colsData);
  // cols as a leaf of this op: the weight gradient comes from matmul's backward through it
  const cols = new Tensor(colsData, [N, K, L]);
  const colsWithGrad = record(cols, "im2col", [x], (g) => {
    const gx = new Float32Array(x.numel());
    im2col(x.values(), N, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, gx, g.values() as Float32Array);
    return [new Tensor(gx, x.shape)];
  });
  let y = weight.reshape([O, K]).matmul(colsWithGrad); // [N, O, L]
  if (bias) y = y.add(bias.reshape([O, 1]));
  return y.reshape([N, O, OH, OW]);
}

export function maxPool2d(x: Tensor, kernelSize: number | [number, number], stride?: number | [number, number]): Tensor {
  requireFloat("maxPool2d", x);
  if (x.ndim !== 4) throw new Error(`maxPool2d(): input must be 4-D [N, C, H, W], got ${fmt(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const [kh, kw] = pair(kernelSize);
  const [sh, sw] = pair(stride ?? kernelSize);
  const OH = Math.floor((H - kh) / sh) + 1;
  const OW = Math.floor((W - kw) / sw) + 1;
  if (OH <= 0 || OW <= 0) throw new Error(`maxPool2d(): kernel ${kh}x${kw} is larger than the input ${H}x${W}`);
  const xv = x.values();
  const out = new Float32Array(N * C * OH * OW);
  const arg = new Int32Array(out.length);
  let k = 0;
  for (let nc = 0; nc < N * C; nc++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, k++) {
        let best = -Infinity, at = nc * H * W + oy * sh * W + ox * sw;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const p = nc * H * W + (oy * sh + i) * W + ox * sw + j;
            if (xv[p] > best || xv[p] !== xv[p]) { best = xv[p]; at = p; }
          }
        }
        out[k] = best;
        arg[k] = at;
      }
    }
  }
  return record(new Tensor(out, [N, C, OH, OW]), "maxPool2d", [x], (g) => {
    // each window's gradient goes to the element that won it
    const gx = new Float32Array(x.numel());
    const gv = g.values();
    for (let i = 0; i < arg.length; i++) gx[arg[i]] += gv[i];
    return [new Tensor(gx, x.shape)];
  }, false);
}
