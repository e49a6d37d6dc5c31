// The gradient-flow side of Monitor: how often it is sent, how much of a long run it sends,
// and the static picture's flags.
import { tableFromIPC } from "apache-arrow";
import { describe, expect, test } from "vitest";
import { Monitor, installSink, tensor, GRADFLOW_MIME } from "../src";
import { gradFlag, GRADFLOW_REDRAW_MS, keptSteps, MAX_GRADFLOW_STEPS } from "../src/display/monitor";

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

describe("gradient flow picture", () => {
  test("flags layers by the extension's rule, and says the rule in its title", () => {
    expect(gradFlag(1e-2, 0.1, 1e-2)).toBeNull();
    expect(gradFlag(1e-2, Infinity, 1e-2)).toBe("exploding");
    expect(gradFlag(NaN, 1, 1e-2)).toBe("exploding");
    expect(gradFlag(1e-2, 2e3, 1e-2)).toBe("exploding");
    expect(gradFlag(20, 30, 1e-2)).toBe("exploding");
    expect(gradFlag(1e-6, 1e-5, 1e-2)).toBe("vanishing");
    expect(gradFlag(1e-8, 1e-8, 1e-8)).toBe("vanishing"); // the whole network died
    const stats = [
      ["healthy.weight", 1e-2, 0.1], ["also.weight", 2e-2, 0.1], ["dead.weight", 1e-9, 1e-8], ["blown.weight", 1e-2, Infinity],
    ] as const;
    const m = new Monitor({ show: false });
    for (const [layer, gradMean, gradMax] of stats) m.layerStats.push({ step: 3, layer, gradMean, gradMax, weightNorm: 1, updateRatio: NaN });
    const svg = m.gradflowBundle()["image/svg+xml"] as string;
    const red = [...svg.matchAll(/>([\w.]+)<\/text><rect[^>]*fill="([^"]+)"/g)].map((x) => [x[1], x[2] === "#d62728"]);
    expect(red).toEqual([["healthy.weight", false], ["also.weight", false], ["dead.weight", true], ["blown.weight", true]]);
    expect(svg).toContain("max &#62; 1000 or not finite");
    expect(svg).toContain("mean &#60; 1e-7");
  });
});
