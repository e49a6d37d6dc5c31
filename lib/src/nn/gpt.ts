// A GPT in nanoGPT's shape: token and position embeddings, pre-norm transformer blocks
// (causal self-attention and a 4x GELU MLP, each added to a residual stream), a final
// LayerNorm, and an output head that shares its weight with the token embedding.
import { noGrad } from "../core/autograd";
import { arange } from "../creation";
import * as F from "../functional";
import { fmt } from "../core/shape";
import { Tensor } from "../tensor";
import { CausalSelfAttention, KVCache } from "./attention";
import { checkpoint } from "./checkpoint";
import { gpt2FromPretrained, gpt2SavePretrained } from "./gpt2-hf";
import type { FromPretrainedOptions } from "./gpt2-hf";
import { checkSamplingOptions, sampleNext } from "./sampling";
import { normal_, zeros_ } from "./init";
import { Dropout, Embedding, GELU, LayerNorm, Linear } from "./layers";
import { Module, ModuleList } from "./module";

export interface GPTConfig {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** Dropout after embeddings, on attention weights and on each residual branch. */
  dropout?: number;
  /** Biases in the Linear layers and LayerNorms (nanoGPT's bias=False drops them all). */
  bias?: boolean;
  /** The MLP's hidden width (default 4 nEmbd; GPT-2's n_inner). */
  nInner?: number;
  /** The MLP's GELU: exact ("none", the default) or GPT-2's tanh approximation ("tanh", its gelu_new). */
  geluApproximate?: "none" | "tanh";
  /** The LayerNorms' epsilon (default 1e-5, GPT-2's layer_norm_epsilon). */
  layerNormEps?: number;
  /**
   * Recompute each block's forward pass during backward instead of keeping its activations
   * (default false): activation memory of one block's input per block, for about a third more
   * compute a training step. The gradients are the same. See gradientCheckpointingEnable().
   */
  gradientCheckpointing?: boolean;
}

/**
 * The transformer's feed-forward branch: Linear to 4 nEmbd (or nInner), GELU, Linear back, dropout; [..., nEmbd] in and out.
 * @example new nn.MLP(64).call(x) // x [B, T, 64]
 */
export class MLP extends Module {
  cFc: Linear;
  gelu: GELU;
  cProj: Linear;
  dropout: Dropout;

  constructor(nEmbd: number, dropout = 0, bias = true, opts: { nInner?: number; geluApproximate?: "none" | "tanh" } = {}) {
    super();
    const nInner = opts.nInner ?? 4 * nEmbd;
    this.cFc = new Linear(nEmbd, nInner, { bias });
    this.gelu = new GELU({ approximate: opts.geluApproximate ?? "none" });
    this.cProj = new Linear(nInner, nEmbd, { bias });
    this.dropout = new Dropout(dropout);
  }

  override forward(x: Tensor): Tensor {
    return this.dropout.forward(this.cProj.forward(this.gelu.forward(this.cFc.forward(x))));
  }
}

/**
 * x + attn(ln1(x)), then + mlp(ln2(x)): normalising before each branch keeps the residual
 * path clean. [B, T, nEmbd] in and out.
 * @example const block = gpt.h.at(0); block.call(x)
 */
export class Block extends Module {
  ln1: LayerNorm;
  attn: CausalSelfAttention;
  ln2: LayerNorm;
  mlp: MLP;

  constructor(cfg: Required<GPTConfig>) {
    super();
    const ln = { bias: cfg.bias, eps: cfg.layerNormEps };
    this.ln1 = new LayerNorm(cfg.nEmbd, ln);
    this.attn = new CausalSelfAttention(cfg);
    this.ln2 = new LayerNorm(cfg.nEmbd, ln);
    this.mlp = new MLP(cfg.nEmbd, cfg.dropout, cfg.bias, cfg);
  }

