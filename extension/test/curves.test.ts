import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Widget } from "@lumino/widgets";
import { CurvesRenderer, DEFAULT_SMOOTHING } from "../src/curves/renderer";
import { readCurves } from "../src/curves/bundle";
import { plotlyText, tracesFor } from "../src/curves/plot";
import { decimateMinMax } from "../src/curves/decimate";
import { setKernelFinder } from "../src/shared/kernel-link";
import { emaSmooth } from "../src/curves/smoothing";
import { CURVES, curvesBundle, fakePlotly, range } from "./curves-fakes";
import { HOSTILE, arrowBase64, mimeModel, noInjectedMarkup, rendererOptions } from "./helpers";

const fake = fakePlotly();
vi.mock("../src/shared/plotly", () => ({ loadPlotly: async () => fake.plotly }));
const webgl = { on: false };
vi.mock("../src/curves/webgl", () => ({ webglAvailable: () => webgl.on }));

type Trace = Record<string, any>;
const tracesOf = (call: { args: unknown[] } | undefined) => (call?.args[1] ?? []) as Trace[];
const layoutOf = (call: { args: unknown[] } | undefined) => (call?.args[2] ?? {}) as Record<string, any>;

function make(): CurvesRenderer {
  const r = new CurvesRenderer(rendererOptions(CURVES));
  Widget.attach(r, document.body);
  return r;
}
const draw = (r: CurvesRenderer, data: unknown) => r.renderModel(mimeModel(CURVES, data));

const run = (n: number, from = 0) => ({ name: "train", split: "train", steps: range(n, from), values: range(n, from).map((i) => 2 / (i + 1)) });

beforeEach(() => {
  fake.calls.length = 0;
  webgl.on = false;
  setKernelFinder(null);
});
afterEach(() => {
  document.body.replaceChildren();
});

