import { beforeEach, describe, expect, test } from "vitest";
import { arr, cl, expectClose, gradcheckLayouts, leaf, refPermute } from "./reference";

beforeEach(() => cl.manualSeed(3));

const grid = (r: number, c: number) => cl.arange(r * c).float().reshape(r, c);

describe("views", () => {
  test("reshape and view keep row-major order and share storage when contiguous", () => {
    const x = cl.arange(6).float();
    const r = x.reshape(2, 3);
    expect(r.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(r.storage).toBe(x.storage);
    expect(x.view([3, -1]).shape).toEqual([3, 2]);
    expect(x.reshape(-1, 2).toArray()).toEqual([[0, 1], [2, 3], [4, 5]]);
    // a transposed tensor reshapes by copying, in the transposed order
    const t = r.transpose(0, 1);
    expect(t.reshape(6).toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    expect(t.reshape(6).storage).not.toBe(x.storage);
  });

  test("transpose, permute and .T", () => {
    const x = leaf([2, 3, 4]);
    expectClose(x.permute(2, 0, 1), refPermute(arr(x), [2, 0, 1]));
    expectClose(x.transpose(0, 2), refPermute(arr(x), [2, 1, 0]));
    expectClose(x.T, refPermute(arr(x), [0, 2, 1]));
    expect(x.permute([1, 2, 0]).isContiguous()).toBe(false);
  });

  test("squeeze and unsqueeze", () => {
    const x = cl.zeros(2, 1, 3, 1);
    expect(x.squeeze().shape).toEqual([2, 3]);
    expect(x.squeeze(1).shape).toEqual([2, 3, 1]);
    expect(x.squeeze(0).shape).toEqual([2, 1, 3, 1]);
    expect(x.squeeze(-1).shape).toEqual([2, 1, 3]);
    expect(cl.zeros(2, 3).unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(cl.zeros(2, 3).unsqueeze(-1).shape).toEqual([2, 3, 1]);
    const t = grid(2, 3).transpose(0, 1).unsqueeze(1);
    expect(t.shape).toEqual([3, 1, 2]);
    expect(t.toArray()).toEqual([[[0, 3]], [[1, 4]], [[2, 5]]]);
  });

  test("expand repeats without copying; contiguous materialises", () => {
    const x = cl.tensor([[1], [2]]);
    const e = x.expand(2, 3);
    expect(e.toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(e.storage).toBe(x.storage);
    expect(cl.tensor([1, 2]).expand(3, -1).toArray()).toEqual([[1, 2], [1, 2], [1, 2]]);
    const c = e.contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.toArray()).toEqual(e.toArray());
    expect(grid(2, 2).contiguous()).toBeInstanceOf(cl.Tensor);
  });

  test("flatten", () => {
    expect(cl.zeros(2, 3, 4).flatten().shape).toEqual([24]);
    expect(cl.zeros(2, 3, 4).flatten(1).shape).toEqual([2, 12]);
  });

  test("gradcheck every view op, on non-contiguous inputs too", () => {
    cl.gradcheck((x) => x.reshape(4, 6), [leaf([2, 3, 4])]);
    cl.gradcheck((x) => x.view(-1, 2), [leaf([2, 3, 4])]);
    cl.gradcheck((x) => x.transpose(0, 2), [leaf([2, 3, 4])]);
    cl.gradcheck((x) => x.permute(1, 2, 0), [leaf([2, 3, 4])]);
    cl.gradcheck((x) => x.unsqueeze(1).expand(2, 5, 3), [leaf([2, 3])]);
    cl.gradcheck((x) => x.squeeze(1), [leaf([2, 1, 3])]);
    cl.gradcheck((x) => x.unsqueeze(0), [leaf([2, 3])]);
    cl.gradcheck((x) => x.flatten(), [leaf([2, 3])]);
    gradcheckLayouts((x) => x.reshape(12), [3, 4]);
    gradcheckLayouts((x) => x.contiguous(), [3, 4]);
    gradcheckLayouts((x) => x.unsqueeze(1).expand(3, 2, 4).squeeze(), [3, 4]);
    gradcheckLayouts((x) => x.unsqueeze(-1).squeeze(-1), [3, 4]);
    gradcheckLayouts((x) => x.unsqueeze(0).permute(2, 0, 1), [3, 4]);
    gradcheckLayouts((x) => x.T.reshape(2, 6), [3, 4]);
  });
});

describe("index, narrow, select, split, chunk", () => {
  test("index with numbers, slices, steps and negatives", () => {
    const x = grid(4, 5);
    expect(x.index(1).toArray()).toEqual([5, 6, 7, 8, 9]);
    expect(x.index(-1, -2).item()).toBe(18);
    expect(x.index(null, [1, 4, 2]).toArray()).toEqual([[1, 3], [6, 8], [11, 13], [16, 18]]);
    expect(x.index([null, null, 3], [-2]).toArray()).toEqual([[3, 4], [18, 19]]);
    expect(x.index([1, 3]).shape).toEqual([2, 5]);
    expect(x.index([3, 1]).shape).toEqual([0, 5]);
    // views of views
    expect(x.T.index([1, null, 2], 0).toArray()).toEqual([1, 3]);
  });

  test("narrow and select", () => {
    const x = grid(3, 4);
    expect(x.narrow(1, 1, 2).toArray()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(x.narrow(0, -1, 1).toArray()).toEqual([[8, 9, 10, 11]]);
    expect(x.select(1, 3).toArray()).toEqual([3, 7, 11]);
    expect(x.select(0, -1).toArray()).toEqual([8, 9, 10, 11]);
  });

  test("split and chunk", () => {
    const x = grid(5, 2);
    expect(x.split(2).map((t) => t.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(x.split([1, 4]).map((t) => t.toArray())).toEqual([[[0, 1]], [[2, 3], [4, 5], [6, 7], [8, 9]]]);
    expect(x.chunk(2).map((t) => t.shape)).toEqual([[3, 2], [2, 2]]);
    expect(x.chunk(2, 1).map((t) => t.toArray())).toEqual([[[0], [2], [4], [6], [8]], [[1], [3], [5], [7], [9]]]);
  });

  test("gradchecks route each gradient back to its element", () => {
    cl.gradcheck((x) => x.index([null, null, 2], -1), [leaf([5, 3])]);
    cl.gradcheck((x) => x.index(1, [1, null]), [leaf([3, 4])]);
    cl.gradcheck((x) => x.narrow(1, 1, 2), [leaf([3, 4])]);
    cl.gradcheck((x) => x.select(0, 2), [leaf([3, 4])]);
    cl.gradcheck((x) => { const [a, b, c] = x.split([1, 2, 1], 1); return a.mul(2).add(b.sum(1, true)).sub(c.mul(c)); }, [leaf([3, 4])]);
    cl.gradcheck((x) => { const [a, b] = x.chunk(2); return a.mul(b.sin()); }, [leaf([4, 3])]);
    gradcheckLayouts((x) => x.narrow(0, 1, 2), [3, 4]);
    gradcheckLayouts((x) => x.select(1, 2), [3, 4]);
    gradcheckLayouts((x) => x.index([null, null, 2], [1, 3]), [3, 4]);
  });
});

describe("cat and stack", () => {
  test("values", () => {
    const a = grid(2, 2), b = cl.tensor([[9, 9]]);
    expect(cl.cat([a, b]).toArray()).toEqual([[0, 1], [2, 3], [9, 9]]);
    expect(cl.cat([a, a.T], 1).toArray()).toEqual([[0, 1, 0, 2], [2, 3, 1, 3]]);
    expect(cl.stack([a, a.T]).toArray()).toEqual([[[0, 1], [2, 3]], [[0, 2], [1, 3]]]);
    expect(cl.stack([cl.tensor([1, 2]), cl.tensor([3, 4])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(cl.stack([cl.tensor([1, 2]), cl.tensor([3, 4])], -1).shape).toEqual([2, 2]);
  });

  test("gradcheck along several dims, with views and a constant input", () => {
    const k = cl.ones(2, 3);
    cl.gradcheck((a, b) => cl.cat([a, b.T, k], 0), [leaf([1, 3]), leaf([3, 2])]);
    cl.gradcheck((a, b) => cl.cat([a, b.expand(2, 2)], 1), [leaf([2, 3]), leaf([1, 2])]);
    cl.gradcheck((a, b) => cl.stack([a, b.index(null, [null, null, 2])], 1), [leaf([2, 3]), leaf([2, 5])]);
    cl.gradcheck((a) => cl.stack([a, a.mul(2)], -1), [leaf([3])]);
  });
});

describe("triu and tril", () => {
  const x = grid(3, 4).add(1);
  test.each([
    [0, [[1, 2, 3, 4], [0, 6, 7, 8], [0, 0, 11, 12]], [[1, 0, 0, 0], [5, 6, 0, 0], [9, 10, 11, 0]]],
    [1, [[0, 2, 3, 4], [0, 0, 7, 8], [0, 0, 0, 12]], [[1, 2, 0, 0], [5, 6, 7, 0], [9, 10, 11, 12]]],
    [-1, [[1, 2, 3, 4], [5, 6, 7, 8], [0, 10, 11, 12]], [[0, 0, 0, 0], [5, 0, 0, 0], [9, 10, 0, 0]]],
  ])("k = %i", (k, upper, lower) => {
    expect(cl.triu(x, k).toArray()).toEqual(upper);
    expect(cl.tril(x, k).toArray()).toEqual(lower);
  });

  test("batched, int32 kept, and gradcheck", () => {
    const b = cl.stack([x, x.mul(-1)]);
    expect(cl.tril(b).toArray()[1]).toEqual([[-1, 0, 0, 0], [-5, -6, 0, 0], [-9, -10, -11, 0]]);
    expect(cl.triu(cl.arange(4).reshape(2, 2)).dtype).toBe("int32");
    cl.gradcheck((a) => cl.triu(a, 1), [leaf([2, 3, 3])]);
    gradcheckLayouts((a) => cl.tril(a), [3, 4]);
  });
});

describe("gather and indexSelect", () => {
  test("gather picks along a dim", () => {
    const x = grid(2, 3);
    const idx = cl.tensor([[2, 0], [1, 1]], { dtype: "int32" });
    expect(x.gather(1, idx).toArray()).toEqual([[2, 0], [4, 4]]);
    expect(x.gather(0, cl.tensor([[1, 0, 1]], { dtype: "int32" })).toArray()).toEqual([[3, 1, 5]]);
    expect(x.T.gather(1, cl.tensor([[1], [0], [1]], { dtype: "int32" })).toArray()).toEqual([[3], [1], [5]]);
  });

  test("gather's backward adds where an element is picked twice", () => {
    const x = leaf([2, 3]);
    x.gather(1, cl.tensor([[2, 2, 0], [1, 1, 1]], { dtype: "int32" })).sum().backward();
    expectClose(x.grad!, { shape: [2, 3], data: [1, 0, 2, 0, 3, 0] });
    const idx = cl.tensor([[0, 2], [1, 1], [2, 0]], { dtype: "int32" });
    cl.gradcheck((a) => a.gather(1, idx), [leaf([3, 4])]);
    cl.gradcheck((a) => a.T.gather(0, cl.tensor([[1, 0, 1]], { dtype: "int32" })), [leaf([3, 2])]);
  });

  test("indexSelect picks rows or columns, repeats allowed", () => {
    const x = grid(3, 2);
    expect(x.indexSelect(0, [2, 0, 2]).toArray()).toEqual([[4, 5], [0, 1], [4, 5]]);
    expect(x.indexSelect(1, cl.tensor([1], { dtype: "int32" })).toArray()).toEqual([[1], [3], [5]]);
    const w = leaf([3, 2]);
    w.indexSelect(0, [2, 0, 2]).sum().backward();
    expectClose(w.grad!, { shape: [3, 2], data: [1, 1, 0, 0, 2, 2] });
    cl.gradcheck((a) => a.indexSelect(1, [3, 0, 3]), [leaf([2, 4])]);
    gradcheckLayouts((a) => a.indexSelect(0, [1, 1, 0]), [3, 4]);
  });
});
