// The tensor's data core: typed-array storage viewed through a shape, strides and an
// offset, so that reshape, transpose, expand and slicing share memory where they can; its
// place in the graph (requiresGrad, grad, gradFn) and backward(); reading its values and
// writing them in place. The methods that compute are ops, added by Tensor (../tensor.ts);
// ops import this file rather than that one, so ops and the tensor class never import each
// other.
import { runBackward, type Node } from "./autograd";
import type { DType, Storage, Strided, TypedArray } from "../backend/types";
import { kernels } from "../backend";
import { checkDims, contiguousStrides, fmt, isContiguous, normDim, numel } from "./shape";
import { int64Numbers, int64Values, safeNumber, unsupported } from "./int64-values";
import { defaultGenerator } from "./random";
import { bumpVersion, versionOf } from "./version";
import { adopt, allocate as allocateArray } from "./storage";
import type { Hook, Tensor, TensorLike } from "../tensor";

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

/**
 * Storage for n elements of dtype (float32 from the pool), zeroed unless the caller writes
 * every element (float32 only: other dtypes always come zeroed).
 */
export function allocate(dtype: "int64", n: number, zeroed?: boolean): BigInt64Array;
export function allocate(dtype: "float32" | "int32", n: number, zeroed?: boolean): TypedArray;
export function allocate(dtype: DType, n: number, zeroed?: boolean): Storage;
export function allocate(dtype: DType, n: number, zeroed = true): Storage {
  return dtype === "int64" ? new BigInt64Array(n) : allocateArray(dtype, n, zeroed);
}

type TensorClass = new (storage: Storage, shape: readonly number[], strides?: readonly number[], offset?: number) => Tensor;
let made: TensorClass | undefined;

/**
 * Name the class that tensors are made as: Tensor, which tensor.ts defines on this data
 * core and names here, once, where it is defined.
 * @internal
 */
export function makeTensorsAs(cls: TensorClass): void {
  made = cls;
}

/** A tensor viewing storage (the ops make their results with it). */
export function tensorOf(storage: Storage, shape: readonly number[], strides?: readonly number[], offset = 0): Tensor {
  if (made === undefined) throw new Error("chainlab: the Tensor class is not loaded; import the package (\"chainlab\") rather than a file of it");
  return new made(storage, shape, strides, offset);
}

/** Whether x is a tensor. */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof TensorData;
}

/**
 * What every tensor is made of, before its methods: storage, shape, strides and offset, its
 * gradient and the node that made it. Tensor adds a method per op.
 */
export class TensorData {
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
    if (this.dtype === "int64") throw unsupported(op, this);
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
    return this.dtype === "int64" ? int64Values(this) : this.values();
  }

  /** How kernels see this tensor: storage, offset and strides. @internal */
  strided(op = "strided"): Strided {
    if (this.dtype === "int64") throw unsupported(op, this);
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
    return typeof v === "bigint" ? safeNumber("item", this, v, 0) : v;
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
      v = int64Values(this);
    } else {
      v = this.dtype === "int64" ? int64Numbers("toArray", this) : this.values();
    }
    const build = (d: number, off: number): any => {
      if (d === this.shape.length) return v[off];
      const stride = numel(this.shape.slice(d + 1));
      return Array.from({ length: this.shape[d] }, (_, i) => build(d + 1, off + i * stride));
    };
    return build(0, 0);
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
      g = tensorOf(new Float32Array([1]), this.shape);
    } else {
      g = (isTensor(grad) ? grad.detach() : fromNested(grad)).float();
      // same shape, or a one-element gradient for a one-element output ([1] for [], ...)
      const fits = g.ndim === this.ndim ? g.shape.every((d, i) => d === this.shape[i]) : g.numel() === 1 && this.numel() === 1;
      if (!fits) {
        throw new Error(`backward(): the gradient has shape ${fmt(g.shape)} but the output has shape ${fmt(this.shape)}`);
      }
      if (g.ndim !== this.ndim) g = g.reshape(this.shape as number[]);
    }
    runBackward(this as TensorData as Tensor, g, opts.retainGraph ?? false);
  }

  /**
   * A tensor sharing this one's storage, cut from the graph: no gradient flows through it.
   * @example const target = y.detach();
   */
  detach(): Tensor {
    return tensorOf(this.store, this.shape, this.strides, this.offset);
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
    if (this.dtype === "int64") throw unsupported(op, this);
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
    if (dst instanceof BigInt64Array) dst.set(int64Values(from));
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

/** A tensor of nested arrays of numbers (what tensor() and Tensor.from() take): its shape from the nesting, its dtype as asked or as the values suggest. */
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
  return tensorOf(out, shape);
}

/** A number as an int64 element: truncated towards zero like PyTorch; NaN and infinities have none. */
function int64Of(x: number, op: string, path: number[]): bigint {
  if (!Number.isFinite(x)) throw new Error(`${op}(): element at [${path.join(", ")}] is ${x}, which has no int64 value`);
  return BigInt(Math.trunc(x));
}
