// Partial fine-tuning: freeze (requiresGrad false) or unfreeze parts of a model by module
// or by name pattern. Optimisers skip frozen parameters, and backward() computes no
// gradient for them.
import type { Tensor } from "../tensor";
import { Module } from "./module";
import { matchesName, type NamePattern } from "./patterns";

export type FreezeTarget = NamePattern | Module;

function select(model: Module, targets: FreezeTarget | FreezeTarget[] | undefined): [string, Tensor][] {
  const all = model.namedParameters();
  if (targets === undefined) return all;
  const list = Array.isArray(targets) ? targets : [targets];
  const byModule = new Set<Tensor>();
  for (const t of list) if (t instanceof Module) for (const p of t.parameters()) byModule.add(p);
  const patterns = list.filter((t): t is NamePattern => !(t instanceof Module));
  return all.filter(([name, p]) => byModule.has(p) || patterns.some((pat) => matchesName(name, pat)));
}

function setFlag(model: Module, targets: FreezeTarget | FreezeTarget[] | undefined, flag: boolean): string[] {
  const chosen = select(model, targets);
  for (const [, p] of chosen) p.requiresGrad_(flag);
  if (!flag) for (const [, p] of chosen) p.grad = null;
  return chosen.map(([n]) => n);
}

/**
 * Freeze the parameters of model that match (all of them without targets); returns their
 * names. freeze(model, ["wte", "wpe", "h.0"]) freezes the embeddings and the first block.
 */
export function freeze(model: Module, targets?: FreezeTarget | FreezeTarget[]): string[] {
  return setFlag(model, targets, false);
}

/**
 * Make the parameters of model that match trainable again (all of them without targets);
 * returns their names.
 * @example nn.freeze(gpt); nn.unfreeze(gpt, ["lnF", "h.3"]);
 */
export function unfreeze(model: Module, targets?: FreezeTarget | FreezeTarget[]): string[] {
  return setFlag(model, targets, true);
}

export interface ParameterCount {
  trainable: number;
  frozen: number;
  total: number;
}

/** Numbers of parameter elements, each shared tensor counted once. */
export function countParameters(model: Module): ParameterCount {
  let trainable = 0, frozen = 0;
  for (const p of model.parameters()) {
    if (p.requiresGrad) trainable += p.numel();
    else frozen += p.numel();
  }
  return { trainable, frozen, total: trainable + frozen };
}

/** The parameters an optimiser should update: those that require grad. */
export function trainableParameters(model: Module): Tensor[] {
  return model.parameters().filter((p) => p.requiresGrad);
}
