import { describe, expect, test } from "vitest";
import { Tensor } from "../../src/tensor";
import { arange, tensor } from "../../src/creation";
import { Generator, manualSeed } from "../../src/core/random";
import { ArrayDataset, DataLoader, Dataset, Subset, TensorDataset, charDataset, defaultCollate, getBatch, randomSplit } from "../../src/data";

function xy(n: number): TensorDataset {
  const x = arange(n * 2).reshape(n, 2).float();
  const y = arange(n);
  return new TensorDataset(x, y);
}

describe("TensorDataset", () => {
  test("rows of every tensor", () => {
    const ds = xy(5);
    expect(ds.length).toBe(5);
    const [x, y] = ds.get(3);
    expect(x.toArray()).toEqual([6, 7]);
    expect(y.item()).toBe(3);
    expect(() => ds.get(5)).toThrow(/index 5 is out of range for a dataset of length 5/);
  });

  test("strided views are fine", () => {
    const x = arange(6).reshape(2, 3).float().transpose(0, 1);
    const ds = new TensorDataset(x);
    expect(ds.get(2)[0].toArray()).toEqual([2, 5]);
    const [[batch]] = [...new DataLoader(ds, { batchSize: 3 })];
    expect(batch.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });

  test("first dimensions must match", () => {
    expect(() => new TensorDataset(arange(3), arange(4))).toThrow(/tensor 1 has shape \[4\] but tensor 0 has \[3\]/);
    expect(() => new TensorDataset()).toThrow(/at least one tensor/);
  });
});

describe("DataLoader", () => {
  test("batches in order, the last one short", () => {
    const loader = new DataLoader(xy(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = [...loader];
    expect(batches.length).toBe(3);
    expect(batches.map(([x]) => x.shape)).toEqual([[4, 2], [4, 2], [2, 2]]);
    expect(batches[0][1].dtype).toBe("int32");
    expect(batches[0][1].toArray()).toEqual([0, 1, 2, 3]);
    expect(batches[2][0].toArray()).toEqual([[16, 17], [18, 19]]);
    expect(batches[0][0].dtype).toBe("float32");
  });

  test("dropLast drops the short batch", () => {
    const loader = new DataLoader(xy(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect([...loader].map(([, y]) => y.toArray())).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(new DataLoader(xy(3), { batchSize: 4, dropLast: true }).length).toBe(0);
  });

  test("shuffle is a permutation, repeatable with manualSeed, new each epoch", () => {
    const loader = new DataLoader(xy(20), { batchSize: 6, shuffle: true });
    const epoch = () => [...loader].flatMap(([x, y]) => {
      // rows stay paired: x = [2y, 2y+1]
      const xs = x.toArray() as number[][];
      (y.toArray() as number[]).forEach((v, i) => expect(xs[i]).toEqual([2 * v, 2 * v + 1]));
      return y.toArray() as number[];
    });
    manualSeed(7);
    const a = epoch();
    const b = epoch();
    manualSeed(7);
    const a2 = epoch();
    expect(a).toEqual(a2);
    expect(a).not.toEqual(b);
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  test("an explicit generator is independent of the global seed", () => {
    const run = (seed: number) => [...new DataLoader(xy(12), { batchSize: 12, shuffle: true, generator: new Generator(seed) })][0][1].toArray();
    manualSeed(1);
    const a = run(3);
    manualSeed(2);
    expect(run(3)).toEqual(a);
    expect(run(4)).not.toEqual(a);
  });

  test("custom datasets and the default collate: numbers, tensors, objects, strings", () => {
    class Squares extends Dataset<{ x: Tensor; label: number; score: number; name: string }> {
      readonly length = 5;
      get(i: number) {
        return { x: tensor([i, i * i]), label: i % 2, score: i / 2, name: `n${i}` };
      }
    }
    const [batch] = [...new DataLoader(new Squares(), { batchSize: 5 })];
    expect(batch.x.shape).toEqual([5, 2]);
    expect(batch.x.toArray()[4]).toEqual([4, 16]);
    expect(batch.label.dtype).toBe("int32");
    expect(batch.label.toArray()).toEqual([0, 1, 0, 1, 0]);
    expect(batch.score.dtype).toBe("float32");
    expect(batch.score.toArray()).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(batch.name).toEqual(["n0", "n1", "n2", "n3", "n4"]);
  });

  test("arrays of samples and a custom collate", () => {
    const samples: [number[], number][] = [[[1, 2], 0], [[3, 4], 1], [[5, 6], 2]];
    const loader = new DataLoader(samples, {
      batchSize: 2,
      collate: (items) => ({ x: tensor(items.map(([v]) => v)), n: items.length }),
    });
    const out = [...loader];
    expect(out.map((b) => b.n)).toEqual([2, 1]);
    expect(out[0].x.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  test("the default collate explains what does not stack", () => {
    expect(() => defaultCollate([tensor([1, 2]), tensor([1, 2, 3])])).toThrow(/sample 1 has shape \[3\] but sample 0 has \[2\]/);
    expect(() => defaultCollate([1, "a"] as unknown[])).toThrow(/sample 1 is string but sample 0 is a number/);
    expect(() => defaultCollate([{ a: 1 }, { b: 2 }] as unknown[])).toThrow(/sample 1 has no field "a"/);
    expect(() => defaultCollate([])).toThrow(/empty batch/);
    expect(() => new DataLoader([1], { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });

  test("a loader over a subset of a TensorDataset gathers the right rows", () => {
    const ds = xy(10);
    const sub = new Subset(ds, [9, 0, 4]);
    const [[x, y]] = [...new DataLoader(sub, { batchSize: 3 })];
    expect(y.toArray()).toEqual([9, 0, 4]);
    expect(x.toArray()).toEqual([[18, 19], [0, 1], [8, 9]]);
  });
});

describe("randomSplit", () => {
  test("counts: sizes, disjoint, covering, seeded", () => {
    manualSeed(0);
    const parts = randomSplit(new ArrayDataset(Array.from({ length: 100 }, (_, i) => i)), [70, 20, 10]);
    expect(parts.map((p) => p.length)).toEqual([70, 20, 10]);
    const all = parts.flatMap((p) => [...p]);
    expect(new Set(all).size).toBe(100);
    manualSeed(0);
    const again = randomSplit(Array.from({ length: 100 }, (_, i) => i), [70, 20, 10]);
    expect(again[1].indices).toEqual(parts[1].indices);
    const other = randomSplit(Array.from({ length: 100 }, (_, i) => i), [70, 20, 10], new Generator(99));
    expect(other[0].indices).not.toEqual(parts[0].indices);
  });

  test("fractions: the remainder goes to the first parts, as PyTorch does", () => {
    const parts = randomSplit(xy(11), [0.5, 0.3, 0.2], new Generator(1));
    expect(parts.map((p) => p.length)).toEqual([6, 3, 2]);
    const ids = parts.flatMap((p) => [...p].map(([, y]) => y.item()));
    expect(new Set(ids).size).toBe(11);
  });

  test("lengths that do not add up", () => {
    expect(() => randomSplit(xy(10), [5, 4])).toThrow(/counts summing to the dataset's length \(10\) or fractions summing to 1/);
    expect(() => randomSplit(xy(10), [0.5, 0.6])).toThrow(/fractions summing to 1/);
  });
});

describe("character language-model data", () => {
  const ids = arange(50);

  test("charDataset windows and targets shifted by one", () => {
    const ds = charDataset(ids, 8);
    expect(ds.length).toBe(42);
    const [x, y] = ds.get(5);
    expect(x.toArray()).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(y.toArray()).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    const [bx, by] = [...new DataLoader(ds, { batchSize: 4 })][0];
    expect(bx.shape).toEqual([4, 8]);
    expect(bx.dtype).toBe("int32");
    expect(by.toArray()[3][0]).toBe(4);
  });

  test("batched fetching (getItems) agrees with collating single samples", () => {
    const ds = charDataset(ids, 6);
    const idx = [40, 0, 17, 3];
    const fast = ds.getItems(idx);
    const slow = defaultCollate(idx.map((i) => ds.get(i)));
    expect(fast[0].toArray()).toEqual(slow[0].toArray());
    expect(fast[1].toArray()).toEqual(slow[1].toArray());
    const sub = new Subset(ds, [5, 6, 7]);
    const [[x]] = [...new DataLoader(sub, { batchSize: 3 })];
    expect((x.toArray() as number[][]).map((r) => r[0])).toEqual([5, 6, 7]);
    const tds = xy(6);
    const rows = tds.getItems([5, 1]);
    const single = defaultCollate([tds.get(5), tds.get(1)]);
    expect(rows.map((t) => t.toArray())).toEqual(single.map((t) => t.toArray()));
    expect(() => ds.getItems([44])).toThrow(/index 44 is out of range for a dataset of length 44/);
  });

  test("getBatch draws random windows like nanoGPT's get_batch", () => {
    manualSeed(3);
    const { x, y } = getBatch(ids, 8, 16);
    expect(x.shape).toEqual([16, 8]);
    expect(y.shape).toEqual([16, 8]);
    expect(x.dtype).toBe("int32");
    const xs = x.toArray() as number[][];
    const ys = y.toArray() as number[][];
    const starts = new Set<number>();
    xs.forEach((row, b) => {
      starts.add(row[0]);
      expect(row[0]).toBeGreaterThanOrEqual(0);
      expect(row[0]).toBeLessThanOrEqual(50 - 8 - 1);
      row.forEach((v, t) => {
        expect(v).toBe(row[0] + t);
        expect(ys[b][t]).toBe(v + 1);
      });
    });
    expect(starts.size).toBeGreaterThan(4);
    manualSeed(3);
    expect(getBatch(ids, 8, 16).x.toArray()).toEqual(xs);
    expect(getBatch(ids, 8, 16, new Generator(3)).x.shape).toEqual([16, 8]);
  });

  test("errors name the problem", () => {
    expect(() => getBatch(arange(8), 8, 2)).toThrow(/8 tokens are too few for blockSize 8/);
    expect(() => getBatch(tensor([1, 2, 3]), 1, 2)).toThrow(/token ids must be int32/);
    expect(() => charDataset(arange(10).reshape(2, 5), 2)).toThrow(/expected a 1-D tensor/);
  });
});
