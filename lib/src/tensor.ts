// The Tensor: typed-array storage viewed through a shape, strides and an offset, so that
// reshape, transpose, expand and slicing share memory where they can. Every method that
// computes is an op from ./ops, each with its forward and backward side by side.
import { Node, runBackward } from "./core/autograd";
import type { DType, Storage, Strided, TypedArray } from "./backend/types";
import { kernels } from "./backend";
import { checkDims, contiguousStrides, fmt, isContiguous, normDim, numel } from "./core/shape";
import * as E from "./ops/elementwise";
import * as R from "./ops/reduce";
import * as S from "./ops/movement";
import * as M from "./ops/matmul";
import * as N from "./ops/softmax-layer-norm";
import * as I64 from "./ops/int64";
import { formatTensor } from "./format";
import { tensorBundle, type TensorDisplayOptions } from "./display/tensor";
import { defaultGenerator } from "./core/random";
import { bumpVersion, versionOf } from "./core/version";
import { adopt, allocate as allocateArray } from "./core/storage";

export type { DType, Storage } from "./backend/types";
export type TensorLike = Tensor | number;
export type Hook = (grad: Tensor) => Tensor | void;
/** One entry of index(): a number selects (and drops the dim), [start, end?, step?] slices, null keeps all. */
export type IndexSpec = number | null | readonly [number | null, (number | null)?, number?];

export { uninitialized } from "./core/storage";

/**
 * Values as tensor() and Tensor.from() take them: a number (or a bigint, for int64), nested
 * arrays of them (or of booleans), or a typed array.
 */
export type NestedNumbers = number | bigint | boolean | ArrayLike<number> | ArrayLike<bigint> | readonly NestedNumbers[];

/**
 * dst.set(src, at) for two arrays of one dtype, whichever it is; code that moves values
 * without arithmetic (cat, gathers, collate) serves int64 with it as it serves the rest.
 */
export function setValues(dst: Storage, src: Storage, at = 0): void {
  (dst as Float32Array).set(src as Float32Array, at);
}

/** Fresh zeroed storage for n elements of dtype (float32 from the pool). */
export function allocate(dtype: "int64", n: number): BigInt64Array;
export function allocate(dtype: "float32" | "int32", n: number): TypedArray;
export function allocate(dtype: DType, n: number): Storage;
export function allocate(dtype: DType, n: number): Storage {
  return dtype === "int64" ? new BigInt64Array(n) : allocateArray(dtype, n);
}

