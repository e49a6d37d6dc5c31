// What a learner reads off a loss chart: colours, the y axis' title and log ticks, a range
// that keeps noise small, runs overlaid, non-finite values and learning-rate changes marked,
// and the series budget on a saved bundle.
import { describe, expect, it } from "vitest";
import { countText } from "../src/curves/renderer";
import { readCurves } from "../src/curves/bundle";
import { OFF_SCALE, RAW_CURVES_UP_TO, layoutFor, logTicks, tickText, tracesFor, yRange, type PlotOptions } from "../src/curves/plot";
import { BUDGETS } from "../src/shared/mime";
import { curvesBundle, range } from "./curves-fakes";
import { arrowBase64 } from "./helpers";

type Any = Record<string, any>;
const opts = (o: Partial<PlotOptions> = {}): PlotOptions => ({ smoothing: 0, logY: false, webgl: false, width: 800, ...o });
const theme = { background: "#fff", font: "#333", fontFamily: "sans-serif", grid: "#ddd" };
const layout = (c: ReturnType<typeof readCurves>, o: Partial<PlotOptions> = {}) => layoutFor(c, theme, opts(o), 1) as Any;
const mainTraces = (t: Any[]) => t.filter((x) => x.showlegend !== false);

describe("colours, order and titles", () => {
  it("gives each series its own colour and draws validation last, with markers", () => {
    const c = readCurves(curvesBundle([
      { name: "val", split: "val", steps: [0, 5], values: [1, 0.8] },
      { name: "train", split: "train", steps: range(6), values: [2, 1.5, 1.2, 1, 0.9, 0.85] },
      { name: "accuracy", steps: range(6), values: range(6).map((i) => i / 10) },
    ]));
    const t = mainTraces(tracesFor(c, opts()) as Any[]);
    expect(t.map((x) => x.name)).toEqual(["train", "accuracy", "val"]);
    expect(new Set(t.map((x) => x.line.color)).size).toBe(3);
    expect(t[2].mode).toBe("lines+markers");
    expect(t[2].marker.size).toBeGreaterThanOrEqual(6);
    expect(t[0].line.dash).toBe("solid");
  });

  it("titles the y axis with the bundle's yLabel, 'loss' for bundles that name none", () => {
    const named = readCurves(curvesBundle([{ name: "train", steps: [0], values: [1] }], { yLabel: "cross-entropy <b>" }));
    expect(layout(named).yaxis.title.text).toBe("cross-entropy &lt;b&gt;");
    expect(layout(readCurves(curvesBundle([{ name: "train", steps: [0], values: [1] }]))).yaxis.title.text).toBe("loss");
  });

  it("overlays runs: one colour per run on shared axes, train solid and validation marked", () => {
    const c = readCurves(curvesBundle([
      { name: "train", run: "sigmoid", split: "train", steps: range(4), values: [1.1, 1.1, 1.1, 1.1] },
      { name: "train", run: "relu", split: "train", steps: range(4), values: [1.1, 0.8, 0.5, 0.3] },
      { name: "val", run: "relu", split: "val", steps: [3], values: [0.4] },
    ]));
    expect(c.series.map((s) => [s.run, s.name, s.values.length])).toEqual([["sigmoid", "train", 4], ["relu", "train", 4], ["relu", "val", 1]]);
    const t = mainTraces(tracesFor(c, opts()) as Any[]);
    expect(t.map((x) => x.name)).toEqual(["sigmoid train", "relu train", "relu val"]);
    expect(t[0].line.color).not.toBe(t[1].line.color);
    expect(t[2].line.color).toBe(t[1].line.color);
    expect(t[2].mode).toBe("lines+markers");
    expect(t.every((x) => !x.xaxis && !x.yaxis)).toBe(true); // one pair of axes
  });

  it("reads a run column's empty string as no run, and the same name in two runs as two series", () => {
    const c = readCurves({
      version: 1, xLabel: "step", series: [],
      data: arrowBase64({ step: Float64Array.from([0, 0, 0]), series: ["loss", "loss", "loss"], value: Float64Array.from([1, 2, 3]), run: ["", "a", "b"] }),
    });
    expect(c.series.map((s) => s.run)).toEqual([undefined, "a", "b"]);
  });
});

