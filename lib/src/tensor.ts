// The Tensor: its data core (core/tensor-data.ts) with a method for every op, each
// delegating to ./ops, where every op has its forward and backward side by side.
import type { DType } from "./backend/types";
import { makeTensorsAs, fromNested, TensorData, type NestedNumbers } from "./core/tensor-data";
import * as E from "./ops/elementwise";
import * as R from "./ops/reduce";
import * as S from "./ops/movement";
import * as M from "./ops/matmul";
import * as N from "./ops/softmax-layer-norm";
import { formatTensor } from "./format";
import { tensorBundle, type TensorDisplayOptions } from "./display/tensor";

export type { DType, Storage } from "./backend/types";
export type TensorLike = Tensor | number;
export type Hook = (grad: Tensor) => Tensor | void;
/** One entry of index(): a number selects (and drops the dim), [start, end?, step?] slices, null keeps all. */
export type IndexSpec = number | null | readonly [number | null, (number | null)?, number?];
export type { NestedNumbers } from "./core/tensor-data";
export { allocate, fromNested, setValues } from "./core/tensor-data";

/**
 * An n-dimensional array of float32, int32 or int64 values that records the ops applied to it, so
 * that backward() can compute gradients by the chain rule. Views (reshape, transpose,
 * narrow, ...) share storage. Made by tensor(), zeros(), randn(), arange() and the ops.
 * @example const x = tensor([[1, 2], [3, 4]], { requiresGrad: true }); x.matmul(x).sum().backward();
 */
export class Tensor extends TensorData {
  /**
   * The values as PyTorch prints them: tensor([[...]]), with grad_fn or requires_grad.
   * @example console.log(x.toString())
   */
  override toString(): string {
    return formatTensor(this);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** The MIME bundle notebooks draw: values, statistics and gradient as a heatmap. */
  [Symbol.for("Jupyter.display")](options?: TensorDisplayOptions): Record<string, unknown> {
    return tensorBundle(this, options);
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

makeTensorsAs(Tensor);
