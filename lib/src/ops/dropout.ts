// Dropout, composed: a random mask of kept-and-scaled elements multiplied in.
import { defaultGenerator } from "../core/random";
import type { Tensor } from "../tensor";
import { tensorOf } from "../core/tensor-data";
import { floats } from "../core/storage";

/** Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout). */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new Error(`dropout(): p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const mask = floats(x.numel(), false);
  const keep = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = defaultGenerator.random() < p ? 0 : keep;
  return x.mul(tensorOf(mask, x.shape));
}
