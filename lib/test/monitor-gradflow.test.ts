// The gradient-flow side of Monitor: how often it is sent, how much of a long run it sends,
// and the static picture's flags.
import { tableFromIPC } from "apache-arrow";
import { describe, expect, test } from "vitest";
import { F, manualSeed, Monitor, installSink, nn, noGrad, randn, randint, tensor, GRADFLOW_MIME } from "../src";
import { GRADFLOW_REDRAW_MS, keptSteps, MAX_GRADFLOW_STEPS } from "../src/display/monitor";
import { BUDGETS } from "../src/display/contract";
import { flagLayers, gradflowCut, GRADFLOW_RULE } from "../src/display/gradflow-rule";
import { gradflowBundle, type LayerStat } from "../src/display/monitor-gradflow";

const table = (b64: string) => tableFromIPC(Buffer.from(b64, "base64"));
const col = (b64: string, name: string) => Array.from(table(b64).getChild(name)!.toArray() as ArrayLike<number>);

/** A model of one 2x2 weight whose gradient is set by hand. */
function oneLayer() {
  const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const model = { namedParameters: () => [["fc.weight", w]] as [string, typeof w][] };
  return { w, model };
}

function withSink<T>(fn: (updates: { id: string; bundle: Record<string, any> }[]) => Promise<T>): Promise<T> {
  const updates: { id: string; bundle: Record<string, any> }[] = [];
  installSink({
    kind: "test",
    display: () => {},
    updateDisplay: (id: string, bundle: Record<string, unknown>) => updates.push({ id, bundle }),
    registerCommTarget: () => {},
  } as never);
  return fn(updates).finally(() => installSink(undefined));
}

describe("gradient flow updates", () => {
  test("are sent less often than the curves, only with new statistics, and the last one arrives", async () => {
    await withSink(async (updates) => {
      const { w, model } = oneLayer();
      const m = new Monitor({ title: "paced", model, redrawMs: 20 });
      const t0 = Date.now();
      let step = 0;
      while (Date.now() - t0 < 600) {
        w.grad = tensor([[1, 1], [1, 1]]);
        m.log({ train: step++ });
        await new Promise((r) => setTimeout(r, 2));
      }
      const curves = updates.filter((u) => u.id.endsWith("-curves")).length;
      const grads = () => updates.filter((u) => u.id.endsWith("-gradflow"));
      expect(curves).toBeGreaterThan(5);
      expect(grads().length).toBeLessThanOrEqual(Math.ceil(600 / GRADFLOW_REDRAW_MS) + 1);
      // the trailing update brings the newest step
      await new Promise((r) => setTimeout(r, GRADFLOW_REDRAW_MS + 100));
      const last = grads()[grads().length - 1].bundle[GRADFLOW_MIME];
      const steps = col(last.data, "step");
      expect(steps[steps.length - 1]).toBe(step - 1);
      // a validation log adds no statistics: no gradient-flow update follows it
      const before = grads().length;
      m.log({ val: 1 }, step - 1);
      await new Promise((r) => setTimeout(r, GRADFLOW_REDRAW_MS + 100));
      expect(grads().length).toBe(before);
      m.close();
    });
  });
});

