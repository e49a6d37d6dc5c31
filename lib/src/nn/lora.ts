// LoRA (Hu et al. 2021): keep a pretrained weight W0 frozen and learn a low-rank update,
// h = W0 x + (alpha / r) B A x, with A [r, in] random and B [out, r] zero, so training
// starts from exactly the pretrained model and only r (in + out) numbers per matrix learn.
//
// nanoGPT fuses the query, key and value projections into one Linear (attn.cAttn,
// [3 nEmbd, nEmbd]). Adapting it as a whole gives one rank-r update over all three.
// To adapt q and v only, as the paper does, pass parts: [true, false, true]: the output
// rows are cut into three equal parts and each enabled part gets its own A and B (rank r
// each), the disabled part none.
import { noGrad } from "../core/autograd";
import { cat } from "../free-functions";
import { zeros } from "../creation";
import { fmt } from "../core/shape";
import { bumpVersion } from "../core/version";
import { Tensor } from "../tensor";
import { kaimingUniformDefault } from "./init";
import * as F from "../functional";
import { Dropout, Linear } from "./layers";
import { Module, Parameter } from "./module";
import { countParameters } from "./freeze";
import { matchesAny, type NamePattern } from "./patterns";

export interface LoRAConfig {
  /** Rank of the update. */
  r: number;
  /** The update is scaled by alpha / r (default alpha = r, a scale of 1). */
  alpha?: number;
  /** Dropout on the adapter's input only. */
  dropout?: number;
  /** For fused projections: which equal parts of the output rows to adapt. */
  parts?: boolean[];
}

/**
 * A Linear with a low-rank update (Hu et al. 2021): y = x W^T + b + (alpha / r) x A^T B^T,
 * W and b frozen, A [r, in] and B [out, r] learned (B starts at 0). merge() folds the update into W.
 * @example const lora = new nn.LoRALinear(fc, { r: 4, alpha: 8 });
 */
export class LoRALinear extends Module {
  /** The pretrained weight and bias: the very tensors of the wrapped Linear, frozen. */
  weight: Tensor;
  bias: Tensor | null;
  /** [r * adaptedParts, in]. */
  loraA: Tensor;
  /** [outPart * adaptedParts, r]. */
  loraB: Tensor;
  loraDropout: Dropout;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly r: number;
  readonly alpha: number;
  readonly scaling: number;
  readonly parts: boolean[];
  /** True while the update is folded into weight (then the adapter path is skipped). */
  merged = false;

  constructor(base: Linear, cfg: LoRAConfig) {
    super();
    const { r } = cfg;
    if (!Number.isInteger(r) || r <= 0) throw new Error(`LoRALinear: r must be a positive integer, got ${r}`);
    this.parts = cfg.parts ?? [true];
    const k = this.parts.filter(Boolean).length;
    if (k === 0) throw new Error("LoRALinear: parts must enable at least one part");
    if (base.outFeatures % this.parts.length !== 0) {
      throw new Error(`LoRALinear: ${base.outFeatures} output features cannot be cut into ${this.parts.length} equal parts`);
    }
    this.weight = base.weight.requiresGrad_(false);
    this.bias = base.bias ? base.bias.requiresGrad_(false) : null;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.r = r;
    this.alpha = cfg.alpha ?? r;
    this.scaling = this.alpha / r;
    const outPart = base.outFeatures / this.parts.length;
    // A like a Linear's default weight (kaiming-uniform), B zero: the update starts at 0.
    this.loraA = Parameter(kaimingUniformDefault(zeros(r * k, this.inFeatures), this.inFeatures));
    this.loraB = Parameter(zeros(outPart * k, r));
    this.loraDropout = new Dropout(cfg.dropout ?? 0);
  }

  /**
   * The same as new LoRALinear(base, cfg).
   * @example nn.LoRALinear.from(model.fc, { r: 8 })
   */
  static from(base: Linear, cfg: LoRAConfig): LoRALinear {
    return new LoRALinear(base, cfg);
  }

  override forward(x: Tensor): Tensor {
    const y = F.linear(x, this.weight, this.bias);
    if (this.merged) return y;
    const x2 = x.reshape(-1, this.inFeatures);
    const a = this.loraDropout.forward(x2).matmul(this.loraA.T).mul(this.scaling); // [N, r k]
    let d: Tensor;
    if (this.parts.length === 1) d = a.matmul(this.loraB.T);
    else {
      const N = x2.shape[0], r = this.r, outPart = this.outFeatures / this.parts.length;
      let j = 0;
      d = cat(this.parts.map((on) => {
        if (!on) return zeros(N, outPart);
        const piece = a.narrow(1, j * r, r).matmul(this.loraB.narrow(0, j * outPart, outPart).T);
        j++;
        return piece;
      }), 1);
    }
    return y.add(d.reshape(y.shape as number[]));
  }

  /** (alpha / r) B A laid out like weight [out, in]. */
  deltaWeight(): Tensor {
    return noGrad(() => {
      const r = this.r, outPart = this.outFeatures / this.parts.length;
      const out = new Float32Array(this.outFeatures * this.inFeatures);
      let j = 0;
      this.parts.forEach((on, part) => {
        if (!on) return;
        const b = this.loraB.narrow(0, j * outPart, outPart);
        const a = this.loraA.narrow(0, j * r, r);
        out.set(b.matmul(a).mul(this.scaling).values(), part * outPart * this.inFeatures);
        j++;
      });
      return new Tensor(out, [this.outFeatures, this.inFeatures]);
    });
  }

