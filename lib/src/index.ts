// chainlab: tensors, autodiff by the chain rule, and the pieces to train models with them.
export { Tensor } from "./tensor";
export type { TensorLike, IndexSpec, DType, Hook } from "./tensor";
export { Node } from "./autograd";
export * from "./creation";
export * from "./functions";
export { defineOp, OpContext } from "./define-op";
export type { OpDefinition } from "./define-op";
export { manualSeed, Generator } from "./random";
export { backend, setBackend } from "./backend";
export * as F from "./functional";
export { computationGraph, Monitor, TENSOR_MIME, GRAPH_MIME, CURVES_MIME, GRADFLOW_MIME } from "./display";
export * from "./notebook";
export * as data from "./data";
export * as io from "./io";
export * as metrics from "./metrics";
export { saveSafetensors, loadSafetensors } from "./io";
export * as nn from "./nn";
export * as optim from "./optim";
