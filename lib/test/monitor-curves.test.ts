// The curves side of Monitor: a long run's bundle stays small and keeps its shape, a closed
// run says it ended, and the widget's comm gets the loop's state after every command.
import { tableFromIPC } from "apache-arrow";
import { describe, expect, test, vi } from "vitest";
import { BUDGETS } from "../src/display/contract";
import { Monitor, installSink, CURVES_MIME, progress } from "../src";
import { keptIndices, MAX_CURVE_POINTS } from "../src/display/monitor";

const table = (b64: string) => tableFromIPC(Buffer.from(b64, "base64"));
const col = (b64: string, name: string) => Array.from(table(b64).getChild(name)!.toArray() as ArrayLike<number>);

describe("curves bundle size", () => {
  test("a 100k-point run sends at most ~2k points a series, keeping the spike and the last point", () => {
    const m = new Monitor({ show: false });
    for (let i = 0; i < 100_000; i++) {
      m.log({ train: i === 31_337 ? 50 : 2 + Math.sin(i / 100) });
      if (i % 10 === 0) m.log({ val: 1 + 1 / (i + 1) }, i);
    }
    const bundle = m.curvesBundle();
    const c = bundle[CURVES_MIME] as Record<string, any>;
    const t = table(c.data);
    const series = Array.from({ length: t.numRows }, (_, i) => String(t.getChild("series")!.get(i)));
    const steps = col(c.data, "step"), values = col(c.data, "value");
    const train = values.filter((_, i) => series[i] === "train");
    const val = values.filter((_, i) => series[i] === "val");
    expect(train.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    expect(train.length).toBeGreaterThan(500);
    expect(val.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    expect(Math.max(...train)).toBe(50);
    expect(steps[steps.lastIndexOf(99_999)]).toBe(99_999);
    expect(values[series.lastIndexOf("train")]).toBe(2 + Math.sin(99_999 / 100));
    expect(c.downsampled).toBe(true);
    expect(c.series).toEqual([{ name: "train", split: "train", count: 100_000 }, { name: "val", split: "val", count: 10_000 }]);
    expect(m.points.length).toBe(110_000); // the record stays complete
    // the newest eighth of the budget arrives exactly, every step of it
    const trainSteps = steps.filter((_, i) => series[i] === "train");
    expect(trainSteps.slice(-200)).toEqual(Array.from({ length: 200 }, (_, i) => 99_800 + i));
    expect(bundle["image/svg+xml"]).toMatch(/^<svg/);
    m.close();
  });

  test("a short run is sent whole, and decimation keeps order, minimum and maximum", () => {
    const m = new Monitor({ show: false });
    for (let i = 0; i < 10; i++) m.log({ loss: i });
    const c = m.curvesBundle()[CURVES_MIME] as Record<string, any>;
    expect(col(c.data, "value")).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(c.downsampled).toBe(false);
    expect(c.running).toBe(true);
    m.close();

    const v: number[] = Array.from({ length: 10_000 }, (_, i) => (i === 1234 ? -7 : i === 4321 ? 9 : 0));
    v[5000] = NaN;
    const k = keptIndices(v, 400);
    expect(k.length).toBeLessThanOrEqual(400);
    expect(k).toEqual([...k].sort((a, b) => a - b));
    expect(new Set(k).size).toBe(k.length);
    expect(k).toContain(1234);
    expect(k).toContain(4321);
    expect(k[k.length - 1]).toBe(9999);
    expect(keptIndices(v, 1).length).toBeLessThanOrEqual(16); // a tiny budget still ends
  });
});

describe("monitor comm", () => {
  test("state after open and after every command; closing the monitor ends the run", () => {
    let target: ((comm: any, msg: any) => void) | null = null;
    const updates: Record<string, any>[] = [];
    installSink({
      kind: "test",
      display: () => {},
      updateDisplay: (_id: string, b: Record<string, any>) => updates.push(b[CURVES_MIME]),
      registerCommTarget: (_name: string, h: (comm: any, msg: any) => void) => { target = h; },
    } as never);
    try {
      const optimizer = { paramGroups: [{ lr: 0.1 }] };
      const m = new Monitor({ optimizer });
      expect(target).not.toBeNull();
      const sent: unknown[] = [];
      let onMsg: (d: unknown) => void = () => {};
      const closeHandlers: (() => void)[] = [];
      const comm = {
        commId: "c1", targetName: "chainlab.monitor", closed: false,
        send: (d: unknown) => sent.push(d),
        onMsg: (h: (d: unknown) => void) => { onMsg = h; },
        onClose: (h: () => void) => closeHandlers.push(h),
        close: (d: unknown) => { comm.closed = true; sent.push({ closed: d }); closeHandlers.forEach((h) => h()); },
      };
      target!(comm, { content: { data: { monitorId: m.id } } });
      expect(sent).toEqual([{ state: { stopRequested: false, paused: false, lr: 0.1 } }]);
      onMsg({ action: "pause" });
      onMsg({ action: "lr", lr: 0.03 });
      onMsg({ action: "resume" });
      onMsg({ action: "stop" });
      expect(sent.slice(1)).toEqual([
        { state: { stopRequested: false, paused: true, lr: 0.1 } },
        { state: { stopRequested: false, paused: true, lr: 0.03 } },
        { state: { stopRequested: false, paused: false, lr: 0.03 } },
        { state: { stopRequested: true, paused: false, lr: 0.03 } },
      ]);
      m.log({ train: 1 });
      m.close();
      expect(updates[updates.length - 1].running).toBe(false);
      expect(sent[sent.length - 1]).toEqual({ closed: { ended: { outcome: "stopped", step: 0 } } });

      const other = { ...comm, closed: false, close: (d: unknown) => sent.push({ refused: d }) };
      target!(other, { content: { data: { monitorId: m.id } } });
      expect(sent[sent.length - 1]).toEqual({ refused: { error: `no running monitor ${m.id}` } });
    } finally {
      installSink(undefined);
    }
  });
});

describe("runs, budgets and the chart's labels", () => {
  const rowsOf = (c: Record<string, any>) => {
    const t = table(c.data);
    return Array.from({ length: t.numRows }, (_, i) => ({
      step: Number(t.getChild("step")!.get(i)), series: String(t.getChild("series")!.get(i)),
      value: Number(t.getChild("value")!.get(i)), run: t.getChild("run") ? String(t.getChild("run")!.get(i)) : undefined,
    }));
  };

  test("a chart of results asks for a log x axis and no loop controls; a training monitor says neither", () => {
    const chart = new Monitor({ show: false, xLabel: "labelled examples", logX: true, controls: false });
    chart.log({ "val, full": 0.9 }, 100);
    chart.close();
    const c = chart.curvesBundle()[CURVES_MIME] as Record<string, unknown>;
    expect(c.logX).toBe(true);
    expect(c.controls).toBe(false);
    const loop = new Monitor({ show: false });
    loop.log({ train: 1 }, 0);
    const l = loop.curvesBundle()[CURVES_MIME] as Record<string, unknown>;
    expect("logX" in l || "controls" in l).toBe(false);
    loop.close();
  });

  test("runs logged into one monitor are series of their own, and the table names each row's run", () => {
    const m = new Monitor({ show: false, yLabel: "cross-entropy", logY: true });
    for (let step = 0; step < 3; step++) {
      m.log({ train: 1 / (step + 1) }, step, { run: "sigmoid" });
      m.log({ train: 2 / (step + 1) }, step, { run: "relu" });
    }
    m.log({ val: 0.4 }, 2, { run: "relu" });
    const c = m.curvesBundle()[CURVES_MIME] as Record<string, any>;
    expect(c.series).toEqual([
      { name: "train", run: "sigmoid", split: "train", count: 3 },
      { name: "train", run: "relu", split: "train", count: 3 },
      { name: "val", run: "relu", split: "val", count: 1 },
    ]);
    expect(c.yLabel).toBe("cross-entropy");
    expect(c.logY).toBe(true);
    const rows = rowsOf(c);
    expect(rows.filter((r) => r.run === "relu" && r.series === "train").map((r) => r.value)).toEqual([2, 1, 2 / 3]);
    expect(rows.filter((r) => r.run === "sigmoid").map((r) => r.step)).toEqual([0, 1, 2]);
    expect(m.curvesBundle()["text/plain"]).toContain("relu val 0.4");
    m.close();
  });

  test("split: a series named for what it measures is drawn as held-out points when asked; a bad split is refused", () => {
    const m = new Monitor({ show: false });
    m.log({ "test accuracy": 0.7 }, 25, { run: "full", split: "val" });
    m.log({ "test accuracy": 0.9 }, 400, { run: "full", split: "val" });
    m.log({ accuracy: 0.5 }, 25);
    const c = m.curvesBundle()[CURVES_MIME] as Record<string, any>;
    expect(c.series).toEqual([{ name: "test accuracy", run: "full", split: "val", count: 2 }, { name: "accuracy", count: 1 }]);
    expect(() => m.log({ x: 1 }, 1, { split: "test" as "val" })).toThrow(/split must be "train" or "val", got test/);
    m.close();
  });

  test("a monitor without runs sends no run column, and says 'loss' on its y axis", () => {
    const m = new Monitor({ show: false });
    m.log({ loss: 1 });
    const c = m.curvesBundle()[CURVES_MIME] as Record<string, any>;
    expect(table(c.data).getChild("run")).toBeNull();
    expect(c.yLabel).toBe("loss");
    expect(c.logY).toBeUndefined();
    expect(c.series).toEqual([{ name: "loss", count: 1 }]);
    m.close();
  });

  test(`at most BUDGETS.curveSeries series are sent; the rest are counted, and one warning says so`, () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const m = new Monitor({ show: false });
      const t0 = performance.now();
      for (let i = 0; i < 20_000; i++) m.log({ ["s" + i]: i }, 0);
      const bundle = m.curvesBundle();
      const c = bundle[CURVES_MIME] as Record<string, any>;
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(c.series).toHaveLength(BUDGETS.curveSeries);
      expect(c.seriesTotal).toBe(20_000);
      expect(rowsOf(c)).toHaveLength(BUDGETS.curveSeries);
      expect(String(bundle["text/plain"])).toContain(`20000 series, ${BUDGETS.curveSeries} drawn`);
      expect(m.points).toHaveLength(20_000); // recorded all the same
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain(`more than ${BUDGETS.curveSeries} series`);
      m.close();
    } finally {
      warn.mockRestore();
    }
  });

  test("the linked optimizer's learning rate is noted where it changes, per run", () => {
    const optimizer = { paramGroups: [{ lr: 0.1 }] };
    const m = new Monitor({ show: false, optimizer });
    for (let step = 0; step < 6; step++) {
      if (step === 3) optimizer.paramGroups[0].lr = 0.01;
      m.log({ train: 1 }, step);
    }
    m.log({ train: 1 }, 0, { run: "b", lr: 0.5 });
    const c = m.curvesBundle()[CURVES_MIME] as Record<string, any>;
    expect(c.lr).toEqual([{ step: 0, lr: 0.1 }, { step: 3, lr: 0.01 }, { step: 0, lr: 0.5, run: "b" }]);
    m.close();

    // a schedule that changes it every step sends the first and the newest changes
    const sched = new Monitor({ show: false });
    for (let step = 0; step < 1000; step++) sched.log({ train: 1 }, step, { lr: 1 / (step + 1) });
    const s = sched.curvesBundle()[CURVES_MIME] as Record<string, any>;
    expect(s.lr).toHaveLength(200);
    expect(s.lrTotal).toBe(1000);
    expect(s.lr[199]).toEqual({ step: 999, lr: 1 / 1000 });
    sched.close();
  });

  test("a step that is not a number is refused naming the argument", () => {
    const m = new Monitor({ show: false });
    expect(() => m.log({ train: 1 }, NaN)).toThrow(/step must be a number/);
    expect(() => m.log({ train: 1 }, 0, { run: 3 as never })).toThrow(/run must be a string/);
    m.close();
  });
});

describe("progress bar totals", () => {
  test("a total that is not a finite count is no total: the bar counts up instead of printing NaN or Infinity", () => {
    for (const total of [NaN, Infinity, -1]) {
      const lines: string[] = [];
      const bar = progress([1, 2, 3], { total, write: (l) => lines.push(l), minInterval: 0 });
      for (const _ of bar) { /* iterate */ }
      expect(bar.total).toBeUndefined();
      expect(lines[lines.length - 1]).toMatch(/^3 it \[/);
    }
    expect(progress(10).total).toBe(10);
  });
});
