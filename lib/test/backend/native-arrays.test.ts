// Arrays of native memory (the OpenBLAS addon's allocator): the memory of an array the
// garbage collector frees comes back for the next array of its size without the loop
// yielding, and no live array is ever handed out twice.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, test } from "vitest";
import { addonPath, loadBlas } from "../../src/backend/blas";
import { backend, manualSeed, nn, optim, randn, storageStats, zeros } from "../../src";
import { noGrad } from "../../src/core/autograd";
import type { Tensor } from "../../src";

const blas = loadBlas();

function collector(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

test.skipIf(!blas)("memory of collected arrays is handed out again in a loop that never yields", () => {
  const gc = collector();
  const addon = require(addonPath()) as {
    alloc(bytes: number, zeroed: boolean): ArrayBuffer;
    poolStats(): { made: number; reused: number; returned: number };
  };
  const bytes = 4096 * 4 + 12; // a size nothing else asks for
  const kept: Float32Array[] = [];
  const before = addon.poolStats();
  for (let i = 0; i < 200; i++) {
    const a = new Float32Array(addon.alloc(bytes, false));
    a.fill(i);
    if (i % 50 === 0) kept.push(a);
    if (i % 20 === 19) gc();
  }
  const after = addon.poolStats();
  expect(after.returned - before.returned).toBeGreaterThan(100);
  expect(after.reused - before.reused).toBeGreaterThan(100);
  expect(after.made - before.made).toBeLessThan(100);
  // the arrays still reachable were never handed out again
  kept.forEach((a, k) => expect(a.every((v) => v === k * 50)).toBe(true));
});

test.skipIf(!blas)("arrays whose tensors were collected come back without the loop yielding; kept ones never do", () => {
  const gc = collector();
  const a = randn(96, 64), b = randn(64, 80);
  const kept: Tensor[] = [];
  const snaps: number[][] = [];
  const before = storageStats();
  for (let i = 0; i < 300; i++) {
    const c = noGrad(() => a.matmul(b).mul(i));
    if (i % 50 === 0) {
      kept.push(c);
      snaps.push(Array.from(c.data));
    }
    if (i % 40 === 0) gc();
  }
  kept.forEach((t, i) => expect(Array.from(t.data)).toEqual(snaps[i]));
  const after = storageStats();
  expect(after.collected - before.collected).toBeGreaterThan(100);
  expect(after.allocations - before.allocations).toBeLessThan(200);
});

test.skipIf(!blas)("reused memory asked for zeroed is zeroed", () => {
  const gc = collector();
  for (let i = 0; i < 20; i++) noGrad(() => randn(128, 128).add(1));
  gc();
  for (let i = 0; i < 20; i++) {
    const z = zeros(128, 128);
    expect(z.abs().sum().item()).toBe(0);
  }
});

test.skipIf(!blas)("the array itself is handed out again once its tensors are collected, before any yield", () => {
  const gc = collector();
  const a = randn(70, 33);
  // the raw array outlives its tensor here only to observe the reuse (ops never do this)
  const storage = (() => noGrad(() => a.mul(2)).storage)();
  gc();
  const again = Array.from({ length: 8 }, () => noGrad(() => a.mul(3)));
  expect(again.some((t) => t.storage === storage)).toBe(true);
});

test.skipIf(!blas)("an array with many short-lived views stays its tensor's while the tensor lives", () => {
  const gc = collector();
  const w = noGrad(() => randn(64, 48).mul(1)); // an array from the pool
  const values = Array.from(w.data);
  for (let step = 0; step < 50; step++) {
    noGrad(() => w.reshape(48, 64).sum()); // a view of w's array, dropped at once
    if (step % 10 === 9) gc();
  }
  gc();
  const others = Array.from({ length: 20 }, () => noGrad(() => randn(64, 48).add(1)));
  expect(others.every((t) => t.storage !== w.storage)).toBe(true);
  expect(Array.from(w.data)).toEqual(values);
});

test.skipIf(!blas || backend() !== "blas")("a loop that never yields asks for young collections instead of new memory", () => {
  const a = randn(512, 512);
  const kept: Tensor[] = [];
  const before = storageStats();
  // 16 MB of dead tensors an iteration, 320 MB in all, with no collection asked by the test
  for (let i = 0; i < 20; i++) {
    for (let j = 0; j < 16; j++) {
      const t = noGrad(() => a.mul(i * 16 + j));
      if (j === 0 && i % 5 === 0) kept.push(t);
    }
  }
  const after = storageStats();
  expect((after.allocatedBytes - before.allocatedBytes) / 2 ** 20).toBeLessThan(100);
  expect(after.youngCollections - before.youngCollections).toBeGreaterThan(0);
  kept.forEach((t, k) => expect(t.data[7]).toBeCloseTo(a.data[7] * k * 5 * 16, 3));
});

test.skipIf(!blas || backend() !== "blas")("a training step's storage all comes back when a collection runs between steps", () => {
  const gc = collector();
  manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(256, 512), new nn.ReLU(), new nn.Linear(512, 256));
  const opt = new optim.SGD([...model.parameters()], { lr: 1e-3 });
  const x = randn(256, 256);
  const step = () => {
    const loss = model.forward(x).square().mean();
    opt.zeroGrad();
    loss.backward();
    opt.step();
  };
  for (let i = 0; i < 10; i++) step();
  const before = storageStats();
  for (let i = 0; i < 200; i++) {
    step();
    gc(); // a step boundary the collector sees: every tensor of the step is dead by now
  }
  const after = storageStats();
  // new memory is only the few arrays too small to pool
  expect(after.allocatedBytes - before.allocatedBytes).toBeLessThan(0.01 * (after.reusedBytes - before.reusedBytes));
});

test.skipIf(!blas)("a dead array is found behind any number of live ones of its length", () => {
  const gc = collector();
  const a = randn(33, 77);
  const kept = Array.from({ length: 12 }, (_, i) => noGrad(() => a.mul(i)));
  const values = kept.map((t) => Array.from(t.data));
  // the raw array outlives its tensor here only to observe the reuse (ops never do this)
  const storage = (() => noGrad(() => a.mul(-1)).storage)();
  gc();
  expect(noGrad(() => a.mul(3)).storage).toBe(storage);
  kept.forEach((t, i) => expect(Array.from(t.data)).toEqual(values[i]));
});
