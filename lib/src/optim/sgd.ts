// Stochastic gradient descent with PyTorch's update rule:
//   g = grad + weightDecay * p
//   buf = g on the first step, else momentum * buf + (1 - dampening) * g
//   g = nesterov ? g + momentum * buf : buf      (when momentum > 0)
//   p = p - lr * g
import type { Tensor } from "../tensor";
import { Optimizer, gradData, paramData, type ParamGroup, type ParamsInput } from "./optimizer";

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

type SGDState = { momentumBuffer: Float32Array };

/**
 * Stochastic gradient descent with PyTorch's options: lr (default 1e-3),
 * momentum, dampening, nesterov, weightDecay (an L2 term added to the gradient).
 * @example const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  constructor(params: ParamsInput<SGDOptions>, opts: Partial<SGDOptions> = {}) {
    const defaults: SGDOptions = { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, ...opts };
    if (defaults.nesterov && (defaults.momentum <= 0 || defaults.dampening !== 0)) {
      throw new Error("SGD: nesterov momentum needs momentum > 0 and dampening 0");
    }
    if (!(defaults.lr >= 0)) throw new Error(`SGD: invalid learning rate ${defaults.lr}`);
    super(params, defaults);
  }

  protected update(p: Tensor, group: ParamGroup<SGDOptions>): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = group;
    const w = paramData(p, "SGD.step()");
    const g = gradData(p);
    const n = w.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) w[i] -= lr * (g[i] + weightDecay * w[i]);
      return;
    }
    let s = this.state.get(p);
    const first = !s;
    if (!s) this.state.set(p, (s = { momentumBuffer: new Float32Array(n) }));
    const buf = s.momentumBuffer;
    for (let i = 0; i < n; i++) {
      const gi = g[i] + weightDecay * w[i];
      buf[i] = first ? gi : momentum * buf[i] + (1 - dampening) * gi;
      w[i] -= lr * (nesterov ? gi + momentum * buf[i] : buf[i]);
    }
  }
}
