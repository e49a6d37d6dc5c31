// The narrow interface every compute backend implements. Tensors hand kernels flat typed
// arrays plus offsets and strides; kernels never see Tensor objects, so a backend is a
// plain set of loops (TypeScript), SIMD (WebAssembly) or a BLAS call (native).

export type DType = "float32" | "int32" | "int64";
/** The arrays kernels compute on. */
export type TypedArray = Float32Array | Int32Array;
/**
 * What a tensor's values live in: a kernel array, or for int64 a BigInt64Array. That is
 * the one JS array that holds every 64-bit integer exactly (a Float64Array rounds past
 * 2^53; two int32 words per value would make every reader put them back together), and
 * its bytes are safetensors' I64 as they stand. Kernels never see one: int64 arithmetic
 * runs in plain TypeScript (ops/int64.ts), and ops that compute in floats convert first.
 */
export type Storage = TypedArray | BigInt64Array;

/** A strided view over flat storage: element i0,i1,... lives at offset + sum(ik * strides[k]). */
export interface Strided {
  data: TypedArray;
  offset: number;
  strides: readonly number[];
}

export type UnaryOp =
  | "neg" | "exp" | "log" | "sqrt" | "sin" | "cos" | "tanh" | "sigmoid"
  | "relu" | "gelu" | "abs" | "sign" | "square" | "reciprocal"
  // GELU with PyTorch's approximate="tanh" ("gelu" is the exact x Φ(x))
  | "geluTanh";

/** Binary ops, broadcasting by strides (a stride of 0 repeats an element). */
export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge"
  // Derivatives: (x, g) -> g * f'(x), fused so the backward pass allocates once.
  | "reluGrad" | "geluGrad" | "geluTanhGrad";

export type ReduceOp = "sum" | "max" | "min" | "argmax" | "argmin";

/**
 * Batched C[i] = beta*C[i] + op(A[i]) @ op(B[i]) in row-major terms.
 * op(A) is m x k: element (r, c) of op(A) is a[aOffsets[i] + r*lda + c] when !transA,
 * and a[aOffsets[i] + c*lda + r] when transA (the BLAS convention). Likewise B (k x n), C (m x n).
 */
export interface GemmArgs {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  a: Float32Array;
  aOffsets: ArrayLike<number>;
  lda: number;
  b: Float32Array;
  bOffsets: ArrayLike<number>;
  ldb: number;
  c: Float32Array;
  cOffsets: ArrayLike<number>;
  ldc: number;
  /** 0 overwrites C, 1 accumulates into it. */
  beta: 0 | 1;
}

export interface AdamArgs {
  param: Float32Array;
  grad: Float32Array;
  m: Float32Array;
  v: Float32Array;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 penalty added to the gradient (Adam) */
  weightDecay: number;
  /** decoupled decay applied to the parameter (AdamW) */
  decoupledDecay: number;
  /** 1 - beta1^t and 1 - beta2^t */
  bc1: number;
  bc2: number;
}

export interface Backend {
  readonly name: "js" | "wasm" | "blas";
  /** out[i] = op(x[i]) over n contiguous elements. */
  unary(op: UnaryOp, x: Float32Array, out: Float32Array, n: number): void;
  /** out, contiguous with the given shape, = op(a, b); a and b are strided over that shape. */
  binary(op: BinaryOp, shape: readonly number[], a: Strided, b: Strided, out: TypedArray): void;
  /** Copy a strided view into contiguous out (the shape's row-major order). */
  copy(shape: readonly number[], src: Strided, out: TypedArray): void;
  /** x contiguous as [outer, size, inner]; reduce the middle axis into out [outer, inner]. */
  reduce(op: ReduceOp, x: TypedArray, outer: number, size: number, inner: number, out: TypedArray): void;
  gemm(args: GemmArgs): void;
  /** Row-wise (log-)softmax of x [rows, cols] into out. */
  softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void;
  /** Given y = (log)softmax(x) and dL/dy = g, write dL/dx. */
  softmaxBackward(y: Float32Array, g: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void;
  /** Row-wise normalisation of x [rows, cols]: out = (x - mean) * rstd; writes mean and rstd per row. */
  layerNorm(x: Float32Array, rows: number, cols: number, eps: number, out: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  /** One in-place Adam/AdamW update over n elements. */
  adam(args: AdamArgs, n: number): void;

  // Fused kernels a backend may offer; without one, the op composes the kernels above.

  /**
   * layerNorm's backward from the forward's xhat and rstd, per row of g [rows, cols] with
   * gh = g * weight (weight null: 1): dx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)).
   * The column sums of g * xhat and of g are added into dweight and dbias where given.
   */
  /**
   * Softmax over the first t + 1 entries of row t of each [T, T] block of x [blocks, T, T],
   * the entries scaled by `scale` first; the rest of the row is 0 (causal attention).
   */
  causalSoftmax?(x: Float32Array, blocks: number, T: number, scale: number, out: Float32Array): void;
  /** Its backward from y = causalSoftmax(x) and dL/dy = g: scale * y * (g - sum(g * y)) per row. */
  causalSoftmaxBackward?(y: Float32Array, g: Float32Array, blocks: number, T: number, scale: number, out: Float32Array): void;
  layerNormBackward?(g: Float32Array, xhat: Float32Array, weight: Float32Array | null, rstd: Float32Array, rows: number, cols: number,
    dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void;
}
