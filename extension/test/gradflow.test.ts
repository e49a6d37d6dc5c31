import { describe, expect, it, vi } from "vitest";
import { F, manualSeed, Monitor, nn, noGrad, optim, randint, randn } from "../../lib/src";
import { flagLayers as libFlagLayers } from "../../lib/src/display/gradflow-rule";
import { GradflowRenderer, shortName } from "../src/gradflow/renderer";
import { decades, LABEL_PX } from "../src/gradflow/axis";
import { parseGradflow } from "../src/gradflow/bundle";
import { INF_RGB, NAN_RGB, ZERO_RGB } from "../src/gradflow/strip";
import { BUDGETS, MIME } from "../src/shared/mime";
import { arrowBase64, HOSTILE, mimeModel, noInjectedMarkup, rendererOptions } from "./helpers";

interface Rec { step: number; layer: string; gradMean: number; gradMax: number; weightNorm?: number; updateRatio?: number }

function bundle(layers: string[], recs: Rec[], extra: Record<string, unknown> = {}) {
  return {
    version: 1,
    layers,
    data: arrowBase64({
      step: Float64Array.from(recs, (r) => r.step),
      layer: recs.map((r) => r.layer),
      gradMean: Float64Array.from(recs, (r) => r.gradMean),
      gradMax: Float64Array.from(recs, (r) => r.gradMax),
      weightNorm: Float64Array.from(recs, (r) => r.weightNorm ?? 1),
      updateRatio: Float64Array.from(recs, (r) => r.updateRatio ?? NaN),
    }),
    ...extra,
  };
}

/** Three healthy layers and one whose gradient dies after step 0. */
function run(steps: number[]): Rec[] {
  const out: Rec[] = [];
  for (const step of steps) {
    out.push({ step, layer: "fc1.weight", gradMean: 1e-2, gradMax: 0.1, updateRatio: step ? 1e-3 : NaN });
    out.push({ step, layer: "fc2.weight", gradMean: 2e-2, gradMax: 0.2, updateRatio: step ? 2e-3 : NaN });
    out.push({ step, layer: "fc3.weight", gradMean: 3e-2, gradMax: 0.3 });
    out.push({ step, layer: "dead.weight", gradMean: step === 0 ? 1e-2 : 1e-9, gradMax: step === 0 ? 0.1 : 1e-8 });
  }
  return out;
}
const LAYERS = ["fc1.weight", "fc2.weight", "fc3.weight", "dead.weight"];

async function draw(data: unknown, r = new GradflowRenderer(rendererOptions(MIME.gradflow))) {
  await r.renderModel(mimeModel(MIME.gradflow, data));
  return r;
}
const rows = (r: GradflowRenderer) => [...r.node.querySelectorAll<HTMLElement>(".cl-gradflow-row")];
const row = (r: GradflowRenderer, layer: string) => rows(r).find((x) => x.dataset.layer === layer)!;
const slider = (r: GradflowRenderer) => r.node.querySelector<HTMLInputElement>("input[type=range].cl-step")!;
const barWidth = (r: GradflowRenderer, layer: string) => parseFloat(row(r, layer).querySelector<HTMLElement>(".cl-gradflow-bar")!.style.width);
function move(r: GradflowRenderer, i: number) {
  const s = slider(r);
  s.value = String(i);
  s.dispatchEvent(new Event("input"));
}

