// optim: optimisers, learning-rate schedules, gradient clipping and penalties (like torch.optim).
export { Optimizer } from "./optimizer";
export type { ParamGroup, ParamGroupInput, ParamsInput, OptimizerStateDict } from "./optimizer";
export { SGD } from "./sgd";
export type { SGDOptions } from "./sgd";
export { Adam, AdamW } from "./adam";
export type { AdamOptions } from "./adam";
export { clipGradNorm, clipGradValue } from "./clip";
export { l1Penalty, l2Penalty, anchorPenalty } from "./regularizers";
import * as lrNamespace from "./schedulers";
/**
 * Learning-rate schedules: StepLR, LambdaLR, CosineWithWarmup; step() after each optimiser step.
 * @example const sched = new optim.lr.CosineWithWarmup(opt, { warmupIters: 100, lrDecayIters: 5000, minLr: 1e-4 });
 */
export import lr = lrNamespace;