describe("the y axis", () => {
  it("writes log ticks as values: 0.5, 0.2, 0.1, never bare digits or 10^-1", () => {
    expect(logTicks(0.05, 0.8)).toEqual([0.05, 0.1, 0.2, 0.5]);
    expect(logTicks(0.3, 0.9)).toEqual([0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(logTicks(0.01, 3)).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2]);
    expect(logTicks(1e-6, 10)).toEqual([1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 1, 10]);
    expect(logTicks(1e-12, 1e12).length).toBeLessThanOrEqual(9);
    expect(logTicks(0.7, 1.3).length).toBeGreaterThanOrEqual(4);
    expect([0.5, 0.2, 0.05, 1, 1500, 1e-7, 2.5e8].map(tickText)).toEqual(["0.5", "0.2", "0.05", "1", "1500", "1e-7", "2.5e8"]);
    const c = readCurves(curvesBundle([{ name: "train", steps: range(50), values: range(50).map((i) => 0.9 * 0.93 ** i) }]));
    const y = layout(c, { logY: true }).yaxis;
    expect(y.type).toBe("log");
    expect(y.tickmode).toBe("array");
    expect(y.ticktext).toContain("0.5");
    expect(y.ticktext).toContain("0.1");
    for (const t of y.ticktext as string[]) expect(Number(t)).toBeLessThan(1.5); // "7" for 0.7 never appears
  });

  it("keeps a stalled loss flat: 1.099 to 1.104 is drawn in a range a fifth of its size, and says so", () => {
    const values = range(100).map((i) => 1.1015 + 0.0025 * Math.sin(i));
    const c = readCurves(curvesBundle([{ name: "train", steps: range(100), values }]));
    const y = layout(c).yaxis;
    expect(y.autorange).toBe(false);
    expect(y.range[1] - y.range[0]).toBeCloseTo(0.2 * Math.max(...values), 9);
    expect(y.range[0]).toBeLessThan(1.0);
    expect(y.range[1]).toBeGreaterThan(1.2);
    expect((layout(c).annotations as Any[]).map((a) => a.text).join()).toMatch(/all values within 1\.099 to 1\.104 /);
    const logRange = yRange(c, true).range!;
    expect(logRange[1] - logRange[0]).toBeGreaterThan(0.15);
    // a loss that falls is autoranged as before
    const falling = readCurves(curvesBundle([{ name: "train", steps: range(10), values: range(10).map((i) => 2 / (i + 1)) }]));
    expect(layout(falling).yaxis.autorange).toBe(true);
    expect(layout(falling).annotations).toEqual([]);
  });
});

describe("marks", () => {
  it("marks where a loss turned NaN with an x on its last value, a dashed line and a note", () => {
    const values = [1, 0.9, 0.8, NaN, NaN, 0.7, Infinity];
    const c = readCurves(curvesBundle([{ name: "train", steps: range(7), values }]));
    const t = tracesFor(c, opts({ smoothing: 0.6 })) as Any[];
    const marks = t.find((x) => x.name === "not finite")!;
    expect(marks.x).toEqual([3, 6]);
    expect(marks.y).toEqual([0.8, 0.7]);
    expect(marks.text[0]).toBe("train: NaN at step 3");
    const l = layout(c);
    expect((l.shapes as Any[]).some((s) => s.x0 === 3 && s.line.dash === "dash")).toBe(true);
    expect((l.annotations as Any[]).map((a) => a.text)).toContain("train: NaN at step 3");
  });

  it("draws ±1e308 as off the scale, so Plotly never gets a value it cannot place", () => {
    const values = [1, 1e308, -1e308, 0.5, Number.MAX_VALUE];
    const c = readCurves(curvesBundle([{ name: "train", steps: range(5), values }]));
    for (const tr of tracesFor(c, opts({ smoothing: 0.6 })) as Any[]) {
      for (const v of Array.from(tr.y as ArrayLike<number>)) expect(Number.isNaN(v) || Math.abs(v) <= OFF_SCALE).toBe(true);
    }
    expect((tracesFor(c, opts()) as Any[]).find((x) => x.name === "not finite")!.text[0]).toMatch(/1\.00e\+308 at step 1/);
    expect(yRange(c, false).range).toBeNull();
    const y = layout(c, { logY: true }).yaxis;
    for (const v of y.tickvals ?? []) expect(Number.isFinite(v)).toBe(true);
  });

  it("marks learning-rate changes on the x axis, in the run's colour, and a schedule with one note", () => {
    const c = readCurves(curvesBundle([{ name: "train", steps: range(10), values: range(10).map(() => 1) }], {
      lr: [{ step: 0, lr: 0.1 }, { step: 5, lr: 0.01 }],
    }));
    const l = layout(c);
    const shape = (l.shapes as Any[]).find((s) => s.x0 === 5)!;
    expect(shape.y0).toBe(0);
    expect(shape.line.color).toBe(theme.font); // the monitor's rate, not one series'
    const ofRun = readCurves(curvesBundle([{ name: "train", run: "r", steps: range(10), values: range(10) }], {
      lr: [{ step: 0, lr: 0.1, run: "r" }, { step: 5, lr: 0.01, run: "r" }],
    }));
    expect((layout(ofRun).shapes as Any[])[0].line.color).toBe(mainTraces(tracesFor(ofRun, opts()) as Any[])[0].line.color);
    expect((l.annotations as Any[]).map((a) => a.text)).toContain("lr 0.01");
    expect((l.shapes as Any[]).some((s) => s.x0 === 0)).toBe(false); // the first rate is no change

    const sched = readCurves(curvesBundle([{ name: "train", steps: [0], values: [1] }], {
      lr: range(200).map((i) => ({ step: i, lr: 1 / (i + 1) })), lrTotal: 5000,
    }));
    const ls = layout(sched);
    expect(ls.shapes).toEqual([]);
    expect((ls.annotations as Any[]).map((a) => a.text)).toContain("learning rate changed 5000 times (a schedule)");
  });

  it("refuses a malformed learning-rate list naming the field", () => {
    expect(() => readCurves(curvesBundle([], { lr: [{ step: "x", lr: 1 }] }))).toThrow(/lr\[0\]\.step/);
    expect(() => readCurves(curvesBundle([], { lr: 3 }))).toThrow(/^lr:/);
  });
});

