// Making tensors: from values, filled, random (from the seeded generator), ranges.
import type { DType } from "./backend/types";
import { defaultGenerator } from "./core/random";
import { checkDims, fmt, numel } from "./core/shape";
import { Tensor, allocate, fromNested, type NestedNumbers } from "./tensor";

export type { NestedNumbers } from "./tensor";

export interface CreateOptions {
  requiresGrad?: boolean;
  dtype?: DType;
}

function finish(t: Tensor, opts: CreateOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** Shape arguments as PyTorch takes them: zeros(2, 3), zeros([2, 3]), zeros([2, 3], {requiresGrad}). */
type ShapeArgs = [readonly number[], CreateOptions?] | number[] | [...number[], CreateOptions];

function parseShape(op: string, args: ShapeArgs): [number[], CreateOptions | undefined] {
  let shape: number[];
  let opts: CreateOptions | undefined;
  if (Array.isArray(args[0])) {
    shape = [...(args[0] as number[])];
    opts = args[1] as CreateOptions | undefined;
  } else {
    const last = args[args.length - 1];
    opts = typeof last === "object" ? (last as CreateOptions) : undefined;
    shape = (opts ? args.slice(0, -1) : args) as number[];
  }
  checkDims(`${op}()`, shape);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${op}(): invalid shape ${fmt(shape)}`);
  return [shape, opts];
}

/**
 * A tensor from a number, nested arrays (the shape is read from the nesting; rows must have
 * equal lengths), a typed array (1-D; an Int32Array gives int32, a BigInt64Array int64) or
 * another tensor (copied). float32 unless opts.dtype says "int32" or "int64" (bigint values
 * give int64 too); {requiresGrad: true} makes it a leaf that records ops.
 * @example const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true }); // [2, 3]
 * @example const ids = tensor([3, 1, 2], { dtype: "int64" }); // like torch.tensor([3, 1, 2])
 */
export function tensor(values: NestedNumbers | Tensor, opts?: CreateOptions): Tensor {
  if (values instanceof Tensor) return finish(values.detach().clone().to(opts?.dtype ?? values.dtype), opts);
  return finish(fromNested(values, opts?.dtype), opts);
}

/**
 * A tensor of the given shape with every element equal to value.
 * @example full([2, 3], 0.5)
 */
export function full(shape: readonly number[], value: number, opts?: CreateOptions): Tensor {
  const s = allocate(opts?.dtype ?? "float32", numel(shape));
  if (s instanceof BigInt64Array) s.fill(BigInt(Math.trunc(value)));
  else s.fill(value);
  const t = new Tensor(s, shape);
  return finish(t, opts);
}

/**
 * A tensor of zeros: zeros(2, 3), zeros([2, 3]) or zeros([2, 3], {dtype: "int64", requiresGrad}).
 * @example const b = zeros(10, { requiresGrad: true });
 */
export function zeros(...args: ShapeArgs): Tensor {
  const [shape, opts] = parseShape("zeros", args);
  return full(shape, 0, opts);
}

/**
 * A tensor of ones: ones(2, 3), ones([2, 3]) or ones([2, 3], {dtype, requiresGrad}).
 * @example ones(4).mul(3)
 */
export function ones(...args: ShapeArgs): Tensor {
  const [shape, opts] = parseShape("ones", args);
  return full(shape, 1, opts);
}

/**
 * Zeros with t's shape and dtype (opts may change them, as in zeros).
 * @example const m = zerosLike(w);
 */
export function zerosLike(t: Tensor, opts?: CreateOptions): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...opts });
}

/**
 * Ones with t's shape and dtype; e.g. the gradient to start backward() from a non-scalar.
 * @example y.backward(onesLike(y));
 */
export function onesLike(t: Tensor, opts?: CreateOptions): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...opts });
}

/**
 * Standard normal samples N(0, 1) of the given shape, from the generator manualSeed() seeds.
 * @example manualSeed(0); const w = randn(3, 4).mul(0.02);
 */
export function randn(...args: ShapeArgs): Tensor {
  const [shape, opts] = parseShape("randn", args);
  return finish(new Tensor(new Float32Array(numel(shape)), shape).normal_(), opts);
}

/**
 * Uniform samples in [0, 1) of the given shape, from the seeded generator.
 * @example rand(2, 2)
 */
export function rand(...args: ShapeArgs): Tensor {
  const [shape, opts] = parseShape("rand", args);
  return finish(new Tensor(new Float32Array(numel(shape)), shape).uniform_(), opts);
}

/**
 * Uniform integers in [low, high): randint(low, high, shape) or randint(high, shape), int32
 * unless opts.dtype says "int64" (or "float32").
 * @example randint(0, 10, [4]) // four digits; randint(5, [3], { dtype: "int64" })
 */
export function randint(low: number, high: number | readonly number[], shape?: readonly number[] | CreateOptions, opts?: CreateOptions): Tensor {
  if (Array.isArray(high)) [low, high, shape, opts] = [0, low, high, shape as CreateOptions | undefined];
  if (!Array.isArray(shape)) throw new Error("randint(): expected randint(low, high, shape) or randint(high, shape)");
  high = high as number;
  if (!(high > low)) throw new Error(`randint(): high (${high}) must be greater than low (${low})`);
  const out = new Int32Array(numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = defaultGenerator.int(low, high);
  const t = new Tensor(out, shape);
  return opts?.dtype && opts.dtype !== "int32" ? t.to(opts.dtype) : t;
}

/**
 * The numbers start, start + step, ... below end, 1-D: arange(end), arange(start, end, step?);
 * int32 when every argument is an integer, else float32, unless opts.dtype says (e.g. "int64").
 * @example arange(5) // [0, 1, 2, 3, 4]; arange(0, 1, 0.25) // [0, 0.25, 0.5, 0.75]
 */
export function arange(start: number, end?: number, step = 1, opts?: CreateOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new Error("arange(): step must be nonzero");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts?.dtype ?? ([start, end, step].every(Number.isInteger) ? "int32" : "float32");
  const out = allocate(dtype, n);
  if (out instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(start + i * step));
  else for (let i = 0; i < n; i++) out[i] = start + i * step;
  return finish(new Tensor(out, [n]), opts);
}

/**
 * steps evenly spaced numbers from start to end, both included, float32 [steps].
 * @example linspace(0, 1, 5) // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, end: number, steps: number, opts?: CreateOptions): Tensor {
  const out = new Float32Array(steps);
  for (let i = 0; i < steps; i++) out[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(new Tensor(out, [steps]), opts);
}

/**
 * The n x m identity matrix (m = n by default): ones on the diagonal.
 * @example eye(3)
 */
export function eye(n: number, m = n, opts?: CreateOptions): Tensor {
  const t = full([n, m], 0, opts?.dtype ? { dtype: opts.dtype } : undefined);
  const s = t.store;
  for (let i = 0; i < Math.min(n, m); i++) {
    if (s instanceof BigInt64Array) s[i * m + i] = 1n;
    else s[i * m + i] = 1;
  }
  return finish(t, opts);
}
