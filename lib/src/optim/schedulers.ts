// Learning-rate schedules. Each scheduler sets the lr of every group of its optimizer from
// that group's initial lr; step() advances one step (or epoch) and applies the new value.
// Like PyTorch, constructing a scheduler already applies the value for step 0 (each
// subclass calls start() once its own settings are in place).
import { checkSchedulerState } from "./state-check";

type Group = { lr: number; initialLr?: number };
interface HasGroups {
  paramGroups: Group[];
}

/**
 * The base of the learning-rate schedules: step() moves to the next epoch (or step) and
 * sets each group's lr to lrAt(epoch, its base lr).
 * @example const sched = new optim.lr.StepLR(opt, { stepSize: 10, gamma: 0.5 }); opt.step(); sched.step();
 */
export abstract class LRScheduler {
  lastEpoch = 0;
  readonly baseLrs: number[];

  constructor(readonly optimizer: HasGroups) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr ?? g.lr);
  }

  protected start(): void {
    this.apply();
  }

  /** The lr of group i at step `epoch`. */
  abstract lrAt(epoch: number, baseLr: number, group: number): number;

  /**
   * Advance the schedule by one and set the groups' lr; call it after optimizer.step().
   * @example for (const batch of loader) { opt.step(); sched.step(); }
   */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /**
   * The lr of each parameter group now.
   * @example sched.getLastLr()[0]
   */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  private apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i], i)));
  }

  /**
   * Where the schedule is (lastEpoch) and the base lrs, for a checkpoint.
   * @example const saved = sched.stateDict();
   */
  stateDict(): { lastEpoch: number; baseLrs: number[] } {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /**
   * Resume from stateDict(): the groups' lr are set for lastEpoch again.
   * @example sched.loadStateDict(saved);
   */
  loadStateDict(sd: { lastEpoch: number; baseLrs?: number[] }): void {
    checkSchedulerState(sd, (field, problem) => {
      throw new Error(`${this.constructor.name}.loadStateDict(): ${field} ${problem}`);
    });
    this.lastEpoch = sd.lastEpoch;
    if (sd.baseLrs) sd.baseLrs.forEach((v, i) => (this.baseLrs[i] = v));
    this.apply();
  }
}

/** lr = baseLr * gamma^floor(epoch / stepSize). */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: HasGroups, opts: { stepSize: number; gamma?: number }) {
    super(optimizer);
    if (!(opts.stepSize > 0)) throw new Error(`StepLR: stepSize must be positive, got ${opts.stepSize}`);
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this.start();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** lr = baseLr * fn(epoch). */
export class LambdaLR extends LRScheduler {
  constructor(optimizer: HasGroups, readonly fn: (epoch: number) => number) {
    super(optimizer);
    this.start();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.fn(epoch);
  }
}

export interface CosineWithWarmupOptions {
  warmupIters: number;
  lrDecayIters: number;
  minLr: number;
  /** The peak lr (default: the optimizer's lr). */
  lr?: number;
}

/**
 * nanoGPT's get_lr: linear warmup to lr over warmupIters steps, then a cosine down to minLr
 * at lrDecayIters, then minLr.
 */
export function cosineWithWarmup(it: number, o: { lr: number; minLr: number; warmupIters: number; lrDecayIters: number }): number {
  if (it < o.warmupIters) return (o.lr * (it + 1)) / (o.warmupIters + 1);
  if (it > o.lrDecayIters) return o.minLr;
  const ratio = (it - o.warmupIters) / Math.max(o.lrDecayIters - o.warmupIters, 1);
  const coeff = 0.5 * (1 + Math.cos(Math.PI * ratio));
  return o.minLr + coeff * (o.lr - o.minLr);
}

/**
 * The schedule of cosineWithWarmup applied to every group. Groups whose initial lr differs
 * from the first group's keep their ratio to it, minLr included.
 */
export class CosineWithWarmup extends LRScheduler {
  constructor(optimizer: HasGroups, readonly opts: CosineWithWarmupOptions) {
    super(optimizer);
    this.start();
  }

  lrAt(epoch: number, baseLr: number): number {
    const o = this.opts;
    const peak = o.lr ?? this.baseLrs[0];
    const scale = baseLr / this.baseLrs[0];
    return scale * cosineWithWarmup(epoch, { ...o, lr: peak });
  }
}
