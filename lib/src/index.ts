// chainlab: tensors, autodiff by the chain rule, and the pieces to train models with them.
export { Tensor } from "./tensor";
export type { TensorLike, IndexSpec, DType, Hook } from "./tensor";
export { Node } from "./autograd";
export * from "./creation";
export * from "./functions";
export { manualSeed, Generator } from "./random";
export { backend, setBackend } from "./backend";
export * as F from "./functional";
