import { beforeEach, describe, expect, test } from "vitest";
import { arr, cl, distinct, expectClose, gradcheckLayouts, leaf, refMap } from "./reference";
import type { Tensor } from "../../src";

beforeEach(() => cl.manualSeed(7));

const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
// erf by its Taylor series, in float64: independent of the library's rational form, and
// exact to ~1e-12 for the |x| < 4 the tests use
const erfSeries = (z: number) => {
  let term = z, sum = z;
  for (let n = 1; n < 80; n++) { term *= (-z * z) / n; sum += term / (2 * n + 1); }
  return (2 / Math.sqrt(Math.PI)) * sum;
};
const gelu = (x: number) => 0.5 * x * (1 + erfSeries(x / Math.SQRT2));

// op, its plain-JS meaning, and where its derivative jumps (inputs are kept away from there)
const binary: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number, { positive?: boolean }][] = [
  ["add", (a, b) => a.add(b), (a, b) => a + b, {}],
  ["sub", (a, b) => a.sub(b), (a, b) => a - b, {}],
  ["mul", (a, b) => a.mul(b), (a, b) => a * b, {}],
  ["div", (a, b) => a.div(b), (a, b) => a / b, { positive: true }],
  ["pow", (a, b) => a.pow(b), (a, b) => Math.pow(a, b), { positive: true }],
];

describe.each(binary)("%s", (name, op, ref, { positive }) => {
  const make = (shape: number[]) => (positive ? leaf(shape, { low: 0.5, high: 2 }) : leaf(shape));

  test("forward broadcasts like NumPy", () => {
    const a = make([2, 3, 1]), b = make([4]);
    expectClose(op(a, b), refMap(ref, arr(a), arr(b)));
    const c = make([3, 1]), d = make([1, 2]);
    expectClose(op(c, d), refMap(ref, arr(c), arr(d)));
  });

  test("forward on transposed and sliced views", () => {
    const a = make([4, 3]), b = make([3, 8]);
    const av = a.transpose(0, 1), bv = b.index(null, [0, null, 2]);
    expect(av.isContiguous()).toBe(false);
    expectClose(op(av, bv), refMap(ref, arr(av.contiguous()), arr(bv.contiguous())));
  });

  test("scalars on either side", () => {
    const a = make([2, 2]);
    expectClose(op(a, cl.tensor(1.5)), refMap((x) => ref(x, 1.5), arr(a)));
    const viaNumber = name === "pow" ? a.pow(1.5) : (a as any)[name](1.5);
    expectClose(viaNumber, refMap((x) => ref(x, 1.5), arr(a)));
  });

  test("gradcheck: broadcasting both ways", () => {
    cl.gradcheck(op, [make([2, 3, 1]), make([4])]);
    cl.gradcheck(op, [make([3]), make([2, 1, 3])]);
    cl.gradcheck(op, [make([2, 3]), make([])]);
  });

  test("gradcheck: transposed, stepped and expanded operands", () => {
    gradcheckLayouts((x, y) => op(x, y), [3, 4], [make([3, 4])], positive ? { low: 0.5, high: 2 } : {});
    gradcheckLayouts((y, x) => op(x, y), [3, 4], [make([3, 4])], positive ? { low: 0.5, high: 2 } : {});
  });
});

