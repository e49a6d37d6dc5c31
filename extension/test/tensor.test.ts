// The tensor renderer, fed bundles made by the library itself: numbers for small tensors,
// heatmaps with slices, zoom and tables for bigger ones, in-place updates, error boxes for
// damaged bundles and text for hostile strings.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { arange, randn, manualSeed, tensor, zeros, metrics } from "../../lib/src";
import { BUDGETS, MIME } from "../src/shared/mime";
import { TensorRenderer, tensorView } from "../src/tensor/renderer";
import { palette, paintCells } from "../src/tensor/paint";
import { scaleFor, NAN_RGB, POS_INF_RGB, NEG_INF_RGB, type Rgb } from "../src/shared/colour";
import { tickStep } from "../src/tensor/axes";
import { numberFormat } from "chainlab/dist/display/number-format";
import { fmtNumber } from "../src/shared/format";
import { arrowBase64, HOSTILE, mimeModel, noInjectedMarkup, rendererOptions } from "./helpers";

type Bundle = Record<string, unknown>;
const payloadOf = (x: object): Bundle =>
  (x as Record<symbol, () => Record<string, Bundle>>)[Symbol.for("Jupyter.display")]()[MIME.tensor];

async function draw(data: unknown, r = new TensorRenderer(rendererOptions(MIME.tensor))): Promise<TensorRenderer> {
  await r.renderModel(mimeModel(MIME.tensor, data));
  return r;
}

const q = (r: TensorRenderer, sel: string) => r.node.querySelector(sel) as HTMLElement | null;
const qa = (r: TensorRenderer, sel: string) => Array.from(r.node.querySelectorAll(sel)) as HTMLElement[];

function bundle(values: Float32Array | Int32Array, shape: number[], extra: Bundle = {}): Bundle {
  return {
    version: 1, shape, shownShape: shape, dtype: values instanceof Int32Array ? "int32" : "float32",
    stats: { min: Math.min(...values.slice(0, 1000)), max: Math.max(...values.slice(0, 1000)), mean: 0, std: 1, nan: 0, inf: 0 },
    truncated: false, data: arrowBase64({ value: values }), ...extra,
  };
}

beforeAll(() => {
  // jsdom has no 2-D context and says so loudly; the renderer draws nothing without one
  HTMLCanvasElement.prototype.getContext = (() => null) as never;
});
afterEach(() => vi.restoreAllMocks());

describe("small tensors are numbers", () => {
  it("prints a scalar as PyTorch does", async () => {
    const r = await draw(payloadOf(tensor(28)));
    expect(q(r, ".cl-tensor .cl-tensor-values")!.textContent).toBe("tensor(28.)");
    expect(q(r, "canvas")).toBeNull();
  });

  it("prints a vector, a matrix in aligned columns, and int32 without the dot", async () => {
    expect(q(await draw(payloadOf(tensor([12, 20, 28]))), ".cl-tensor-values")!.textContent).toBe("tensor([12., 20., 28.])");
    const m = await draw(payloadOf(tensor([[1, -2.5, 3], [4, 5, 600]])));
    const pre = q(m, ".cl-tensor-data .cl-tensor-values")!;
    expect(pre.querySelectorAll(".cl-num")).toHaveLength(6);
    expect(pre.textContent).toBe("tensor([[  1.0000,  -2.5000,   3.0000],\n        [  4.0000,   5.0000, 600.0000]])");
    const i = await draw(payloadOf(tensor([1, 2, 30], { dtype: "int32" })));
    expect(q(i, ".cl-tensor-values")!.textContent).toBe("tensor([ 1,  2, 30], dtype=int32)");
  });

  it("a scalar sits on no tint: tensor(28.) must not look like an error", async () => {
    const r = await draw(payloadOf(tensor(28)));
    expect(q(r, ".cl-num")!.style.background).toBe("transparent");
    const one = await draw(payloadOf(tensor([-3])));
    expect(q(one, ".cl-num")!.style.background).toBe("transparent");
  });

  it("tints each number faintly by its sign", async () => {
    const r = await draw(payloadOf(tensor([-1, 0, 1])));
    const nums = qa(r, ".cl-num");
    expect(nums[0].style.background).toMatch(/rgba\(31, 119, 180/);
    expect(nums[2].style.background).toMatch(/rgba\(214, 39, 40/);
  });

  it("nests 3-D tensors and shows requiresGrad and the gradient beside the values", async () => {
    const x = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], { requiresGrad: true });
    x.mul(3).sum().backward();
    const r = await draw(payloadOf(x));
    const text = q(r, ".cl-tensor-data .cl-tensor-values")!.textContent!;
    expect(text).toBe("tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]], requiresGrad=true)");
    const grad = q(r, ".cl-tensor-grad .cl-tensor-values")!;
    expect(grad.querySelectorAll(".cl-num")).toHaveLength(8);
    expect(grad.textContent).toContain("[[[3., 3.],");
  });

  it("formats like PyTorch: fixed, scientific, nan and inf", () => {
    const f = numberFormat([0.5, -1.25], false);
    expect([f.format(0.5), f.format(-1.25)]).toEqual(["0.5000", "-1.2500"]);
    expect(numberFormat([1e-5, 1], false).format(1e-5)).toBe("1.0000e-05");
    expect(numberFormat([NaN, 1], false).format(NaN)).toBe("nan");
    expect(numberFormat([-Infinity, 1], false).format(-Infinity)).toBe("-inf");
  });
});