describe("gradient flow renderer", () => {
  it("draws one row per layer, with bars on a log scale", async () => {
    const r = await draw(bundle(LAYERS, run([0])));
    expect(r.node.querySelector(".cl-gradflow")).not.toBeNull();
    expect(rows(r).map((x) => x.dataset.layer)).toEqual(LAYERS);
    const w1 = barWidth(r, "fc1.weight"), w3 = barWidth(r, "fc3.weight");
    expect(w1).toBeGreaterThan(0);
    expect(w3).toBeGreaterThan(w1);
    // log scale: 1e-2 -> 3e-2 moves the bar by log10(3) of the axis, not 3x
    expect(w3 / w1).toBeLessThan(3);
    expect(row(r, "fc1.weight").querySelector(".cl-gradflow-max")).not.toBeNull();
    expect(row(r, "fc1.weight").querySelector(".cl-gradflow-value")!.textContent).toBe("0.01");
  });

  it("flags a vanishing layer and shows the rule", async () => {
    const r = await draw(bundle(LAYERS, run([0, 1, 2])));
    const dead = row(r, "dead.weight");
    expect(dead.classList.contains("cl-flag-vanishing")).toBe(true);
    expect(rows(r).filter((x) => x.classList.contains("cl-flag-vanishing"))).toHaveLength(1);
    expect(r.node.querySelectorAll(".cl-flag-exploding")).toHaveLength(0);
    expect(dead.querySelector(".cl-gradflow-reason")!.textContent).toBe("vanishing: mean < 1e-6");
    const rule = r.node.querySelector(".cl-gradflow-rule")!.textContent!;
    expect(rule).toContain("vanishing: mean |grad| < 1/1000 of the largest (not exploding) layer's at that step, or < 1e-6");
    expect(rule).toContain("Largest mean |grad| at this step: 0.03 (fc3.weight)");
    expect(rule).toContain("1 vanishing, 0 exploding");
  });

  it("flags an exploding layer: mean above 1, or a max not finite", async () => {
    const recs: Rec[] = [
      { step: 0, layer: "a", gradMean: 1e-2, gradMax: 0.1 },
      { step: 0, layer: "b", gradMean: 1e-2, gradMax: 0.1 },
      { step: 0, layer: "c", gradMean: 50, gradMax: 100 },
      { step: 0, layer: "d", gradMean: 1e-2, gradMax: Infinity },
    ];
    const r = await draw(bundle(["a", "b", "c", "d"], recs));
    expect(rows(r).map((x) => x.dataset.flag)).toEqual(["", "", "exploding", "exploding"]);
    expect(row(r, "c").querySelector(".cl-gradflow-reason")!.textContent).toBe("exploding: mean > 1");
    expect(row(r, "d").querySelector(".cl-gradflow-reason")!.textContent).toBe("exploding: max is Infinity");
    expect(row(r, "d").querySelector(".cl-gradflow-max-bad")).not.toBeNull();
  });

  it("moves the bars with the step slider", async () => {
    const r = await draw(bundle(LAYERS, run([0, 10, 20])));
    const s = slider(r);
    expect(s.max).toBe("2");
    expect(s.value).toBe("2");
    expect(r.node.querySelector(".cl-step-label")!.textContent).toContain("step 20");
    const late = barWidth(r, "dead.weight");
    move(r, 0);
    expect(barWidth(r, "dead.weight")).toBeGreaterThan(late);
    expect(row(r, "dead.weight").classList.contains("cl-flag-vanishing")).toBe(false);
    expect(r.node.querySelector(".cl-step-label")!.textContent).toContain("step 0");
    expect(r.node.querySelector<HTMLElement>(".cl-strip-cursor")!.dataset.step).toBe("0");
  });

  it("updates in place, following the newest step unless the slider was moved back", async () => {
    const r = await draw(bundle(LAYERS, run([0, 1])));
    const root = r.node.querySelector(".cl-gradflow");
    const firstRow = row(r, "fc1.weight");
    const s = slider(r);
    await draw(bundle(LAYERS, run([0, 1, 2])), r);
    expect(r.node.querySelector(".cl-gradflow")).toBe(root);
    expect(row(r, "fc1.weight")).toBe(firstRow);
    expect(slider(r)).toBe(s);
    expect(s.max).toBe("2");
    expect(s.value).toBe("2");
    expect(r.node.querySelector<HTMLCanvasElement>("canvas.cl-strip")!.dataset.steps).toBe("3");
    move(r, 0);
    await draw(bundle(LAYERS, run([0, 1, 2, 3])), r);
    expect(s.max).toBe("3");
    expect(s.value).toBe("0");
    expect(r.node.querySelector(".cl-step-label")!.textContent).toContain("step 0");
    // back at the newest: follows again
    move(r, 3);
    await draw(bundle(LAYERS, run([0, 1, 2, 3, 4])), r);
    expect(s.value).toBe("4");
    // a layer that appears later is added; its earlier steps have no record
    await draw(bundle([...LAYERS, "new.weight"], [...run([0, 1, 2, 3, 4]), { step: 4, layer: "new.weight", gradMean: 1e-2, gradMax: 0.1 }]), r);
    expect(rows(r)).toHaveLength(5);
    move(r, 0);
    expect(row(r, "new.weight").classList.contains("cl-gradflow-missing")).toBe(true);
  });

  it("sizes the heat strip as layers x steps, and a click picks a column", async () => {
    const r = await draw(bundle(LAYERS, run([0, 5, 10, 15, 20])));
    const c = r.node.querySelector<HTMLCanvasElement>("canvas.cl-strip")!;
    expect(c.dataset.layers).toBe("4");
    expect(c.dataset.steps).toBe("5");
    expect(c.width).toBe(5);
    expect(c.height).toBe(4);
    c.getBoundingClientRect = () => ({ left: 0, top: 0, width: 100, height: 40, right: 100, bottom: 40, x: 0, y: 0, toJSON: () => ({}) });
    c.dispatchEvent(new MouseEvent("click", { clientX: 30, clientY: 5 }));
    expect(slider(r).value).toBe("1");
    expect(r.node.querySelector(".cl-step-label")!.textContent).toContain("step 5");
    c.dispatchEvent(new MouseEvent("mousemove", { clientX: 90, clientY: 35 }));
    expect(r.node.querySelector(".cl-strip-hover")!.textContent).toBe("dead.weight · step 20 · mean |grad| 1e-9");
  });

  it("paints log10 mean |grad| into the strip, one pixel per cell", async () => {
    let painted: { data: Uint8ClampedArray; width: number; height: number } | null = null;
    const ctx = {
      createImageData: (width: number, height: number) => ({ data: new Uint8ClampedArray(width * height * 4), width, height }),
      putImageData: (img: typeof painted) => (painted = img),
    };
    const spy = vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(ctx as unknown as CanvasRenderingContext2D);
    try {
      const recs = [...run([0, 1]), { step: 1, layer: "late.weight", gradMean: 1e-2, gradMax: 0.1 }];
      await draw(bundle([...LAYERS, "late.weight"], recs));
    } finally {
      spy.mockRestore();
    }
    const img = painted!;
    expect([img.width, img.height]).toEqual([2, 5]);
    const px = (layer: number, step: number) => Array.from(img.data.slice((layer * 2 + step) * 4, (layer * 2 + step) * 4 + 4));
    // the dead layer at step 1 (1e-9) is below the shared axis (from 1e-8): the dark end
    expect(px(3, 1)).toEqual([68, 1, 84, 255]);
    // fc3 (3e-2) is larger than fc1 (1e-2) but far from the top of the axis (1e3): not yellow
    expect(px(2, 0)).not.toEqual(px(0, 0));
    expect(px(2, 0)).not.toEqual([253, 231, 37, 255]);
    expect(px(3, 0)).toEqual(px(0, 0));
    // a layer first recorded at step 1 leaves step 0 unpainted
    expect(px(4, 0)[3]).toBe(0);
    expect(px(4, 1)[3]).toBe(255);
  });

  it("reads what the library's Monitor sends", { timeout: 30_000 }, async () => {
    manualSeed(7);
    const model = new nn.Sequential(new nn.Linear(3, 8), new nn.Tanh(), new nn.Linear(8, 1));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const monitor = new Monitor({ model, show: false });
    const r = new GradflowRenderer(rendererOptions(MIME.gradflow));
    const x = randn(16, 3);
    for (let step = 0; step < 3; step++) {
      const loss = model.forward(x).pow(2).mean();
      opt.zeroGrad();
      loss.backward();
      monitor.log({ loss });
      opt.step();
      await draw(monitor.gradflowBundle()[MIME.gradflow], r);
    }
    monitor.close();
    expect(r.node.querySelector(".cl-error")).toBeNull();
    expect(rows(r).map((x) => x.dataset.layer)).toEqual(["0.weight", "2.weight"]);
    expect(slider(r).max).toBe("2");
    expect(slider(r).value).toBe("2");
    expect(r.node.querySelector<HTMLCanvasElement>("canvas.cl-strip")!.dataset.steps).toBe("3");
    expect(row(r, "0.weight").querySelector(".cl-gradflow-ratio-value")!.textContent).not.toBe("–");
  });

  it("says how many of the recorded steps a long run sent, and works on those", async () => {
    const r = await draw(bundle(LAYERS, run([0, 1, 2])));
    const note = r.node.querySelector<HTMLElement>(".cl-gradflow-sent")!;
    expect(note.hidden).toBe(true);
    await draw(bundle(LAYERS, run([0, 8, 16, 17, 18]), { steps: 2000 }), r);
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe("showing 5 of 2,000 recorded steps");
    expect(r.node.querySelector<HTMLElement>(".cl-gradflow")!.dataset.recorded).toBe("2000");
    expect(slider(r).max).toBe("4");
    expect(r.node.querySelector<HTMLCanvasElement>("canvas.cl-strip")!.dataset.steps).toBe("5");
    // a step held by the reader that a later update thinned out: the nearest sent one
    move(r, 1);
    await draw(bundle(LAYERS, run([0, 16, 18, 19]), { steps: 2001 }), r);
    expect(r.node.querySelector<HTMLElement>(".cl-gradflow")!.dataset.step).toBe("0");
    expect(r.node.querySelector(".cl-step-label")!.textContent).not.toContain("newest");
  });

  it("reads a long run from the library's Monitor: at most ~200 steps, the newest last", { timeout: 30_000 }, async () => {
    const w = new nn.Linear(2, 2);
    const monitor = new Monitor({ model: { namedParameters: () => w.namedParameters() }, show: false });
    for (let step = 0; step < 1200; step++) {
      w.weight.grad = randn(2, 2);
      monitor.log({ loss: 1 });
    }
    const r = await draw(monitor.gradflowBundle()[MIME.gradflow]);
    monitor.close();
    expect(r.node.querySelector(".cl-error")).toBeNull();
    const S = Number(r.node.querySelector<HTMLCanvasElement>("canvas.cl-strip")!.dataset.steps);
    expect(S).toBeLessThanOrEqual(200);
    expect(r.node.querySelector(".cl-gradflow-sent")!.textContent).toBe(`showing ${S} of 1,200 recorded steps`);
    expect(r.node.querySelector<HTMLElement>(".cl-gradflow")!.dataset.step).toBe("1199");
  });

  it("labels fewer decades when the track is crowded, so labels do not overlap", async () => {
    // six decades on the 160 px ratio track: every other one
    expect(decades({ lo: -6, hi: -1 }, 160)).toEqual([-6, -4, -2]);
    expect(decades({ lo: -4, hi: 0 }, 300)).toEqual([-4, -3, -2, -1, 0]);
    expect(decades({ lo: -16, hi: 0 }, 300)).toEqual([-15, -12, -9, -6, -3, 0]);
    expect(decades({ lo: -5, hi: -1 })).toEqual([-5, -4, -3, -2, -1]);
    const r = await draw(bundle(LAYERS, run([0, 1])));
    const tracks = [...r.node.querySelectorAll<HTMLElement>(".cl-gradflow-axis .cl-gradflow-ticks")];
    expect(tracks.length).toBe(2);
    for (const [track, px] of [[tracks[0], 260], [tracks[1], 150]] as const) {
      const left = [...track.querySelectorAll<HTMLElement>(".cl-gradflow-tick")].map((t) => (parseFloat(t.style.left) / 100) * px);
      expect(left.length).toBeGreaterThan(1);
      for (let i = 1; i < left.length; i++) expect(left[i] - left[i - 1]).toBeGreaterThanOrEqual(LABEL_PX - 1e-9);
    }
    // the shared axes, whatever the data
    const ratioTicks = [...tracks[1].querySelectorAll<HTMLElement>(".cl-gradflow-tick")];
    expect(ratioTicks.map((t) => t.textContent)).toEqual(["1e-6", "1e-4", "1e-2", "1"]);
    const gradTicks = [...tracks[0].querySelectorAll<HTMLElement>(".cl-gradflow-tick")];
    expect(gradTicks.map((t) => t.textContent)).toEqual(["1e-8", "1e-6", "1e-4", "1e-2", "1", "1e2"]);
    // labels at the ends of a track are kept inside it
    expect(gradTicks[0].classList.contains("cl-gradflow-tick-start")).toBe(true);
    expect(ratioTicks[3].classList.contains("cl-gradflow-tick-end")).toBe(true);
    expect(gradTicks[2].className).toBe("cl-gradflow-tick");
  });

  it("flags the 10-layer sigmoid net's rows as the library's rule does: first layers vanishing; scaled up, exploding", { timeout: 30_000 }, async () => {
    const flagsOf = async (scale: number) => {
      manualSeed(1);
      const layers: nn.Module[] = [new nn.Linear(2, 32)];
      for (let l = 0; l < 9; l++) layers.push(new nn.Sigmoid(), new nn.Linear(32, 32));
      layers.push(new nn.Sigmoid(), new nn.Linear(32, 3));
      const model = new nn.Sequential(...layers);
      if (scale !== 1) noGrad(() => { for (const p of model.parameters()) if (p.ndim === 2) p.copy_(p.mul(scale)); });
      const x = randn(64, 2), y = randint(0, 3, [64]);
      F.crossEntropy(model.forward(x), y).backward();
      const monitor = new Monitor({ model, show: false });
      monitor.log({ train: 0 }, 0);
      monitor.close();
      const r = await draw(monitor.gradflowBundle()[MIME.gradflow]);
      const lib = libFlagLayers(monitor.layerStats.map((s) => s.gradMean), monitor.layerStats.map((s) => s.gradMax)).flags;
      const view = rows(r).map((x) => x.dataset.flag || null);
      expect(view).toEqual(lib);
      return { view, rule: r.node.querySelector(".cl-gradflow-rule")!.textContent! };
    };
    const plain = await flagsOf(1);
    expect(plain.view.slice(0, 5)).toEqual(Array(5).fill("vanishing"));
    expect(plain.view.slice(-2)).toEqual([null, null]);
    expect(plain.view).not.toContain("exploding");
    expect(plain.rule).toMatch(/^\d+ vanishing, 0 exploding at this step\. Rule: /);
    expect(plain.rule).toContain("(20.weight)");
    const scaled = await flagsOf(100);
    expect(scaled.view[0]).toBe("exploding");
    expect(scaled.view).not.toContain("vanishing");
  });

  it("draws every view on one shared log axis, or on the axis a bundle names", async () => {
    const magnitude = (v: number) => bundle(["a", "b"], [{ step: 0, layer: "a", gradMean: v, gradMax: v * 3 }, { step: 0, layer: "b", gradMean: 2e-2, gradMax: 0.1 }]);
    const sigmoidLike = await draw(magnitude(1e-7)), residualLike = await draw(magnitude(5e-5));
    const ticks = (r: GradflowRenderer) => [...r.node.querySelectorAll<HTMLElement>(".cl-gradflow-axis .cl-gradflow-tick")].map((t) => `${t.textContent}@${t.style.left}`);
    expect(ticks(sigmoidLike)).toEqual(ticks(residualLike));
    // widths on the axis 1e-8 .. 1e3: 1e-7 sits 1 decade of 11 in, 5e-5 3.7 decades in
    expect(barWidth(sigmoidLike, "a")).toBeCloseTo(100 / 11, 1);
    expect(barWidth(residualLike, "a")).toBeCloseTo(((Math.log10(5e-5) + 8) / 11) * 100, 1);
    expect(barWidth(sigmoidLike, "b")).toBeCloseTo(barWidth(residualLike, "b"), 6);
    // the rule's bounds are drawn on the track: 1e-6 and 1
    const bounds = [...row(sigmoidLike, "a").querySelectorAll<HTMLElement>(".cl-gradflow-bound")].map((b) => parseFloat(b.style.left));
    expect(bounds[0]).toBeCloseTo((2 / 11) * 100, 3);
    expect(bounds[1]).toBeCloseTo((8 / 11) * 100, 3);
    // below the axis: drawn at its start with an arrow
    const tiny = await draw(magnitude(1e-12));
    expect(barWidth(tiny, "a")).toBe(0);
    expect(row(tiny, "a").querySelector(".cl-gradflow-track")!.classList.contains("cl-gradflow-below")).toBe(true);
    // an axis named in the bundle
    const own = await draw({ ...magnitude(1e-7), axis: [1e-10, 1] });
    expect(barWidth(own, "a")).toBeCloseTo(30, 1);
    expect(ticks(own)[0]).toMatch(/^1e-10@/);
    const field = async (data: unknown) => (await draw(data)).node.querySelector<HTMLElement>(".cl-error")?.dataset.field;
    expect(await field({ ...magnitude(1e-7), axis: [1, 0.1] })).toBe("axis");
    expect(await field({ ...magnitude(1e-7), axis: [0, 1] })).toBe("axis");
    expect(await field({ ...magnitude(1e-7), axis: "wide" })).toBe("axis");
  });

  it("keeps to BUDGETS.gradflowCells: 4,096 layers x 16,384 steps is cut, fast", { timeout: 60_000 }, async () => {
    const L = 4096, S = 16384;
    const layers = Array.from({ length: L }, (_, i) => `l${i}`);
    const recs: Rec[] = Array.from({ length: S }, (_, i) => ({ step: i, layer: `l${i % L}`, gradMean: 1e-3, gradMax: 1e-2 }));
    const data = bundle(layers, recs);
    const t0 = performance.now();
    const g = parseGradflow(data);
    const parseMs = performance.now() - t0;
    const t1 = performance.now();
    expect(g.layers.length * g.steps.length).toBeLessThanOrEqual(BUDGETS.gradflowCells);
    expect(g.grid.gradMean.length).toBeLessThanOrEqual(BUDGETS.gradflowCells);
    expect(g.totalLayers).toBe(L);
    expect(g.steps[g.steps.length - 1]).toBe(S - 1); // the newest steps are the ones kept
    expect(parseMs).toBeLessThan(3000);
    const r = await draw(data);
    const drawMs = performance.now() - t1;
    expect(r.node.querySelector(".cl-error")).toBeNull();
    expect(rows(r)).toHaveLength(g.layers.length);
    expect(r.node.querySelector(".cl-gradflow-sent")!.textContent).toBe(`showing ${g.steps.length} of 16,384 recorded steps, the first 256 of 4,096 layers`);
    // a list of names longer than the cells of one view is refused by name
    expect(drawMs).toBeLessThan(20_000); // jsdom is slow; the browser test measures the page
    const field = async (d: unknown) => (await draw(d)).node.querySelector<HTMLElement>(".cl-error")?.dataset.field;
    expect(await field(bundle(Array.from({ length: BUDGETS.gradflowCells + 1 }, (_, i) => `n${i}`), []))).toBe("layers");
    expect(await field(bundle(LAYERS, run([0]), { totalLayers: 2 }))).toBe("totalLayers");
  });

  it("labels the heat strip's axes, and draws 0, NaN and Inf in colours off the scale", async () => {
    const recs = [...run([0, 10, 20]), { step: 20, layer: "z", gradMean: 0, gradMax: 0 }, { step: 20, layer: "n", gradMean: NaN, gradMax: NaN }, { step: 20, layer: "i", gradMean: Infinity, gradMax: Infinity }];
    const r = await draw(bundle([...LAYERS, "z", "n", "i"], recs));
    const names = [...r.node.querySelectorAll<HTMLElement>(".cl-strip-layer")].map((x) => x.textContent);
    expect(names).toEqual([...LAYERS, "z", "n", "i"]);
    const steps = [...r.node.querySelectorAll<HTMLElement>(".cl-strip-step")].map((x) => x.textContent);
    expect(steps[0]).toBe("0");
    expect(steps[steps.length - 1]).toBe("20");
    expect(r.node.querySelector(".cl-strip-ytitle")!.textContent).toBe("layer");
    expect(r.node.querySelector(".cl-strip-xtitle")!.textContent).toContain("step");
    const keys = [...r.node.querySelectorAll<HTMLElement>(".cl-strip-key")].map((k) => k.textContent);
    expect(keys).toEqual(["0", "NaN", "Inf", "not recorded"]);
    const ends = [...r.node.querySelectorAll<HTMLElement>(".cl-strip-end")].map((k) => k.textContent);
    expect(ends).toEqual(["≤1e-8", "≥1000"]);
    // none of the special colours is a colour of the scale
    const viridisEnds = [[68, 1, 84], [253, 231, 37]];
    for (const c of [ZERO_RGB, NAN_RGB, INF_RGB]) for (const v of viridisEnds) expect([...c]).not.toEqual(v);
    expect(new Set([ZERO_RGB, NAN_RGB, INF_RGB].map((c) => c.join())).size).toBe(3);
  });

  it("names many layers down the strip without overlap, always the first and the last", async () => {
    const many = Array.from({ length: 120 }, (_, i) => `layers.${i}.weight`);
    const r = await draw(bundle(many, many.map((layer) => ({ step: 0, layer, gradMean: 1e-3, gradMax: 1e-2 }))));
    const labels = [...r.node.querySelectorAll<HTMLElement>(".cl-strip-layer")];
    const idx = labels.map((x) => Number(x.dataset.layer));
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(119);
    const px = idx.map((l) => ((l + 0.5) / 120) * 600); // the strip is 600 px high
    for (let i = 1; i < px.length; i++) expect(px[i] - px[i - 1]).toBeGreaterThanOrEqual(12 - 1e-9);
  });

  it("draws an empty run without error", async () => {
    const r = await draw(bundle([], []));
    expect(r.node.querySelector(".cl-error")).toBeNull();
    expect(rows(r)).toHaveLength(0);
    expect(slider(r).disabled).toBe(true);
    expect(r.node.querySelector<HTMLElement>(".cl-gradflow-empty")!.hidden).toBe(false);
  });

  it("names the field of a malformed bundle", async () => {
    const field = async (data: unknown) => (await draw(data)).node.querySelector<HTMLElement>(".cl-error")?.dataset.field;
    expect(await field({ ...bundle(LAYERS, run([0])), version: 2 })).toBe("version");
    expect(await field({ ...bundle(LAYERS, run([0])), layers: "fc1" })).toBe("layers");
    expect(await field({ ...bundle(LAYERS, run([0])), layers: ["a", 3] })).toBe("layers[1]");
    expect(await field(bundle(["fc1.weight"], run([0])))).toBe("data");
    expect(await field({ ...bundle(LAYERS, run([0])), data: "@@" })).toBe("data");
    expect(await field({ version: 1, layers: [], data: arrowBase64({ step: new Float64Array(1), layer: ["a"] }) })).toBe("data");
    expect(await field(null)).toBe("gradflow");
    expect(await field(bundle(LAYERS, run([0, 1]), { steps: 1 }))).toBe("steps");
    expect(await field(bundle(LAYERS, run([0, 1]), { steps: 2.5 }))).toBe("steps");
    expect(await field(bundle(LAYERS, run([0, 1]), { steps: "2" }))).toBe("steps");
    // a good update after a bad one draws again
    const r = await draw({ version: 3 });
    await draw(bundle(LAYERS, run([0])), r);
    expect(r.node.querySelector(".cl-error")).toBeNull();
    expect(rows(r)).toHaveLength(4);
  });

  it("shows hostile layer names as text", async () => {
    const evil = [HOSTILE, `${HOSTILE}.weight.${"x".repeat(50)}`];
    const recs = evil.map((layer) => ({ step: 0, layer, gradMean: 1e-3, gradMax: 1e-2 }));
    const r = await draw(bundle(evil, recs));
    expect(noInjectedMarkup(r.node)).toBe(true);
    expect(rows(r)).toHaveLength(2);
    expect(rows(r)[0].dataset.layer).toBe(HOSTILE);
    const name = rows(r)[1].querySelector<HTMLElement>(".cl-gradflow-name")!;
    expect(name.title).toBe(evil[1]);
    expect(name.textContent).toBe(shortName(evil[1]));
    expect(name.textContent!.length).toBeLessThanOrEqual(32);
  });
});
