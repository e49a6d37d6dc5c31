// toString prints like PyTorch's defaults (precision 4, 80 columns, summarised past 1,000
// elements with 3 edge items), with shape, dtype and requiresGrad or gradFn after the values.
import { describe, expect, test } from "vitest";
import { cl } from "./reference";

describe("toString", () => {
  test("whole-number floats print as '1.'", () => {
    expect(String(cl.tensor([1, 2, 3]))).toBe("tensor([1., 2., 3.], shape=[3], dtype=float32)");
    expect(String(cl.tensor(91))).toBe("tensor(91., shape=[], dtype=float32)");
  });

  test("fixed point with 4 decimals, aligned in columns", () => {
    expect(String(cl.tensor([[1.5, -2.25], [3, 4]]))).toBe(
      "tensor([[ 1.5000, -2.2500],\n" +
      "        [ 3.0000,  4.0000]], shape=[2, 2], dtype=float32)",
    );
    expect(String(cl.tensor(3.5))).toBe("tensor(3.5000, shape=[], dtype=float32)");
  });

  test("scientific notation when the range is wide or the values tiny", () => {
    expect(String(cl.tensor([1e-5, 1]))).toBe("tensor([1.0000e-05, 1.0000e+00], shape=[2], dtype=float32)");
    expect(String(cl.tensor([1, 2000]))).toBe("tensor([1.0000e+00, 2.0000e+03], shape=[2], dtype=float32)");
  });

  test("nan and inf", () => {
    expect(String(cl.tensor([0, 1, NaN, Infinity, -Infinity]))).toBe("tensor([0., 1., nan, inf, -inf], shape=[5], dtype=float32)");
  });

  test("int32 prints plain integers", () => {
    expect(String(cl.arange(5))).toBe("tensor([0, 1, 2, 3, 4], shape=[5], dtype=int32)");
    expect(String(cl.tensor([[-1, 10]], { dtype: "int32" }))).toBe("tensor([[-1, 10]], shape=[1, 2], dtype=int32)");
  });

  test("3-D tensors separate blocks with a blank line", () => {
    expect(String(cl.arange(8).reshape(2, 2, 2))).toBe(
      "tensor([[[0, 1],\n" +
      "         [2, 3]],\n" +
      "\n" +
      "        [[4, 5],\n" +
      "         [6, 7]]], shape=[2, 2, 2], dtype=int32)",
    );
  });

  test("long rows wrap at 80 columns", () => {
    expect(String(cl.arange(20).float())).toBe(
      "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n" +
      "        14., 15., 16., 17., 18., 19.], shape=[20], dtype=float32)",
    );
  });

  test("past 1,000 elements only 3 edge items per dim are shown", () => {
    expect(String(cl.arange(1001).float())).toBe(
      "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.], shape=[1001],\n" +
      "       dtype=float32)",
    );
    expect(String(cl.arange(1200).reshape(40, 30))).toBe(
      "tensor([[   0,    1,    2,  ...,   27,   28,   29],\n" +
      "        [  30,   31,   32,  ...,   57,   58,   59],\n" +
      "        [  60,   61,   62,  ...,   87,   88,   89],\n" +
      "        ...,\n" +
      "        [1110, 1111, 1112,  ..., 1137, 1138, 1139],\n" +
      "        [1140, 1141, 1142,  ..., 1167, 1168, 1169],\n" +
      "        [1170, 1171, 1172,  ..., 1197, 1198, 1199]], shape=[40, 30],\n" +
      "       dtype=int32)",
    );
    // exactly 1,000 elements are all shown
    expect(String(cl.zeros(1000))).not.toContain("...");
  });

  test("the format is chosen from the values shown, and views print their own values", () => {
    // 1e-9 is hidden in the middle: the shown values are whole numbers
    const x = cl.zeros(2000);
    x.storage[1000] = 1e-9;
    x.storage[0] = 1;
    expect(String(x)).toBe("tensor([1., 0., 0.,  ..., 0., 0., 0.], shape=[2000], dtype=float32)");
    expect(String(cl.arange(6).reshape(2, 3).T)).toBe("tensor([[0, 3],\n        [1, 4],\n        [2, 5]], shape=[3, 2], dtype=int32)");
  });

  test("requiresGrad and gradFn", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true });
    expect(String(x)).toBe("tensor([1., 2.], shape=[2], dtype=float32, requiresGrad=true)");
    expect(String(x.mul(2))).toBe("tensor([2., 4.], shape=[2], dtype=float32, gradFn=<mul>)");
    expect(String(x.sum())).toBe("tensor(3., shape=[], dtype=float32, gradFn=<sum>)");
    expect(String(cl.noGrad(() => x.mul(2)))).toBe("tensor([2., 4.], shape=[2], dtype=float32)");
  });

  test("empty tensors", () => {
    expect(String(cl.zeros(0))).toBe("tensor([], shape=[0], dtype=float32)");
    expect(String(cl.zeros([3, 0, 2], { dtype: "int32" }))).toBe("tensor([], shape=[3, 0, 2], dtype=int32)");
  });

  test("an empty tensor with huge dims prints at once, without walking its rows", () => {
    const start = performance.now();
    expect(String(cl.zeros([1e9, 0]))).toBe("tensor([], shape=[1000000000, 0], dtype=float32)");
    expect(String(cl.zeros([0, 1e9, 1e9]))).toBe("tensor([], shape=[0, 1000000000, 1000000000], dtype=float32)");
    expect(performance.now() - start).toBeLessThan(500);
  });

  test("a summary of many dims prints a bounded number of values", () => {
    // 8 dims of 7: 5.7M elements; 3 edge items on every dim would print 6^8 = 1.7M of them
    const x = cl.zeros(Array(8).fill(7));
    x.storage[0] = 0.5;
    const start = performance.now();
    const s = String(x);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(s.startsWith("tensor([[[[[[[[0.5000, 0.0000, 0.0000,  ..., 0.0000")).toBe(true);
    expect(s.match(/0\.\d{4}/g)!.length).toBeLessThanOrEqual(10_000);
    expect(s.endsWith("shape=[7, 7, 7, 7, 7, 7, 7, 7], dtype=float32)")).toBe(true);
  });

  test("more dims than the library supports are refused at creation, reshape and view ops", () => {
    expect(() => cl.zeros(Array(9).fill(1))).toThrow(/zeros\(\): shape \[1, 1, 1, 1, 1, 1, 1, 1, 1\] has 9 dimensions; chainlab supports at most 8/);
    expect(() => cl.ones(Array(10_000).fill(1))).toThrow(/ones\(\): shape \[1, 1, 1, 1, 1, 1, \.\.\. 9994 more\] has 10000 dimensions/);
    expect(() => cl.tensor([1]).reshape(Array(9).fill(1))).toThrow(/reshape\(\): .* has 9 dimensions/);
    let x = cl.tensor([1]);
    for (let i = 0; i < 7; i++) x = x.unsqueeze(0);
    expect(x.ndim).toBe(8);
    expect(() => x.unsqueeze(0)).toThrow(/9 dimensions; chainlab supports at most 8/);
  });

  test("a safetensors file whose shape has more dims than the library supports is refused on load", () => {
    const header = JSON.stringify({ x: { dtype: "F32", shape: Array(10_000).fill(1), data_offsets: [0, 4] } });
    const head = Buffer.from(header);
    const bytes = new Uint8Array(8 + head.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(head.length), true);
    bytes.set(head, 8);
    expect(() => cl.io.parseSafetensors(bytes, "deep.safetensors")).toThrow(
      /deep\.safetensors: tensor "x" has 10000 dimensions; chainlab supports at most 8/,
    );
  });
});