describe("bigger tensors are heatmaps", () => {
  it("draws a 64x64 matrix as one canvas with stats and a colour bar", async () => {
    manualSeed(0);
    const r = await draw(payloadOf(randn(64, 64)));
    const c = q(r, "canvas.cl-heatmap") as HTMLCanvasElement;
    expect(c.dataset.rows).toBe("64");
    expect(c.dataset.cols).toBe("64");
    expect([c.width, c.height]).toEqual([64, 64]);
    expect(qa(r, ".cl-tensor-values")).toHaveLength(0);
    expect(qa(r, ".cl-slice")).toHaveLength(0);
    expect(q(r, ".cl-tensor-stats")!.textContent).toMatch(/shape \[64, 64\].*dtype float32.*min -.*max .*mean .*std .*nan 0.*inf 0/);
    expect(q(r, ".cl-colourbar")!.dataset.kind).toBe("diverging");
    expect(q(r, ".cl-truncated")!.hidden).toBe(true);
  });

  it("uses a sequential scale when no value is negative and zooms by buttons", async () => {
    const r = await draw(payloadOf(arange(400).reshape([20, 20])));
    expect(q(r, ".cl-colourbar")!.dataset.kind).toBe("sequential");
    const c = q(r, "canvas.cl-heatmap") as HTMLCanvasElement;
    const before = parseFloat(c.style.width);
    expect(before).toBe(20 * Number(c.dataset.cell));
    (q(r, "button.cl-zoom-in") as HTMLButtonElement).click();
    expect(parseFloat(c.style.width)).toBeGreaterThan(before);
    expect(c.width).toBe(20); // still one canvas pixel a cell
  });

  it("has one slider per leading dim and moving it draws another slice", async () => {
    const x = arange(4 * 8 * 16).reshape([4, 8, 16]);
    const r = await draw(payloadOf(x));
    const sliders = qa(r, "input[type=range].cl-slice") as HTMLInputElement[];
    expect(sliders).toHaveLength(1);
    expect(sliders[0].max).toBe("3");
    const c = q(r, "canvas.cl-heatmap") as HTMLCanvasElement;
    expect([c.dataset.rows, c.dataset.cols, c.dataset.slice]).toEqual(["8", "16", "0"]);
    (q(r, "button.cl-table-toggle") as HTMLButtonElement).click();
    const first = () => q(r, "table.cl-tensor-table tbody td")!.textContent!.trim();
    expect(first()).toBe("0"); // arange makes int32, printed without the dot
    sliders[0].value = "2";
    sliders[0].dispatchEvent(new Event("input"));
    expect(c.dataset.slice).toBe("2");
    expect(first()).toBe(String(2 * 8 * 16));
    expect(qa(r, "table.cl-tensor-table tbody tr")).toHaveLength(8);
    expect(q(r, "table.cl-tensor-table tbody tr")!.querySelectorAll("td")).toHaveLength(16);
  });

  it("caps the table at 50 x 50 cells", async () => {
    const r = await draw(payloadOf(zeros(80, 70)));
    (q(r, "button.cl-table-toggle") as HTMLButtonElement).click();
    expect(qa(r, "table.cl-tensor-table tbody tr")).toHaveLength(50);
    expect(q(r, "table.cl-tensor-table tbody tr")!.querySelectorAll("td")).toHaveLength(50);
    expect(q(r, "table.cl-tensor-table caption")!.textContent).toContain("50 × 50 of 80 × 70");
  });

  it("says when only a leading corner was sent", async () => {
    const r = await draw(payloadOf(zeros(300, 400)));
    const note = q(r, ".cl-truncated")!;
    expect(note.hidden).toBe(false);
    expect(note.textContent).toMatch(/^showing the leading \[\d+, \d+\] of \[300, 400\]$/);
  });

  it("draws the gradient beside the values on its own scale", async () => {
    manualSeed(1);
    const w = randn(10, 12).detach();
    w.requiresGrad = true;
    w.mul(w).sum().backward();
    const r = await draw(payloadOf(w));
    const panels = qa(r, ".cl-tensor-panels > .cl-tensor-panel");
    expect(panels).toHaveLength(2);
    const grad = q(r, ".cl-tensor-grad")!;
    expect(grad.querySelector("canvas.cl-heatmap")!.getAttribute("data-rows")).toBe("10");
    const gradStats = grad.querySelector(".cl-tensor-stats")!.textContent!;
    const g = payloadOf(w).grad as Bundle;
    expect(gradStats).toContain(`max ${fmtNumber((g.stats as { max: number }).max)}`);
    expect(gradStats).not.toContain("shape"); // the gradient's shape is its tensor's
    expect(q(r, ".cl-tensor-stats")!.textContent).toContain("shape [10, 12]");
    expect(q(r, ".cl-tensor-head")!.textContent).toContain("requiresGrad=true");
  });

  it("draws a 1-D tensor as one row", async () => {
    const r = await draw(payloadOf(arange(500)));
    const c = q(r, "canvas.cl-heatmap")!;
    expect([c.dataset.rows, c.dataset.cols]).toEqual(["1", "500"]);
  });

  it("draws a 1M-element bundle quickly and without per-cell elements", async () => {
    const n = 1000 * 1000;
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = Math.sin(i);
    const b = bundle(v, [1000, 1000], { stats: { min: -1, max: 1, mean: 0, std: 0.7, nan: 0, inf: 0 } });
    const t0 = performance.now();
    const r = await draw(b);
    const ms = performance.now() - t0;
    expect(q(r, "canvas.cl-heatmap")!.dataset.rows).toBe("1000");
    expect(r.node.querySelectorAll("*").length).toBeLessThan(100);
    expect(ms).toBeLessThan(1500); // the decode and paint are ~ tens of ms; per-cell DOM would take seconds
    const pixels = new Uint32Array(n);
    const t1 = performance.now();
    paintCells(pixels, v, { offset: 0, end: n, rows: 1000, cols: 1000, rowStride: 1000 }, palette(scaleFor(-1, 1)));
    expect(performance.now() - t1).toBeLessThan(300);
  });

  it("paints NaN and infinities in their own colours", () => {
    const v = new Float32Array([NaN, Infinity, -Infinity, 0, 1, -1]);
    const px = new Uint32Array(6);
    const pal = palette(scaleFor(-1, 1));
    paintCells(px, v, { offset: 0, end: 6, rows: 2, cols: 3, rowStride: 3 }, pal);
    const bytes = new Uint8Array(px.buffer);
    expect(Array.from(bytes.slice(0, 3))).toEqual([...NAN_RGB]);
    expect(new Set([px[0], px[1], px[2], px[4], px[5]]).size).toBe(5);
    expect(bytes[3 * 4 + 0]).toBeGreaterThan(240); // 0 is white
    expect(bytes[4 * 4 + 0]).toBeGreaterThan(bytes[4 * 4 + 2]); // positive is red
    expect(bytes[5 * 4 + 2]).toBeGreaterThan(bytes[5 * 4 + 0]); // negative is blue
  });

  it("shows the NaN and inf legend and counts when the stats report them", async () => {
    const x = randn(20, 20);
    x.storage[0] = NaN;
    x.storage[1] = -Infinity;
    const r = await draw(payloadOf(x));
    expect(q(r, ".cl-colourbar")!.textContent).toContain("nan");
    expect(q(r, ".cl-colourbar")!.textContent).toContain("-inf");
    expect(q(r, ".cl-stat-warn")!.textContent).toBe("nan 1");
  });
});

