// Display bundles: what the extension and static viewers receive must decode to the
// tensor's own numbers, and no string from user data may become markup.
import { tableFromIPC } from "apache-arrow";
import { describe, expect, test } from "vitest";
import { Monitor, installSink, zeros, display, metrics, computationGraph, manualSeed, randn, tensor, TENSOR_MIME, GRAPH_MIME, CURVES_MIME, GRADFLOW_MIME } from "../src";

const bundleOf = (x: object) => (x as Record<symbol, () => Record<string, any>>)[Symbol.for("Jupyter.display")]();
const column = (b64: string, name: string) => Array.from(tableFromIPC(Buffer.from(b64, "base64")).getChild(name)!.toArray() as ArrayLike<number>);

describe("axis labels", () => {
  const displayed = (obj: unknown, labels?: object) => {
    const shown: Record<string, any>[] = [];
    installSink({ display: (b: Record<string, any>) => shown.push(b) } as never);
    try {
      display(obj, labels ? { labels } : {});
    } finally {
      installSink(undefined);
    }
    return shown[0];
  };

  test("display(t, {labels}) puts the names and axis titles into the bundle and the static table", () => {
    const tokens = ["the", "<b>cat</b>", "sat"];
    const b = displayed(tensor([[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]]), { rows: tokens, cols: tokens, rowTitle: "query", colTitle: "key" });
    expect(b[TENSOR_MIME].labels).toEqual({ rows: tokens, cols: tokens, rowTitle: "query", colTitle: "key" });
    expect(b["text/html"]).toContain("<th>&#60;b&#62;cat&#60;/b&#62;</th>");
    expect(b["text/html"]).not.toContain("<b>cat");
    expect(b["text/html"]).toContain("rows: query, columns: key");
    // without labels nothing is added
    expect(displayed(tensor([1, 2]))[TENSOR_MIME].labels).toBeUndefined();
  });

  test("labels of the wrong count or kind are refused, naming the axis and the shape", () => {
    expect(() => displayed(tensor([[1, 2], [3, 4]]), { rows: ["a", "b", "c"] })).toThrow(
      /display\(\): labels\.rows has 3 names, but the tensor's rows \(dim -2 of \[2, 2\]\) number 2/,
    );
    expect(() => displayed(tensor([1, 2]), { rows: ["a"] })).toThrow(/labels\.rows given, but a tensor of shape \[2\] has no rows/);
    expect(() => displayed(tensor([1, 2]), { cols: [1, 2] })).toThrow(/labels\.cols must be an array of strings/);
  });

  test("a large tensor sends the labels of its shown corner only, each cut to 60 characters", () => {
    const x = zeros(200, 200);
    const names = Array.from({ length: 200 }, (_, i) => `row ${i} `.repeat(20));
    const j = displayed(x, { rows: names })[TENSOR_MIME];
    expect(j.labels.rows).toHaveLength(j.shownShape[0]);
    expect(j.labels.rows[0]).toHaveLength(60);
    expect(j.labels.rows[0].endsWith("…")).toBe(true);
  });

  test("confusionMatrix displays with class names and 'true' / 'predicted' axes", () => {
    const cm = metrics.confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2], 3, { classNames: ["cat", "dog", "bird"] });
    expect(cm.toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 1, 1]]);
    const j = bundleOf(cm)[TENSOR_MIME];
    expect(j.labels).toEqual({ rows: ["cat", "dog", "bird"], cols: ["cat", "dog", "bird"], rowTitle: "true", colTitle: "predicted" });
    expect(bundleOf(metrics.confusionMatrix([0, 1], [1, 1]))[TENSOR_MIME].labels.cols).toEqual(["0", "1"]);
    expect(() => metrics.confusionMatrix([0, 1], [1, 1], 2, { classNames: ["a"] })).toThrow(/classNames has 1 names for 2 classes/);
    // a tensor computed from it is plain again
    expect(bundleOf(cm.float().div(4))[TENSOR_MIME].labels).toBeUndefined();
  });
});

