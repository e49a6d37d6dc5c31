// Losses as modules, so they can sit in a model definition like PyTorch's.
import * as F from "../functional";
import type { LossOptions } from "../functional";
import type { Tensor } from "../tensor";
import { Module } from "./module";

/**
 * Cross-entropy of logits [..., C] against int32 class targets (with ignoreIndex), the mean by default.
 * @example const lossFn = new nn.CrossEntropyLoss(); lossFn.call(logits, labels) // logits [N, C], labels [N]
 */
export class CrossEntropyLoss extends Module {
  constructor(readonly opts: LossOptions = {}) {
    super();
  }

  override forward(logits: Tensor, target: Tensor | number[]): Tensor {
    return F.crossEntropy(logits, target, this.opts);
  }
}

/**
 * The mean squared error between input and target of one shape ({reduction: "sum" | "none"} too).
 * @example new nn.MSELoss().call(pred, y)
 */
export class MSELoss extends Module {
  constructor(readonly opts: { reduction?: "mean" | "sum" | "none" } = {}) {
    super();
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.opts);
  }
}