/**
 * An n-dimensional array of float32, int32 or int64 values that records the ops applied to it, so
 * that backward() can compute gradients by the chain rule. Views (reshape, transpose,
 * narrow, ...) share storage. Made by tensor(), zeros(), randn(), arange() and the ops.
 * @example const x = tensor([[1, 2], [3, 4]], { requiresGrad: true }); x.matmul(x).sum().backward();
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** The storage of any dtype, shared by every view of it (an int64 tensor's is a BigInt64Array). @internal */
  readonly store: Storage;
  requiresGrad = false;
  grad: Tensor | null = null;
  /** The node that made this tensor (null for leaves and for results made without grad). */
  gradFn: Node | null = null;
  /** An optional label, shown by displays and graphs. */
  name?: string;
  /** @internal */ hooks: Hook[] = [];
  /** @internal */ retainsGrad = false;

  constructor(storage: Storage, shape: readonly number[], strides?: readonly number[], offset = 0) {
    checkDims("Tensor", shape);
    this.store = storage;
    if (!(storage instanceof BigInt64Array)) adopt(this, storage); // int64 storage is never pooled
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = storage instanceof Int32Array ? "int32" : storage instanceof BigInt64Array ? "int64" : "float32";
  }

  // ---- fields -------------------------------------------------------------------------

  /**
   * The underlying typed array of a float32 or int32 tensor, shared by every view of it (read
   * it through offset and strides). An int64 tensor's values are read with toArray(), exactly
   * as bigints with toArray({ bigint: true }).
   * @example const a = arange(6); a.reshape(2, 3).storage === a.storage // true
   */
  get storage(): TypedArray {
    if (this.dtype === "int64") {
      throw new Error(`storage: an int64 tensor (shape ${fmt(this.shape)}) keeps a BigInt64Array; read its values with toArray(), or toArray({ bigint: true }) for bigints`);
    }
    return this.store as TypedArray;
  }

  /**
   * The number of dims, shape.length (PyTorch's x.ndim).
   * @example zeros(2, 3).ndim // 2
   */
  get ndim(): number { return this.shape.length; }
  /**
   * The number of dims, like ndim.
   * @example zeros(2, 3).dim() // 2
   */
  dim(): number { return this.shape.length; }
  /**
   * The number of elements, the product of the shape.
   * @example zeros(2, 3).numel() // 6
   */
  numel(): number { return numel(this.shape); }
  /**
   * The shape as an array, or the length of one dim (negative dims count from the end).
   * @example zeros(2, 3).size() // [2, 3]; zeros(2, 3).size(-1) // 3
   */
  size(dim?: number): number | number[] {
    return dim === undefined ? [...this.shape] : this.shape[normDim("size", dim, this.shape)];
  }
  /**
   * True for a tensor made by the user rather than by an op that records grad (its gradFn is null).
   * @example tensor([1, 2], { requiresGrad: true }).isLeaf // true
   */
  get isLeaf(): boolean { return this.gradFn === null; }
  /**
   * Whether the elements lie in row-major order in the storage (views like transpose are not).
   * @example zeros(2, 3).T.isContiguous() // false
   */
  isContiguous(): boolean { return isContiguous(this.shape, this.strides); }

  /**
   * A flat row-major copy of the values (a Float32Array or Int32Array); an int64 tensor's
   * values are read with toArray(), or as bigints with toArray({ bigint: true }).
   * @example Array.from(x.data)
   */
  get data(): TypedArray {
    return this.values("data").slice();
  }

  /**
   * The values in row-major order: the storage itself when already contiguous, else a copy.
   * Read-only by convention: ops use it to feed kernels without copying. An int64 tensor
   * has no such array: op names who asks, for the error.
   * @internal
   */
  values(op = "values"): TypedArray {
    if (this.dtype === "int64") throw I64.unsupported(op, this);
    const n = this.numel();
    if (this.isContiguous()) {
      const s = this.store as TypedArray;
      return this.offset === 0 && s.length === n ? s : s.subarray(this.offset, this.offset + n);
    }
    const out = allocateArray(this.dtype, n);
    kernels().copy(this.shape, this.strided(), out);
    return out;
  }

  /** The values in row-major order in this tensor's own dtype (values() for all but int64). @internal */
  rawValues(): Storage {
    return this.dtype === "int64" ? I64.int64Values(this) : this.values();
  }

  /** How kernels see this tensor: storage, offset and strides. @internal */
  strided(op = "strided"): Strided {
    if (this.dtype === "int64") throw I64.unsupported(op, this);
    return { data: this.store as TypedArray, offset: this.offset, strides: this.strides };
  }

  /**
   * The value of a one-element tensor as a number (an int64 value beyond
   * Number.MAX_SAFE_INTEGER is an error, as it has no exact number).
   * @example x.sum().item()
   */
  item(): number {
    if (this.numel() !== 1) {
      throw new Error(`item(): only a tensor with one element has an item, this one has shape ${fmt(this.shape)}`);
    }
    const v = this.store[this.offset];
    return typeof v === "bigint" ? I64.safeNumber("item", this, v, 0) : v;
  }

  /**
   * The values as nested arrays of numbers, shaped like the tensor (a number for shape []).
   * int64 values must be within Number.MAX_SAFE_INTEGER, or come as bigints with {bigint: true}.
   * @example tensor([[1, 2], [3, 4]]).toArray() // [[1, 2], [3, 4]]
   * @example tensor([2n ** 40n], { dtype: "int64" }).toArray({ bigint: true }) // [1099511627776n]
   */
  toArray(opts: { bigint?: boolean } = {}): any {
    let v: ArrayLike<number | bigint>;
    if (opts.bigint) {
      if (this.dtype !== "int64") throw new Error(`toArray(): {bigint: true} is for int64 tensors, this one is ${this.dtype}`);
      v = I64.int64Values(this);
    } else {
      v = this.dtype === "int64" ? I64.int64Numbers("toArray", this) : this.values();
    }
    const build = (d: number, off: number): any => {
      if (d === this.shape.length) return v[off];
      const stride = numel(this.shape.slice(d + 1));
      return Array.from({ length: this.shape[d] }, (_, i) => build(d + 1, off + i * stride));
    };
    return build(0, 0);
  }

  /**
   * The values as PyTorch prints them: tensor([[...]]), with grad_fn or requires_grad.
   * @example console.log(x.toString())
   */
  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** The MIME bundle notebooks draw: values, statistics and gradient as a heatmap. */
  [Symbol.for("Jupyter.display")](options?: TensorDisplayOptions): Record<string, unknown> {
    return tensorBundle(this, options);
  }

  // ---- autograd -----------------------------------------------------------------------

  /**
   * Compute the gradient of this tensor with respect to every leaf that requires grad,
   * adding it into their .grad. A scalar needs no argument; otherwise pass the gradient of the
   * same shape. The graph is freed unless {retainGraph: true}.
   * @example const loss = x.square().sum(); loss.backward(); x.grad // 2x
   */
  backward(grad?: TensorLike | number[], opts: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad) {
      throw new Error(
        `backward(): this tensor does not require grad and has no gradFn — ` +
          `create the inputs with {requiresGrad: true} (or call backward() outside noGrad())`,
      );
    }
    let g: Tensor;
    if (grad === undefined) {
      if (this.numel() !== 1) {
        throw new Error(
          `backward(): the output has shape ${fmt(this.shape)}; a gradient is created implicitly only for a ` +
            `scalar output — pass one of the same shape, e.g. y.backward(onesLike(y)), or reduce first (y.sum())`,
        );
      }
      g = new Tensor(new Float32Array([1]), this.shape);
    } else {
      g = (grad instanceof Tensor ? grad.detach() : Tensor.from(grad)).float();
      // same shape, or a one-element gradient for a one-element output ([1] for [], ...)
      const fits = g.ndim === this.ndim ? g.shape.every((d, i) => d === this.shape[i]) : g.numel() === 1 && this.numel() === 1;
      if (!fits) {
        throw new Error(`backward(): the gradient has shape ${fmt(g.shape)} but the output has shape ${fmt(this.shape)}`);
      }
      if (g.ndim !== this.ndim) g = g.reshape(this.shape as number[]);
    }
    runBackward(this, g, opts.retainGraph ?? false);
  }

  /**
   * A tensor sharing this one's storage, cut from the graph: no gradient flows through it.
   * @example const target = y.detach();
   */
  detach(): Tensor {
    return new Tensor(this.store, this.shape, this.strides, this.offset);
  }

  /**
   * Keep .grad on a non-leaf tensor after backward().
   * @example const h = x.mul(w).retainGrad(); h.sum().backward(); h.grad
   */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /**
   * fn(grad) runs when this tensor's gradient is computed; a returned tensor replaces it.
   * @example const h = w.registerHook((g) => g.clamp(-1, 1)); h.remove();
   */
  registerHook(fn: Hook): { remove(): void } {
    if (!this.requiresGrad) throw new Error("registerHook(): cannot register a hook on a tensor that does not require grad");
    this.hooks.push(fn);
    return { remove: () => { this.hooks = this.hooks.filter((h) => h !== fn); } };
  }

  /**
   * Make this leaf record operations for backward (or stop, with false); float32 only.
   * @example const w = randn(3, 4).requiresGrad_()
   */
  requiresGrad_(flag = true): this {
    if (flag && this.dtype !== "float32") {
      throw new Error(`requiresGrad_(): only float32 tensors can require grad, this one is ${this.dtype}`);
    }
    if (!this.isLeaf) throw new Error("requiresGrad_(): can only be changed on a leaf tensor (use detach() first)");
    this.requiresGrad = flag;
    return this;
  }

  // ---- in place (leaves and buffers: initialisation, optimisers, loading) -------------

  private writable(op: string): TypedArray {
    if (this.dtype === "int64") throw I64.unsupported(op, this);
    return this.writableStorage(op) as TypedArray;
  }
  private writableStorage(op: string): Storage {
    if (!this.isContiguous()) throw new Error(`${op}(): in-place ops need a contiguous tensor, this one of shape ${fmt(this.shape)} is a strided view`);
    bumpVersion(this);
    return this.store.subarray(this.offset, this.offset + this.numel());
  }
  /**
   * How many in-place writes this tensor's storage has seen (PyTorch's _version).
   * @example const v = p.version; opt.step(); p.version // v + 1
   */
  get version(): number { return versionOf(this); }
  /**
   * Set every element to value, in place.
   * @example zeros(2, 2).fill_(7)
   */
  fill_(value: number): this {
    const d = this.writableStorage("fill_");
    if (d instanceof BigInt64Array) d.fill(BigInt(Math.trunc(value)));
    else d.fill(value);
    return this;
  }
  /**
   * Set every element to 0, in place.
   * @example w.grad!.zero_()
   */
  zero_(): this { return this.fill_(0); }
  /**
   * Copy src's values into this tensor in place (same number of elements).
   * @example p.copy_(tensor([1, 2, 3]))
   */
  copy_(src: Tensor): this {
    const dst = this.writableStorage("copy_");
    if (src.numel() !== dst.length) {
      throw new Error(`copy_(): source has shape ${fmt(src.shape)} but destination has shape ${fmt(this.shape)}`);
    }
    // values convert to the destination's dtype, as in PyTorch
    const from = src.dtype === this.dtype ? src : src.to(this.dtype);
    if (dst instanceof BigInt64Array) dst.set(I64.int64Values(from));
    else dst.set(from.values("copy_"));
    return this;
  }
  /**
   * Fill in place with uniform samples in [low, high) from the seeded generator.
   * @example zeros(3, 3).uniform_(-0.1, 0.1)
   */
  uniform_(low = 0, high = 1): this {
    const d = this.writable("uniform_");
    for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * defaultGenerator.random();
    return this;
  }
  /**
   * Fill in place with N(mean, std^2) samples from the seeded generator.
   * @example zeros(3, 3).normal_(0, 0.02)
   */
  normal_(mean = 0, std = 1): this {
    const d = this.writable("normal_");
    for (let i = 0; i < d.length; i++) d[i] = mean + std * defaultGenerator.normal();
    return this;
  }

  // ---- conversions --------------------------------------------------------------------

  /**
   * A copy as dtype ("float32", "int32" or "int64"; integers truncate towards zero), or this
   * tensor if it already is. int64 to int32 needs every value to fit.
   * @example tensor([1.7, -1.7]).to("int32") // [1, -1]
   */
  to(dtype: DType): Tensor { return S.toDtype(this, dtype); }
  /**
   * As float32, like to("float32").
   * @example arange(3).float()
   */
  float(): Tensor { return S.toDtype(this, "float32"); }
  /**
   * As int32, truncating towards zero, like to("int32").
   * @example tensor([0.9, 2.5]).int() // [0, 2]
   */
  int(): Tensor { return S.toDtype(this, "int32"); }
  /**
   * As int64, truncating towards zero, like to("int64") (PyTorch's .long()).
   * @example tensor([3, 1, 2]).long() // int64 class indices
   */
  long(): Tensor { return S.toDtype(this, "int64"); }
  /**
   * A copy with storage of its own, still in the graph (the gradient flows back).
   * @example const y = x.clone()
   */
  clone(): Tensor { return S.clone(this); }
  /**
   * This tensor if its elements are row-major in storage, else a contiguous copy.
   * @example x.T.contiguous()
   */
  contiguous(): Tensor { return this.isContiguous() ? this : S.clone(this); }

  // ---- elementwise --------------------------------------------------------------------

  /**
   * this + o, elementwise with broadcasting.
   * @example tensor([1, 2]).add(tensor([[10], [20]])) // [2, 2]
   */
  add(o: TensorLike): Tensor { return E.add(this, o); }
  /**
   * this - o, elementwise with broadcasting.
   * @example x.sub(x.mean())
   */
  sub(o: TensorLike): Tensor { return E.sub(this, o); }
  /**
   * this * o, elementwise with broadcasting.
   * @example x.mul(2)
   */
  mul(o: TensorLike): Tensor { return E.mul(this, o); }
  /**
   * this / o, elementwise with broadcasting.
   * @example x.div(x.sum(-1, true))
   */
  div(o: TensorLike): Tensor { return E.div(this, o); }
  /**
   * this ** o, elementwise with broadcasting.
   * @example x.pow(3)
   */
  pow(o: TensorLike): Tensor { return E.pow(this, o); }
  /**
   * The larger of this and o, elementwise with broadcasting (the gradient goes to the larger; ties split it).
   * @example x.maximum(0)
   */
  maximum(o: TensorLike): Tensor { return E.maximum(this, o); }
  /**
   * The smaller of this and o, elementwise with broadcasting.
   * @example x.minimum(1)
   */
  minimum(o: TensorLike): Tensor { return E.minimum(this, o); }
  /**
   * -x, elementwise.
   * @example x.neg()
   */
  neg(): Tensor { return E.neg(this); }
  /**
   * e^x, elementwise.
   * @example x.exp()
   */
  exp(): Tensor { return E.exp(this); }
  /**
   * The natural logarithm, elementwise (-inf at 0, NaN below).
   * @example probs.log()
   */
  log(): Tensor { return E.log(this); }
  /**
   * The square root, elementwise.
   * @example x.var().sqrt()
   */
  sqrt(): Tensor { return E.sqrt(this); }
  /**
   * sin(x), elementwise (radians).
   * @example linspace(0, Math.PI, 5).sin()
   */
  sin(): Tensor { return E.sin(this); }
  /**
   * cos(x), elementwise (radians).
   * @example linspace(0, Math.PI, 5).cos()
   */
  cos(): Tensor { return E.cos(this); }
  /**
   * tanh(x), elementwise, in (-1, 1).
   * @example x.tanh()
   */
  tanh(): Tensor { return E.tanh(this); }
  /**
   * 1 / (1 + e^-x), elementwise, in (0, 1).
   * @example logits.sigmoid()
   */
  sigmoid(): Tensor { return E.sigmoid(this); }
  /**
   * max(x, 0), elementwise.
   * @example x.relu()
   */
  relu(): Tensor { return E.relu(this); }
  /**
   * GELU, x Φ(x) elementwise (PyTorch's default); {approximate: "tanh"} for the tanh form.
   * @example x.gelu(); x.gelu({ approximate: "tanh" })
   */
  gelu(opts?: E.GeluOptions): Tensor { return E.gelu(this, opts); }
  /**
   * |x|, elementwise.
   * @example x.sub(y).abs().mean()
   */
  abs(): Tensor { return E.abs(this); }
  /**
   * x^2, elementwise.
   * @example x.square().sum()
   */
  square(): Tensor { return E.square(this); }
  /**
   * Each element limited to [min, max]; null leaves that side open. The gradient is 0 where clamped.
   * @example x.clamp(-1, 1); x.clamp(0, null)
   */
  clamp(min: number | null, max?: number | null): Tensor { return E.clamp(this, min, max ?? null); }
  /**
   * 1 where this == o, else 0 (float32, no gradient), with broadcasting.
   * @example pred.eq(labels).float().mean()
   */
  eq(o: TensorLike): Tensor { return E.compare("eq", this, o); }
  /**
   * 1 where this != o, else 0 (float32, no gradient), with broadcasting.
   * @example targets.ne(-1)
   */
  ne(o: TensorLike): Tensor { return E.compare("ne", this, o); }
  /**
   * 1 where this < o, else 0 (float32, no gradient), with broadcasting.
   * @example x.lt(0)
   */
  lt(o: TensorLike): Tensor { return E.compare("lt", this, o); }
  /**
   * 1 where this <= o, else 0 (float32, no gradient), with broadcasting.
   * @example x.le(0)
   */
  le(o: TensorLike): Tensor { return E.compare("le", this, o); }
  /**
   * 1 where this > o, else 0 (float32, no gradient), with broadcasting.
   * @example x.gt(0.5)
   */
  gt(o: TensorLike): Tensor { return E.compare("gt", this, o); }
  /**
   * 1 where this >= o, else 0 (float32, no gradient), with broadcasting.
   * @example x.ge(0)
   */
  ge(o: TensorLike): Tensor { return E.compare("ge", this, o); }
  /**
   * A copy with value where mask is nonzero (mask broadcasts to this shape); no gradient flows there.
   * @example att.maskedFill(mask, -Infinity)
   */
  maskedFill(mask: Tensor, value: number): Tensor { return E.where(mask, value, this, E.MASKED_FILL); }

  // ---- reductions ---------------------------------------------------------------------

  /**
   * The sum over dim (a number or a list; all dims when omitted), dropping the summed dims unless keepdim.
   * @example tensor([[1, 2], [3, 4]]).sum(0) // [4, 6]
   */
  sum(dim?: number | number[], keepdim = false): Tensor { return R.sum(this, dim, keepdim); }
  /**
   * The mean over dim (all dims when omitted), dropping them unless keepdim.
   * @example x.mean(-1, true) // [B, 1] from [B, C]
   */
  mean(dim?: number | number[], keepdim = false): Tensor { return R.mean(this, dim, keepdim); }
  /**
   * The largest value over dim (all dims when omitted); the gradient goes to the maxima, shared between ties.
   * @example logits.amax(-1, true)
   */
  amax(dim?: number | number[], keepdim = false): Tensor { return R.amax(this, dim, keepdim); }
  /**
   * The smallest value over dim (all dims when omitted); the gradient goes to the minima, shared between ties.
   * @example x.amin(0)
   */
  amin(dim?: number | number[], keepdim = false): Tensor { return R.amin(this, dim, keepdim); }
  /**
   * The index (int32) of the largest value along dim, the first on ties; of the flattened tensor when dim is omitted.
   * @example logits.argmax(-1) // [B] predicted classes
   */
  argmax(dim?: number, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); }
  /**
   * The index (int32) of the smallest value along dim, the first on ties; of the flattened tensor when dim is omitted.
   * @example dists.argmin(1)
   */
  argmin(dim?: number, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); }
  /**
   * The variance over dim (all dims when omitted), with Bessel's correction (correction = 1) by default, like PyTorch.
   * @example x.var(0); x.var(-1, true, 0) // population variance per row
   */
  var(dim?: number | number[], keepdim = false, correction = 1): Tensor { return R.variance(this, dim, keepdim, correction); }
  /**
   * The standard deviation over dim, with Bessel's correction (correction = 1) by default, like PyTorch.
   * @example x.std(0); x.std(undefined, false, 0) // population std
   */
  std(dim?: number | number[], keepdim = false, correction = 1): Tensor { return R.variance(this, dim, keepdim, correction).sqrt(); }
  /**
   * The Euclidean (Frobenius) norm of all elements, sqrt(sum x^2), as a scalar.
   * @example w.grad!.norm().item()
   */
  norm(): Tensor { return this.square().sum().sqrt(); }

  // ---- shape and views ----------------------------------------------------------------

  /**
   * The same elements in a new shape (one dim may be -1, inferred): a view when the layout allows, else a copy.
   * @example arange(6).reshape(2, 3); x.reshape(-1)
   */
  reshape(...shape: number[] | [number[]]): Tensor { return S.reshape(this, S.shapeArg(shape)); }
  /**
   * The same storage seen in a new shape (one dim may be -1); an error where that needs a copy (use reshape).
   * @example x.view(B, T, nh, hs)
   */
  view(...shape: number[] | [number[]]): Tensor { return S.view(this, S.shapeArg(shape)); }
  /**
   * Dims startDim..endDim merged into one (all by default).
   * @example images.flatten(1) // [N, C*H*W] from [N, C, H, W]
   */
  flatten(startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); }
  /**
   * A view with dims dim0 and dim1 swapped (the last two by default).
   * @example q.matmul(k.transpose(-2, -1))
   */
  transpose(dim0 = -2, dim1 = -1): Tensor { return S.transpose(this, dim0, dim1); }
  /**
   * The last two dims swapped, a view (transpose(-2, -1)).
   * @example w.T // [in, out] from [out, in]
   */
  get T(): Tensor { return S.transpose(this, -2, -1); }
  /**
   * A view with the dims in the given order.
   * @example images.permute(0, 2, 3, 1) // NCHW -> NHWC
   */
  permute(...dims: number[] | [number[]]): Tensor { return S.permute(this, S.shapeArg(dims)); }
  /**
   * A view without dim if its size is 1, or without every size-1 dim when dim is omitted.
   * @example zeros(2, 1, 3).squeeze(1) // [2, 3]
   */
  squeeze(dim?: number): Tensor { return S.squeeze(this, dim); }
  /**
   * A view with a new dim of size 1 at dim.
   * @example tensor([1, 2]).unsqueeze(0) // shape [1, 2]
   */
  unsqueeze(dim: number): Tensor { return S.unsqueeze(this, dim); }
  /**
   * A view that repeats size-1 dims to the given sizes without copying (-1 keeps a dim).
   * @example tensor([[1], [2]]).expand(2, 3)
   */
  expand(...shape: number[] | [number[]]): Tensor { return S.expand(this, S.shapeArg(shape)); }
  /**
   * A view of length elements of dim from start.
   * @example x.narrow(1, 0, 2) // the first two columns
   */
  narrow(dim: number, start: number, length: number): Tensor { return S.narrow(this, dim, start, length); }
  /**
   * A view of position index along dim, that dim removed (x[..., index, ...]).
   * @example x.select(0, -1) // the last row
   */
  select(dim: number, index: number): Tensor { return S.index(this, S.specAt(this, dim, index), S.SELECT); }
  /**
   * NumPy-style indexing, one spec per leading dim: a number selects (and drops the dim),
   * [start, end?, step?] slices, null keeps the dim whole. A view.
   * @example x.index(0); x.index(null, [1, 3]); x.index([null, null, 2])
   */
  index(...specs: IndexSpec[]): Tensor { return S.index(this, specs); }
  /**
   * The entries at the given indices along dim, copied (an index may repeat); the gradient is scatter-added.
   * @example x.indexSelect(0, [2, 0, 2])
   */
  indexSelect(dim: number, idx: Tensor | number[]): Tensor { return S.indexSelect(this, dim, idx); }
  /**
   * out[i][j] = this[i][idx[i][j]] along dim (for dim 1): idx has this tensor's rank, int32.
   * @example logProbs.gather(1, targets.unsqueeze(1)) // [N, 1]
   */
  gather(dim: number, idx: Tensor): Tensor { return S.gather(this, dim, idx); }
  /**
   * Views of consecutive pieces along dim: of size sizeOrSizes each (the last may be smaller), or of the listed sizes.
   * @example const [q, k, v] = qkv.split(C, -1)
   */
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] { return S.split(this, sizeOrSizes, dim); }
  /**
   * Views of chunks pieces of (nearly) equal size along dim.
   * @example const [a, b] = x.chunk(2, -1)
   */
  chunk(chunks: number, dim = 0): Tensor[] { return S.chunk(this, chunks, dim); }

  // ---- linear algebra and nn ----------------------------------------------------------

  /**
   * The matrix product: [n, k] @ [k, m] -> [n, m], vectors as in PyTorch, and batch dims broadcast.
   * @example randn(8, 3, 4).matmul(randn(4, 5)) // [8, 3, 5]
   */
  matmul(o: Tensor): Tensor { return M.matmul(this, o); }
  /**
   * exp(x) / sum exp(x) along dim (the last by default), computed stably.
   * @example logits.softmax(-1) // rows sum to 1
   */
  softmax(dim = -1): Tensor { return N.softmax(this, dim); }
  /**
   * log(softmax(x)) along dim, computed stably as x - logsumexp(x).
   * @example logits.logSoftmax(-1)
   */
  logSoftmax(dim = -1): Tensor { return N.logSoftmax(this, dim); }

  /**
   * Make a tensor from a number, nested arrays of numbers or a typed array, like tensor():
   * float32 unless dtype says otherwise (an Int32Array gives int32, a BigInt64Array or
   * bigint values give int64).
   * @example Tensor.from([[1, 2], [3, 4]], "int32")
   */
  static from(values: NestedNumbers, dtype?: DType): Tensor {
    return fromNested(values, dtype);
  }
}

