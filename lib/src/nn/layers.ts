// The standard layers, with PyTorch's default initialisations.
import { zeros, ones } from "../creation";
import * as F from "../functional";
import type { GeluOptions } from "../ops/elementwise";
import { fmt } from "../core/shape";
import { Tensor } from "../tensor";
import { kaimingUniformDefault, normal_ } from "./init";
import { Module, Parameter } from "./module";

function checkFeatures(op: string, x: Tensor, expected: number): void {
  const got = x.shape[x.ndim - 1];
  if (x.ndim === 0 || got !== expected) {
    throw new Error(`${op}: expected input with ${expected} features in the last dim, got shape ${fmt(x.shape)}`);
  }
}

/**
 * y = x W^T + b: [..., inFeatures] -> [..., outFeatures], W [out, in] and b [out] initialised
 * U(-1/sqrt(in), 1/sqrt(in)) as in PyTorch; {bias: false} drops b.
 * @example const fc = new nn.Linear(784, 10); fc.call(x) // [N, 10] from [N, 784]
 */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    this.weight = Parameter(kaimingUniformDefault(zeros(outFeatures, inFeatures), inFeatures));
    this.bias = opts.bias ?? true ? Parameter(kaimingUniformDefault(zeros(outFeatures), inFeatures)) : null;
  }

  override forward(x: Tensor): Tensor {
    checkFeatures("Linear", x, this.inFeatures);
    return F.linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/**
 * A lookup table of numEmbeddings vectors of embeddingDim, initialised N(0, 1): int32 ids
 * [...] -> [..., embeddingDim].
 * @example const emb = new nn.Embedding(65, 32); emb.call(ids) // [B, T, 32] from [B, T]
 */
export class Embedding extends Module {
  weight: Tensor;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number) {
    super();
    this.weight = Parameter(normal_(zeros(numEmbeddings, embeddingDim)));
  }

  override forward(idx: Tensor | number[]): Tensor {
    return F.embedding(idx, this.weight);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}

/**
 * Normalise the last dims (normalizedShape) of each sample to mean 0 and variance 1, then
 * scale and shift by the learned weight (ones) and bias (zeros); eps 1e-5.
 * @example const ln = new nn.LayerNorm(64); ln.call(x) // x [B, T, 64], same shape out
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;

  constructor(normalizedShape: number | number[], opts: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? Parameter(ones(this.normalizedShape)) : null;
    this.bias = affine && (opts.bias ?? true) ? Parameter(zeros(this.normalizedShape)) : null;
  }

  override forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${fmt(this.normalizedShape)}, eps=${this.eps}`;
  }
}

/**
 * Zeroes elements with probability p while training and scales the rest by 1/(1-p); the
 * identity in eval(). Any shape.
 * @example const drop = new nn.Dropout(0.1);
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p > 1) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }

  override forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * max(x, 0) elementwise, as a layer. Any shape.
 * @example new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU())
 */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/**
 * GELU: the exact x Φ(x) by default, like PyTorch; new GELU({approximate: "tanh"}) for the tanh form. Any shape.
 * @example const act = new nn.GELU();
 */
export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor(opts: GeluOptions = {}) {
    super();
    this.approximate = opts.approximate ?? "none";
  }
  override forward(x: Tensor): Tensor {
    return x.gelu({ approximate: this.approximate });
  }
  override extraRepr(): string {
    return this.approximate === "none" ? "" : `approximate='${this.approximate}'`;
  }
}

/**
 * tanh(x) elementwise, as a layer. Any shape.
 * @example new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh())
 */
export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/**
 * 1 / (1 + e^-x) elementwise, as a layer. Any shape.
 * @example new nn.Sequential(new nn.Linear(8, 1), new nn.Sigmoid())
 */
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/**
 * Flattens dims startDim..endDim (by default all but the batch dim).
 * @example new nn.Flatten().call(zeros(8, 1, 28, 28)) // [8, 784]
 */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

type Pair = number | [number, number];

/**
 * 2-D convolution (cross-correlation, as PyTorch's) over [N, inChannels, H, W] ->
 * [N, outChannels, H', W'], H' = (H + 2 padding - kH) / stride + 1; weight
 * [out, in, kH, kW], bias [out].
 * @example const conv = new nn.Conv2d(1, 8, 3, { padding: 1 }); conv.call(x) // [N, 8, 28, 28] from [N, 1, 28, 28]
 */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: Pair;
  readonly padding: Pair;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair,
    opts: { stride?: Pair; padding?: Pair; bias?: boolean } = {}) {
    super();
    this.kernelSize = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    const fan = inChannels * this.kernelSize[0] * this.kernelSize[1];
    this.weight = Parameter(kaimingUniformDefault(zeros(outChannels, inChannels, ...this.kernelSize), fan));
    this.bias = opts.bias ?? true ? Parameter(kaimingUniformDefault(zeros(outChannels), fan)) : null;
  }

  override forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${fmt(this.kernelSize)}, stride=${this.stride}, padding=${this.padding}`;
  }
}

/**
 * The maximum of each kernelSize window of [N, C, H, W], moving by stride (kernelSize by default).
 * @example new nn.MaxPool2d(2).call(x) // [N, C, H/2, W/2]
 */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly stride?: Pair) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.stride);
  }

  override extraRepr(): string {
    return `kernelSize=${this.kernelSize}, stride=${this.stride ?? this.kernelSize}`;
  }
}