describe("curves renderer", () => {
  it("builds the plot once and applies updates in place", async () => {
    const r = make();
    await draw(r, curvesBundle([run(10)]));
    expect(fake.count("newPlot")).toBe(1);
    expect(r.node.classList.contains("cl-curves")).toBe(true);
    const plotDiv = r.node.querySelector(".cl-plot")!;
    expect(fake.last("newPlot")!.args[0]).toBe(plotDiv);
    expect(r.node.dataset.points).toBe("10");
    for (const n of [20, 30, 40]) {
      await draw(r, curvesBundle([run(n), { name: "val", split: "val", steps: [n - 1], values: [0.5] }]));
      expect(r.node.dataset.points).toBe(String(n + 1));
    }
    expect(fake.count("newPlot")).toBe(1);
    expect(fake.count("react")).toBe(3);
    expect(r.node.querySelector(".cl-plot")).toBe(plotDiv); // the same div, never rebuilt
    const last = fake.last("react")!;
    expect(last.args[0]).toBe(plotDiv);
    const traces = tracesOf(last);
    expect(traces.map((t) => t.name)).toEqual(["train", "train", "val", "val"]);
    expect(traces[1].x).toHaveLength(40);
    expect(traces[3].line.dash).toBe("dot"); // validation dotted between markers,
    expect(traces[3].mode).toBe("lines+markers");
    expect(traces[3].line.color).not.toBe(traces[1].line.color); // each series its own colour
    // zoom, pan and legend survive: a uirevision that does not change
    expect(layoutOf(last).uirevision).toBe(layoutOf(fake.last("newPlot")).uirevision);
    expect(layoutOf(last).hovermode).toBe("x unified");
  });

  it("draws the raw curve faint behind the smoothed one", async () => {
    const r = make();
    const values = [1, 3, 2, 5];
    await draw(r, curvesBundle([{ name: "loss", steps: [0, 1, 2, 3], values }]));
    const [raw, smooth] = tracesOf(fake.last("newPlot"));
    expect(Array.from(raw.y as number[])).toEqual(values);
    expect(raw.opacity).toBeLessThan(0.5);
    expect(raw.visible).toBe(true);
    expect(raw.hoverinfo).toBe("skip");
    // TensorBoard's debiased EMA by hand at w = 0.6
    const w = DEFAULT_SMOOTHING;
    let s = 0;
    const expected = values.map((v, i) => ((s = w * s + (1 - w) * v), s / (1 - w ** (i + 1))));
    Array.from(smooth.y as Float64Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
    expect(smooth.y[0]).toBeCloseTo(1, 12); // debiasing: the first point is not pulled to 0
    expect(smooth.hovertemplate).toContain("raw");

    const slider = r.node.querySelector<HTMLInputElement>("input[type=range].cl-smoothing")!;
    slider.value = "0";
    slider.dispatchEvent(new Event("input"));
    await vi.waitFor(() => expect(fake.count("react")).toBe(1));
    const [raw0, smooth0] = tracesOf(fake.last("react"));
    expect(raw0.visible).toBe(false);
    expect(Array.from(smooth0.y as number[])).toEqual(values);
    expect(fake.count("newPlot")).toBe(1);
  });

  it("toggles a log y axis without rebuilding, and keeps it through updates", async () => {
    const r = make();
    await draw(r, curvesBundle([run(5)]));
    expect(layoutOf(fake.last("newPlot")).yaxis.type).toBe("linear");
    const box = r.node.querySelector<HTMLInputElement>("input[type=checkbox].cl-logy")!;
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(fake.count("react")).toBe(1));
    const y = layoutOf(fake.last("react")).yaxis;
    expect(y.type).toBe("log");
    // ticks written as values, never Plotly's bare digits between powers of ten
    expect(y.tickmode).toBe("array");
    expect(y.ticktext).toEqual(y.tickvals.map(String));
    expect(y.ticktext).toContain("0.5");
    // the old scale's zoom is not carried into the new one
    expect(y.uirevision).not.toBe(layoutOf(fake.last("newPlot")).yaxis.uirevision);
    await draw(r, curvesBundle([run(6)]));
    expect(layoutOf(fake.last("react")).yaxis.type).toBe("log");
    expect(fake.count("newPlot")).toBe(1);
  });

  it("draws a chart of results on a log x axis with no loop controls", async () => {
    const r = make();
    await draw(r, curvesBundle([{ name: "val", split: "val", steps: [25, 100, 400], values: [0.7, 0.8, 0.9] }], { logX: true, controls: false, running: false, ended: { outcome: "finished", step: 400 } }));
    expect(layoutOf(fake.calls[fake.calls.length - 1]).xaxis.type).toBe("log");
    const controls = r.node.querySelector(".cl-controls") as HTMLElement;
    expect(controls.hidden).toBe(true);
    const loop = make();
    await draw(loop, curvesBundle([run(5)]));
    expect(layoutOf(fake.calls[fake.calls.length - 1]).xaxis.type).toBe("linear");
    expect((loop.node.querySelector(".cl-controls") as HTMLElement).hidden).toBe(false);
  });

  it("says how many points the run logged when the library downsampled", async () => {
    const r = make();
    await draw(r, curvesBundle([{ ...run(2000), count: 100_000 }], { downsampled: true }));
    expect(r.node.querySelector(".cl-curves-count")!.textContent).toBe("showing 2,000 of 100,000 points");
    expect(r.node.dataset.points).toBe("2000");
  });

  it("uses WebGL past 5,000 points, and decimates SVG traces without it", async () => {
    webgl.on = true;
    const r = make();
    await draw(r, curvesBundle([run(6000), { name: "val", split: "val", steps: [10], values: [1] }]));
    let t = tracesOf(fake.last("newPlot"));
    expect(t[1].type).toBe("scattergl");
    expect(t[3].type).toBe("scatter");
    expect(r.node.dataset.trace).toBe("scattergl");

    webgl.on = false;
    await draw(r, curvesBundle([run(20_000)]));
    t = tracesOf(fake.last("react"));
    expect(t[1].type).toBe("scatter");
    expect(t[1].x.length).toBeLessThan(4000);
    expect(t[0].y[0]).toBe(2); // the first point and the largest survive
    expect(r.node.dataset.points).toBe("20000");
  });

  it("colours the theme from JupyterLab's variables", async () => {
    document.body.style.setProperty("--jp-layout-color0", "#111111");
    document.body.style.setProperty("--jp-ui-font-color1", "#eeeeee");
    document.body.style.setProperty("--jp-border-color2", "#444444");
    try {
      const r = make();
      await draw(r, curvesBundle([run(3)]));
      const layout = layoutOf(fake.last("newPlot"));
      expect(layout.paper_bgcolor).toBe("#111111");
      expect(layout.plot_bgcolor).toBe("#111111");
      expect(layout.font.color).toBe("#eeeeee");
      expect(layout.xaxis.gridcolor).toBe("#444444");
    } finally {
      document.body.removeAttribute("style");
    }
  });

  it("shows hostile strings as text", async () => {
    const r = make();
    await draw(r, curvesBundle([{ name: HOSTILE, split: "train", steps: [0, 1], values: [1, 2] }], { title: HOSTILE, xLabel: HOSTILE, monitorId: HOSTILE }));
    expect(r.node.querySelector(".cl-error")).toBeNull();
    expect(noInjectedMarkup(r.node)).toBe(true);
    expect(r.node.querySelector(".cl-curves-title")!.textContent).toBe(HOSTILE);
    const traces = tracesOf(fake.last("newPlot"));
    expect(traces[1].name).toBe(plotlyText(HOSTILE));
    expect(traces[1].name).not.toContain("<");
    expect(traces[1].hovertemplate).not.toContain("<img");
    expect(layoutOf(fake.last("newPlot")).xaxis.title.text).not.toContain("<");
    expect(plotlyText("a<b>&c")).toBe("a&lt;b&gt;&amp;c");
  });

  it("draws an error box naming the field of a malformed bundle", async () => {
    const cases: [unknown, string][] = [
      [{ ...curvesBundle([run(3)]), data: arrowBase64({ step: new Float64Array(3), value: new Float64Array(3) }) }, "data"],
      [{ ...curvesBundle([run(3)]), data: arrowBase64({ step: new Float64Array(3), series: ["a", "a"], value: new Float64Array(3) }) }, "data"],
      [{ ...curvesBundle([run(3)]), series: "train" }, "series"],
      [{ ...curvesBundle([run(3)]), series: [{ split: "train" }] }, "series[0].name"],
      [{ ...curvesBundle([run(3)]), monitorId: 7 }, "monitorId"],
      [{ ...curvesBundle([run(3)]), version: 2 }, "version"],
      [{ ...curvesBundle([run(3)]), running: "yes" }, "running"],
      [{ ...curvesBundle([run(3)]), data: "@@" }, "data"],
      ["nope", "curves"],
    ];
    for (const [bundle, field] of cases) {
      const r = make();
      await draw(r, bundle);
      const box = r.node.querySelector(".cl-error");
      expect(box, field).not.toBeNull();
      expect((box as HTMLElement).dataset.field).toBe(field);
    }
    expect(fake.count("newPlot")).toBe(0);
  });

  it("draws again after an error box, and purges the plot when disposed", async () => {
    const r = make();
    await draw(r, curvesBundle([run(3)]));
    await draw(r, { ...curvesBundle([run(4)]), series: 1 });
    expect(r.node.querySelector(".cl-error")).not.toBeNull();
    await draw(r, curvesBundle([run(5)]));
    expect(r.node.querySelector(".cl-error")).toBeNull();
    expect(r.node.dataset.points).toBe("5");
    r.dispose();
    expect(fake.count("purge")).toBeGreaterThanOrEqual(1);
  });

  it("folds updates that arrive while Plotly is still loading into one more draw", async () => {
    const r = make();
    const first = draw(r, curvesBundle([run(3)]));
    const second = draw(r, curvesBundle([run(4)]));
    const third = draw(r, curvesBundle([run(5)]));
    await Promise.all([first, second, third]);
    expect(fake.count("newPlot")).toBe(1);
    expect(tracesOf(fake.last("newPlot"))[1].x).toHaveLength(5);
    expect(fake.count("react")).toBeLessThanOrEqual(1);
    expect(r.node.dataset.points).toBe("5");
  });
});