  /** Fold the update into weight, so inference costs one matmul again. */
  merge(): this {
    if (!this.merged) {
      this.addToWeight(1);
      this.merged = true;
    }
    return this;
  }

  /** Take the update back out of weight (to go on training the adapter). */
  unmerge(): this {
    if (this.merged) {
      this.addToWeight(-1);
      this.merged = false;
    }
    return this;
  }

  private addToWeight(sign: 1 | -1): void {
    const d = this.deltaWeight().values();
    const w = this.weight;
    if (!w.isContiguous()) {
      throw new Error(`LoRALinear.${sign > 0 ? "merge" : "unmerge"}(): the weight of shape ${fmt(w.shape)} is not contiguous`);
    }
    bumpVersion(w);
    const s = w.storage;
    for (let i = 0; i < d.length; i++) s[w.offset + i] += sign * d[i];
  }

  override extraRepr(): string {
    const parts = this.parts.length > 1 ? `, parts=[${this.parts.join(", ")}]` : "";
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, r=${this.r}, alpha=${this.alpha}${parts}`;
  }
}

export interface ApplyLoRAOptions extends LoRAConfig {
  /** Names of the Linear layers to adapt: names, name suffixes ("attn.cAttn"), globs or RegExps. */
  targets: NamePattern | NamePattern[];
  /** Freeze every other parameter (default true). */
  freezeBase?: boolean;
}

export interface LoRASummary {
  /** Dotted names of the layers that were replaced by LoRALinear. */
  adapted: string[];
  trainable: number;
  frozen: number;
  total: number;
}

/**
 * Replace the matching Linear layers of model by LoRALinear adapters (in place) and freeze
 * everything else. Returns which layers were adapted and the parameter counts after.
 */
export function applyLoRA(model: Module, opts: ApplyLoRAOptions): LoRASummary {
  const targets = Array.isArray(opts.targets) ? opts.targets : [opts.targets];
  const found: [string, Module, string, Linear][] = [];
  const linears: string[] = [];
  for (const [name, m] of model.namedModules()) {
    for (const [key, child] of m.namedChildren()) {
      if (!(child instanceof Linear)) continue;
      const full = name ? `${name}.${key}` : key;
      linears.push(full);
      if (matchesAny(full, targets)) found.push([full, m, key, child]);
    }
  }
  if (!found.length) {
    throw new Error(
      `applyLoRA(): no Linear layer matches the targets ${targets.map(String).join(", ")}; ` +
        `the Linear layers are: ${linears.join(", ") || "(none)"}`,
    );
  }
  // A target whose weight is tied to another parameter (the GPT's lmHead shares wte's):
  // LoRALinear freezes its weight, which would freeze the other use too, and merge()
  // would change both. Refuse rather than do that behind the caller's back.
  const names = new Map<Tensor, string[]>();
  for (const [prefix, m] of model.namedModules()) {
    for (const [k, p] of m.ownParameters()) {
      const full = prefix ? `${prefix}.${k}` : k;
      names.set(p, [...(names.get(p) ?? []), full]);
    }
  }
  for (const [name, , , lin] of found) {
    const others = (names.get(lin.weight) ?? []).filter((n) => n !== `${name}.weight`);
    if (others.length) {
      throw new Error(
        `applyLoRA(): ${name}.weight is tied to ${others.join(", ")} (one tensor); adapting ${name} would freeze ` +
          `and, on merge, change ${others.join(", ")} too — leave ${name} out of the targets`,
      );
    }
  }
  if (opts.freezeBase ?? true) model.requiresGrad_(false);
  for (const [name, parent, key, lin] of found) {
    if (lin.weight.shape.length !== 2) throw new Error(`applyLoRA(): ${name} has weight of shape ${fmt(lin.weight.shape)}`);
    (parent as unknown as Record<string, Module>)[key] = new LoRALinear(lin, opts);
  }
  return { adapted: found.map(([n]) => n), ...countParameters(model) };
}

/**
 * The LoRALinear layers of model with their dotted names.
 * @example nn.loraLayers(gpt).map(([name]) => name) // ["h.0.attn.cAttn", ...]
 */
export function loraLayers(model: Module): [string, LoRALinear][] {
  return model.namedModules().filter((e): e is [string, LoRALinear] => e[1] instanceof LoRALinear);
}

/** Fold every adapter of model into its weight. */
export function mergeLoRA(model: Module): void {
  for (const [, m] of loraLayers(model)) m.merge();
}

/**
 * Take every merged LoRA update back out of its weight, so the adapters train again.
 * @example nn.mergeLoRA(gpt); evaluate(gpt); nn.unmergeLoRA(gpt);
 */
export function unmergeLoRA(model: Module): void {
  for (const [, m] of loraLayers(model)) m.unmerge();
}

/** Only the adapter weights (loraA, loraB), to save an adapter apart from its base model. */
export function loraStateDict(model: Module): Record<string, Tensor> {
  const sd = model.stateDict();
  return Object.fromEntries(Object.entries(sd).filter(([k]) => /\.lora[AB]$/.test(k)));
}