function inferShape(values: unknown, op: string): number[] {
  const shape: number[] = [];
  let v: unknown = values;
  while (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const len = (v as ArrayLike<unknown>).length;
    shape.push(len);
    if (len === 0) break;
    v = (v as ArrayLike<unknown>)[0];
  }
  if (shape.length === 0 && typeof values !== "number" && typeof values !== "boolean" && typeof values !== "bigint") {
    throw new Error(`${op}(): expected a number or a nested array of numbers, got ${typeof values}`);
  }
  return shape;
}

/** The dtype values give when none is asked for: int32 from an Int32Array, int64 from bigints, else float32. */
function inferDtype(values: unknown): DType {
  if (values instanceof Int32Array) return "int32";
  let v = values;
  while ((Array.isArray(v) || ArrayBuffer.isView(v)) && (v as ArrayLike<unknown>).length > 0) v = (v as ArrayLike<unknown>)[0];
  return values instanceof BigInt64Array || typeof v === "bigint" ? "int64" : "float32";
}

export function fromNested(values: unknown, dtype?: DType, op = "tensor"): Tensor {
  const shape = inferShape(values, op);
  const dt = dtype ?? inferDtype(values);
  const out = allocate(dt, numel(shape));
  let k = 0;
  const put = dt === "int64"
    ? (x: number | bigint, path: number[]) => { out[k++] = typeof x === "bigint" ? x : int64Of(x, op, path); }
    : (x: number | bigint, path: number[]) => {
        if (typeof x === "bigint") throw new Error(`${op}(): element at [${path.join(", ")}] is a bigint, which only an int64 tensor holds (pass {dtype: "int64"})`);
        out[k++] = x;
      };
  const fill = (v: unknown, d: number, path: number[]): void => {
    if (d === shape.length) {
      const x = typeof v === "boolean" ? Number(v) : v;
      if (typeof x !== "number" && typeof x !== "bigint") {
        throw new Error(`${op}(): element at [${path.join(", ")}] is ${typeof x}, expected a number`);
      }
      put(x, path);
      return;
    }
    const arr = v as ArrayLike<unknown>;
    if (!(Array.isArray(arr) || ArrayBuffer.isView(arr)) || arr.length !== shape[d]) {
      throw new Error(
        `${op}(): ragged nested array: at [${path.join(", ")}] expected ${shape[d]} elements like the first row, ` +
          `got ${Array.isArray(arr) || ArrayBuffer.isView(arr) ? arr.length : typeof arr}`,
      );
    }
    for (let i = 0; i < arr.length; i++) fill(arr[i], d + 1, [...path, i]);
  };
  fill(values, 0, []);
  return new Tensor(out, shape);
}

/** A number as an int64 element: truncated towards zero like PyTorch; NaN and infinities have none. */
function int64Of(x: number, op: string, path: number[]): bigint {
  if (!Number.isFinite(x)) throw new Error(`${op}(): element at [${path.join(", ")}] is ${x}, which has no int64 value`);
  return BigInt(Math.trunc(x));
}