describe("the series budget", () => {
  it(`draws the first ${BUDGETS.curveSeries} of a saved bundle's 20,000 series, says so, and reads it fast`, () => {
    const n = 20_000;
    const bundle = {
      version: 1, xLabel: "step",
      series: range(n).map((i) => ({ name: "s" + i, count: 1 })),
      data: arrowBase64({ step: new Float64Array(n), series: range(n).map((i) => "s" + i), value: Float64Array.from(range(n)) }),
    };
    const t0 = performance.now();
    const c = readCurves(bundle);
    const traces = tracesFor(c, opts({ smoothing: 0.6 }));
    const ms = performance.now() - t0;
    expect(c.series).toHaveLength(BUDGETS.curveSeries);
    expect(c.seriesTotal).toBe(n);
    expect(traces.length).toBeLessThanOrEqual(2 * BUDGETS.curveSeries);
    expect(countText(c)).toBe(`showing ${BUDGETS.curveSeries} of 20,000 series, ${BUDGETS.curveSeries} points`);
    expect(ms).toBeLessThan(1000);
    // rows of series the header leaves out count against the same budget
    const undeclared = readCurves({ ...bundle, series: [] });
    expect(undeclared.series).toHaveLength(BUDGETS.curveSeries);
    expect(undeclared.seriesTotal).toBe(n);
  });

  it("takes the library's seriesTotal when it sent only the budget", () => {
    const c = readCurves(curvesBundle([{ name: "a", steps: [0], values: [1] }], { seriesTotal: 900 }));
    expect(countText(c)).toBe("showing 1 of 900 series, 1 points");
  });
});

describe("learning-rate marks of runs", () => {
  it("gives runs that change to the same rate at the same step one note, and stacks different ones", () => {
    const series = ["a", "b"].map((run) => ({ name: "train", run, steps: range(10), values: range(10).map(() => 1) }));
    const same = readCurves(curvesBundle(series, { lr: [
      { step: 0, lr: 0.1, run: "a" }, { step: 0, lr: 0.1, run: "b" }, { step: 5, lr: 0.01, run: "a" }, { step: 5, lr: 0.01, run: "b" },
    ] }));
    const lrNotes = (c: ReturnType<typeof readCurves>) => (layout(c).annotations as Any[]).filter((a) => /^lr /.test(a.text));
    expect(lrNotes(same).map((a) => a.text)).toEqual(["lr 0.01"]);
    const apart = readCurves(curvesBundle(series, { lr: [
      { step: 0, lr: 0.1, run: "a" }, { step: 0, lr: 0.1, run: "b" }, { step: 5, lr: 0.01, run: "a" }, { step: 5, lr: 0.05, run: "b" },
    ] }));
    const notes = lrNotes(apart);
    expect(notes.map((a) => a.text)).toEqual(["lr 0.01 (a)", "lr 0.05 (b)"]);
    expect(notes[0].y).not.toBe(notes[1].y);
  });
});

describe("raw curves", () => {
  it("draws the faint raw curves behind at most RAW_CURVES_UP_TO series", () => {
    const series = (n: number) => range(n).map((i) => ({ name: "s" + i, steps: range(5), values: range(5) }));
    const visibleRaw = (n: number) => (tracesFor(readCurves(curvesBundle(series(n))), opts({ smoothing: 0.6 })) as Any[]).filter((t) => t.showlegend === false && t.visible).length;
    expect(visibleRaw(RAW_CURVES_UP_TO)).toBe(RAW_CURVES_UP_TO);
    expect(visibleRaw(RAW_CURVES_UP_TO + 1)).toBe(0);
  });
});
