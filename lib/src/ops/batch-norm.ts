// Batch normalisation (Ioffe & Szegedy 2015), composed from the elementwise and reduction
// ops, so its backward is theirs: per channel (dim 1) over the batch and every dim after.
import { noGrad } from "../core/autograd";
import { fmt } from "../core/shape";
import type { Tensor } from "../tensor";

export interface BatchNormOptions {
  /** Per-channel scale [C] (PyTorch's gamma). */
  weight?: Tensor | null;
  /** Per-channel shift [C] (PyTorch's beta). */
  bias?: Tensor | null;
  /** Normalise by this batch's statistics and update the running ones (default false). */
  training?: boolean;
  /** running = (1 - momentum) running + momentum batch (default 0.1, PyTorch's). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

function checkChannels(what: string, t: Tensor | null | undefined, c: number, x: Tensor): void {
  if (t && (t.ndim !== 1 || t.shape[0] !== c)) {
    throw new Error(`batchNorm(): ${what} has shape ${fmt(t.shape)}, expected [${c}] for input of shape ${fmt(x.shape)} (channels in dim 1)`);
  }
}

/**
 * Normalise x [N, C, ...] per channel: (x - mean) / sqrt(var + eps) * weight + bias. In
 * training, mean and the biased var are this batch's (over N and the dims after C), and
 * the running statistics, if given, move towards them in place (the running var with the
 * unbiased estimate, as PyTorch); otherwise the running statistics are used.
 * @example const y = F.batchNorm(x, runningMean, runningVar, { training: true });
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions = {}): Tensor {
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5 } = opts;
  if (x.ndim < 2) throw new Error(`batchNorm(): expected input [N, C, ...], got shape ${fmt(x.shape)}`);
  const c = x.shape[1];
  checkChannels("runningMean", runningMean, c, x);
  checkChannels("runningVar", runningVar, c, x);
  checkChannels("weight", weight, c, x);
  checkChannels("bias", bias, c, x);
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const perChannel = x.shape.map((d, i) => (i === 1 ? d : 1));
  let centred: Tensor;
  let variance: Tensor;
  if (training || !runningMean || !runningVar) {
    const n = x.numel() / c;
    if (training && n <= 1) {
      throw new Error(`batchNorm(): expected more than one value per channel when training, got input of shape ${fmt(x.shape)}`);
    }
    const mean = x.mean(dims, true);
    centred = x.sub(mean);
    variance = centred.square().mean(dims, true);
    if (training && runningMean && runningVar) {
      noGrad(() => {
        runningMean.copy_(runningMean.mul(1 - momentum).add(mean.detach().reshape(c).mul(momentum)));
        runningVar.copy_(runningVar.mul(1 - momentum).add(variance.detach().reshape(c).mul((momentum * n) / (n - 1))));
      });
    }
  } else {
    centred = x.sub(runningMean.reshape(perChannel));
    variance = runningVar.reshape(perChannel);
  }
  let y = centred.div(variance.add(eps).sqrt());
  if (weight) y = y.mul(weight.reshape(perChannel));
  if (bias) y = y.add(bias.reshape(perChannel));
  return y;
}
