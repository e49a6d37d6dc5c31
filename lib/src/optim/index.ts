// optim: optimisers, learning-rate schedules, gradient clipping and penalties (like torch.optim).
export { Optimizer } from "./optimizer";
export type { ParamGroup, ParamGroupInput, ParamsInput, OptimizerStateDict } from "./optimizer";
export { SGD } from "./sgd";
export type { SGDOptions } from "./sgd";
export { Adam, AdamW } from "./adam";
export type { AdamOptions } from "./adam";
export { clipGradNorm, clipGradValue } from "./clip";
export { l1Penalty, l2Penalty, anchorPenalty } from "./regularizers";
export * as lr from "./schedulers";