describe("updates", () => {
  it("redraws in place and keeps the chosen slice when the shape is the same", async () => {
    const x = arange(4 * 8 * 16).reshape([4, 8, 16]);
    const r = await draw(payloadOf(x));
    const root = q(r, ".cl-tensor");
    const canvas = q(r, "canvas.cl-heatmap");
    const slider = q(r, ".cl-slice") as HTMLInputElement;
    slider.value = "3";
    slider.dispatchEvent(new Event("input"));
    (q(r, "button.cl-table-toggle") as HTMLButtonElement).click();
    await draw(payloadOf(x.mul(-1)), r);
    expect(q(r, ".cl-tensor")).toBe(root);
    expect(q(r, "canvas.cl-heatmap")).toBe(canvas);
    expect((q(r, ".cl-slice") as HTMLInputElement).value).toBe("3");
    expect(q(r, "table.cl-tensor-table tbody td")!.textContent!.trim()).toBe(String(-3 * 8 * 16));
    expect(q(r, ".cl-colourbar")!.dataset.kind).toBe("diverging");
  });

  it("follows a new shape and comes back after an error", async () => {
    const r = await draw(payloadOf(tensor([1, 2])));
    const root = q(r, ".cl-tensor");
    await draw(payloadOf(zeros(2, 3, 30)), r);
    expect(q(r, ".cl-tensor")).toBe(root);
    expect(qa(r, ".cl-slice")).toHaveLength(1);
    await draw({ version: 1 }, r);
    expect(q(r, ".cl-error")).not.toBeNull();
    await draw(payloadOf(tensor(5)), r);
    expect(q(r, ".cl-error")).toBeNull();
    expect(q(r, ".cl-tensor-values")!.textContent).toBe("tensor(5.)");
  });
});

