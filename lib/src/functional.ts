// F, like torch.nn.functional: the building blocks of layers and losses as plain functions.
import { fmt } from "./core/shape";
import type { Tensor } from "./tensor";
import * as N from "./ops/softmax-layer-norm";
import { conv2d as conv2dOp, maxPool2d as maxPool2dOp, type Conv2dOptions } from "./ops/conv-pool";
import { linear as linearOp } from "./ops/linear";
import { bceWithLogits } from "./ops/losses";
import type { GeluOptions } from "./ops/elementwise";
export type { GeluOptions } from "./ops/elementwise";
export { layerNorm } from "./ops/softmax-layer-norm";
export { crossEntropy, nllLoss } from "./ops/losses";
export type { LossOptions } from "./ops/losses";
export { embedding } from "./ops/linear";
export { dropout } from "./ops/dropout";
export type { Conv2dOptions } from "./ops/conv-pool";
export { batchNorm } from "./ops/batch-norm";
export type { BatchNormOptions } from "./ops/batch-norm";

/** y = x W^T + b, with W [out, in] as PyTorch stores it. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (x.ndim === 0) throw new Error(`linear(): input must have a feature dim, got shape ${fmt(x.shape)}`);
  const inF = x.shape[x.ndim - 1];
  if (weight.ndim !== 2 || weight.shape[1] !== inF) {
    throw new Error(`linear(): input of shape ${fmt(x.shape)} has ${inF} features but weight has shape ${fmt(weight.shape)} ([out, in] expected)`);
  }
  // a bias of another shape than [out] broadcasts by the general rules
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) return linearOp(x, weight).add(bias);
  return linearOp(x, weight, bias);
}

/**
 * exp(x) / sum exp(x) along dim (the last by default), computed stably; any shape.
 * @example F.softmax(logits, -1) // each row sums to 1
 */
export function softmax(x: Tensor, dim = -1): Tensor {
  return N.softmax(x, dim);
}

/**
 * log softmax(x) along dim (the last by default), as x - logsumexp(x): stable for large logits.
 * @example F.logSoftmax(logits, -1).gather(1, targets.unsqueeze(1))
 */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return N.logSoftmax(x, dim);
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's): x [N, C, H, W], weight [O, C, kH, kW],
 * bias [O] -> [N, O, (H + 2 padH - kH) / strideH + 1, (W + 2 padW - kW) / strideW + 1].
 * @example F.conv2d(images, w, b, { padding: 1 }) // [N, O, H, W] with a 3x3 kernel
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  return conv2dOp(x, weight, bias, opts);
}

/**
 * The maximum of each kernelSize window of x [N, C, H, W], moving by stride (kernelSize by
 * default); the gradient goes to each window's maximum.
 * @example F.maxPool2d(x, 2) // [N, C, H/2, W/2]
 */
export function maxPool2d(x: Tensor, kernelSize: number | [number, number], stride?: number | [number, number]): Tensor {
  return maxPool2dOp(x, kernelSize, stride);
}

/**
 * max(x, 0), elementwise.
 * @example F.relu(x.matmul(w))
 */
export const relu = (x: Tensor) => x.relu();
/**
 * GELU: exact x Φ(x) by default, like PyTorch; {approximate: "tanh"} for the tanh form.
 * @example F.gelu(x); F.gelu(x, { approximate: "tanh" })
 */
export const gelu = (x: Tensor, opts?: GeluOptions) => x.gelu(opts);
/**
 * tanh(x), elementwise.
 * @example F.tanh(x)
 */
export const tanh = (x: Tensor) => x.tanh();
/**
 * 1 / (1 + e^-x), elementwise.
 * @example F.sigmoid(logits)
 */
export const sigmoid = (x: Tensor) => x.sigmoid();

type Reduction = "mean" | "sum" | "none";

function reduce(x: Tensor, reduction: Reduction): Tensor {
  return reduction === "mean" ? x.mean() : reduction === "sum" ? x.sum() : x;
}

function sameShapes(op: string, a: Tensor, b: Tensor): void {
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op}(): input shape ${fmt(a.shape)} and target shape ${fmt(b.shape)} differ`);
  }
}

/**
 * The mean squared error of input and target of one shape; reduction "mean" (default), "sum" or "none".
 * @example F.mseLoss(pred, y)
 */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  sameShapes("mseLoss", input, target);
  return reduce(input.sub(target).square(), opts.reduction ?? "mean");
}

/**
 * The mean absolute error of input and target of one shape; reduction "mean" (default), "sum" or "none".
 * @example F.l1Loss(pred, y, { reduction: "sum" })
 */
export function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  sameShapes("l1Loss", input, target);
  return reduce(input.sub(target).abs(), opts.reduction ?? "mean");
}

/** Elementwise binary cross-entropy on logits (numerically stable, fused; see ops/losses). */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: { reduction?: Reduction; posWeight?: number } = {}): Tensor {
  return reduce(bceWithLogits(logits, target, opts.posWeight ?? 1), opts.reduction ?? "mean");
}
