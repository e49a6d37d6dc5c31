// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) with PyTorch's rules, run by
// the backend's fused kernel on each parameter's storage:
//   g = grad (+ weightDecay * p for Adam: an L2 penalty that passes through the moments)
//   p = p * (1 - lr * weightDecay)            (AdamW: decay decoupled from the moments)
//   m = beta1 m + (1 - beta1) g,  v = beta2 v + (1 - beta2) g^2
//   p = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
import { kernels } from "../backend";
import type { Tensor } from "../tensor";
import { Optimizer, gradData, paramData, type ParamGroup, type ParamsInput } from "./optimizer";

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

type AdamState = { step: number; expAvg: Float32Array; expAvgSq: Float32Array };

abstract class AdamBase extends Optimizer<AdamOptions, AdamState> {
  protected abstract readonly decoupled: boolean;

  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions>, weightDecay: number) {
    const defaults: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay, ...opts };
    const [b1, b2] = defaults.betas;
    if (!(defaults.lr >= 0)) throw new Error(`Adam: invalid learning rate ${defaults.lr}`);
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new Error(`Adam: betas must be in [0, 1), got [${b1}, ${b2}]`);
    super(params, defaults);
  }

  protected update(p: Tensor, group: ParamGroup<AdamOptions>): void {
    const n = p.numel();
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = { step: 0, expAvg: new Float32Array(n), expAvgSq: new Float32Array(n) }));
    s.step++;
    const [beta1, beta2] = group.betas;
    kernels().adam({
      param: paramData(p, `${this.constructor.name}.step()`),
      grad: gradData(p),
      m: s.expAvg,
      v: s.expAvgSq,
      lr: group.lr,
      beta1,
      beta2,
      eps: group.eps,
      weightDecay: this.decoupled ? 0 : group.weightDecay,
      decoupledDecay: this.decoupled ? group.weightDecay : 0,
      bc1: 1 - beta1 ** s.step,
      bc2: 1 - beta2 ** s.step,
    }, n);
  }
}

/** Adam; weightDecay (default 0) is an L2 penalty added to the gradient. */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, 0);
  }
}

/** AdamW; weightDecay (default 0.01) shrinks the weights directly, apart from the moments. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, 1e-2);
  }
}
