// The standard layers, with PyTorch's default initialisations.
import { zeros, ones } from "../creation";
import * as F from "../functional";
import type { GeluOptions } from "../ops/elementwise";
import { fmt } from "../shape";
import { Tensor } from "../tensor";
import { kaimingUniformDefault, normal_ } from "./init";
import { Module, Parameter } from "./module";

function checkFeatures(op: string, x: Tensor, expected: number): void {
  const got = x.shape[x.ndim - 1];
  if (x.ndim === 0 || got !== expected) {
    throw new Error(`${op}: expected input with ${expected} features in the last dim, got shape ${fmt(x.shape)}`);
  }
}

/** y = x W^T + b, W [out, in]. */
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

/** A lookup table of vectors, initialised N(0, 1). */
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

/** Zeroes elements with probability p while training; the identity in eval(). */
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

export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** GELU: the exact x Φ(x) by default, like PyTorch; new GELU({approximate: "tanh"}) for the tanh form. */
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

export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** Flattens dims startDim..endDim (by default all but the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

type Pair = number | [number, number];

/** 2-D convolution over [N, C, H, W]; weight [out, in, kH, kW]. */
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