describe("tensor bundle", () => {
  test("an empty tensor with huge dims prints, displays and bundles in milliseconds", () => {
    const start = performance.now();
    const z = zeros([1e9, 0]);
    const b = bundleOf(z);
    expect(b["text/plain"]).toBe("tensor([], shape=[1000000000, 0], dtype=float32)");
    expect(b["text/html"]).toContain("tensor([], shape=[1000000000, 0]");
    const j = b[TENSOR_MIME];
    expect(j).toMatchObject({ shape: [1e9, 0], shownShape: [1e9, 0], truncated: false });
    expect(column(j.data, "value")).toEqual([]);
    expect(JSON.stringify(b).length).toBeLessThan(4000);
    expect(performance.now() - start).toBeLessThan(500);
  });

  test("carries values, shape, stats and gradient", () => {
    const x = tensor([[1, -2, 3], [4, 5, -6]], { requiresGrad: true });
    x.mul(x).sum().backward();
    const b = bundleOf(x);
    expect(b["text/plain"]).toBe(x.toString());
    const j = b[TENSOR_MIME];
    expect(j).toMatchObject({ version: 1, shape: [2, 3], dtype: "float32", truncated: false });
    expect(column(j.data, "value")).toEqual([1, -2, 3, 4, 5, -6]);
    expect(j.stats.min).toBe(-6);
    expect(j.stats.max).toBe(5);
    expect(j.stats.mean).toBeCloseTo(5 / 6);
    expect(column(j.grad.data, "value")).toEqual([2, -4, 6, 8, 10, -12]);
    // a small tensor's static fallback is its printed values, not a heatmap
    expect(b["text/html"]).toContain("<pre>");
    expect(b["image/svg+xml"]).toBeUndefined();
  });

  test("a large tensor sends a leading corner and counts NaN and inf", () => {
    manualSeed(1);
    const x = randn(300, 400);
    x.storage[0] = NaN;
    x.storage[1] = Infinity;
    const j = bundleOf(x)[TENSOR_MIME];
    expect(j.truncated).toBe(true);
    expect(j.shownShape[0] * j.shownShape[1]).toBeLessThanOrEqual(10_000);
    expect(j.stats.nan).toBe(1);
    expect(j.stats.inf).toBe(1);
    const shown = column(j.data, "value");
    expect(shown[2]).toBeCloseTo(x.storage[2]);
    expect(shown[j.shownShape[1]]).toBeCloseTo(x.storage[400]); // second row starts at x[1, 0]
  });

  test("names are escaped in the SVG and HTML fallbacks", () => {
    const x = randn(20, 20);
    x.name = "<script>alert(1)</script>";
    const svg = bundleOf(x)["image/svg+xml"] as string;
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&#60;script&#62;");
    const y = tensor([1, 2]);
    y.name = x.name;
    const html = bundleOf(y)["text/html"] as string;
    expect(html).not.toContain("<script>");
    expect(html).toContain("&#60;script&#62;");
  });
});

describe("computation graph bundle", () => {
  test("nodes and edges follow gradFn, with values and gradients", () => {
    const a = tensor(2, { requiresGrad: true });
    const b = tensor(-3, { requiresGrad: true });
    const y = a.mul(b).add(a);
    y.backward();
    const g = bundleOf(computationGraph(y))[GRAPH_MIME];
    expect(g.nodes.map((n: any) => n.op)).toEqual(["add", "mul", "leaf", "leaf"]);
    expect(g.edges).toEqual([[1, 0], [2, 0], [2, 1], [3, 1]]);
    const leafA = g.nodes[2];
    expect(leafA.value).toEqual([2]);
    expect(leafA.grad).toEqual([-2]); // dy/da = b + 1
  });
});

describe("Monitor", () => {
  test("records curves and per-layer gradient flow", () => {
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const bias = tensor([0.5, 0.5], { requiresGrad: true });
    const model = { namedParameters: () => [["fc.weight", w], ["fc.bias", bias]] as [string, typeof w][] };
    const m = new Monitor({ title: "run", model, show: false });
    for (let step = 0; step < 3; step++) {
      w.grad = null;
      w.mul(step + 1).sum().backward();
      m.log({ train: 1 / (step + 1) });
    }
    m.log({ val: 0.4 }, 2);
    const c = bundleOf(m)[CURVES_MIME];
    expect(c.series).toEqual([{ name: "train", split: "train", count: 3 }, { name: "val", split: "val", count: 1 }]);
    expect(column(c.data, "value")).toEqual([1, 0.5, 1 / 3, 0.4]);
    expect(column(c.data, "step")).toEqual([0, 1, 2, 2]);
    const gf = m.gradflowBundle()[GRADFLOW_MIME] as { layers: string[]; data: string };
    expect(gf.layers).toEqual(["fc.weight"]); // vectors are left out by default
    expect(column(gf.data, "gradMean")).toEqual([1, 2, 3]);
    expect(column(gf.data, "weightNorm")[0]).toBeCloseTo(Math.sqrt(30));
  });

  test("widget commands stop, pause and set the learning rate", async () => {
    const optimizer = { paramGroups: [{ lr: 0.1 }, { lr: 0.2 }] };
    const m = new Monitor({ optimizer, show: false });
    m.command({ action: "lr", lr: 0.01 });
    expect(optimizer.paramGroups.map((g) => g.lr)).toEqual([0.01, 0.01]);
    m.command({ action: "lr", lr: -1 });
    expect(optimizer.paramGroups[0].lr).toBe(0.01);
    m.command({ action: "pause" });
    const polled = m.poll();
    setTimeout(() => m.command({ action: "resume" }), 60);
    expect(await polled).toBe(true);
    m.command({ action: "stop" });
    expect(await m.poll()).toBe(false);
  });

  test("the last values of a fast loop reach the notebook", async () => {
    const updates: string[] = [];
    const sink = {
      kind: "test",
      display: () => {},
      updateDisplay: (_id: string, bundle: Record<string, unknown>) => updates.push(String(bundle["text/plain"])),
      registerCommTarget: () => {},
    };
    installSink(sink as never);
    try {
      const m = new Monitor({ title: "fast", redrawMs: 100 });
      for (let i = 0; i < 50; i++) m.log({ train: i });
      expect(updates.length).toBeLessThan(5); // throttled
      await new Promise((r) => setTimeout(r, 200));
      expect(updates[updates.length - 1]).toBe("fast: step 49, train 49");
    } finally {
      installSink(undefined);
    }
  });
});
