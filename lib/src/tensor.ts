// The Tensor: typed-array storage viewed through a shape, strides and an offset, so that
// reshape, transpose, expand and slicing share memory where they can. Every method that
// computes is an op from ./ops, each with its forward and backward side by side.
import { Node, runBackward } from "./autograd";
import type { DType, Strided, TypedArray } from "./backend/types";
import { kernels } from "./backend";
import { contiguousStrides, fmt, isContiguous, normDim, numel } from "./shape";
import * as E from "./ops/elementwise";
import * as R from "./ops/reduce";
import * as S from "./ops/shape";
import * as M from "./ops/matmul";
import * as N from "./ops/nn";
import { formatTensor } from "./format";
import { tensorBundle } from "./display/tensor";
import { defaultGenerator } from "./random";
import { bumpVersion, versionOf } from "./version";

export type { DType } from "./backend/types";
export type TensorLike = Tensor | number;
export type Hook = (grad: Tensor) => Tensor | void;
/** One entry of index(): a number selects (and drops the dim), [start, end?, step?] slices, null keeps all. */
export type IndexSpec = number | null | readonly [number | null, (number | null)?, number?];

export function allocate(dtype: DType, n: number): TypedArray {
  return dtype === "int32" ? new Int32Array(n) : new Float32Array(n);
}

/** From this many floats (64 KB) on, Node gives a Buffer an ArrayBuffer of its own. */
const UNZEROED_MIN = 1 << 14;

/**
 * A Float32Array of n elements for a kernel that overwrites every one of them. Under Node
 * its memory is not zeroed first: for the large outputs of a training step, zeroing costs
 * about as much as the elementwise kernel that then fills the array. Elsewhere (or small),
 * a plain new Float32Array.
 */
export function uninitialized(n: number): Float32Array {
  if (n >= UNZEROED_MIN && typeof Buffer !== "undefined") {
    const b = Buffer.allocUnsafeSlow(n * 4);
    return new Float32Array(b.buffer, b.byteOffset, n);
  }
  return new Float32Array(n);
}

