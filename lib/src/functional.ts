// F, like torch.nn.functional: the building blocks of layers and losses as plain functions.
import { fmt } from "./shape";
import type { Tensor } from "./tensor";
import { bceWithLogits, linear as linearOp } from "./ops/nn";
import type { GeluOptions } from "./ops/elementwise";
export type { GeluOptions } from "./ops/elementwise";
export { softmax, logSoftmax, layerNorm, crossEntropy, nllLoss, embedding, dropout, conv2d, maxPool2d } from "./ops/nn";
export type { LossOptions, Conv2dOptions } from "./ops/nn";
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

export const relu = (x: Tensor) => x.relu();
/** GELU: exact x Φ(x) by default, like PyTorch; {approximate: "tanh"} for the tanh form. */
export const gelu = (x: Tensor, opts?: GeluOptions) => x.gelu(opts);
export const tanh = (x: Tensor) => x.tanh();
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

export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  sameShapes("mseLoss", input, target);
  return reduce(input.sub(target).square(), opts.reduction ?? "mean");
}

export function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  sameShapes("l1Loss", input, target);
  return reduce(input.sub(target).abs(), opts.reduction ?? "mean");
}

/** Elementwise binary cross-entropy on logits (numerically stable, fused; see ops/nn). */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: { reduction?: Reduction; posWeight?: number } = {}): Tensor {
  return reduce(bceWithLogits(logits, target, opts.posWeight ?? 1), opts.reduction ?? "mean");
}
