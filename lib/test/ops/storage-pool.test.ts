// The storage pool hands arrays out again; these check that it never hands out one that a
// tensor, a .grad, a hook or a user's op can still reach, and that it does reuse.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { beforeEach, expect, test } from "vitest";
import { cl } from "./reference";
import type { Tensor } from "../../src";

beforeEach(() => cl.manualSeed(3));

/** A small net big enough for pooled arrays (2,048 floats and more), run forward and back. */
function net() {
  const w1 = cl.randn(64, 32).mul(0.2).requiresGrad_();
  const w2 = cl.randn(32, 64).mul(0.2).requiresGrad_();
  const x = cl.randn(64, 64);
  const forward = () => {
    const h = x.matmul(w1).tanh();
    const z = h.matmul(w2).add(x);
    return { h, z, loss: z.square().mean() };
  };
  return { w1, w2, x, forward };
}

const snap = (t: Tensor) => Array.from(t.data);

function collector(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

test("arrays come back once their tensors are collected, never while a view of them lives", async () => {
  const gc = collector();
  cl.emptyCache(); // the pool holds only this test's arrays, so that they are soon handed out again
  const { forward, w1, w2 } = net();
  // only detached views are held: the tensors that made the arrays, and the graph, become garbage
  const views = (() => {
    const { h, z, loss } = forward();
    loss.backward();
    return [h.T.detach(), z.narrow(0, 3, 5).detach(), h.reshape(-1).detach()];
  })();
  const values = views.map(snap);
  const before = cl.storageStats().collected;
  for (let i = 0; i < 6; i++) {
    w1.grad = w2.grad = null;
    cl.noGrad(() => w1.copy_(w1.mul(0.9))); // so that a reused array would get other values
    forward().loss.backward();
    gc();
    await new Promise((r) => setTimeout(r, 5)); // finalizers run between tasks
  }
  views.forEach((t, i) => expect(snap(t)).toEqual(values[i]));
  expect(cl.storageStats().collected).toBeGreaterThan(before);
});

test("the pool reuses what backward consumed", () => {
  const { forward, w1, w2 } = net();
  const before = cl.storageStats();
  for (let i = 0; i < 4; i++) {
    w1.grad = w2.grad = null;
    forward().loss.backward();
  }
  expect(cl.storageStats().reuses).toBeGreaterThan(before.reuses);
});

test("gradients kept as .grad never change under later steps", () => {
  const { forward, w1, w2 } = net();
  forward().loss.backward();
  const g1 = w1.grad!, g2 = w2.grad!;
  const [s1, s2] = [snap(g1), snap(g2)];
  for (let i = 0; i < 3; i++) {
    w1.grad = w2.grad = null;
    forward().loss.backward();
  }
  expect(snap(g1)).toEqual(s1);
  expect(snap(g2)).toEqual(s2);
});

test("two .grads never share an array, even where one gradient reached both", () => {
  // add sends the same gradient to both inputs: at most one of them may keep its array
  const a = cl.randn(64, 64).requiresGrad_(), b = cl.randn(64, 64).requiresGrad_();
  a.add(b).mul(3).sum().backward();
  expect(a.grad!.storage).not.toBe(b.grad!.storage);
  const bValue = snap(b.grad!);
  a.grad!.fill_(0); // as an optimiser's in-place write would
  expect(snap(b.grad!)).toEqual(bValue);
});

test("activations and retained gradients a user holds never change", () => {
  const { forward, w1, w2 } = net();
  const { h, z, loss } = forward();
  z.retainGrad();
  h.retainGrad();
  loss.backward();
  const held = [h, z, h.grad!, z.grad!];
  const values = held.map(snap);
  for (let i = 0; i < 3; i++) {
    w1.grad = w2.grad = null;
    forward().loss.backward();
  }
  held.forEach((t, i) => expect(snap(t)).toEqual(values[i]));
});

test("a gradient a hook kept never changes", () => {
  const { forward, w1, w2 } = net();
  const kept: Tensor[] = [];
  const first = forward();
  first.h.registerHook((g) => { kept.push(g); });
  first.loss.backward();
  const value = snap(kept[0]);
  for (let i = 0; i < 3; i++) {
    w1.grad = w2.grad = null;
    forward().loss.backward();
  }
  expect(snap(kept[0])).toEqual(value);
});

test("gradients a user's op saw or returned never change", () => {
  const seen: Tensor[] = [];
  const twice = cl.defineOp({
    name: "twice",
    forward: (_ctx, x: Tensor) => x.mul(2),
    backward: (_ctx, g) => {
      const gx = g.mul(2);
      seen.push(g, gx);
      return [gx];
    },
  });
  const { x, w1, w2 } = net();
  const run = () => twice(x.matmul(w1).tanh()).matmul(w2).square().mean().backward();
  run();
  const values = seen.map(snap);
  for (let i = 0; i < 3; i++) {
    w1.grad = w2.grad = null;
    run();
  }
  seen.slice(0, 2).forEach((t, i) => expect(snap(t)).toEqual(values[i]));
});

test("a graph kept with retainGraph still gives the same gradients the second time", () => {
  const { forward, w1 } = net();
  const { loss } = forward();
  loss.backward(undefined, { retainGraph: true });
  const g = snap(w1.grad!);
  w1.grad = null;
  forward().loss.backward(); // other work in between takes arrays from the pool
  w1.grad = null;
  loss.backward();
  expect(snap(w1.grad!)).toEqual(g);
});

test("training a GPT gives the same losses as without reuse would: two identical runs agree", () => {
  const run = () => {
    cl.manualSeed(0);
    const model = new cl.nn.GPT({ vocabSize: 17, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 32, dropout: 0, bias: true });
    const opt = new cl.optim.AdamW(model.parameters(), { lr: 1e-2 });
    const idx = cl.randint(0, 17, [4, 8]), tgt = cl.randint(0, 17, [4, 8]);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { loss } = model.forward(idx, tgt);
      opt.zeroGrad();
      loss!.backward();
      opt.step();
      losses.push(loss!.item());
    }
    return losses;
  };
  const a = run();
  cl.emptyCache();
  const b = run();
  expect(b).toEqual(a);
  expect(a[4]).toBeLessThan(a[0]);
});


test("a tensor made before the native backend loaded keeps its array when views of it die", async () => {
  // in a fresh process, where the first tensors come before the backend loads (a model built
  // first thing); the built library runs there, so this needs `npm run build` and the addon
  const { spawnSync } = await import("node:child_process");
  const { existsSync } = await import("node:fs");
  const path = await import("node:path");
  const dist = path.resolve(__dirname, "..", "..", "dist", "index.js");
  if (!existsSync(dist)) return;
  const script = `
    const cl = require(${JSON.stringify(dist)});
    const w = cl.ones(64, 64);                // before any kernel: the backend is not loaded yet
    if (cl.backend() !== "blas") { console.log("no native backend"); process.exit(0); }
    (() => { for (let i = 0; i < 20; i++) w.transpose(0, 1).contiguous(); })();
    gc();
    const taken = Array.from({ length: 20 }, () => cl.zeros(64, 64));
    const kept = w.data.every((v) => v === 1) && taken.every((t) => t.storage !== w.storage);
    console.log(kept ? "kept" : "handed out again");`;
  const r = spawnSync(process.execPath, ["--expose-gc", "-e", script], { encoding: "utf8", env: { ...process.env, CHAINLAB_BACKEND: "" } });
  expect(r.stderr).toBe("");
  expect(r.stdout.trim()).toMatch(/^(kept|no native backend)$/);
});