const unary: [string, (x: Tensor) => Tensor, (x: number) => number, { low?: number; high?: number; kinks?: number[] }][] = [
  ["neg", (x) => x.neg(), (x) => -x, {}],
  ["exp", (x) => x.exp(), Math.exp, {}],
  ["log", (x) => x.log(), Math.log, { low: 0.2, high: 3 }],
  ["sqrt", (x) => x.sqrt(), Math.sqrt, { low: 0.2, high: 3 }],
  ["sin", (x) => x.sin(), Math.sin, {}],
  ["cos", (x) => x.cos(), Math.cos, {}],
  ["tanh", (x) => x.tanh(), Math.tanh, {}],
  ["sigmoid", (x) => x.sigmoid(), (x) => 1 / (1 + Math.exp(-x)), {}],
  ["relu", (x) => x.relu(), (x) => Math.max(x, 0), { kinks: [0] }],
  ["gelu", (x) => x.gelu(), gelu, {}],
  ["gelu tanh", (x) => x.gelu({ approximate: "tanh" }), geluTanh, {}],
  ["abs", (x) => x.abs(), Math.abs, { kinks: [0] }],
  ["clamp", (x) => x.clamp(-0.5, 0.7), (x) => Math.min(Math.max(x, -0.5), 0.7), { kinks: [-0.5, 0.7] }],
  ["clamp min only", (x) => x.clamp(-0.2), (x) => Math.max(x, -0.2), { kinks: [-0.2] }],
  ["clamp max only", (x) => x.clamp(null, 0.3), (x) => Math.min(x, 0.3), { kinks: [0.3] }],
];

describe.each(unary)("%s", (_name, op, ref, range) => {
  const opts = range.low !== undefined ? { low: range.low, high: range.high } : { kinks: range.kinks };

  test("forward matches plain JS", () => {
    const x = leaf([3, 5], opts);
    expectClose(op(x), refMap(ref, arr(x)));
    const v = x.transpose(0, 1).index([null, null, 2]);
    expectClose(op(v), refMap(ref, arr(v.contiguous())));
  });

  test("gradcheck: contiguous, transposed, stepped, expanded", () => {
    cl.gradcheck(op, [leaf([2, 3], opts)]);
    gradcheckLayouts((x) => op(x), [3, 4], [], opts);
  });
});

describe("unary values at known points", () => {
  test("gelu is exact x Φ(x) by default, the tanh approximation on request (as PyTorch)", () => {
    // x * (1 + math.erf(x / sqrt(2))) / 2 in Python, which torch.nn.functional.gelu(x) matches
    const x = [1, -1, 2, 0, -3, 0.5, -5, 4];
    const exact = [0.8413447460685429, -0.15865525393145707, 1.9544997361036416, 0, -0.00404969409489031,
      0.34573123063700656, -1.4332578593401202e-6, 3.9998733150326675];
    expectClose(cl.tensor(x).gelu(), exact, 5e-6, 1e-7);
    expectClose(cl.tensor(x).gelu({ approximate: "none" }), exact, 5e-6, 1e-7);
    // torch.nn.functional.gelu(x, approximate="tanh")
    expectClose(cl.tensor([1, -1, 2, 0]).gelu({ approximate: "tanh" }), [0.8411920070648193, -0.15880802273750305, 1.954597592353821, 0], 1e-6);
    expect(() => cl.tensor([1]).gelu({ approximate: "erf" as "none" })).toThrow(/approximate must be "none" or "tanh"/);
  });

  test("gelu's gradient is Φ(x) + x φ(x), and the tanh form's its own", () => {
    const x = cl.tensor([1, -1, 2, -3, 0.5], { requiresGrad: true });
    x.gelu().sum().backward();
    // 0.5 * (1 + erf(x/√2)) + x * exp(-x²/2) / √(2π), from Python's math module
    expectClose(x.grad!, [1.0833154705876864, -0.08331547058768629, 1.085231801078197, -0.011945647204183918, 0.8674951246561629], 5e-6, 1e-7);
    const y = cl.tensor([1, -1], { requiresGrad: true });
    y.gelu({ approximate: "tanh" }).sum().backward();
    // d/dx of the tanh form at ±1 (by hand from 0.5(1+tanh u) + 0.5 x (1 - tanh²u) u')
    expectClose(y.grad!, [1.0829640838457826, -0.08296408384578252], 1e-6);
  });

  test("relu, abs and sigmoid at and around 0", () => {
    expectClose(cl.tensor([-2, 0, 3]).relu(), [0, 0, 3]);
    expectClose(cl.tensor([-2, 0, 3]).abs(), [2, 0, 3]);
    expectClose(cl.tensor([0, 100, -100]).sigmoid(), [0.5, 1, 0], 1e-6, 1e-7);
  });

  test("relu passes the gradient only where x > 0", () => {
    const x = cl.tensor([-1, 0.5, 2], { requiresGrad: true });
    x.relu().sum().backward();
    expectClose(x.grad!, [0, 1, 1]);
  });

  test("clamp passes the gradient only inside [min, max]", () => {
    const x = cl.tensor([-2, 0, 0.5, 3], { requiresGrad: true });
    x.clamp(-1, 1).mul(cl.tensor([1, 2, 3, 4])).sum().backward();
    expectClose(x.grad!, [0, 2, 3, 0]);
  });

  test("pow gradient with respect to the exponent is x^y ln x", () => {
    const x = cl.tensor([2, 3]);
    const y = cl.tensor([3, 0.5], { requiresGrad: true });
    x.pow(y).sum().backward();
    expectClose(y.grad!, [8 * Math.log(2), Math.sqrt(3) * Math.log(3)]);
  });
});

