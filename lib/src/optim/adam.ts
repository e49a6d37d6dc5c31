// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) with PyTorch's rules, run by
// the backend's fused kernel on each parameter's storage:
//   g = grad (+ weightDecay * p for Adam: an L2 penalty that passes through the moments)
//   p = p * (1 - lr * weightDecay)            (AdamW: decay decoupled from the moments)
//   m = beta1 m + (1 - beta1) g,  v = beta2 v + (1 - beta2) g^2
//   p = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
// With amsgrad (Reddi et al. 2018) the denominator uses vMax = max(vMax, v), the largest
// second moment so far, so a parameter's step size never grows back after a large gradient.
import { kernels } from "../backend";
import type { Tensor } from "../tensor";
import { Optimizer, gradData, paramData, type ParamGroup, type ParamsInput } from "./optimizer";

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** Divide by the running maximum of the second moment (AMSGrad), as PyTorch's amsgrad. */
  amsgrad: boolean;
}

type AdamState = { step: number; expAvg: Float32Array; expAvgSq: Float32Array; maxExpAvgSq?: Float32Array };

abstract class AdamBase extends Optimizer<AdamOptions, AdamState> {
  protected abstract readonly decoupled: boolean;

  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions>, weightDecay: number) {
    const defaults: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay, amsgrad: false, ...opts };
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
    if (group.amsgrad) {
      s.maxExpAvgSq ??= new Float32Array(n);
      this.amsgradUpdate(p, s as Required<AdamState>, group);
      return;
    }
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

  /** The same update with vMax in the denominator; no backend has a kernel for it. */
  private amsgradUpdate(p: Tensor, s: Required<AdamState>, group: ParamGroup<AdamOptions>): void {
    const param = paramData(p, `${this.constructor.name}.step()`);
    const grad = gradData(p);
    const { expAvg: m, expAvgSq: v, maxExpAvgSq: vMax } = s;
    const [beta1, beta2] = group.betas;
    const { lr, eps } = group;
    const l2 = this.decoupled ? 0 : group.weightDecay;
    const decay = this.decoupled ? lr * group.weightDecay : 0;
    const stepSize = lr / (1 - beta1 ** s.step);
    const sqrtBc2 = Math.sqrt(1 - beta2 ** s.step);
    for (let i = 0; i < param.length; i++) {
      const g = grad[i] + l2 * param[i];
      if (decay !== 0) param[i] -= decay * param[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      if (v[i] > vMax[i]) vMax[i] = v[i];
      param[i] -= (stepSize * m[i]) / (Math.sqrt(vMax[i]) / sqrtBc2 + eps);
    }
  }
}

/**
 * Adam: per-parameter steps from bias-corrected first and second moments of the gradient.
 * Options: lr (1e-3), betas ([0.9, 0.999]), eps (1e-8), weightDecay (0: an L2 penalty
 * added to the gradient), amsgrad (false).
 * @example const opt = new optim.Adam(model.parameters(), { lr: 3e-4 });
 */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, 0);
  }
}

/**
 * AdamW: Adam whose weightDecay (default 0.01) shrinks the weights directly, apart from
 * the moments. Same options as Adam, amsgrad included.
 * @example const opt = new optim.AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
 */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, 1e-2);
  }
}
