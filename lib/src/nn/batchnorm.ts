// BatchNorm1d and BatchNorm2d: batch normalisation with running statistics kept as buffers
// (saved in the state dict, not learned), like PyTorch's.
import { ones, zeros } from "../creation";
import { batchNorm } from "../ops/batch-norm";
import { fmt } from "../core/shape";
import type { Tensor } from "../tensor";
import { Module, Parameter } from "./module";

export interface BatchNormConfig {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each new batch in the running statistics (default 0.1); null for a plain average over all batches. */
  momentum?: number | null;
  /** A learned per-channel weight and bias (default true). */
  affine?: boolean;
  /** Keep running statistics for eval() (default true); without them, every mode uses the batch's. */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Tensor | null;
  bias: Tensor | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  /** A scalar int32: how many training batches have updated the running statistics. */
  declare numBatchesTracked: Tensor | null;

  constructor(readonly numFeatures: number, opts: BatchNormConfig = {}) {
    super();
    if (!(Number.isInteger(numFeatures) && numFeatures > 0)) throw new Error(`${this.constructor.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.affine ? Parameter(ones(numFeatures)) : null;
    this.bias = this.affine ? Parameter(zeros(numFeatures)) : null;
    if (this.trackRunningStats) {
      this.registerBuffer("runningMean", zeros(numFeatures));
      this.registerBuffer("runningVar", ones(numFeatures));
      this.registerBuffer("numBatchesTracked", zeros([], { dtype: "int32" }));
    } else {
      this.runningMean = this.runningVar = this.numBatchesTracked = null;
    }
  }

  /** The input ranks this layer takes, and how to say so in an error. */
  protected abstract readonly ranks: number[];
  protected abstract readonly layout: string;

  override forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    if (!this.ranks.includes(x.ndim) || x.shape[1] !== this.numFeatures) {
      throw new Error(`${name}: expected input ${this.layout} with C = ${this.numFeatures}, got shape ${fmt(x.shape)}`);
    }
    let momentum = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      this.numBatchesTracked.fill_(this.numBatchesTracked.item() + 1);
      if (this.momentum === null) momentum = 1 / this.numBatchesTracked.item();
    }
    return batchNorm(x, this.runningMean, this.runningVar, {
      weight: this.weight,
      bias: this.bias,
      training: this.training || !this.trackRunningStats,
      momentum,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/**
 * Batch normalisation of [N, C] or [N, C, L] per channel C, over N (and L).
 * @example const bn = new nn.BatchNorm1d(64); const y = bn.call(x); // x [32, 64]
 */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3];
  protected readonly layout = "[N, C] or [N, C, L]";
}

/**
 * Batch normalisation of images [N, C, H, W] per channel C, over N, H and W.
 * @example const bn = new nn.BatchNorm2d(16); const y = bn.call(x); // x [8, 16, 28, 28]
 */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4];
  protected readonly layout = "[N, C, H, W]";
}
