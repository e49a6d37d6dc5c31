import { describe, expect, test } from "vitest";
import { cl, leaf } from "./reference";
import { F, type Tensor } from "../../src";

/** x -> x^3, with the backward scaled by `factor` (1 is right). */
function cube(factor: number) {
  return (x: Tensor): Tensor => {
    const out = cl.noGrad(() => x.mul(x).mul(x));
    out.requiresGrad = true;
    out.gradFn = new cl.Node("cube", [x], (g) => [g.mul(x.square()).mul(3 * factor)]);
    return out;
  };
}

describe("gradcheck's defaults", () => {
  test("reject a gradient 1% off and accept the right one, reporting the relative error", () => {
    cl.manualSeed(3);
    const x = leaf([3, 4], { low: 0.5, high: 2 });
    const right = cl.gradcheck(cube(1), [x]);
    expect(right.ok).toBe(true);
    expect(right.maxRelError).toBeLessThan(1e-4);
    const off = cl.gradcheck(cube(1.01), [x], { raise: false });
    expect(off.ok).toBe(false);
    expect(off.maxRelError).toBeGreaterThan(0.009);
    expect(off.maxRelError).toBeLessThan(0.011);
    expect(off.worst!.relError).toBe(off.maxRelError);
    expect(() => cl.gradcheck(cube(1.01), [x])).toThrow(/relative error 0\.0099\d* \(rtol 0\.001, atol 0\.0001\)/);
    // also on small gradients, down to the absolute floor atol / rtol = 0.1
    const small = leaf([5], { low: 0.2, high: 0.3 });
    expect(cl.gradcheck(cube(1.01), [small], { raise: false }).ok).toBe(false);
  });

  test("leave the inputs' .grad and the random stream as they were", () => {
    const x = leaf([2, 3]);
    const g = cl.onesLike(x);
    x.grad = g;
    cl.manualSeed(11);
    const expected = cl.rand([4]).data;
    cl.manualSeed(11);
    cl.gradcheck((t) => F.dropout(t, 0.5, true).sin(), [x]);
    expect(x.grad).toBe(g);
    expect(Array.from(g.data)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(cl.rand([4]).data)).toEqual(Array.from(expected));
  });

  test("re-seed before every evaluation, so an op with dropout can be checked", () => {
    const x = leaf([4, 5]);
    expect(cl.gradcheck((t) => F.dropout(t.tanh(), 0.3, true), [x]).ok).toBe(true);
    expect(cl.gradcheck((t) => F.dropout(t, 0.3, true).mul(t), [x], { seed: 9 }).ok).toBe(true);
  });
});
