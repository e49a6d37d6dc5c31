import { beforeEach, describe, expect, test } from "vitest";
import { cl, expectClose, leaf } from "./reference";
import type { Tensor } from "../../src";

beforeEach(() => cl.manualSeed(1));

const points = [-1.5, -0.3, 0, 0.8, 2];

describe("the chain rule, by hand", () => {
  test.each(points)("d/dx (2x + 1)^2 = 8x + 4 at x = %f", (p) => {
    const x = cl.tensor(p, { requiresGrad: true });
    x.mul(2).add(1).pow(2).backward();
    expect(x.grad!.item()).toBeCloseTo(8 * p + 4, 5);
  });

  test.each(points)("d/dx sin(x^2) = 2x cos(x^2) at x = %f", (p) => {
    const x = cl.tensor(p, { requiresGrad: true });
    x.mul(x).sin().backward();
    expect(x.grad!.item()).toBeCloseTo(2 * p * Math.cos(p * p), 5);
  });

  test.each(points)("d/dx e^(2x) = 2 e^(2x) at x = %f", (p) => {
    const x = cl.tensor(p, { requiresGrad: true });
    x.mul(2).exp().backward();
    expect(x.grad!.item()).toBeCloseTo(2 * Math.exp(2 * p), 4);
  });
});

describe("gradcheck", () => {
  /** x^2 with a deliberately wrong backward (it forgets the factor 2), built from the engine's Node. */
  function wrongSquare(x: Tensor): Tensor {
    const out = cl.tensor(Array.from(x.data, (v) => v * v)).reshape([...x.shape]);
    out.requiresGrad = true;
    out.gradFn = new cl.Node("wrongSquare", [x], (g) => [g.mul(x)]);
    return out;
  }
  /** The same op with the right backward: the check passes, so the failure above is the backward's. */
  function rightSquare(x: Tensor): Tensor {
    const out = cl.tensor(Array.from(x.data, (v) => v * v)).reshape([...x.shape]);
    out.requiresGrad = true;
    out.gradFn = new cl.Node("rightSquare", [x], (g) => [g.mul(x).mul(2)]);
    return out;
  }

  test("throws on a wrong backward, naming the input, index and both values", () => {
    const x = leaf([2, 3]);
    expect(() => cl.gradcheck(rightSquare, [x])).not.toThrow();
    expect(() => cl.gradcheck(wrongSquare, [x])).toThrow(
      /gradcheck\(\): gradients differ at input 0 \(shape \[2, 3\]\) index \[\d, \d\]: analytic -?[\d.e-]+, numeric -?[\d.e-]+/,
    );
    const report = cl.gradcheck(wrongSquare, [x], { raise: false });
    expect(report.ok).toBe(false);
    expect(Math.abs(report.worst!.numeric - 2 * report.worst!.analytic)).toBeLessThan(0.05);
  });

  test("catches a wrong function composed of correct ops (sin's derivative taken as sin)", () => {
    const wrongSin = (x: Tensor) => {
      const out = x.sin().detach();
      out.requiresGrad = true;
      out.gradFn = new cl.Node("wrongSin", [x], (g) => [g.mul(x.sin())]);
      return out;
    };
    expect(() => cl.gradcheck(wrongSin, [leaf([4])])).toThrow(/gradients differ at input 0/);
    expect(cl.gradcheck((x) => x.sin(), [leaf([4])]).ok).toBe(true);
  });

  test("a backward that returns the wrong shape is reported by the engine", () => {
    const x = leaf([2, 3]);
    const bad = (t: Tensor) => {
      const out = t.sum().detach();
      out.requiresGrad = true;
      out.gradFn = new cl.Node("badShape", [t], (g) => [g.expand(3, 2)]);
      return out;
    };
    expect(() => cl.gradcheck(bad, [x])).toThrow(
      /backward\(\): 'badShape' returned a gradient of shape \[3, 2\] for its input 0 of shape \[2, 3\]/,
    );
  });

  test("checks only inputs that require grad, and needs one", () => {
    const a = leaf([3]), b = cl.tensor([1, 2, 3]);
    expect(cl.gradcheck((x, y) => x.mul(y), [a, b]).ok).toBe(true);
    expect(() => cl.gradcheck((x) => x.mul(2), [b])).toThrow(/gradcheck\(\): no input requires grad/);
  });
});

