// Training must not leak: every step's graph has to become garbage once the loss is dropped.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, test } from "vitest";
import { cl } from "./reference";
import type { Tensor } from "../../src";

function collector(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

test("10,000 forward/backward steps of a small MLP do not grow the heap", () => {
  cl.manualSeed(0);
  const gc = collector();
  // y = sin(x0) + x1 x2 on 8 inputs, learnt by an 8 -> 16 -> 1 MLP
  const X = cl.randn(32, 8);
  const cols = X.T.contiguous().toArray() as number[][];
  const Y = cl.tensor(cols[0].map((v, i) => [Math.sin(v) + cols[1][i] * cols[2][i]]));
  const params = [
    cl.randn(8, 16).mul(0.35).requiresGrad_(), cl.zeros([16], { requiresGrad: true }),
    cl.randn(16, 1).mul(0.25).requiresGrad_(), cl.zeros([1], { requiresGrad: true }),
  ];
  const [w1, b1, w2, b2] = params;
  const step = (): number => {
    const loss = X.matmul(w1).add(b1).relu().matmul(w2).add(b2).sub(Y).square().mean();
    loss.backward();
    cl.noGrad(() => {
      for (const p of params) {
        p.copy_(p.sub(p.grad!.mul(0.05)));
        p.grad = null;
      }
    });
    return loss.item();
  };
  const first = step();
  for (let i = 0; i < 500; i++) step();
  gc();
  const before = process.memoryUsage().heapUsed;
  let last = 0;
  for (let i = 0; i < 10_000; i++) last = step();
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  // a step allocates ~30 tensors and nodes: a leaked graph would be well over 50 MB here
  expect(grown).toBeLessThan(20 * 2 ** 20);
  // and the loop really trained
  expect(last).toBeLessThan(first * 0.5);
  void (params as Tensor[]);
}, 30_000);
