// chainlab: tensors, autodiff by the chain rule, and the pieces to train models with them.
export { Tensor } from "./tensor";
export type { TensorLike, IndexSpec, DType, Hook } from "./tensor";
export { Node } from "./core/autograd";
export * from "./creation";
export * from "./free-functions";
export { defineOp, OpContext } from "./core/define-op";
export type { OpDefinition } from "./core/define-op";
export { manualSeed, Generator } from "./core/random";
export { backend, backendInfo, setBackend } from "./backend";
export type { BackendInfo } from "./backend";
export { storageStats, emptyCache } from "./core/storage";
import * as FNamespace from "./functional";
/**
 * Functions of tensors, like torch.nn.functional: activations, softmax, normalisation,
 * losses, convolution, dropout, embedding.
 * @example F.crossEntropy(logits, targets)
 */
export import F = FNamespace;
export { computationGraph, Monitor } from "./display";
import * as mime from "./display";
// The bundles' MIME types, declared here again so that inspect shows what each one is.
/**
 * The MIME type of a tensor's bundle (values, statistics, gradient): a Tensor's notebook display.
 * @example display(x) // draws application/vnd.chainlab.tensor+json
 */
export const TENSOR_MIME: typeof mime.TENSOR_MIME = mime.TENSOR_MIME;
/**
 * The MIME type of computationGraph()'s bundle: the ops and tensors behind a result.
 * @example display(computationGraph(loss))
 */
export const GRAPH_MIME: typeof mime.GRAPH_MIME = mime.GRAPH_MIME;
/**
 * The MIME type of a Monitor's training curves (loss and metrics per step).
 * @example const mon = new Monitor(); mon.log({ loss });
 */
export const CURVES_MIME: typeof mime.CURVES_MIME = mime.CURVES_MIME;
/**
 * The MIME type of a Monitor's gradient-flow view (gradient sizes per layer).
 * @example mon.gradflow(model)
 */
export const GRADFLOW_MIME: typeof mime.GRADFLOW_MIME = mime.GRADFLOW_MIME;
export * from "./notebook";
import * as dataNamespace from "./data";
/**
 * Datasets, DataLoader, the character tokenizer, the notebooks' corpora and toy 2-D sets (like torch.utils.data).
 * @example const loader = new data.DataLoader(ds, { batchSize: 32, shuffle: true });
 */
export import data = dataNamespace;
import * as ioNamespace from "./io";
/**
 * Saving and loading: safetensors files, checkpoints of model and optimiser, atomic writes.
 * @example io.saveSafetensors("model.safetensors", model.stateDict())
 */
export import io = ioNamespace;
import * as metricsNamespace from "./metrics";
/**
 * Classification metrics: accuracy, precision, recall, F1, the confusion matrix.
 * @example metrics.accuracy(logits.argmax(-1), labels)
 */
export import metrics = metricsNamespace;
export { saveSafetensors, loadSafetensors } from "./io";
import * as nnNamespace from "./nn";
/**
 * Modules and layers (like torch.nn): Linear, Conv2d, BatchNorm, LayerNorm, attention, the GPT, LoRA, freezing.
 * @example const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 2));
 */
export import nn = nnNamespace;
import * as optimNamespace from "./optim";
/**
 * Optimisers (SGD, Adam, AdamW), learning-rate schedules (optim.lr), gradient clipping and penalties (like torch.optim).
 * @example const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
 */
export import optim = optimNamespace;
