// Datasets: anything with a length and an indexed get(i), as in torch.utils.data. Splits
// draw their permutation from a Generator so that manualSeed(n) repeats them.
import { Tensor, allocate, setValues } from "../tensor";
import { fmt, numel } from "../core/shape";
import { Generator, defaultGenerator } from "../core/random";

/** The shape every dataset has; plain arrays fit through asDataset(). */
export interface DatasetLike<T> {
  readonly length: number;
  /**
   * Sample i, 0 <= i < length.
   * @example const [x, y] = ds.get(0);
   */
  get(i: number): T;
  /**
   * Optional: the samples at `indices` already batched, exactly as the default collate would
   * batch them. A DataLoader without a custom collate uses it to copy a batch in one pass
   * instead of making one small tensor per sample.
   */
  getItems?(indices: readonly number[]): unknown;
}

/** A map-style dataset: subclass it with `length` and `get(i)`. */
export abstract class Dataset<T> implements DatasetLike<T>, Iterable<T> {
  abstract readonly length: number;
  /**
   * Sample i, 0 <= i < length.
   * @example const [x, y] = ds.get(0);
   */
  abstract get(i: number): T;

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
}

/** Out-of-range indices are a bug in the caller's sampler, so they fail loudly instead of returning undefined. */
export function checkIndex(op: string, i: number, length: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= length) {
    throw new Error(`${op}: index ${i} is out of range for a dataset of length ${length}`);
  }
}

/** Samples held in an array. */
export class ArrayDataset<T> extends Dataset<T> {
  constructor(readonly items: readonly T[]) {
    super();
  }
  /** How many samples there are. */
  get length(): number {
    return this.items.length;
  }
  /**
   * Sample i, 0 <= i < length.
   * @example const [x, y] = ds.get(0);
   */
  get(i: number): T {
    checkIndex("ArrayDataset.get()", i, this.items.length);
    return this.items[i];
  }
}

/** Wrap an array (or keep a dataset) so that everything downstream sees one interface. */
export function asDataset<T>(source: DatasetLike<T> | readonly T[]): DatasetLike<T> {
  return Array.isArray(source) ? new ArrayDataset(source as readonly T[]) : (source as DatasetLike<T>);
}

/** Rows of several tensors that share their first dimension: get(i) gives [t0[i], t1[i], ...]. */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new Error("TensorDataset(): expected at least one tensor");
    const n = tensors[0].shape[0];
    tensors.forEach((t, k) => {
      if (t.ndim === 0) throw new Error(`TensorDataset(): tensor ${k} is a scalar; every tensor needs a first dimension`);
      if (t.shape[0] !== n) {
        throw new Error(
          `TensorDataset(): tensor ${k} has shape ${fmt(t.shape)} but tensor 0 has ${fmt(tensors[0].shape)}; ` +
            `the first dimensions must match`,
        );
      }
    });
    // Batches copy rows out of values(), which would copy a whole strided view every time.
    this.tensors = tensors.map((t) => (t.isContiguous() ? t : t.detach().contiguous()));
  }

  /** How many samples there are. */
  get length(): number {
    return this.tensors[0].shape[0];
  }

  /**
   * Sample i, 0 <= i < length.
   * @example const [x, y] = ds.get(0);
   */
  get(i: number): Tensor[] {
    checkIndex("TensorDataset.get()", i, this.length);
    return this.tensors.map((t) => t.select(0, i));
  }

  /** The rows at `indices` of every tensor, copied in one pass. */
  getItems(indices: readonly number[]): Tensor[] {
    for (let k = 0; k < indices.length; k++) checkIndex("TensorDataset.getItems()", indices[k], this.length);
    return this.tensors.map((t) => gatherRows(t, indices));
  }
}

/** Copy rows of t (along dim 0) into a new contiguous tensor, cut from any graph. */
export function gatherRows(t: Tensor, indices: ArrayLike<number>): Tensor {
  const rowShape = t.shape.slice(1);
  const rowSize = numel(rowShape);
  const v = t.rawValues();
  const out = allocate(t.dtype, indices.length * rowSize);
  for (let b = 0; b < indices.length; b++) {
    const r = indices[b];
    setValues(out, v.subarray(r * rowSize, (r + 1) * rowSize), b * rowSize);
  }
  return new Tensor(out, [indices.length, ...rowShape]);
}

/** The samples of `dataset` at `indices`, in that order. */
export class Subset<T> extends Dataset<T> {
  readonly dataset: DatasetLike<T>;
  readonly indices: readonly number[];

  constructor(dataset: DatasetLike<T> | readonly T[], indices: readonly number[]) {
    super();
    this.dataset = asDataset(dataset);
    for (const i of indices) checkIndex("Subset()", i, this.dataset.length);
    this.indices = indices;
  }

  /** How many samples there are. */
  get length(): number {
    return this.indices.length;
  }

  /**
   * Sample i, 0 <= i < length.
   * @example const [x, y] = ds.get(0);
   */
  get(i: number): T {
    checkIndex("Subset.get()", i, this.indices.length);
    return this.dataset.get(this.indices[i]);
  }

  /** The samples at indices, batched in one pass (what a DataLoader uses when it can). */
  getItems(indices: readonly number[]): unknown {
    const inner = this.dataset;
    if (!inner.getItems) return undefined;
    return inner.getItems(
      indices.map((i) => {
        checkIndex("Subset.getItems()", i, this.indices.length);
        return this.indices[i];
      }),
    );
  }
}

