// The free functions of the API that are not Tensor methods.
import type { Tensor, TensorLike } from "./tensor";
import { where as whereOp } from "./ops/elementwise";
import { cat as catOp, stack as stackOp, triangle } from "./ops/movement";
export { noGrad } from "./core/autograd";
export { gradcheck } from "./core/gradcheck";

/**
 * a where cond is nonzero, else b, elementwise; the three broadcast together. The gradient
 * flows to a and b where each was chosen.
 * @example where(x.gt(0), x, x.mul(0.01)) // leaky ReLU
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  return whereOp(cond, a, b);
}

/**
 * Join tensors along an existing dim; they must match in every other dim and in dtype.
 * @example cat([zeros(2, 3), ones(4, 3)]) // [6, 3]; cat([a, b], -1)
 */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return catOp(tensors, dim);
}

/**
 * Join tensors of one shape along a new dim.
 * @example stack([zeros(3), ones(3)]) // [2, 3]; stack(xs, 1) // [3, 2]
 */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return stackOp(tensors, dim);
}

/**
 * Upper triangle of the last two dims: elements with col - row >= k, the rest 0.
 * @example triu(ones(3, 3), 1) // 1 above the diagonal: a causal mask
 */
export function triu(t: Tensor, k = 0): Tensor {
  return triangle(t, k, true);
}

/**
 * Lower triangle of the last two dims: elements with col - row <= k, the rest 0.
 * @example tril(ones(4, 4))
 */
export function tril(t: Tensor, k = 0): Tensor {
  return triangle(t, k, false);
}