describe("shapes that claim far more than they hold", () => {
  for (const dims of [[1e9, 0], [1e6, 0], [0, 1e9, 1e9], [2, 0, 1e6]]) {
    it(`[${dims.join(", ")}] prints as an empty tensor with its size, at once`, async () => {
      const start = performance.now();
      const r = await draw({ version: 1, shape: dims, shownShape: dims, dtype: "float32", truncated: false, data: arrowBase64({ value: new Float32Array(0) }) });
      expect(performance.now() - start).toBeLessThan(200);
      expect(q(r, ".cl-error")).toBeNull();
      expect(q(r, ".cl-tensor-values")!.textContent).toBe(`tensor([], size=(${dims.join(", ")}))`);
    });
  }

  it("a truncated bundle whose corner is empty prints too, not a 16,384-row canvas", async () => {
    const r = await draw({ version: 1, shape: [1e9, 0], shownShape: [1e9, 0], truncated: true, data: arrowBase64({ value: new Float32Array(0) }) });
    expect(q(r, "canvas")).toBeNull();
    expect(q(r, ".cl-tensor-values")!.textContent).toBe("tensor([], size=(1000000000, 0))");
  });

  it("the library's own zeros([1e9, 0]) draws at once", async () => {
    const start = performance.now();
    const r = await draw(payloadOf(zeros([1e9, 0])));
    expect(q(r, ".cl-tensor-values")!.textContent).toBe("tensor([], size=(1000000000, 0))");
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe("malformed bundles draw an error box naming the field", () => {
  const good = () => payloadOf(arange(6).reshape([2, 3]));
  const cases: [string, () => unknown, string][] = [
    ["missing shape", () => ({ ...good(), shape: undefined }), "shape"],
    ["a dim of -1", () => ({ ...good(), shape: [2, -1] }), "shape[1]"],
    ["a 2^41-element shape", () => ({ ...good(), shape: [1 << 21, 1 << 20], shownShape: [1 << 21, 1 << 20] }), "shape"],
    ["a 2^40-element shownShape", () => ({ ...good(), shape: [1 << 20, 1 << 20], shownShape: [1 << 20, 1 << 20] }), "shownShape"],
    ["9 dims", () => ({ ...good(), shape: Array(9).fill(1), shownShape: Array(9).fill(1) }), "shape"],
    ["10,000 dims", () => ({ ...good(), shape: Array(10_000).fill(1), shownShape: Array(10_000).fill(1) }), "shape"],
    ["a data column of the wrong length", () => ({ ...good(), data: arrowBase64({ value: new Float32Array(5) }) }), "data"],
    ["a shownShape beyond shape", () => ({ ...good(), shownShape: [3, 3] }), "shownShape[0]"],
    ["a shownShape of other rank", () => ({ ...good(), shownShape: [6] }), "shownShape"],
    ["a dtype that is not a string", () => ({ ...good(), dtype: 7 }), "dtype"],
    ["data that is not Arrow", () => ({ ...good(), data: btoa("nonsense") }), "data"],
    ["version 2", () => ({ ...good(), version: 2 }), "version"],
    ["not an object", () => [1, 2], "bundle"],
  ];
  for (const [what, make, field] of cases) {
    it(what, async () => {
      const r = await draw(make());
      const box = q(r, ".cl-error");
      expect(box).not.toBeNull();
      expect(box!.dataset.field).toBe(field);
      expect(q(r, ".cl-tensor")).toBeNull();
    });
  }

  it("a payload over BUDGETS.bundleBytes is refused before decoding, naming the field, fast", async () => {
    // 48 MB of values as base64: decoding it blocked the page for seconds
    const huge = "A".repeat(Math.ceil((48 * 2 ** 20 * 4) / 3));
    const start = performance.now();
    const r = await draw({ ...good(), shape: [12 * 2 ** 20], shownShape: [12 * 2 ** 20], data: huge });
    expect(performance.now() - start).toBeLessThan(1000); // decoding it takes seconds
    expect(q(r, ".cl-error")!.dataset.field).toBe("data");
    expect(q(r, ".cl-error-detail")!.textContent).toBe(`data: holds 48.0 MB of values; a tensor output draws at most ${BUDGETS.bundleBytes / 2 ** 20}.0 MB`);
    // the gradient counts too: two payloads of 60% of the budget each
    const ten = "A".repeat(Math.ceil((0.6 * BUDGETS.bundleBytes * 4) / 3));
    const g = await draw({ ...good(), data: ten, grad: { ...good(), data: ten } });
    expect(q(g, ".cl-error")!.dataset.field).toBe("grad.data");
  });

  it("names the gradient's field", async () => {
    const b = { ...payloadOf(tensor([1, 2, 3])), grad: { ...payloadOf(tensor([1, 2, 3])), data: arrowBase64({ value: new Float32Array(2) }) } };
    const r = await draw(b);
    expect(q(r, ".cl-error")!.dataset.field).toBe("grad.data");
  });

  it("tensorView returns the error box with its field prefixed, never throws", () => {
    const node = tensorView({ shape: [2], data: "" }, "nodes[1].value");
    expect(node.className).toBe("cl-error");
    expect(node.dataset.field).toBe("nodes[1].value.data");
    const ok = tensorView(payloadOf(tensor([1, 2])), "nodes[0].value");
    expect(ok.classList.contains("cl-tensor")).toBe(true);
    expect(ok.querySelector(".cl-tensor-values")!.textContent).toBe("tensor([1., 2.])");
  });
});

describe("hostile strings are text", () => {
  it("in name and dtype, small and big", async () => {
    for (const x of [tensor([1, 2]), randn(20, 20)]) {
      x.name = HOSTILE;
      const b = { ...payloadOf(x), dtype: HOSTILE, gradFn: HOSTILE };
      const r = await draw(b);
      expect(noInjectedMarkup(r.node)).toBe(true);
      expect(r.node.textContent).toContain(HOSTILE);
      expect(q(r, ".cl-tensor-name")!.textContent).toBe(HOSTILE);
    }
  });
});

describe("heatmaps have axes", () => {
  const labelled = (t: ReturnType<typeof tensor>, labels: Bundle) => ({ ...payloadOf(t), labels });
  const ticks = (r: TensorRenderer, axis: "rows" | "cols") => qa(r, `.cl-tensor-data .cl-axis-${axis} .cl-tick`).map((t) => t.textContent);

  it("row and column ticks are indices, thinned so they never crowd", async () => {
    const r = await draw(payloadOf(zeros(20, 20).add(1)));
    expect(ticks(r, "cols")[0]).toBe("0");
    expect(ticks(r, "rows")[0]).toBe("0");
    const wide = await draw(payloadOf(arange(3 * 1000).reshape([3, 1000]).float()));
    const cols = ticks(wide, "cols");
    const cell = Number(q(wide, "canvas.cl-heatmap")!.dataset.cell);
    expect(cols.length).toBeLessThanOrEqual(Math.ceil(1000 / tickStep(cell, 20)));
    expect(cols.length).toBeGreaterThan(3);
    expect(cols.slice(0, 3).map(Number)).toEqual([0, tickStep(cell, 4 * 6.7), 2 * tickStep(cell, 4 * 6.7)]);
    // the 1-D strip has columns only
    const strip = await draw(payloadOf(arange(500)));
    expect(ticks(strip, "rows")).toHaveLength(0);
    expect(ticks(strip, "cols")[0]).toBe("0");
  });

  it("tokens name the rows and columns of an attention map, with query / key titles and in the hover line", async () => {
    const tokens = ["<b>", "the", "whale", "swam"];
    const att = tensor([[1, 0, 0, 0], [0.5, 0.5, 0, 0], [0.2, 0.3, 0.5, 0], [0.1, 0.2, 0.3, 0.4]]);
    att.name = "att";
    const r = await draw(labelled(att, { rows: tokens, cols: tokens, rowTitle: "query", colTitle: "key" }));
    expect(q(r, "canvas.cl-heatmap")).not.toBeNull(); // 16 values, yet a picture: it has axes to read
    expect(ticks(r, "rows")).toEqual(tokens);
    expect(ticks(r, "cols")).toEqual(tokens);
    expect(q(r, ".cl-axis-title-rows")!.textContent).toBe("query");
    expect(q(r, ".cl-axis-title-cols")!.textContent).toBe("key");
    expect(noInjectedMarkup(r.node)).toBe(true);
    const panel = q(r, "canvas.cl-heatmap") as HTMLCanvasElement;
    panel.getBoundingClientRect = () => ({ left: 0, top: 0, width: 40, height: 40, right: 40, bottom: 40, x: 0, y: 0, toJSON: () => ({}) });
    panel.dispatchEvent(new MouseEvent("mousemove", { clientX: 25, clientY: 35 }));
    expect(q(r, ".cl-tensor-hover")!.textContent).toBe('att[3, 2] = 0.3 (query "swam", key "whale")');
  });

  it("a confusion matrix names its classes, titles its axes and writes the counts on the cells", async () => {
    const cm = metrics.confusionMatrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 2], 3, { classNames: ["cat", "dog", "bird"] });
    const r = await draw(payloadOf(cm));
    expect(ticks(r, "rows")).toEqual(["cat", "dog", "bird"]);
    expect(ticks(r, "cols")).toEqual(["cat", "dog", "bird"]);
    expect(q(r, ".cl-axis-title-rows")!.textContent).toBe("true");
    expect(q(r, ".cl-axis-title-cols")!.textContent).toBe("predicted");
    expect(qa(r, ".cl-heat-value").map((v) => v.textContent)).toEqual(["1", "0", "0", "0", "1", "0", "0", "1", "3"]);
  });

  it("labels that do not fit the shown shape draw an error box naming the field", async () => {
    const r = await draw(labelled(tensor([[1, 2], [3, 4]]), { rows: ["a", "b", "c"] }));
    expect(q(r, ".cl-error")!.dataset.field).toBe("labels.rows");
    const s = await draw(labelled(tensor([[1, 2], [3, 4]]), { cols: ["a", 7] }));
    expect(q(s, ".cl-error")!.dataset.field).toBe("labels.cols[1]");
  });

  it("the slice sliders say which slice is drawn as an index expression", async () => {
    const vol = arange(4 * 3 * 5 * 6).reshape([4, 3, 5, 6]).float();
    vol.name = "vol";
    const r = await draw(payloadOf(vol));
    expect(q(r, ".cl-slice-expr")!.textContent).toBe("vol[0, 0, :, :]");
    const sliders = qa(r, "input.cl-slice") as HTMLInputElement[];
    sliders[0].value = "2";
    sliders[0].dispatchEvent(new Event("input"));
    sliders[1].value = "1";
    sliders[1].dispatchEvent(new Event("input"));
    expect(q(r, ".cl-slice-expr")!.textContent).toBe("vol[2, 1, :, :]");
    expect(qa(r, ".cl-slice-label")[0].textContent).toBe("2 of 0…3");
  });

  it("fit spreads a wide matrix over the output's width", async () => {
    // conv filters side by side: 3 rows, 63 columns, which a square fit drew 380 x 18 px
    const r = await draw(payloadOf(randn(3, 63)));
    const c = q(r, "canvas.cl-heatmap")!;
    expect(parseFloat(c.style.width)).toBeGreaterThan(440); // a square 480 px fit gave 6 px cells: 378 px
    expect(parseFloat(c.style.width)).toBeLessThanOrEqual(640);
    // and a tall one keeps to the height budget
    const tall = await draw(payloadOf(randn(400, 3)));
    expect(parseFloat(q(tall, "canvas.cl-heatmap")!.style.height)).toBeLessThanOrEqual(480);
  });

  it("NaN, +inf and -inf have colours no value of either scale takes, and the stats say min and max are finite", async () => {
    const far = (a: Rgb, b: Rgb) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    for (const sc of [scaleFor(-1, 1), scaleFor(0, 1)]) {
      for (let i = 0; i <= 100; i++) {
        const rgb = sc.rgb(sc.lo + ((sc.hi - sc.lo) * i) / 100);
        for (const special of [NAN_RGB, POS_INF_RGB, NEG_INF_RGB]) expect(far(rgb, special)).toBeGreaterThan(60);
      }
    }
    expect(far(NAN_RGB, POS_INF_RGB)).toBeGreaterThan(100);
    expect(far(NAN_RGB, NEG_INF_RGB)).toBeGreaterThan(100);
    expect(far(POS_INF_RGB, NEG_INF_RGB)).toBeGreaterThan(100);
    const x = arange(400).reshape([20, 20]).float();
    x.storage[3] = Infinity;
    const r = await draw(payloadOf(x));
    expect(q(r, ".cl-tensor-stats")!.textContent).toMatch(/finite max 399.*inf 1/);
  });
});