describe("maskedFill", () => {
  test("fills where the mask is set, broadcasting the mask", () => {
    const x = cl.tensor([[1, 2, 3], [4, 5, 6]]);
    const mask = cl.tensor([0, 1, 1]).eq(1);
    expectClose(x.maskedFill(mask, -1), { shape: [2, 3], data: [1, -1, -1, 4, -1, -1] });
    const causal = cl.triu(cl.ones(3, 3), 1);
    const filled = cl.zeros(3, 3).maskedFill(causal, -Infinity);
    expect(filled.toArray()).toEqual([[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]);
  });

  test("gradient is zero where filled", () => {
    const x = leaf([2, 3]);
    const mask = cl.tensor([[1, 0, 0], [0, 1, 0]]);
    x.maskedFill(mask, 5).mul(cl.tensor([[1, 2, 3], [4, 5, 6]])).sum().backward();
    expectClose(x.grad!, { shape: [2, 3], data: [0, 2, 3, 4, 0, 6] });
  });

  test("gradcheck with a broadcast mask and non-contiguous input", () => {
    const mask = cl.tensor([1, 0, 1, 0]);
    gradcheckLayouts((x) => x.maskedFill(mask, 0.5), [3, 4]);
  });
});

describe("where", () => {
  test("picks a or b by the condition, broadcasting all three", () => {
    const cond = cl.tensor([[1], [0]]);
    const a = cl.tensor([1, 2, 3]);
    const b = cl.tensor(-1);
    expectClose(cl.where(cond, a, b), { shape: [2, 3], data: [1, 2, 3, -1, -1, -1] });
    expectClose(cl.where(cl.tensor([1, 0]), 5, cl.tensor([7, 8])), [5, 8]);
  });

  test("gradcheck for both branches", () => {
    const cond = cl.tensor([[1, 0, 1], [0, 0, 1]]);
    cl.gradcheck((a, b) => cl.where(cond, a, b), [leaf([2, 3]), leaf([3])]);
    cl.gradcheck((a, b) => cl.where(cond, a.transpose(0, 1), b.expand(2, 3)), [leaf([3, 2]), leaf([1, 3])]);
  });
});

describe("maximum and minimum", () => {
  test("values and gradcheck away from ties", () => {
    const a = distinct([2, 3]), b = distinct([3], 0.3);
    expectClose(a.maximum(b), refMap(Math.max, arr(a), arr(b)));
    expectClose(a.minimum(b), refMap(Math.min, arr(a), arr(b)));
    cl.gradcheck((x, y) => x.maximum(y), [a, b]);
    cl.gradcheck((x, y) => x.minimum(y), [a, b]);
  });
});