  /** With a layer's cache entry, attention continues after the cached positions. */
  override forward(x: Tensor, cache?: { k: Tensor | null; v: Tensor | null }): Tensor {
    const a = this.ln1.forward(x);
    const h = x.add(cache ? this.attn.forwardCached(a, cache) : this.attn.forward(a));
    return h.add(this.mlp.forward(this.ln2.forward(h)));
  }
}

export interface GenerateOptions {
  /** Divides the logits: below 1 sharpens, above 1 flattens; 0 or less picks the argmax. */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Sample only among the most likely tokens that together hold this much probability (nucleus sampling), in (0, 1]. */
  topP?: number;
  /**
   * Stop a row at this token (or any of these): once every row has produced one, generation
   * ends early; a row that ended first is filled with its end token up to the others' length.
   */
  eosTokenId?: number | number[];
  /**
   * Keep each layer's keys and values and feed the model only the new token (default
   * true). The tokens are the same as without; past blockSize the window slides, the
   * positions shift, and every step reruns the whole window, as without the cache.
   */
  kvCache?: boolean;
}

/**
 * A GPT in nanoGPT's shape: token ids [B, T] (int32, T <= blockSize) -> logits
 * [B, T, vocabSize], and the mean cross-entropy when targets [B, T] are given; generate()
 * samples continuations.
 * @example const gpt = new nn.GPT({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 }); const { logits, loss } = gpt.call(x, y);
 */
export class GPT extends Module {
  wte: Embedding;
  wpe: Embedding;
  drop: Dropout;
  h: ModuleList<Block>;
  lnF: LayerNorm;
  /** Tied: lmHead.weight is the same Tensor as wte.weight. */
  lmHead: Linear;
  readonly config: Required<GPTConfig>;

  constructor(config: GPTConfig) {
    super();
    const cfg: Required<GPTConfig> = {
      ...config,
      dropout: config.dropout ?? 0,
      bias: config.bias ?? true,
      nInner: config.nInner ?? 4 * config.nEmbd,
      geluApproximate: config.geluApproximate ?? "none",
      layerNormEps: config.layerNormEps ?? 1e-5,
      gradientCheckpointing: config.gradientCheckpointing ?? false,
    };
    for (const k of ["vocabSize", "blockSize", "nLayer", "nHead", "nEmbd", "nInner"] as const) {
      if (!Number.isInteger(cfg[k]) || cfg[k] <= 0) throw new Error(`GPT: config.${k} must be a positive integer, got ${cfg[k]}`);
    }
    this.config = cfg;
    this.wte = new Embedding(cfg.vocabSize, cfg.nEmbd);
    this.wpe = new Embedding(cfg.blockSize, cfg.nEmbd);
    this.drop = new Dropout(cfg.dropout);
    this.h = new ModuleList(Array.from({ length: cfg.nLayer }, () => new Block(cfg)));
    if (!(cfg.layerNormEps > 0)) throw new Error(`GPT: config.layerNormEps must be positive, got ${cfg.layerNormEps}`);
    if (cfg.geluApproximate !== "none" && cfg.geluApproximate !== "tanh") {
      throw new Error(`GPT: config.geluApproximate must be "none" or "tanh", got ${JSON.stringify(cfg.geluApproximate)}`);
    }
    this.lnF = new LayerNorm(cfg.nEmbd, { bias: cfg.bias, eps: cfg.layerNormEps });
    this.lmHead = new Linear(cfg.nEmbd, cfg.vocabSize, { bias: false });
    // Weight tying (Press & Wolf 2017): the same matrix embeds tokens and scores them;
    // gradients from both uses add up in its .grad.
    this.lmHead.weight = this.wte.weight;

    // GPT-2's initialisation: N(0, 0.02) everywhere, zero biases, and the projections that
    // write into the residual stream scaled by 1/sqrt(2 nLayer) so its variance stays put.
    for (const [name, p] of this.namedParameters()) {
      if (name.endsWith("cProj.weight")) normal_(p, 0, 0.02 / Math.sqrt(2 * cfg.nLayer));
      else if (p.ndim === 2) normal_(p, 0, 0.02); // Linear and Embedding weights
      else if (name.endsWith(".bias")) zeros_(p);
    }
  }

