// The losses of classification, fused: the gradient of each is written in closed form rather
// than chained through logSoftmax, indexing and a mean.
import { record } from "../core/autograd";
import { unaryKind, opKind } from "../core/derivative";
import { kernels } from "../backend";
import { fmt } from "../core/shape";
import type { Tensor } from "../tensor";
import { tensorOf } from "../core/tensor-data";
import { floats } from "../core/storage";
import { indexTensor, requireFloat } from "./operands";
import { matOp } from "./matrix";
import { Scratch } from "../core/scratch";

const PROBS = new Scratch("crossEntropy backward: the softmax of the logits");

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

const NLL_LOSS = unaryKind("nllLoss", "L = −(1/N) Σ a[target] (a: log-probabilities)", "∂L/∂a = −onehot(target) / N", "−g · onehot(target) / N");
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
  return record(out, NLL_LOSS, [x], (g) => {
    const gv = g.values();
    const gx = floats(x.numel(), true);
    for (let r = 0; r < rows; r++) {
      if (tv[r] === ignore) continue;
      gx[r * classes + tv[r]] = -(reduction === "none" ? gv[r] : gv[0] / denom);
    }
    return [tensorOf(gx, x.shape)];
  }, false);
}

/**
 * The loss of each row, -logp[r, target[r]] (0 where the target is ignored), reduced as
 * asked; "mean" divides by the rows that count, so it is NaN (0/0) when none does.
 */
function pickedLoss(logp: ArrayLike<number>, shape: readonly number[], tv: Int32Array, ignore: number,
  reduction: NonNullable<LossOptions["reduction"]>): { out: Tensor; denom: number } {
  const rows = tv.length, classes = shape[shape.length - 1];
  const per = floats(rows, true);
  let count = 0, sum = 0;
  for (let r = 0; r < rows; r++) {
    if (tv[r] === ignore) continue;
    per[r] = -logp[r * classes + tv[r]];
    sum += per[r];
    count++;
  }
  const denom = reduction === "mean" ? count : 1;
  const out = reduction === "none" ? tensorOf(per, shape.slice(0, -1)) : tensorOf(new Float32Array([sum / denom]), []);
  return { out, denom };
}

const CROSS_ENTROPY = unaryKind("crossEntropy", "L = −(1/N) Σ log softmax(a)[target] (a: logits)",
  "∂L/∂a = (softmax(a) − onehot(target)) / N", "g · (softmax(a) − onehot(target)) / N");
/** logSoftmax and nllLoss fused: the gradient is (softmax - onehot) / count. */
export function crossEntropy(logits: Tensor, target: Tensor | number[], opts: LossOptions = {}): Tensor {
  requireFloat("crossEntropy", logits);
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? "mean";
  const [rows, classes] = rowsOf("crossEntropy", logits);
  const tv = classTargets("crossEntropy", target, logits, ignore);
  const lsm = floats(logits.numel(), false);
  kernels().softmax(logits.values() as Float32Array, rows, classes, lsm, true);
  const { out, denom } = pickedLoss(lsm, logits.shape, tv, ignore, reduction);
  return record(out, CROSS_ENTROPY, [logits], (g) => {
    // (softmax - onehot) * scale, the row's scale being its share of the loss's gradient
    const gv = g.values() as Float32Array;
    const scales = reduction === "none" ? Float32Array.from(gv) : new Float32Array(rows).fill(gv[0] / denom);
    for (let r = 0; r < rows; r++) if (tv[r] === ignore) scales[r] = 0;
    const probs = PROBS.take(lsm.length);
    kernels().unary("exp", lsm, probs, lsm.length);
    const gx = matOp("mul", rows, classes, probs, scales, "row", floats(lsm.length, false));
    for (let r = 0; r < rows; r++) if (tv[r] !== ignore) gx[r * classes + tv[r]] -= scales[r];
    return [tensorOf(gx, logits.shape)];
  }, false, [lsm]);
}

// per element, before any reduction: a the logits, b the targets, w the positive weight
const BCE_WITH_LOGITS = opKind("binaryCrossEntropyWithLogits", "y = (1 − b)·a + (1 + (w − 1)·b)·softplus(−a)",
  ["∂y/∂a = (1 − b) − (1 + (w − 1)·b)·σ(−a)", "∂y/∂b = −a + (w − 1)·softplus(−a)"],
  ["g · ((1 − b) − (1 + (w − 1)·b)·σ(−a))", "g · (−a + (w − 1)·softplus(−a))"]);
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
  const out = floats(xv.length, false);
  const softplusNeg = new Float64Array(xv.length);
  for (let i = 0; i < xv.length; i++) {
    const sp = Math.max(-xv[i], 0) + Math.log1p(Math.exp(-Math.abs(xv[i])));
    softplusNeg[i] = sp;
    out[i] = (1 - yv[i]) * xv[i] + (1 + (posWeight - 1) * yv[i]) * sp;
  }
  return record(tensorOf(out, x.shape), BCE_WITH_LOGITS, [x, y], (g) => {
    const gv = g.values();
    const gx = floats(xv.length, false), gy = floats(xv.length, false);
    for (let i = 0; i < xv.length; i++) {
      // dl/dx = (1 - y) - w sigmoid(-x); dl/dy = -x + (posWeight - 1) softplus(-x)
      const sigNeg = xv[i] >= 0 ? Math.exp(-xv[i]) / (1 + Math.exp(-xv[i])) : 1 / (1 + Math.exp(xv[i]));
      gx[i] = gv[i] * (1 - yv[i] - (1 + (posWeight - 1) * yv[i]) * sigNeg);
      gy[i] = gv[i] * (-xv[i] + (posWeight - 1) * softplusNeg[i]);
    }
    return [tensorOf(gx, x.shape), tensorOf(gy, y.shape)];
  });
}
