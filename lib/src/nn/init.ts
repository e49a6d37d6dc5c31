// Initialisers (like torch.nn.init), all drawing from the seeded default generator.
import { noGrad } from "../core/autograd";
import { numel } from "../core/shape";
import type { Tensor } from "../tensor";

/** fanIn of a weight stored [out, in, ...kernel] as PyTorch stores it. */
export function fanIn(w: Tensor): number {
  return w.ndim < 2 ? w.numel() : numel(w.shape.slice(1));
}

/**
 * PyTorch's default for Linear and Conv2d: kaiming_uniform_ with a = sqrt(5), which works
 * out to U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 */
export function kaimingUniformDefault(w: Tensor, fan = fanIn(w)): Tensor {
  const bound = fan > 0 ? 1 / Math.sqrt(fan) : 0;
  return noGrad(() => w.uniform_(-bound, bound));
}

/**
 * Fill t in place with U(low, high) samples from the seeded generator, outside the graph.
 * @example nn.init.uniform_(layer.weight, -0.1, 0.1)
 */
export function uniform_(t: Tensor, low = 0, high = 1): Tensor {
  return noGrad(() => t.uniform_(low, high));
}

/**
 * Fill t in place with N(mean, std^2) samples from the seeded generator, outside the graph.
 * @example nn.init.normal_(layer.weight, 0, 0.02)
 */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return noGrad(() => t.normal_(mean, std));
}

/**
 * Set t to zeros in place, outside the graph.
 * @example nn.init.zeros_(layer.bias!)
 */
export function zeros_(t: Tensor): Tensor {
  return noGrad(() => t.zero_());
}

/**
 * Set t to ones in place, outside the graph.
 * @example nn.init.ones_(ln.weight!)
 */
export function ones_(t: Tensor): Tensor {
  return noGrad(() => t.fill_(1));
}
