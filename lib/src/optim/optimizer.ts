// The base of every optimiser: parameter groups (each with its own hyperparameters),
// per-parameter state, and updates written in place into the parameters' storage.
import { Tensor } from "../tensor";
import { fmt } from "../core/shape";
import { bumpVersion } from "../core/version";
import { checkOptimizerState } from "./state-check";

/** A group as passed in: its own params and any hyperparameters that differ from the defaults. */
export type ParamGroupInput<O> = { params: Iterable<Tensor> } & Partial<O>;
export type ParamsInput<O> = Iterable<Tensor> | ParamGroupInput<O>[];
export type ParamGroup<O> = O & { params: Tensor[] };

export type OptimizerStateDict = {
  /** Per-parameter state, keyed by the parameter's position across all groups. */
  state: Record<number, Record<string, Tensor | number>>;
  /** Hyperparameters of each group, with params as positions. */
  paramGroups: Record<string, unknown>[];
};

function isGroupList<O>(x: ParamsInput<O>): x is ParamGroupInput<O>[] {
  return Array.isArray(x) && x.length > 0 && !(x[0] instanceof Tensor) && typeof x[0] === "object" && "params" in x[0];
}

/** The parameter's values as a writable flat array (its own storage, no copy), for a write that follows. */
export function paramData(p: Tensor, op: string): Float32Array {
  if (p.dtype !== "float32" || !p.isContiguous()) {
    throw new Error(`${op}: parameters must be contiguous float32 tensors, got ${p.dtype} ${fmt(p.shape)} (strides ${fmt(p.strides)})`);
  }
  bumpVersion(p); // the step writes into it
  const s = p.storage as Float32Array;
  const n = p.numel();
  return p.offset === 0 && s.length === n ? s : s.subarray(p.offset, p.offset + n);
}

export function gradData(p: Tensor): Float32Array {
  return p.grad!.values() as Float32Array;
}

/**
 * The base of the optimisers: parameter groups with their own hyperparameters, state per
 * parameter, zeroGrad() and step(); subclasses write update().
 * @example opt.zeroGrad(); loss.backward(); opt.step();
 */
export abstract class Optimizer<O extends { lr: number }, S extends Record<string, Float32Array | number>> {
  readonly paramGroups: ParamGroup<O>[] = [];
  readonly defaults: O;
  /** Per-parameter state (momentum buffers, moments, step counts), created on first update. */
  readonly state = new Map<Tensor, S>();

  constructor(params: ParamsInput<O>, defaults: O) {
    this.defaults = defaults;
    const groups: ParamGroupInput<O>[] = isGroupList(params) ? params : [{ params: params as Iterable<Tensor> } as ParamGroupInput<O>];
    const seen = new Set<Tensor>();
    for (const g of groups) this.addParamGroup(g, seen);
    if (this.paramGroups.every((g) => g.params.length === 0)) {
      throw new Error(`${this.constructor.name}: got an empty parameter list`);
    }
  }

  /**
   * Add parameters with hyperparameters of their own (the rest from the defaults), e.g.
   * layers unfrozen later in fine-tuning.
   * @example opt.addParamGroup({ params: head.parameters(), lr: 1e-2 });
   */
  addParamGroup(group: ParamGroupInput<O>, seen = new Set(this.paramGroups.flatMap((g) => g.params))): void {
    const params = [...group.params];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new Error(`${this.constructor.name}: params must be Tensors, got ${typeof p}`);
      if (seen.has(p)) throw new Error(`${this.constructor.name}: a parameter appears in more than one group (shape ${fmt(p.shape)})`);
      seen.add(p);
    }
    const full = { ...this.defaults, ...group, params } as ParamGroup<O>;
    // schedulers scale from here
    (full as Record<string, unknown>).initialLr ??= full.lr;
    this.paramGroups.push(full);
  }

  /** Set every gradient to null (PyTorch's default), so the next backward() starts fresh. */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** The parameters this step will move: trainable and with a gradient. */
  protected *active(): Generator<[Tensor, ParamGroup<O>]> {
    for (const g of this.paramGroups) for (const p of g.params) if (p.requiresGrad && p.grad) yield [p, g];
  }

  /** One update of every parameter that has a gradient. closure, if given, recomputes the loss. */
  step(closure?: () => number | Tensor): number | Tensor | undefined {
    const loss = closure ? closure() : undefined;
    for (const [p, g] of this.active()) this.update(p, g);
    return loss;
  }

  protected abstract update(p: Tensor, group: ParamGroup<O>): void;

  /**
   * The groups' hyperparameters and each parameter's state (copied), with parameters by
   * position as in PyTorch, for a checkpoint.
   * @example io.saveCheckpoint("run.ckpt", { model: model.stateDict(), optimizer: opt.stateDict() });
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      return { ...hyper, params: params.map((p) => { index.set(p, index.size); return index.size - 1; }) };
    });
    const state: OptimizerStateDict["state"] = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[i] = Object.fromEntries(
        Object.entries(s).map(([k, v]) => [k, typeof v === "number" ? v : new Tensor(v.slice(), p.shape)]),
      );
    }
    return { state, paramGroups };
  }

  /**
   * Resume from stateDict(): the same number of groups and parameters, in the same order.
   * @example opt.loadStateDict(saved);
   */
  loadStateDict(sd: OptimizerStateDict): void {
    // hyperparameters are checked before any is applied: a bad one leaves the optimizer as it was
    checkOptimizerState(sd, (field, problem) => {
      throw new Error(`${this.constructor.name}.loadStateDict(): ${field} ${problem}`);
    });
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${this.constructor.name}.loadStateDict(): ${sd.paramGroups.length} groups in the state dict, ${this.paramGroups.length} here`);
    }
    const params = this.paramGroups.flatMap((g) => g.params);
    sd.paramGroups.forEach((sg, i) => {
      const own = this.paramGroups[i];
      const ids = sg.params as number[];
      if (ids.length !== own.params.length) {
        throw new Error(`${this.constructor.name}.loadStateDict(): group ${i} has ${ids.length} parameters in the state dict, ${own.params.length} here`);
      }
      for (const [k, v] of Object.entries(sg)) if (k !== "params") (own as Record<string, unknown>)[k] = v;
    });
    this.state.clear();
    for (const [key, s] of Object.entries(sd.state)) {
      const p = params[Number(key)];
      if (!p) throw new Error(`${this.constructor.name}.loadStateDict(): state for parameter ${key}, which does not exist`);
      const entry: Record<string, Float32Array | number> = {};
      for (const [k, v] of Object.entries(s)) {
        if (typeof v === "number") entry[k] = v;
        else {
          if (v.numel() !== p.numel()) {
            throw new Error(`${this.constructor.name}.loadStateDict(): state ${k} of parameter ${key} has shape ${fmt(v.shape)}, the parameter ${fmt(p.shape)}`);
          }
          entry[k] = (v.values() as Float32Array).slice();
        }
      }
      this.state.set(p, entry as S);
    }
  }
}