describe("engine semantics", () => {
  test("a tensor used by several ops, and twice by one op, gets the sum", () => {
    const x = cl.tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    expectClose(x.grad!, [2, 4, 6]);
    x.grad = null;
    // y = x*x + 3x + sin(x): dy/dx = 2x + 3 + cos(x)
    x.mul(x).add(x.mul(3)).add(x.sin()).sum().backward();
    expectClose(x.grad!, [1, 2, 3].map((v) => 2 * v + 3 + Math.cos(v)));
    // a diamond: a = 2x; b = a + a*a, db/dx = 2 + 8x
    const y = cl.tensor(1.5, { requiresGrad: true });
    const a = y.mul(2);
    a.add(a.mul(a)).backward();
    expect(y.grad!.item()).toBeCloseTo(2 + 8 * 1.5, 5);
  });

  test("gradients accumulate across backward() calls until zeroed", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true });
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    expectClose(x.grad!, [6, 6]);
    x.grad = null;
    x.mul(x).sum().backward();
    expectClose(x.grad!, [2, 4]);
  });

  test("the leaves' .grad tensors do not share storage with each other or the caller", () => {
    const a = cl.tensor([1, 2], { requiresGrad: true }), b = cl.tensor([3, 4], { requiresGrad: true });
    const g = cl.tensor([1, 1]);
    a.add(b).backward(g);
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
    expect(a.grad!.storage).not.toBe(g.storage);
    a.grad!.fill_(0);
    expectClose(b.grad!, [1, 1]);
    expectClose(g, [1, 1]);
  });

  test("backward(grad) on a non-scalar output is the vector-Jacobian product", () => {
    const x = cl.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const y = x.mul(x);
    y.backward(cl.tensor([[1, 0], [0.5, 2]]));
    expectClose(x.grad!, { shape: [2, 2], data: [2, 0, 3, 16] });
    x.grad = null;
    x.sum(1).backward([1, -1]);
    expectClose(x.grad!, { shape: [2, 2], data: [1, 1, -1, -1] });
  });

  test("noGrad records nothing", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true });
    const y = cl.noGrad(() => x.mul(2).exp());
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(cl.noGrad(() => 42)).toBe(42);
    // and it restores recording afterwards, even after a throw
    expect(() => cl.noGrad(() => { throw new Error("inside"); })).toThrow("inside");
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  test("detach shares storage and cuts the graph", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    const d = y.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    expect(d.storage).toBe(y.storage);
    // the gradient flows through y but not through the detached copy
    y.add(d.mul(x)).sum().backward();
    expectClose(x.grad!, [3 + 3, 3 + 6]);
  });

  test("only leaves keep .grad; requiresGrad_ is for leaves", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    h.sum().backward();
    expect(x.isLeaf).toBe(true);
    expect(h.isLeaf).toBe(false);
    expect(h.grad).toBeNull();
    expect(x.grad).not.toBeNull();
    expect(() => h.requiresGrad_(false)).toThrow(/requiresGrad_\(\): can only be changed on a leaf tensor/);
    const w = cl.zeros(2);
    expect(w.requiresGrad).toBe(false);
    w.requiresGrad_();
    expect(w.requiresGrad).toBe(true);
    // a constant operand does not make the result require grad
    expect(cl.ones(2).mul(cl.ones(2)).requiresGrad).toBe(false);
  });

  test("retainGrad keeps the gradient of an intermediate", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true });
    const h = x.mul(x).retainGrad();
    h.mul(3).sum().backward();
    expectClose(h.grad!, [3, 3]);
    expectClose(x.grad!, [6, 12]);
  });

  test("registerHook sees the gradient and can replace it", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    const seen: number[][] = [];
    h.registerHook((g) => { seen.push(Array.from(g.data)); });
    const handle = h.registerHook((g) => g.mul(10));
    h.mul(cl.tensor([1, 3])).sum().backward(undefined, { retainGraph: true });
    expect(seen).toEqual([[1, 3]]);
    expectClose(x.grad!, [20, 60]);
    handle.remove();
    x.grad = null;
    h.mul(cl.tensor([1, 3])).sum().backward();
    expectClose(x.grad!, [2, 6]);
    // on a leaf, the hook's result is what lands in .grad
    const w = cl.tensor([1], { requiresGrad: true });
    w.registerHook((g) => g.neg());
    w.mul(5).sum().backward();
    expectClose(w.grad!, [-5]);
    expect(() => cl.tensor([1]).registerHook(() => {})).toThrow(/registerHook\(\): cannot register a hook on a tensor that does not require grad/);
  });

  test("gradFn names the op and its inputs: walk the graph of a value", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true }), w = cl.tensor([3, 4], { requiresGrad: true });
    const loss = x.mul(w).relu().sum();
    expect(loss.gradFn!.name).toBe("sum");
    const names: string[] = [];
    const leaves = new Set<Tensor>();
    const walk = (t: Tensor) => {
      if (!t.gradFn) return void leaves.add(t);
      names.push(t.gradFn.name);
      t.gradFn.inputs.forEach(walk);
    };
    walk(loss);
    expect(names).toEqual(["sum", "relu", "mul"]);
    expect([...leaves]).toEqual([x, w]);
    expect(x.gradFn).toBeNull();
    expect(String(loss.gradFn)).toBe("<sum>");
  });

  test("backward through a freed graph errors; retainGraph allows a second pass", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(
      /backward\(\): the graph through 'sum' was already freed by an earlier backward\(\); pass \{retainGraph: true\}/,
    );
    const z = x.exp().sum();
    x.grad = null;
    z.backward(undefined, { retainGraph: true });
    z.backward();
    expectClose(x.grad!, [2 * Math.E, 2 * Math.exp(2)], 1e-5);
    expect(() => z.backward()).toThrow(/already freed/);
  });

  test("a gradient flows only to inputs that require it", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true }), c = cl.tensor([5, 6]);
    x.mul(c).sum().backward();
    expect(c.grad).toBeNull();
    expectClose(x.grad!, [5, 6]);
  });
});