describe("gradient flow bundle size", () => {
  test("a 2,000-step run of 10 layers sends at most ~200 steps, the first, the newest 50 and the last", () => {
    const ws = Array.from({ length: 10 }, (_, l) => tensor([[l + 1, 2], [3, 4]], { requiresGrad: true }));
    const model = { namedParameters: () => ws.map((w, l) => [`layers.${l}.weight`, w]) as [string, (typeof ws)[0]][] };
    const m = new Monitor({ model, show: false });
    for (let step = 0; step < 2000; step++) {
      for (const w of ws) w.grad = tensor([[step + 1, 1], [1, 1]]);
      m.log({ train: 1 / (step + 1) });
    }
    expect(m.layerStats.length).toBe(20_000); // the record stays complete
    const b = m.gradflowBundle()[GRADFLOW_MIME] as { layers: string[]; steps: number; data: string };
    expect(b.steps).toBe(2000);
    expect(b.layers.length).toBe(10);
    const steps = col(b.data, "step");
    const distinct = [...new Set(steps)];
    expect(distinct.length).toBeLessThanOrEqual(MAX_GRADFLOW_STEPS);
    expect(distinct.length).toBeGreaterThan(100);
    expect(steps.length).toBe(distinct.length * 10); // every layer at each step sent
    expect(distinct[0]).toBe(0);
    expect(distinct[distinct.length - 1]).toBe(1999);
    expect(distinct.slice(-50)).toEqual(Array.from({ length: 50 }, (_, i) => 1950 + i));
    // older steps thinned evenly
    const gaps = new Set(distinct.slice(0, -50).map((s, i, a) => (i ? s - a[i - 1] : 0)).slice(1));
    expect(gaps.size).toBe(1);
    // a row's numbers are its step's
    const mean = col(b.data, "gradMean");
    const at = steps.indexOf(1999);
    expect(mean[at]).toBeCloseTo((2000 + 3) / 4);
    // small enough to send every second within the kernel's output budget
    expect(b.data.length).toBeLessThan(200_000);
  });

  test("a short run sends every step", () => {
    expect(keptSteps(150)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    const k = keptSteps(100_000);
    expect(k.length).toBeLessThanOrEqual(MAX_GRADFLOW_STEPS);
    expect(k[0]).toBe(0);
    expect(k[k.length - 1]).toBe(99_999);
    // the kept older steps stay put as the run grows, until the stride doubles
    const a = keptSteps(1000), b = keptSteps(1010);
    const older = (x: number[]) => x.slice(0, -50);
    expect(older(b).slice(0, older(a).length - 1)).toEqual(older(a).slice(0, -1));
  });
});

/** A 10-layer sigmoid MLP (default init, weights optionally scaled) after one backward pass. */
function sigmoidNet(scale = 1) {
  manualSeed(1);
  const layers: nn.Module[] = [new nn.Linear(2, 32)];
  for (let l = 0; l < 9; l++) layers.push(new nn.Sigmoid(), new nn.Linear(32, 32));
  layers.push(new nn.Sigmoid(), new nn.Linear(32, 3));
  const model = new nn.Sequential(...layers);
  if (scale !== 1) noGrad(() => { for (const p of model.parameters()) if (p.ndim === 2) p.copy_(p.mul(scale)); });
  manualSeed(2);
  const x = randn(64, 2), y = randint(0, 3, [64]);
  F.crossEntropy(model.forward(x), y).backward();
  const m = new Monitor({ model, show: false });
  m.log({ train: 0 }, 0);
  const stats = m.layerStats;
  return { m, stats, flags: flagLayers(stats.map((s) => s.gradMean), stats.map((s) => s.gradMax)) };
}

describe("gradient flow rule", () => {
  test("a 10-layer sigmoid MLP at initialisation: its first layers vanish, none explodes", () => {
    const { m, stats, flags } = sigmoidNet();
    expect(stats.length).toBe(11);
    // the gradient shrinks layer by layer on its way back from the output
    expect(stats[0].gradMean / stats[10].gradMean).toBeLessThan(1e-6);
    expect(flags.largest).toBe(10);
    expect(flags.flags.filter((f) => f === "exploding")).toEqual([]);
    const vanishing = flags.flags.map((f, i) => (f === "vanishing" ? i : -1)).filter((i) => i >= 0);
    // the first layers, and only a leading run of them
    expect(vanishing.length).toBeGreaterThanOrEqual(5);
    expect(vanishing).toEqual(Array.from({ length: vanishing.length }, (_, i) => i));
    expect(flags.flags.slice(-2)).toEqual([null, null]);
    expect(flags.reasons[0]).toBe("vanishing: mean < 1e-6");
    expect(flags.reasons[vanishing.length - 1]).toMatch(/^vanishing: 1\/[\d,]+ of the largest$/);
    // the text output counts what the view flags and states the rule
    expect(m.gradflowBundle()["text/plain"]).toContain(`${vanishing.length} vanishing, 0 exploding (vanishing: mean |grad| < 1/1000 of the largest (not exploding)`);
  });

  test("the same net with its weights scaled up: layers explode, none vanishes", () => {
    const { flags, stats } = sigmoidNet(100);
    const exploding = flags.flags.map((f, i) => (f === "exploding" ? i : -1)).filter((i) => i >= 0);
    expect(exploding.length).toBeGreaterThan(0);
    expect(exploding[0]).toBe(0); // the first layers, farthest from the output
    expect(flags.flags).not.toContain("vanishing");
    expect(flags.reasons[exploding[0]]).toBe("exploding: mean > 1");
    expect(stats[exploding[0]].gradMean).toBeGreaterThan(GRADFLOW_RULE.explodingAbove);
  });

  test("each clause: relative to the largest layer, the absolute bounds, not finite", () => {
    const f = (mean: number[], max: number[]) => flagLayers(mean, max).flags;
    expect(f([1e-2, 2e-2], [0.1, 0.1])).toEqual([null, null]);
    expect(f([1.9e-5, 2e-2], [1e-4, 0.1])).toEqual(["vanishing", null]); // < largest/1000
    expect(f([2.1e-5, 2e-2], [1e-4, 0.1])).toEqual([null, null]);
    expect(f([5e-7, 6e-7], [1e-6, 1e-6])).toEqual(["vanishing", "vanishing"]); // the whole network died
    expect(f([2, 1e-2], [3, 0.1])).toEqual(["exploding", null]);
    expect(f([1e-2, 1e-2], [2e3, 0.1])).toEqual(["exploding", null]);
    expect(f([NaN, 1e-2], [1, 0.1])).toEqual(["exploding", null]);
    expect(f([1e-2, 1e-2], [Infinity, 0.1])).toEqual(["exploding", null]);
    // an exploding layer is no reference: the healthy ones beside it are not called vanishing
    expect(f([50, 1e-2, 1e-2], [100, 0.1, 0.1])).toEqual(["exploding", null, null]);
    // a layer not recorded at the step is neither flagged nor the reference
    const p = flagLayers([1, 1e-6 * 5], [1, 1e-5], [0, 1]);
    expect(p.flags).toEqual([null, null]);
    expect(p.largest).toBe(1);
  });
});

describe("gradient flow budget", () => {
  const stats = (layers: number, steps: number): LayerStat[] => {
    const out: LayerStat[] = [];
    for (let s = 0; s < steps; s++) for (let l = 0; l < layers; l++) out.push({ step: s, layer: `l${l}`, gradMean: 1e-3, gradMax: 1e-2, weightNorm: 1, updateRatio: NaN });
    return out;
  };

  test("never sends more than BUDGETS.gradflowCells layers x steps", () => {
    expect(gradflowCut(11, 200, 2 ** 16)).toEqual({ layers: 11, steps: 200 });
    expect(gradflowCut(4096, 16384, 2 ** 16)).toEqual({ layers: 256, steps: 256 });
    const b = gradflowBundle(stats(1500, 80))[GRADFLOW_MIME] as { layers: string[]; totalLayers: number; steps: number; data: string };
    const sentSteps = new Set(col(b.data, "step")).size;
    expect(b.layers.length * sentSteps).toBeLessThanOrEqual(BUDGETS.gradflowCells);
    expect(b.totalLayers).toBe(1500);
    expect(b.steps).toBe(80);
    expect(table(b.data).numRows).toBe(b.layers.length * sentSteps);
    expect(b.layers.length).toBe(256);
    // a run within the budget is sent whole, with no totalLayers
    const small = gradflowBundle(stats(11, 40))[GRADFLOW_MIME] as Record<string, unknown>;
    expect(small.totalLayers).toBeUndefined();
    expect(table(small.data as string).numRows).toBe(440);
  });

  test("an axis shared by several monitors is carried in the bundle, and a bad one is refused by name", () => {
    const b = gradflowBundle(stats(2, 2), { axis: [1e-9, 10] })[GRADFLOW_MIME] as { axis: number[] };
    expect(b.axis).toEqual([1e-9, 10]);
    expect(() => gradflowBundle(stats(2, 2), { axis: [1, 0.1] })).toThrow(/gradAxis must be \[lo, hi\]/);
    expect(() => gradflowBundle(stats(2, 2), { axis: [0, 1] })).toThrow(/gradAxis/);
    const { w, model } = oneLayer();
    w.grad = tensor([[1, 1], [1, 1]]);
    const m = new Monitor({ model, show: false, gradAxis: [1e-6, 1] });
    m.log({ train: 1 });
    expect((m.gradflowBundle()[GRADFLOW_MIME] as { axis: number[] }).axis).toEqual([1e-6, 1]);
  });
});

describe("gradient flow picture", () => {
  test("marks the layers the rule flags", () => {
    const stats = [
      ["healthy.weight", 1e-2, 0.1], ["also.weight", 2e-2, 0.1], ["dead.weight", 1e-9, 1e-8], ["blown.weight", 1e-2, Infinity],
    ] as const;
    const m = new Monitor({ show: false });
    for (const [layer, gradMean, gradMax] of stats) m.layerStats.push({ step: 3, layer, gradMean, gradMax, weightNorm: 1, updateRatio: NaN });
    const svg = m.gradflowBundle()["image/svg+xml"] as string;
    const red = [...svg.matchAll(/>([\w.]+)<\/text><rect[^>]*fill="([^"]+)"/g)].map((x) => [x[1], x[2] === "#d62728"]);
    expect(red).toEqual([["healthy.weight", false], ["also.weight", false], ["dead.weight", true], ["blown.weight", true]]);
    expect(m.gradflowBundle()["text/plain"]).toContain("1 vanishing, 1 exploding");
  });
});