  /**
   * Trade compute for memory when training: each block's activations are dropped after the
   * forward pass and recomputed in the backward pass (Hugging Face's
   * gradient_checkpointing_enable). Generation and evaluation are unaffected.
   * @example gpt.gradientCheckpointingEnable(); gpt.forward(x, y).loss!.backward();
   */
  gradientCheckpointingEnable(): this {
    this.config.gradientCheckpointing = true;
    return this;
  }

  /** Keep every block's activations for the backward pass again (the default). */
  gradientCheckpointingDisable(): this {
    this.config.gradientCheckpointing = false;
    return this;
  }

  /** Whether blocks are recomputed in the backward pass. */
  get isGradientCheckpointing(): boolean {
    return this.config.gradientCheckpointing;
  }

  /**
   * GPT-2 from a Hugging Face GPT2LMHeadModel directory (config.json + model.safetensors,
   * or its shards); gpt2-hf.ts says how the names and layouts map.
   * @example const gpt2 = nn.GPT.fromPretrained(process.env.CHAINLAB_GPT2_DIR!);
   */
  static fromPretrained(dir: string, opts: FromPretrainedOptions = {}): GPT {
    return gpt2FromPretrained(GPT, dir, opts);
  }

  /**
   * Write config.json + model.safetensors that transformers' GPT2LMHeadModel.from_pretrained
   * reads. LoRA adapters must be merged first (nn.mergeLoRA).
   * @example model.savePretrained("out/gpt2-finetuned")
   */
  savePretrained(dir: string): void {
    gpt2SavePretrained(this, dir);
  }

  /**
   * Parameters counted like nanoGPT: the tied head once, and by default without the
   * position embeddings (they add nothing to the compute per token).
   */
  numParams(nonEmbedding = true): number {
    let n = 0;
    for (const p of this.parameters()) n += p.numel();
    return nonEmbedding ? n - this.wpe.weight.numel() : n;
  }

  /**
   * The final hidden states [B, T, nEmbd], before the output head. With a cache, idx holds
   * the tokens after the cached ones (their positions follow), and the cache grows by T.
   */
  hidden(idx: Tensor, cache?: KVCache): Tensor {
    if (idx.ndim !== 2) throw new Error(`GPT.forward(): idx must be [B, T] int32 token ids, got shape ${fmt(idx.shape)}`);
    const T = idx.shape[1];
    const past = cache?.length ?? 0;
    if (past + T > this.config.blockSize) {
      const what = past ? `${past} cached and ${T} new positions are` : `sequence of length ${T} is`;
      throw new Error(`GPT.forward(): ${what} longer than the block size ${this.config.blockSize}`);
    }
    const tok = this.wte.forward(idx); // [B, T, C]
    const pos = this.wpe.forward(arange(past, past + T)); // [T, C], broadcast over the batch
    let x = this.drop.forward(tok.add(pos));
    let i = 0;
    for (const block of this.h) {
      const layerCache = cache?.layers[i++];
      // a cached step is generation, with nothing to train: no checkpointing there
      x = this.config.gradientCheckpointing && !layerCache
        ? checkpoint((h) => block.forward(h), x, block.parameters())
        : block.forward(x, layerCache);
    }
    return this.lnF.forward(x);
  }

