// The free functions of the API that are not Tensor methods.
import type { Tensor, TensorLike } from "./tensor";
import { where as whereOp } from "./ops/elementwise";
import { triangle } from "./ops/shape";
export { cat, stack } from "./ops/shape";
export { noGrad } from "./autograd";
export { gradcheck } from "./gradcheck";

export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  return whereOp(cond, a, b);
}

/** Upper triangle of the last two dims: elements with col - row >= k. */
export function triu(t: Tensor, k = 0): Tensor {
  return triangle(t, k, true);
}

/** Lower triangle of the last two dims: elements with col - row <= k. */
export function tril(t: Tensor, k = 0): Tensor {
  return triangle(t, k, false);
}