export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** The underlying storage, shared by every view of it. */
  readonly storage: TypedArray;
  requiresGrad = false;
  grad: Tensor | null = null;
  /** The node that made this tensor (null for leaves and for results made without grad). */
  gradFn: Node | null = null;
  /** An optional label, shown by displays and graphs. */
  name?: string;
  /** @internal */ hooks: Hook[] = [];
  /** @internal */ retainsGrad = false;

  constructor(storage: TypedArray, shape: readonly number[], strides?: readonly number[], offset = 0) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = storage instanceof Int32Array ? "int32" : "float32";
  }

  // ---- fields -------------------------------------------------------------------------

  get ndim(): number { return this.shape.length; }
  dim(): number { return this.shape.length; }
  numel(): number { return numel(this.shape); }
  size(dim?: number): number | number[] {
    return dim === undefined ? [...this.shape] : this.shape[normDim("size", dim, this.shape)];
  }
  get isLeaf(): boolean { return this.gradFn === null; }
  isContiguous(): boolean { return isContiguous(this.shape, this.strides); }

  /** A flat row-major copy of the values. */
  get data(): TypedArray {
    return this.values().slice();
  }

  /**
   * The values in row-major order: the storage itself when already contiguous, else a copy.
   * Read-only by convention: ops use it to feed kernels without copying.
   * @internal
   */
  values(): TypedArray {
    const n = this.numel();
    if (this.isContiguous()) {
      return this.offset === 0 && this.storage.length === n
        ? this.storage
        : this.storage.subarray(this.offset, this.offset + n);
    }
    const out = allocate(this.dtype, n);
    kernels().copy(this.shape, this.strided(), out);
    return out;
  }

  /** How kernels see this tensor: storage, offset and strides. @internal */
  strided(): Strided {
    return { data: this.storage, offset: this.offset, strides: this.strides };
  }

  item(): number {
    if (this.numel() !== 1) {
      throw new Error(`item(): only a tensor with one element has an item, this one has shape ${fmt(this.shape)}`);
    }
    return this.storage[this.offset];
  }

  toArray(): any {
    const v = this.values();
    const build = (d: number, off: number): any => {
      if (d === this.shape.length) return v[off];
      const stride = numel(this.shape.slice(d + 1));
      return Array.from({ length: this.shape[d] }, (_, i) => build(d + 1, off + i * stride));
    };
    return build(0, 0);
  }

  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** The MIME bundle notebooks draw: values, statistics and gradient as a heatmap. */
  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return tensorBundle(this);
  }

  // ---- autograd -----------------------------------------------------------------------

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

  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset);
  }

  /** Keep .grad on a non-leaf tensor after backward(). */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** fn(grad) runs when this tensor's gradient is computed; a returned tensor replaces it. */
  registerHook(fn: Hook): { remove(): void } {
    if (!this.requiresGrad) throw new Error("registerHook(): cannot register a hook on a tensor that does not require grad");
    this.hooks.push(fn);
    return { remove: () => { this.hooks = this.hooks.filter((h) => h !== fn); } };
  }

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
    if (!this.isContiguous()) throw new Error(`${op}(): in-place ops need a contiguous tensor, this one of shape ${fmt(this.shape)} is a strided view`);
    bumpVersion(this);
    return this.storage.subarray(this.offset, this.offset + this.numel());
  }
  /** How many in-place writes this tensor's storage has seen (PyTorch's _version). */
  get version(): number { return versionOf(this); }
  fill_(value: number): this { this.writable("fill_").fill(value); return this; }
  zero_(): this { return this.fill_(0); }
  copy_(src: Tensor): this {
    const dst = this.writable("copy_");
    if (src.numel() !== dst.length) {
      throw new Error(`copy_(): source has shape ${fmt(src.shape)} but destination has shape ${fmt(this.shape)}`);
    }
    dst.set(src.values());
    return this;
  }
  uniform_(low = 0, high = 1): this {
    const d = this.writable("uniform_");
    for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * defaultGenerator.random();
    return this;
  }
  normal_(mean = 0, std = 1): this {
    const d = this.writable("normal_");
    for (let i = 0; i < d.length; i++) d[i] = mean + std * defaultGenerator.normal();
    return this;
  }

  // ---- conversions --------------------------------------------------------------------

  to(dtype: DType): Tensor { return S.toDtype(this, dtype); }
  float(): Tensor { return S.toDtype(this, "float32"); }
  int(): Tensor { return S.toDtype(this, "int32"); }
  clone(): Tensor { return S.clone(this); }
  contiguous(): Tensor { return this.isContiguous() ? this : S.clone(this); }

  // ---- elementwise --------------------------------------------------------------------

  add(o: TensorLike): Tensor { return E.add(this, o); }
  sub(o: TensorLike): Tensor { return E.sub(this, o); }
  mul(o: TensorLike): Tensor { return E.mul(this, o); }
  div(o: TensorLike): Tensor { return E.div(this, o); }
  pow(o: TensorLike): Tensor { return E.pow(this, o); }
  maximum(o: TensorLike): Tensor { return E.maximum(this, o); }
  minimum(o: TensorLike): Tensor { return E.minimum(this, o); }
  neg(): Tensor { return E.neg(this); }
  exp(): Tensor { return E.exp(this); }
  log(): Tensor { return E.log(this); }
  sqrt(): Tensor { return E.sqrt(this); }
  sin(): Tensor { return E.sin(this); }
  cos(): Tensor { return E.cos(this); }
  tanh(): Tensor { return E.tanh(this); }
  sigmoid(): Tensor { return E.sigmoid(this); }
  relu(): Tensor { return E.relu(this); }
  /** x Φ(x); {approximate: "tanh"} for the tanh form. */
  gelu(opts?: E.GeluOptions): Tensor { return E.gelu(this, opts); }
  abs(): Tensor { return E.abs(this); }
  square(): Tensor { return E.square(this); }
  clamp(min: number | null, max?: number | null): Tensor { return E.clamp(this, min, max ?? null); }
  eq(o: TensorLike): Tensor { return E.compare("eq", this, o); }
  ne(o: TensorLike): Tensor { return E.compare("ne", this, o); }
  lt(o: TensorLike): Tensor { return E.compare("lt", this, o); }
  le(o: TensorLike): Tensor { return E.compare("le", this, o); }
  gt(o: TensorLike): Tensor { return E.compare("gt", this, o); }
  ge(o: TensorLike): Tensor { return E.compare("ge", this, o); }
  maskedFill(mask: Tensor, value: number): Tensor { return E.where(mask, value, this, "maskedFill"); }

  // ---- reductions ---------------------------------------------------------------------

  sum(dim?: number | number[], keepdim = false): Tensor { return R.sum(this, dim, keepdim); }
  mean(dim?: number | number[], keepdim = false): Tensor { return R.mean(this, dim, keepdim); }
  amax(dim?: number | number[], keepdim = false): Tensor { return R.amax(this, dim, keepdim); }
  amin(dim?: number | number[], keepdim = false): Tensor { return R.amin(this, dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); }
  /** Variance with Bessel's correction by default, like PyTorch. */
  var(dim?: number | number[], keepdim = false, correction = 1): Tensor { return R.variance(this, dim, keepdim, correction); }
  std(dim?: number | number[], keepdim = false, correction = 1): Tensor { return R.variance(this, dim, keepdim, correction).sqrt(); }
  norm(): Tensor { return this.square().sum().sqrt(); }

  // ---- shape and views ----------------------------------------------------------------

  reshape(...shape: number[] | [number[]]): Tensor { return S.reshape(this, S.shapeArg(shape)); }
  view(...shape: number[] | [number[]]): Tensor { return S.view(this, S.shapeArg(shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); }
  transpose(dim0 = -2, dim1 = -1): Tensor { return S.transpose(this, dim0, dim1); }
  get T(): Tensor { return S.transpose(this, -2, -1); }
  permute(...dims: number[] | [number[]]): Tensor { return S.permute(this, S.shapeArg(dims)); }
  squeeze(dim?: number): Tensor { return S.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return S.unsqueeze(this, dim); }
  expand(...shape: number[] | [number[]]): Tensor { return S.expand(this, S.shapeArg(shape)); }
  narrow(dim: number, start: number, length: number): Tensor { return S.narrow(this, dim, start, length); }
  select(dim: number, index: number): Tensor { return S.index(this, S.specAt(this, dim, index), "select"); }
  /** NumPy-style indexing: x.index(0), x.index(null, [1, 3]), x.index([null, null, 2]). */
  index(...specs: IndexSpec[]): Tensor { return S.index(this, specs); }
  indexSelect(dim: number, idx: Tensor | number[]): Tensor { return S.indexSelect(this, dim, idx); }
  gather(dim: number, idx: Tensor): Tensor { return S.gather(this, dim, idx); }
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] { return S.split(this, sizeOrSizes, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return S.chunk(this, chunks, dim); }

  // ---- linear algebra and nn ----------------------------------------------------------

  matmul(o: Tensor): Tensor { return M.matmul(this, o); }
  softmax(dim = -1): Tensor { return N.softmax(this, dim); }
  logSoftmax(dim = -1): Tensor { return N.logSoftmax(this, dim); }

  /** Make a tensor from nested arrays or a number, like tensor(). */
  static from(values: unknown, dtype?: DType): Tensor {
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
  if (shape.length === 0 && typeof values !== "number" && typeof values !== "boolean") {
    throw new Error(`${op}(): expected a number or a nested array of numbers, got ${typeof values}`);
  }
  return shape;
}

export function fromNested(values: unknown, dtype?: DType, op = "tensor"): Tensor {
  const shape = inferShape(values, op);
  const isInt = dtype === "int32" || (dtype === undefined && values instanceof Int32Array);
  const out = allocate(isInt ? "int32" : "float32", numel(shape));
  let k = 0;
  const fill = (v: unknown, d: number, path: number[]): void => {
    if (d === shape.length) {
      const x = typeof v === "boolean" ? Number(v) : v;
      if (typeof x !== "number") {
        throw new Error(`${op}(): element at [${path.join(", ")}] is ${typeof x}, expected a number`);
      }
      out[k++] = x;
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