  /**
   * logits [B, T, vocabSize]; with targets [B, T], also the mean cross-entropy over the
   * positions whose target is not -1.
   */
  override forward(idx: Tensor | number[][], targets?: Tensor | number[][] | null): { logits: Tensor; loss: Tensor | null } {
    const ids = asIds(idx);
    const logits = this.lmHead.forward(this.hidden(ids));
    let loss: Tensor | null = null;
    if (targets !== undefined && targets !== null) {
      const t = asIds(targets);
      if (t.numel() !== ids.numel()) {
        throw new Error(`GPT.forward(): targets of shape ${fmt(t.shape)} do not match idx of shape ${fmt(ids.shape)}`);
      }
      const V = this.config.vocabSize;
      loss = F.crossEntropy(logits.reshape(-1, V), t.reshape(-1), { ignoreIndex: -1 });
    }
    return { logits, loss };
  }

  /**
   * Extend idx [B, T] by maxNewTokens sampled tokens, feeding the model at most the last
   * blockSize of them, with a KV cache unless {kvCache: false}. Samples from the seeded
   * default generator. Call model.eval() first when the model has dropout.
   * @example const out = gpt.generate([[0]], 50, { temperature: 0.8, topK: 10 }); // [1, 51]
   */
  generate(idx: Tensor | number[][], maxNewTokens: number, opts: GenerateOptions = {}): Tensor {
    checkSamplingOptions(opts, "GPT.generate()");
    const eos = new Set(opts.eosTokenId === undefined ? [] : ([] as number[]).concat(opts.eosTokenId));
    for (const e of eos) if (!Number.isInteger(e) || e < 0 || e >= this.config.vocabSize) throw new Error(`GPT.generate(): eosTokenId ${e} is not a token id (0..${this.config.vocabSize - 1})`);
    const V = this.config.vocabSize;
    const { blockSize, nLayer } = this.config;
    return noGrad(() => {
      const seq = asIds(idx);
      const B = seq.shape[0];
      const rows: number[][] = seq.toArray();
      let cache = opts.kvCache ?? true ? new KVCache(nLayer) : null;
      const ended: (number | null)[] = rows.map(() => null); // the end token each row stopped at
      for (let step = 0; step < maxNewTokens && !(eos.size && ended.every((e) => e !== null)); step++) {
        const T = rows[0].length;
        if (cache && T > blockSize) cache = null; // the window slides: positions shift from here on
        // with the cache, only the tokens it has not seen (all of the prompt, then one)
        const start = cache ? cache.length : Math.max(0, T - blockSize);
        const ctx = Tensor.from(rows.map((r) => r.slice(start)), "int32");
        const h = this.hidden(ctx, cache ?? undefined);
        // only the last position's logits are needed: [B, 1, C] -> [B, V]
        const last = this.lmHead.forward(h.narrow(1, h.shape[1] - 1, 1)).reshape(B, V).values();
        for (let b = 0; b < B; b++) {
          const e = ended[b];
          const next = e ?? sampleNext(last.subarray(b * V, (b + 1) * V), opts);
          if (e === null && eos.has(next)) ended[b] = next;
          rows[b].push(next);
        }
      }
      return Tensor.from(rows, "int32");
    });
  }

  override extraRepr(): string {
    const c = this.config;
    // GPT-2's variations only when they differ from the defaults, so nanoGPT models print as before
    const extra = [
      c.nInner !== 4 * c.nEmbd ? `, nInner=${c.nInner}` : "",
      c.geluApproximate !== "none" ? `, geluApproximate='${c.geluApproximate}'` : "",
      c.layerNormEps !== 1e-5 ? `, layerNormEps=${c.layerNormEps}` : "",
      c.gradientCheckpointing ? ", gradientCheckpointing=true" : "",
    ].join("");
    return `vocabSize=${c.vocabSize}, blockSize=${c.blockSize}, nLayer=${c.nLayer}, nHead=${c.nHead}, nEmbd=${c.nEmbd}${extra}`;
  }
}

function asIds(x: Tensor | number[][]): Tensor {
  const t = x instanceof Tensor ? (x.dtype === "int64" ? x.int() : x) : Tensor.from(x, "int32");
  if (t.dtype !== "int32") throw new Error(`GPT: token ids must be int32, got ${t.dtype} of shape ${fmt(t.shape)}`);
  return t;
}
