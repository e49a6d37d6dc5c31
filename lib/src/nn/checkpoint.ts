// Gradient checkpointing (Chen et al. 2016, "Training deep nets with sublinear memory cost";
// torch.utils.checkpoint): run a piece of the network without recording its graph, so none of
// its intermediate activations are kept, and run it again during the backward pass to get its
// gradients. Memory for activations falls from every op's saved tensors to one input per
// piece, for about one more forward pass of compute.
import { enableGrad, noGrad, record } from "../core/autograd";
import { genericKind, type OpKind } from "../core/derivative";
import { defaultGenerator } from "../core/random";
import { Tensor } from "../tensor";

const kinds = new Map<number, OpKind>();

/**
 * fn(x) with its graph dropped after the forward pass and rebuilt in the backward pass.
 * `params` are the parameters fn reads: their gradients accumulate into their .grad during
 * the recompute, as without checkpointing. The default generator is rewound for the
 * recompute, so dropout draws the same masks twice. A change to x or to a parameter between
 * the forward and the backward pass is an error there (the recompute would see other values).
 * @example const y = nn.checkpoint((h) => block.forward(h), x, block.parameters());
 */
export function checkpoint(fn: (x: Tensor) => Tensor, x: Tensor, params: Iterable<Tensor>): Tensor {
  const trainable = [...params].filter((p) => p.requiresGrad);
  const rng = defaultGenerator.getState();
  const out = noGrad(() => fn(x));
  if (!(out instanceof Tensor)) throw new Error(`checkpoint(): fn must return a Tensor, it returned ${typeof out}`);
  const inputs = [x, ...trainable];
  let kind = kinds.get(inputs.length);
  if (!kind) kinds.set(inputs.length, (kind = genericKind("checkpoint", inputs.length)));
  record(out, kind, inputs, (grad) => {
    const after = defaultGenerator.getState();
    defaultGenerator.setState(rng);
    const again = x.detach();
    if (x.requiresGrad) again.requiresGrad_(true);
    let y: Tensor;
    try {
      y = enableGrad(() => fn(again));
    } finally {
      defaultGenerator.setState(after);
    }
    if (y.requiresGrad) y.backward(grad);
    return [x.requiresGrad ? again.grad : null, ...trainable.map(() => null)];
  });
  // The nested backward may keep the gradient it was given (as a parameter's .grad, through an
  // add): the engine must not hand that storage out again.
  if (out.gradFn) out.gradFn.opaque = true;
  return out;
}
