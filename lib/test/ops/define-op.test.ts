import { describe, expect, test } from "vitest";
import { cl, leaf } from "./reference";
import * as root from "../../src";
import type { Tensor } from "../../src";

const cube = (factor: number) =>
  cl.defineOp({
    name: "cube",
    forward(ctx, x: Tensor) {
      ctx.saveForBackward(x);
      return x.pow(3);
    },
    backward(ctx, g) {
      const [x] = ctx.savedTensors;
      return [g.mul(x.square()).mul(3 * factor)];
    },
  });

describe("defineOp", () => {
  test("is exported from the package root", () => {
    expect(typeof root.defineOp).toBe("function");
    expect(typeof root.OpContext).toBe("function");
  });

  test("a right backward passes gradcheck and a wrong one (2% off) is caught", () => {
    cl.manualSeed(5);
    const x = leaf([2, 3], { low: 0.5, high: 1.5 });
    expect(cl.gradcheck(cube(1), [x]).ok).toBe(true);
    expect(() => cl.gradcheck(cube(1.02), [x])).toThrow(/gradcheck\(\): gradients differ at input 0 .* relative error 0\.0196/);
  });

  test("records one node with the op's name, and composes with built-in ops", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true });
    const y = cube(1)(x);
    expect(y.gradFn!.name).toBe("cube");
    expect(y.gradFn!.inputs[0]).toBe(x);
    y.mul(2).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([6, 24]);
  });

  test("non-tensor arguments, fields on ctx, needsInputGrad and a single returned gradient", () => {
    const scale = cl.defineOp({
      name: "scale",
      forward(ctx, x: Tensor, k: number, w: Tensor) {
        ctx.k = k;
        expect(ctx.needsInputGrad).toEqual([true, false, false]);
        return x.mul(k).add(w);
      },
      backward(ctx, g) {
        return [g.mul(ctx.k as number), null, null];
      },
    });
    const x = cl.tensor([1, 2, 3], { requiresGrad: true });
    const out = scale(x, 4, cl.tensor([1, 1, 1]));
    expect(Array.from(out.data)).toEqual([5, 9, 13]);
    out.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([4, 4, 4]);

    const double = cl.defineOp({ name: "double", forward: (_ctx, t: Tensor) => t.mul(2), backward: (_ctx, g) => g.mul(2) });
    const z = cl.tensor([1, 2], { requiresGrad: true });
    double(z).sum().backward();
    expect(Array.from(z.grad!.data)).toEqual([2, 2]);
  });

  test("an identity forward does not turn its input into a non-leaf", () => {
    const id = cl.defineOp({ name: "id", forward: (_ctx, t: Tensor) => t, backward: (_ctx, g) => [g] });
    const x = cl.tensor([1, 2], { requiresGrad: true });
    const y = id(x);
    expect(x.isLeaf).toBe(true);
    expect(y.gradFn!.name).toBe("id");
  });

  test("an op of your own shows the derivative you declare in the graph's walk, or says its backward defines it", () => {
    const cubed = cl.defineOp({
      name: "cubed",
      forward: (_ctx, t: Tensor) => t.pow(3),
      backward: (_ctx, g) => [g],
      derivative: { forward: "y = a³", local: ["∂y/∂a = 3a²"], vjp: ["g · 3a²"] },
    });
    const x = cl.tensor([1, 2], { requiresGrad: true });
    expect(cubed(x).gradFn!.derivative).toEqual({ forward: "y = a³", local: ["∂y/∂a = 3a²"], vjp: ["g · 3a²"] });
    const shown = cl.computationGraph(cubed(x).sum())[Symbol.for("Jupyter.display")]();
    const node = shown[cl.GRAPH_MIME] as { nodes: { op: string; derivative?: { local: string[] } }[] };
    expect(node.nodes.find((n) => n.op === "cubed")!.derivative!.local).toEqual(["∂y/∂a = 3a²"]);
    const plain = cube(1)(x);
    expect(plain.gradFn!.derivative.local).toEqual(["∂y/∂a as cube's backward defines it"]);
  });

  test("errors name the op", () => {
    const bad = cl.defineOp({ name: "bad", forward: (_ctx, t: Tensor) => t.mul(1), backward: () => [null, null] });
    const x = cl.tensor([1], { requiresGrad: true });
    expect(() => bad(x).sum().backward()).toThrow(/bad: backward returned 2 gradients for 1 arguments/);
    const notTensor = cl.defineOp({ name: "nt", forward: (_ctx, _t: Tensor) => 3 as unknown as Tensor, backward: () => [] });
    expect(() => notTensor(x)).toThrow(/nt: forward must return a Tensor/);
    const x2 = cl.tensor([1, 2], { requiresGrad: true });
    const y = cube(1)(x2);
    x2.detach().fill_(0);
    expect(() => y.sum().backward()).toThrow(/saved tensor 0 of 'cube' \[2\] is at version 1, expected 0/);
  });
});
