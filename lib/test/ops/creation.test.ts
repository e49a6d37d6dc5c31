import { describe, expect, test } from "vitest";
import { cl, expectClose } from "./reference";

const { F } = cl;

describe("creation", () => {
  test("tensor, zeros, ones, full, eye, *Like", () => {
    expect(cl.tensor([[1, 2], [3, 4]]).shape).toEqual([2, 2]);
    expect(cl.tensor(5).shape).toEqual([]);
    expect(cl.tensor([1.7, -1.7], { dtype: "int32" }).toArray()).toEqual([1, -1]);
    expect(cl.zeros(2, 3).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(cl.ones([2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(cl.full([2, 2], 7).toArray()).toEqual([[7, 7], [7, 7]]);
    expect(cl.eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    const i = cl.arange(3);
    expect(cl.zerosLike(i).dtype).toBe("int32");
    expect(cl.onesLike(cl.zeros(2, 1)).toArray()).toEqual([[1], [1]]);
    // data is a copy; toArray nests
    const t = cl.tensor([1, 2]);
    t.data[0] = 99;
    expect(t.toArray()).toEqual([1, 2]);
  });

  test("arange", () => {
    expect(cl.arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(cl.arange(2, 8, 3).toArray()).toEqual([2, 5]);
    expect(cl.arange(3, 0, -1).toArray()).toEqual([3, 2, 1]);
    const f = cl.arange(0, 1, 0.25);
    expect(f.dtype).toBe("float32");
    expect(f.toArray()).toEqual([0, 0.25, 0.5, 0.75]);
  });
});

describe("int32 tensors", () => {
  test("arange, randint and argmax produce int32", () => {
    cl.manualSeed(0);
    expect(cl.arange(5).dtype).toBe("int32");
    const r = cl.randint(2, 6, [1000]);
    expect(r.dtype).toBe("int32");
    expect(Math.min(...r.data)).toBe(2);
    expect(Math.max(...r.data)).toBe(5);
    expect(cl.randint(3, [2, 2]).shape).toEqual([2, 2]);
    expect(cl.randn(3, 4).argmax(1).dtype).toBe("int32");
  });

  test("add, sub and mul on int32 stay int32; division and floats promote", () => {
    const a = cl.tensor([[1, 2, 3]], { dtype: "int32" }), b = cl.tensor([[10], [20]], { dtype: "int32" });
    for (const [r, want] of [
      [a.add(b), [[11, 12, 13], [21, 22, 23]]],
      [a.sub(b), [[-9, -8, -7], [-19, -18, -17]]],
      [a.mul(b), [[10, 20, 30], [20, 40, 60]]],
      [a.mul(2), [[2, 4, 6]]],
      [a.add(1), [[2, 3, 4]]],
    ] as const) {
      expect(r.dtype).toBe("int32");
      expect(r.toArray()).toEqual(want);
    }
    expect(a.neg().toArray()).toEqual([[-1, -2, -3]]);
    expect(a.neg().abs().dtype).toBe("int32");
    expect(a.neg().abs().toArray()).toEqual([[1, 2, 3]]);
    expect(a.div(2).dtype).toBe("float32");
    expectClose(a.div(2), { shape: [1, 3], data: [0.5, 1, 1.5] });
    expect(a.add(0.5).dtype).toBe("float32");
    expect(a.add(cl.tensor([1])).dtype).toBe("float32");
    expect(a.float().dtype).toBe("float32");
    expect(cl.tensor([1.9, -2.9]).int().toArray()).toEqual([1, -2]);
  });

  test("float ops on int32 error clearly", () => {
    const a = cl.arange(3);
    for (const f of [() => a.exp(), () => a.log(), () => a.tanh(), () => a.sqrt(), () => a.relu(), () => a.var(), () => a.logSoftmax()]) {
      expect(f).toThrow(/\(\): needs a float32 tensor, but got int32 of shape \[3\] — convert it with \.float\(\)/);
    }
  });
});

describe("seeded randomness", () => {
  const draw = () => [
    Array.from(cl.randn(5).data),
    Array.from(cl.rand(2, 3).data),
    Array.from(cl.randint(0, 100, [6]).data),
    Array.from(F.dropout(cl.ones(16), 0.5).data),
    Array.from(cl.zeros(3).normal_().data),
  ];

  test("manualSeed(n) makes randn, rand, randint and dropout repeat exactly", () => {
    cl.manualSeed(1234);
    const first = draw();
    cl.manualSeed(1234);
    expect(draw()).toEqual(first);
    cl.manualSeed(1235);
    const other = draw();
    first.forEach((f, i) => expect(other[i]).not.toEqual(f));
  });

  test("a seed resets the cached second normal of Box-Muller too", () => {
    cl.manualSeed(9);
    const a = Array.from(cl.randn(3).data); // leaves a spare normal behind
    cl.manualSeed(9);
    expect(Array.from(cl.randn(3).data)).toEqual(a);
  });

  test("randn and rand have the right moments", () => {
    cl.manualSeed(42);
    const n = cl.randn(20000);
    expect(Math.abs(n.mean().item())).toBeLessThan(0.03);
    expect(Math.abs(n.std().item() - 1)).toBeLessThan(0.03);
    const u = cl.rand(20000);
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u.data)).toBeLessThan(1);
    expect(Math.abs(u.mean().item() - 0.5)).toBeLessThan(0.01);
  });
});

describe("tensor()'s input type", () => {
  test("nested number arrays, typed arrays and tensors are accepted; other values do not type-check", () => {
    const nested: number[][][] = [[[1, 2]], [[3, 4]]];
    expect(cl.tensor(nested).shape).toEqual([2, 1, 2]);
    expect(cl.tensor([new Float32Array([1, 2]), new Float32Array([3, 4])]).shape).toEqual([2, 2]);
    expect(cl.tensor([true, false]).toArray()).toEqual([1, 0]);
    expect(cl.tensor(cl.ones(2)).toArray()).toEqual([1, 1]);
    // @ts-expect-error a string is not a number array (the type is NestedNumbers, not unknown)
    expect(() => cl.tensor("1, 2")).toThrow(/expected a number or a nested array of numbers/);
    // @ts-expect-error nor is an array of strings
    expect(() => cl.tensor(["a"])).toThrow(/element at \[0\] is string/);
  });

  test("Tensor.from takes what tensor() takes, typed the same", () => {
    expect(cl.Tensor.from([[1, 2], [3, 4]], "int32").dtype).toBe("int32");
    expect(cl.Tensor.from(new Float32Array([1, 2])).shape).toEqual([2]);
    expect(cl.Tensor.from(3).shape).toEqual([]);
    // @ts-expect-error a string is not NestedNumbers (Tensor.from's input was once typed unknown)
    expect(() => cl.Tensor.from("1, 2")).toThrow(/expected a number or a nested array of numbers/);
    // @ts-expect-error nor is an object
    expect(() => cl.Tensor.from({ a: 1 })).toThrow(/expected a number or a nested array of numbers/);
  });
});