/**
 * Split a dataset into non-overlapping random subsets, like torch.utils.data.random_split.
 * `lengths` are either counts summing to the dataset's length, or fractions summing to 1
 * (the remainder after flooring goes one each to the first subsets, as PyTorch does).
 */
export function randomSplit<T>(
  dataset: DatasetLike<T> | readonly T[],
  lengths: readonly number[],
  generator: Generator = defaultGenerator,
): Subset<T>[] {
  const ds = asDataset(dataset);
  const n = ds.length;
  if (lengths.length === 0) throw new Error("randomSplit(): expected at least one length");
  if (lengths.some((l) => !Number.isFinite(l) || l < 0)) {
    throw new Error(`randomSplit(): lengths must be non-negative numbers, got [${lengths.join(", ")}]`);
  }
  const total = lengths.reduce((a, b) => a + b, 0);
  let counts: number[];
  if (lengths.every(Number.isInteger) && total === n) {
    counts = [...lengths];
  } else if (Math.abs(total - 1) < 1e-6 && lengths.every((l) => l <= 1)) {
    counts = lengths.map((f) => Math.floor(n * f));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let k = 0; rest > 0; k = (k + 1) % counts.length, rest--) counts[k]++;
  } else {
    throw new Error(
      `randomSplit(): lengths [${lengths.join(", ")}] must be counts summing to the dataset's length (${n}) ` +
        `or fractions summing to 1`,
    );
  }
  const perm = generator.permutation(n);
  const out: Subset<T>[] = [];
  let at = 0;
  for (const c of counts) {
    out.push(new Subset(ds, perm.slice(at, at + c)));
    at += c;
  }
  return out;
}

function sequenceIds(op: string, ids: Tensor, blockSize: number): Int32Array {
  if (ids.dtype === "int64") ids = ids.int(); // token ids fit in int32
  if (ids.ndim !== 1) throw new Error(`${op}: expected a 1-D tensor of token ids, got shape ${fmt(ids.shape)}`);
  if (ids.dtype !== "int32") throw new Error(`${op}: token ids must be int32, got ${ids.dtype}`);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`${op}: blockSize must be a positive integer, got ${blockSize}`);
  if (ids.shape[0] <= blockSize) {
    throw new Error(`${op}: ${ids.shape[0]} tokens are too few for blockSize ${blockSize} (need at least ${blockSize + 1})`);
  }
  return ids.values() as Int32Array;
}

/**
 * Every window of a token stream: sample i is [x, y] with x = ids[i, i + blockSize) and y the
 * same window shifted by one, the next-token targets.
 */
export class CharDataset extends Dataset<[Tensor, Tensor]> {
  private readonly v: Int32Array;

  constructor(readonly ids: Tensor, readonly blockSize: number) {
    super();
    this.v = sequenceIds("charDataset()", ids, blockSize);
  }

  /** How many samples there are. */
  get length(): number {
    return this.v.length - this.blockSize;
  }

  /**
   * Sample i, 0 <= i < length.
   * @example const [x, y] = ds.get(0);
   */
  get(i: number): [Tensor, Tensor] {
    checkIndex("CharDataset.get()", i, this.length);
    const t = this.blockSize;
    return [new Tensor(this.v.slice(i, i + t), [t]), new Tensor(this.v.slice(i + 1, i + 1 + t), [t])];
  }

  /** The samples at indices, batched in one pass (what a DataLoader uses when it can). */
  getItems(indices: readonly number[]): [Tensor, Tensor] {
    const t = this.blockSize;
    const x = new Int32Array(indices.length * t);
    const y = new Int32Array(indices.length * t);
    indices.forEach((i, b) => {
      checkIndex("CharDataset.getItems()", i, this.length);
      x.set(this.v.subarray(i, i + t), b * t);
      y.set(this.v.subarray(i + 1, i + 1 + t), b * t);
    });
    return [new Tensor(x, [indices.length, t]), new Tensor(y, [indices.length, t])];
  }
}

/**
 * The CharDataset of a 1-D int32 token stream: sample i is (ids[i : i+blockSize], the same shifted by one).
 * @example const ds = data.charDataset(tensor(tok.encode(text), { dtype: "int32" }), 64); const [x, y] = ds.get(0);
 */
export function charDataset(ids: Tensor, blockSize: number): CharDataset {
  return new CharDataset(ids, blockSize);
}

/**
 * A batch of random windows, as nanoGPT's get_batch draws them: x [batchSize, blockSize]
 * int32 from random offsets, y the same windows one token later.
 */
export function getBatch(
  data: Tensor,
  blockSize: number,
  batchSize: number,
  generator: Generator = defaultGenerator,
): { x: Tensor; y: Tensor } {
  const v = sequenceIds("getBatch()", data, blockSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`getBatch(): batchSize must be a positive integer, got ${batchSize}`);
  const x = new Int32Array(batchSize * blockSize);
  const y = new Int32Array(batchSize * blockSize);
  for (let b = 0; b < batchSize; b++) {
    const i = generator.int(0, v.length - blockSize);
    x.set(v.subarray(i, i + blockSize), b * blockSize);
    y.set(v.subarray(i + 1, i + 1 + blockSize), b * blockSize);
  }
  return { x: new Tensor(x, [batchSize, blockSize]), y: new Tensor(y, [batchSize, blockSize]) };
}
