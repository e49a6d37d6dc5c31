// Batches from a dataset, as torch.utils.data.DataLoader makes them (single process: the
// samples are already in memory, so workers would only add copying).
import { Tensor, allocate, setValues } from "../tensor";
import { fmt, numel } from "../core/shape";
import { Generator, defaultGenerator } from "../core/random";
import { DatasetLike, asDataset } from "./dataset";

/** What the default collate makes of a list of samples of type T. */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean
    ? Tensor
    : T extends string
      ? string[]
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { [K in keyof T]: Collated<T[K]> }
          : T[];

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  /** Draw a new order each epoch (each time iteration starts). */
  shuffle?: boolean;
  /** Leave out the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** The source of shuffles; the default generator (seeded by manualSeed) otherwise. */
  generator?: Generator;
  collate?: (samples: T[]) => B;
}

/**
 * Stack samples into a batch: tensors of one shape into [B, ...shape]; numbers into a [B]
 * tensor (int32 when every number in the batch is an integer, as class labels are; float32
 * otherwise); strings into an array; arrays and objects field by field.
 */
export function defaultCollate<T>(samples: T[]): Collated<T> {
  return collate(samples, "sample") as Collated<T>;
}

function collate(samples: unknown[], where: string): unknown {
  if (samples.length === 0) throw new Error("defaultCollate(): cannot collate an empty batch");
  const first = samples[0];
  if (first instanceof Tensor) return stackTensors(samples, where);
  if (typeof first === "number" || typeof first === "boolean") return stackNumbers(samples, where);
  if (typeof first === "string") {
    samples.forEach((s, i) => {
      if (typeof s !== "string") throw new Error(`defaultCollate(): ${where} ${i} is ${describe(s)} but sample 0 is a string`);
    });
    return [...samples];
  }
  if (Array.isArray(first)) {
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== first.length) {
        throw new Error(
          `defaultCollate(): ${where} ${i} is ${describe(s)} but sample 0 is an array of length ${first.length}`,
        );
      }
    });
    return first.map((_, k) => collate(samples.map((s) => (s as unknown[])[k]), `${where}[${k}] of sample`));
  }
  if (first !== null && typeof first === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = collate(
        samples.map((s, i) => {
          if (s === null || typeof s !== "object" || !(key in s)) {
            throw new Error(`defaultCollate(): ${where} ${i} has no field "${key}" but sample 0 has`);
          }
          return (s as Record<string, unknown>)[key];
        }),
        `field "${key}" of sample`,
      );
    }
    return out;
  }
  throw new Error(`defaultCollate(): cannot batch ${describe(first)}; pass a collate function`);
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `a tensor of shape ${fmt(v.shape)}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return v === null ? "null" : typeof v;
}

function stackTensors(samples: unknown[], where: string): Tensor {
  const first = samples[0] as Tensor;
  const shape = first.shape;
  const size = numel(shape);
  const out = allocate(first.dtype, samples.length * size);
  samples.forEach((s, i) => {
    if (!(s instanceof Tensor)) throw new Error(`defaultCollate(): ${where} ${i} is ${describe(s)} but sample 0 is a tensor`);
    if (s.ndim !== shape.length || s.shape.some((d, k) => d !== shape[k])) {
      throw new Error(`defaultCollate(): ${where} ${i} has shape ${fmt(s.shape)} but sample 0 has ${fmt(shape)}`);
    }
    if (s.dtype !== first.dtype) throw new Error(`defaultCollate(): ${where} ${i} is ${s.dtype} but sample 0 is ${first.dtype}`);
    setValues(out, s.rawValues(), i * size);
  });
  return new Tensor(out, [samples.length, ...shape]);
}

function stackNumbers(samples: unknown[], where: string): Tensor {
  const values = samples.map((s, i) => {
    if (typeof s === "boolean") return Number(s);
    if (typeof s !== "number") throw new Error(`defaultCollate(): ${where} ${i} is ${describe(s)} but sample 0 is a number`);
    return s;
  });
  const isInt = values.every((v) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647);
  const out = allocate(isInt ? "int32" : "float32", values.length);
  out.set(values);
  return new Tensor(out, [values.length]);
}

/**
 * Iterate a dataset in batches: `for (const [x, y] of new DataLoader(ds, {batchSize: 32, shuffle: true}))`.
 * `length` is the number of batches per epoch.
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B> {
  readonly dataset: DatasetLike<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  private readonly collateFn: ((samples: T[]) => B) | null;

  constructor(dataset: DatasetLike<T> | readonly T[], opts: DataLoaderOptions<T, B> = {}) {
    this.dataset = asDataset(dataset);
    this.batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new Error(`DataLoader(): batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.generator = opts.generator ?? defaultGenerator;
    this.collateFn = opts.collate ?? null;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<B> {
    const n = this.dataset.length;
    // The order is drawn when an epoch starts, so two loops over the same loader differ
    // (as in PyTorch) while a reseeded generator repeats them.
    const order = this.shuffle ? this.generator.permutation(n) : Array.from({ length: n }, (_, i) => i);
    const batches = this.length;
    for (let b = 0; b < batches; b++) {
      const idx = order.slice(b * this.batchSize, Math.min(n, (b + 1) * this.batchSize));
      if (this.collateFn) {
        yield this.collateFn(idx.map((i) => this.dataset.get(i)));
        continue;
      }
      const batch = this.dataset.getItems?.(idx);
      yield (batch !== undefined ? batch : defaultCollate(idx.map((i) => this.dataset.get(i)))) as B;
    }
  }
}