describe("curves data, smoothing and decimation", () => {
  it("groups rows by series and keeps undeclared ones", () => {
    const c = readCurves({
      version: 1, xLabel: "step", series: [{ name: "a" }],
      data: arrowBase64({ step: Float64Array.from([0, 0, 1]), series: ["a", "b", "a"], value: Float64Array.from([1, 2, 3]) }),
    });
    expect(c.series.map((s) => [s.name, s.steps, s.values])).toEqual([["a", [0, 1], [1, 3]], ["b", [0], [2]]]);
    expect(c.rows).toBe(3);
  });

  it("smooths like TensorBoard and lets NaN through", () => {
    expect(Array.from(emaSmooth([4, 8], 0.5))).toEqual([4, (0.25 * 4 + 0.5 * 8) / 0.75]);
    const s = emaSmooth([1, NaN, 1], 0.9);
    expect(s[1]).toBeNaN();
    expect(s[2]).toBeCloseTo(1, 12);
    expect(Array.from(emaSmooth([1, 2, 3], 0))).toEqual([1, 2, 3]);
  });

  it("min/max decimation keeps a spike", () => {
    const ys = range(10_000).map((i) => (i === 4321 ? 99 : 1));
    const d = decimateMinMax(range(10_000), ys, 100);
    expect(d.x.length).toBeLessThanOrEqual(400);
    expect(d.y).toContain(99);
    expect(d.x[d.x.length - 1]).toBe(9999);
  });

  it("leaves validation curves unsmoothed and keeps template syntax in names literal", () => {
    const c = readCurves(curvesBundle([{ name: "val %{x}", split: "val", steps: [0, 1], values: [4, 2] }]));
    const [raw, main] = tracesFor(c, { smoothing: 0.9, logY: false, webgl: false, width: 800 });
    expect(raw.visible).toBe(false);
    expect(Array.from(main.y as number[])).toEqual([4, 2]);
    expect(main.mode).toBe("lines+markers");
    expect(main.hovertemplate).toBe("val &#37;{x}: %{y:.4g}<extra></extra>");
  });

  it("thins a WebGL trace of 100,000 points to two min/max buckets a pixel, keeping a spike", () => {
    const ys = range(100_000).map((i) => (i === 54_321 ? 99 : 1 + (i % 7) / 10));
    const c = readCurves(curvesBundle([{ name: "train", split: "train", steps: range(100_000), values: ys }]));
    const [raw, main] = tracesFor(c, { smoothing: 0.6, logY: false, webgl: true, width: 800 });
    expect(main.type).toBe("scattergl");
    expect((main.x as number[]).length).toBeLessThanOrEqual(4 * 2 * 800);
    expect((main.x as number[]).length).toBeGreaterThan(800);
    expect(raw.y as number[]).toContain(99);
    expect((raw.x as number[])[(raw.x as number[]).length - 1]).toBe(99_999);
  }, 30_000); // building 100,000 points takes seconds on a busy machine

  it("switches trace types per series", () => {
    const c = readCurves(curvesBundle([run(6000), run(10, 0)].map((s, i) => ({ ...s, name: `s${i}` }))));
    const t = tracesFor(c, { smoothing: 0, logY: false, webgl: true, width: 800 });
    expect(t.map((x) => x.type)).toEqual(["scattergl", "scattergl", "scatter", "scatter"]);
  });
});
