// Penalties to add to a loss. They are ordinary tensor expressions, so backward() gives
// their gradients: 2 p for the L2 penalty, sign(p) for L1, 2 lambda (W - W0) for the anchor.
import { zeros } from "../creation";
import type { Module, StateDict } from "../nn/module";
import type { Tensor } from "../tensor";

function sumOf(terms: Tensor[]): Tensor {
  if (!terms.length) return zeros([]);
  return terms.reduce((a, b) => a.add(b));
}

/** sum of |p| over all elements: pushes weights to exactly zero (sparsity). */
export function l1Penalty(params: Iterable<Tensor>): Tensor {
  return sumOf([...params].map((p) => p.abs().sum()));
}

/** sum of p^2 over all elements: shrinks weights towards zero (weight decay's loss form). */
export function l2Penalty(params: Iterable<Tensor>): Tensor {
  return sumOf([...params].map((p) => p.square().sum()));
}

/**
 * lambda * sum over trainable parameters of ||W - W_pretrained||^2: keeps a fine-tuned model
 * near where it started (an L2 penalty centred on the pretrained weights, not on zero).
 * Parameters missing from the state dict are not penalised.
 */
export function anchorPenalty(model: Module, pretrained: StateDict, lambda: number): Tensor {
  const terms: Tensor[] = [];
  for (const [name, p] of model.namedParameters()) {
    const w0 = pretrained[name];
    if (!p.requiresGrad || !w0) continue;
    terms.push(p.sub(w0.detach()).square().sum());
  }
  return sumOf(terms).mul(lambda);
}
