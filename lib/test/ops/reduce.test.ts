import { beforeEach, describe, expect, test } from "vitest";
import { arr, cl, distinct, expectClose, gradcheckLayouts, leaf, refReduce } from "./reference";

beforeEach(() => cl.manualSeed(11));

const sum = (vs: number[]) => vs.reduce((a, b) => a + b, 0);
const mean = (vs: number[]) => sum(vs) / vs.length;
const variance = (vs: number[], correction = 1) => sum(vs.map((v) => (v - mean(vs)) ** 2)) / (vs.length - correction);

const reductions = [
  ["sum", sum, (x: any, d?: any, k?: boolean) => x.sum(d, k)],
  ["mean", mean, (x: any, d?: any, k?: boolean) => x.mean(d, k)],
  ["amax", (vs: number[]) => Math.max(...vs), (x: any, d?: any, k?: boolean) => x.amax(d, k)],
  ["amin", (vs: number[]) => Math.min(...vs), (x: any, d?: any, k?: boolean) => x.amin(d, k)],
  ["var", (vs: number[]) => variance(vs), (x: any, d?: any, k?: boolean) => x.var(d, k)],
  ["std", (vs: number[]) => Math.sqrt(variance(vs)), (x: any, d?: any, k?: boolean) => x.std(d, k)],
] as const;

const dimCases: [number | number[] | undefined, boolean][] = [
  [undefined, false], [0, false], [1, true], [-1, false], [[0, 2], false], [[2, 0], true], [[0, 1, 2], false],
];

describe.each(reductions)("%s", (name, ref, op) => {
  const isExtreme = name === "amax" || name === "amin";
  const input = () => (isExtreme ? distinct([2, 3, 4]) : leaf([2, 3, 4]));

  test.each(dimCases)("forward over dim %j (keepdim %s)", (dim, keepdim) => {
    const x = input();
    const dims = dim === undefined ? undefined : Array.isArray(dim) ? dim : [dim];
    expectClose(op(x, dim, keepdim), refReduce(arr(x), ref, dims, keepdim), 1e-5, 1e-5);
  });

  test("forward on a transposed view", () => {
    const x = input();
    const v = x.permute(2, 0, 1);
    expectClose(op(v, 1), refReduce(arr(v.contiguous()), ref, [1]), 1e-5, 1e-5);
  });

  test("gradcheck over several dims and layouts", () => {
    cl.gradcheck((x) => op(x), [input()]);
    cl.gradcheck((x) => op(x, 1), [input()]);
    cl.gradcheck((x) => op(x, [0, 2], true), [input()]);
    cl.gradcheck((x) => op(x.transpose(0, 2), -1), [input()]);
    // (an expanded input is constant along dim 0: std's gradient there is 0/0, as in PyTorch)
    if (!isExtreme && name !== "std") gradcheckLayouts((x) => op(x, 0), [3, 4]);
    else cl.gradcheck((x) => op(x.index([null, null, 2]), 0), [distinct([5, 3])]);
  });
});

describe("reduction details", () => {
  test("amax and amin split the gradient evenly among ties", () => {
    const x = cl.tensor([[1, 3, 3], [2, 0, 2]], { requiresGrad: true });
    x.amax(1).sum().backward();
    expectClose(x.grad!, { shape: [2, 3], data: [0, 0.5, 0.5, 0.5, 0, 0.5] });
    x.grad = null;
    x.amin().backward();
    expectClose(x.grad!, { shape: [2, 3], data: [0, 0, 0, 0, 1, 0] });
  });

  test("argmax and argmin give int32 indices, the first among ties", () => {
    const x = cl.tensor([[1, 5, 5], [7, 0, 7]]);
    const am = x.argmax(1);
    expect(am.dtype).toBe("int32");
    expect(am.toArray()).toEqual([1, 0]);
    expect(x.argmax().item()).toBe(3);
    expect(x.argmax().shape).toEqual([]);
    expect(x.argmin(1, true).toArray()).toEqual([[0], [1]]);
    expect(x.argmax(0).toArray()).toEqual([1, 0, 1]);
    expect(x.transpose(0, 1).argmax(1).toArray()).toEqual([1, 0, 1]);
  });

  test("var and std take a correction (0 gives the population variance)", () => {
    const x = cl.tensor([1, 2, 3, 4]);
    expectClose(x.var(), 5 / 3);
    expectClose(x.var(0, false, 0), 1.25);
    expectClose(x.std(), Math.sqrt(5 / 3));
    expectClose(x.std(undefined, false, 0), Math.sqrt(1.25));
  });

  test("sum of int32 stays int32; mean of int32 asks for a float", () => {
    const x = cl.arange(6).reshape(2, 3);
    expect(x.sum().dtype).toBe("int32");
    expect(x.sum(0).toArray()).toEqual([3, 5, 7]);
    expect(() => x.mean()).toThrow(/mean\(\): needs a float32 tensor, but got int32 of shape \[2, 3\]/);
  });

  test("an empty sum is 0, an empty mean NaN, an empty max an error", () => {
    const e = cl.zeros(0, 3);
    expectClose(e.sum(0), [0, 0, 0]);
    expectClose(e.sum(), 0);
    expectClose(e.mean(0), [NaN, NaN, NaN]);
    expect(() => e.amax(0)).toThrow(/amax\(\): cannot reduce an empty tensor of shape \[0, 3\]/);
    expect(cl.zeros(2, 0).sum(1).shape).toEqual([2]);
  });

  test("reducing a 0-d tensor gives a new tensor, not a cycle", () => {
    const x = cl.tensor(3, { requiresGrad: true });
    const s = x.sum(undefined, true);
    expect(s).not.toBe(x);
    expect(x.gradFn).toBeNull();
    s.mul(2).backward();
    expectClose(x.grad!, 2);
    expectClose(x.sum(0), 3);
    expectClose(x.softmax(-1), 1);
    expect(x.argmax().item()).toBe(0);
  });
});
