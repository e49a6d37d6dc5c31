// Causal self-attention as in GPT-2 and nanoGPT: one fused projection gives q, k and v;
// heads are views of it, and all heads attend in one batched matmul. Written out below with
// matmul, maskedFill and softmax; training without attention dropout (and evaluation) runs
// the same computation as one fused op, causalAttention in ops/attention.ts, whose backward is
// written out by hand.
import * as F from "../functional";
import { causalAttention, splitHeads } from "../ops/attention";
import { cat } from "../ops/movement";
import { fmt } from "../core/shape";
import { Tensor } from "../tensor";
import { Dropout, Linear } from "./layers";
import { Module } from "./module";

export interface AttentionConfig {
  nEmbd: number;
  nHead: number;
  blockSize: number;
  dropout?: number;
  bias?: boolean;
}

/**
 * The keys and values each layer has computed so far, [B, nh, T, hs] per layer, so that
 * generation computes only the new positions' (Pope et al. 2022 call it the KV cache).
 * @example const cache = new nn.KVCache(gpt.config.nLayer); gpt.hidden(prompt, cache);
 */
export class KVCache {
  readonly layers: { k: Tensor | null; v: Tensor | null }[];

  constructor(nLayer: number) {
    this.layers = Array.from({ length: nLayer }, () => ({ k: null, v: null }));
  }

  /** How many positions are cached. */
  get length(): number {
    return this.layers[0]?.k?.shape[2] ?? 0;
  }
}

/**
 * Multi-head causal self-attention, GPT-2's: [B, T, nEmbd] -> [B, T, nEmbd], each position
 * attending to itself and the ones before it; q, k, v from one fused Linear (cAttn), heads
 * of nEmbd / nHead, then the output projection cProj.
 * @example const attn = new nn.CausalSelfAttention({ nEmbd: 64, nHead: 4, blockSize: 32 }); attn.call(x)
 */
export class CausalSelfAttention extends Module {
  /** q, k and v stacked: [3 nEmbd, nEmbd]. */
  cAttn: Linear;
  cProj: Linear;
  attnDropout: Dropout;
  residDropout: Dropout;
  readonly nHead: number;
  readonly nEmbd: number;
  /** 1 above the diagonal: position t may not look at positions after t. Not saved. */
  declare readonly mask: Tensor;

  constructor(cfg: AttentionConfig) {
    super();
    if (cfg.nEmbd % cfg.nHead !== 0) {
      throw new Error(`CausalSelfAttention: nEmbd (${cfg.nEmbd}) must be divisible by nHead (${cfg.nHead})`);
    }
    const bias = cfg.bias ?? true;
    this.cAttn = new Linear(cfg.nEmbd, 3 * cfg.nEmbd, { bias });
    this.cProj = new Linear(cfg.nEmbd, cfg.nEmbd, { bias });
    this.attnDropout = new Dropout(cfg.dropout ?? 0);
    this.residDropout = new Dropout(cfg.dropout ?? 0);
    this.nHead = cfg.nHead;
    this.nEmbd = cfg.nEmbd;
    const n = cfg.blockSize;
    const m = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) m[i * n + j] = 1;
    this.registerBuffer("mask", new Tensor(m, [n, n]), false);
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim !== 3 || x.shape[2] !== this.nEmbd) {
      throw new Error(`CausalSelfAttention: expected input [B, T, ${this.nEmbd}], got ${fmt(x.shape)}`);
    }
    const [B, T, C] = x.shape;
    if (T > this.mask.shape[0]) {
      throw new Error(`CausalSelfAttention: sequence length ${T} exceeds the block size ${this.mask.shape[0]}`);
    }
    const nh = this.nHead, hs = C / nh;
    const qkv = this.cAttn.forward(x).contiguous(); // [B, T, 3C]
    if (!(this.attnDropout.training && this.attnDropout.p > 0)) {
      // the same computation as below, fused into one op with a closed-form backward
      return this.residDropout.forward(this.cProj.forward(causalAttention(qkv, nh)));
    }
    const q = splitHeads(qkv, 0, nh).mul(1 / Math.sqrt(hs)); // scale the smaller operand
    const k = splitHeads(qkv, 1, nh);
    const v = splitHeads(qkv, 2, nh);
    const mask = T === this.mask.shape[0] ? this.mask : this.mask.index([0, T], [0, T]);
    let att = q.matmul(k.transpose(-2, -1)).maskedFill(mask, -Infinity).softmax(-1); // [B, nh, T, T]
    att = this.attnDropout.forward(att);
    const y = att.matmul(v).transpose(1, 2).reshape(B, T, C); // heads side by side again
    return this.residDropout.forward(this.cProj.forward(y));
  }

  /**
   * Attention for x [B, T, C] at the positions after the ones in cache (one layer's entry
   * of a KVCache): their keys and values are appended to it, and the new queries attend to
   * every cached position and causally among themselves.
   * @example const y = attn.forwardCached(x, cache.layers[0]);
   */
  forwardCached(x: Tensor, cache: { k: Tensor | null; v: Tensor | null }): Tensor {
    if (x.ndim !== 3 || x.shape[2] !== this.nEmbd) {
      throw new Error(`CausalSelfAttention: expected input [B, T, ${this.nEmbd}], got ${fmt(x.shape)}`);
    }
    const [B, T, C] = x.shape;
    const past = cache.k?.shape[2] ?? 0;
    const L = past + T;
    if (L > this.mask.shape[0]) {
      throw new Error(`CausalSelfAttention: ${past} cached and ${T} new positions exceed the block size ${this.mask.shape[0]}`);
    }
    if (cache.k && cache.k.shape[0] !== B) throw new Error(`CausalSelfAttention: the cache holds a batch of ${cache.k.shape[0]}, the input ${B}`);
    const nh = this.nHead, hs = C / nh;
    const qkv = this.cAttn.forward(x).contiguous();
    const q = splitHeads(qkv, 0, nh).mul(1 / Math.sqrt(hs));
    const k = splitHeads(qkv, 1, nh).contiguous();
    const v = splitHeads(qkv, 2, nh).contiguous();
    cache.k = cache.k ? cat([cache.k, k], 2) : k;
    cache.v = cache.v ? cat([cache.v!, v], 2) : v;
    let att = q.matmul(cache.k.transpose(-2, -1)); // [B, nh, T, L]
    // a single new position may look at everything cached; several look causally at each other
    if (T > 1) att = att.maskedFill(this.mask.index([past, L], [0, L]), -Infinity);
    att = this.attnDropout.forward(att.softmax(-1));
    const y = att.matmul(cache.v).transpose(1, 2).reshape(B, T, C);
    return this.residDropout.forward(this.cProj.forward(y));
  }

  override extraRepr(): string {
    return `nEmbd=${this.nEmbd}, nHead=${this.nHead}, blockSize=${this.mask.shape[0]}`;
  }
}

/** softmax(q k^T / sqrt(d), masked where mask is 1) v, as a plain function (mask 1 = hidden). */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, mask?: Tensor | null): Tensor {
  let att = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(q.shape[q.ndim - 1]));
  if (mask) att = att.maskedFill(mask, -Infinity);
  return F.softmax(att, -1).matmul(v);
}
