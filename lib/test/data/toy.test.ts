import { expect, test } from "vitest";
import { makeCircles, makeMoons, makeSpirals } from "../../src/data";
import { Generator, manualSeed } from "../../src/core/random";

function rows(t: { toArray(): unknown }): number[][] {
  return t.toArray() as number[][];
}

test("moons: shapes, classes, geometry without noise", () => {
  const { x, y } = makeMoons(101, { noise: 0, shuffle: false });
  expect(x.shape).toEqual([101, 2]);
  expect(x.dtype).toBe("float32");
  expect(y.shape).toEqual([101]);
  expect(y.dtype).toBe("int32");
  const ys = y.toArray() as number[];
  expect(ys.filter((v) => v === 0).length).toBe(50);
  expect(ys.filter((v) => v === 1).length).toBe(51);
  rows(x).forEach(([a, b], i) => {
    // upper moon on the unit circle, lower moon on the unit circle centred at (1, 0.5)
    const r = ys[i] === 0 ? Math.hypot(a, b) : Math.hypot(a - 1, b - 0.5);
    expect(r).toBeCloseTo(1, 5);
  });
  expect(rows(x)[0]).toEqual([1, 0]);
});

test("circles: radii 1 and factor", () => {
  const { x, y } = makeCircles(40, { factor: 0.5, noise: 0 });
  expect(x.shape).toEqual([40, 2]);
  const ys = y.toArray() as number[];
  rows(x).forEach(([a, b], i) => expect(Math.hypot(a, b)).toBeCloseTo(ys[i] === 0 ? 1 : 0.5, 5));
  expect(ys.filter((v) => v === 1).length).toBe(20);
  expect(() => makeCircles(10, { factor: 1 })).toThrow(/factor must be in \[0, 1\)/);
});

test("spirals: classes share n, radii in [0, 1]", () => {
  const { x, y } = makeSpirals(100, { classes: 3 });
  expect(x.shape).toEqual([100, 2]);
  const counts = [0, 0, 0];
  for (const v of y.toArray() as number[]) counts[v]++;
  expect(counts).toEqual([34, 33, 33]);
  for (const [a, b] of rows(x)) expect(Math.hypot(a, b)).toBeLessThanOrEqual(1 + 1e-6);
});

test("seeded: manualSeed repeats, noise moves points, generators are independent", () => {
  manualSeed(42);
  const a = makeMoons(50, { noise: 0.1 });
  manualSeed(42);
  const b = makeMoons(50, { noise: 0.1 });
  expect(a.x.toArray()).toEqual(b.x.toArray());
  expect(a.y.toArray()).toEqual(b.y.toArray());
  const c = makeMoons(50, { noise: 0.1 });
  expect(c.x.toArray()).not.toEqual(a.x.toArray());
  const g1 = makeSpirals(60, { generator: new Generator(1) });
  const g2 = makeSpirals(60, { generator: new Generator(1) });
  expect(g1.x.toArray()).toEqual(g2.x.toArray());
  const clean = makeMoons(50, { noise: 0, shuffle: false });
  const noisy = makeMoons(50, { noise: 0.2, shuffle: false });
  expect(noisy.x.toArray()).not.toEqual(clean.x.toArray());
  expect(noisy.y.toArray()).toEqual(clean.y.toArray());
});
