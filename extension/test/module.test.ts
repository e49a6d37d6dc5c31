import { describe, expect, it } from "vitest";
import { manualSeed, nn, randn } from "../../lib/src";
import { MIME } from "../src/shared/mime";
import { FOLD_ROWS, ModuleRenderer } from "../src/module/renderer";
import { MAX_ROWS } from "../src/module/bundle";
import { BUDGETS } from "../src/shared/mime";
import { HOSTILE, mimeModel, noInjectedMarkup, rendererOptions } from "./helpers";

const bundleOf = (m: object) => (m as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]()[MIME.module];

async function draw(data: unknown, r = new ModuleRenderer(rendererOptions(MIME.module))) {
  await r.renderModel(mimeModel(MIME.module, data));
  return r;
}
const rows = (r: ModuleRenderer) => [...r.node.querySelectorAll<HTMLTableRowElement>("table.cl-module-table tr.cl-module-row")];
const row = (r: ModuleRenderer, path: string) => rows(r).find((x) => x.dataset.path === path)!;
const visible = (r: ModuleRenderer) => rows(r).filter((x) => !x.hidden);
/** Rows under a folded one are not in the document. */
const isShown = (r: ModuleRenderer, path: string) => rows(r).some((x) => x.dataset.path === path);
const drawn = (r: ModuleRenderer) => Number(r.node.querySelector<HTMLElement>(".cl-module")!.dataset.rows);
const count = (r: ModuleRenderer, cls: string) => Number(r.node.querySelector<HTMLElement>(`.cl-module-totals .${cls}`)!.dataset.count);

describe("module summary renderer", () => {
  it("draws a Sequential with counts, totals and a frozen layer", async () => {
    manualSeed(1);
    const model = new nn.Sequential(new nn.Linear(4, 128), new nn.ReLU(), new nn.Linear(128, 10));
    (model[2] as nn.Module).requiresGrad_(false);
    model.call(randn(3, 4));
    const r = await draw(bundleOf(model));
    expect(r.node.querySelector(".cl-module")).not.toBeNull();
    expect(rows(r)).toHaveLength(4);
    expect(rows(r).map((x) => x.dataset.depth)).toEqual(["0", "1", "1", "1"]);
    expect(row(r, "0").querySelector(".cl-module-params")!.textContent).toBe("640");
    expect(row(r, "2").querySelector(".cl-module-params")!.textContent).toBe("1,290");
    expect(row(r, "0").querySelector(".cl-module-output")!.textContent).toBe("[3, 128]");
    expect(row(r, "0").querySelector(".cl-module-shapes")!.textContent).toBe("[128, 4] [128]");
    expect(row(r, "2").classList.contains("cl-module-frozen")).toBe(true);
    expect(row(r, "2").querySelector(".cl-module-tag")!.textContent).toBe("frozen");
    expect(row(r, "0").classList.contains("cl-module-frozen")).toBe(false);
    // the root holds a frozen and a trainable layer
    expect(row(r, "").classList.contains("cl-module-partly")).toBe(true);
    expect(row(r, "").querySelector(".cl-module-tag")!.textContent).toBe("partly");
    expect(row(r, "").querySelector(".cl-module-params")!.textContent).toBe("1,930");
    expect(count(r, "cl-module-total")).toBe(1930);
    expect(count(r, "cl-module-trainable")).toBe(640);
    expect(count(r, "cl-module-frozen-count")).toBe(1290);
    expect(r.node.querySelector(".cl-module-size")!.textContent).toBe("size 0.008 MB (float32)");
    expect(r.node.querySelector(".cl-module-totals")!.textContent).toContain("1,930");
  });

  it("folds a GPT's inner blocks and unfolds them on a click", async () => {
    manualSeed(2);
    const gpt = new nn.GPT({ vocabSize: 32, blockSize: 8, nLayer: 4, nHead: 2, nEmbd: 16 });
    nn.freeze(gpt, ["wte", "wpe", "h.0"]);
    const b = bundleOf(gpt) as { rows: unknown[]; total: number; trainable: number };
    const r = await draw(b);
    expect(b.rows.length).toBeGreaterThan(FOLD_ROWS);
    expect(drawn(r)).toBe(b.rows.length);
    // the blocks h.0 ... h.3 show, folded; nothing inside them does
    expect(visible(r).map((x) => x.dataset.path)).toEqual(["", "wte", "wpe", "drop", "h", "h.0", "h.1", "h.2", "h.3", "lnF", "lmHead"]);
    const h1 = row(r, "h.1");
    expect(h1.classList.contains("cl-module-folded")).toBe(true);
    expect(h1.querySelector(".cl-module-hidden")!.textContent).toMatch(/\+\d+/);
    const params = gpt.h[1].parameters().reduce((s, p) => s + p.numel(), 0);
    expect(h1.querySelector(".cl-module-params")!.textContent).toBe(params.toLocaleString("en-US"));
    expect(row(r, "h.0").classList.contains("cl-module-frozen")).toBe(true);
    expect(row(r, "h").classList.contains("cl-module-partly")).toBe(true);
    expect(row(r, "lmHead").querySelector(".cl-module-tied")!.textContent).toBe("weight = wte.weight");
    expect(count(r, "cl-module-total")).toBe(gpt.parameters().reduce((s, p) => s + p.numel(), 0));
    expect(count(r, "cl-module-trainable")).toBe(b.trainable);

    h1.querySelector<HTMLButtonElement>(".cl-module-toggle")!.click();
    expect(isShown(r, "h.1.attn")).toBe(true);
    expect(isShown(r, "h.1.attn.cAttn")).toBe(true);
    expect(isShown(r, "h.2.attn")).toBe(false);
    r.node.querySelector<HTMLButtonElement>(".cl-module-expand-all")!.click();
    expect(visible(r)).toHaveLength(b.rows.length);
    expect(row(r, "h.0.attn.cAttn").classList.contains("cl-module-frozen")).toBe(true);
    r.node.querySelector<HTMLButtonElement>(".cl-module-collapse-all")!.click();
    expect(visible(r).map((x) => x.dataset.path)).toEqual(["", "wte", "wpe", "drop", "h", "lnF", "lmHead"]);
  });

  it("shows a small model unfolded", async () => {
    const gpt = new nn.GPT({ vocabSize: 8, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 8 });
    const b = bundleOf(gpt) as { rows: unknown[] };
    expect(b.rows.length).toBeLessThanOrEqual(FOLD_ROWS);
    const r = await draw(b);
    expect(visible(r)).toHaveLength(b.rows.length);
  });

  it("shows hostile module and type names as text", async () => {
    class Odd extends nn.Module {}
    Object.defineProperty(Odd, "name", { value: HOSTILE });
    const m = new Odd();
    (m as unknown as Record<string, nn.Module>)[HOSTILE] = new nn.Linear(2, 2);
    const b = bundleOf(m) as Record<string, unknown>;
    const r = await draw({ ...b, rows: (b.rows as Record<string, unknown>[]).map((x) => ({ ...x, extra: HOSTILE, shapes: [HOSTILE] })) });
    expect(noInjectedMarkup(r.node)).toBe(true);
    expect(rows(r)).toHaveLength(2);
    expect(rows(r)[1].dataset.path).toBe(HOSTILE);
    expect(rows(r)[1].querySelector(".cl-module-label")!.textContent).toBe(HOSTILE);
    expect(r.node.querySelector(".cl-module-name")!.textContent).toBe(HOSTILE);
  });

  it("names the field of a malformed bundle", async () => {
    const good = bundleOf(new nn.Sequential(new nn.Linear(2, 3))) as Record<string, unknown>;
    const goodRows = good.rows as Record<string, unknown>[];
    const field = async (data: unknown) => (await draw(data)).node.querySelector<HTMLElement>(".cl-error")?.dataset.field;
    expect(await field(good)).toBeUndefined();
    expect(await field(null)).toBe("module");
    expect(await field({ ...good, version: 2 })).toBe("version");
    expect(await field({ ...good, total: -1 })).toBe("total");
    expect(await field({ ...good, rows: {} })).toBe("rows");
    expect(await field({ ...good, rows: [goodRows[0], { ...goodRows[1], depth: 3 }] })).toBe("rows[1].depth");
    expect(await field({ ...good, rows: [goodRows[0], { ...goodRows[1], params: "9" }] })).toBe("rows[1].params");
    expect(await field({ ...good, rows: [goodRows[0], { ...goodRows[1], outputShape: [2, -1] }] })).toBe("rows[1].outputShape[1]");
    expect(await field({ ...good, rows: [{ ...goodRows[0], path: 7 }] })).toBe("rows[0].path");
  });

  it("keeps folds when the same model is drawn again", async () => {
    const gpt = new nn.GPT({ vocabSize: 32, blockSize: 8, nLayer: 4, nHead: 2, nEmbd: 16 });
    const r = await draw(bundleOf(gpt));
    row(r, "h.2").querySelector<HTMLButtonElement>(".cl-module-toggle")!.click();
    const shown = visible(r).length;
    await draw(bundleOf(gpt), r);
    expect(visible(r)).toHaveLength(shown);
    expect(isShown(r, "h.2.mlp")).toBe(true);
  });

  /** A saved bundle of `blocks` blocks of `per` layers each, every layer with 3 parameters. */
  function wideBundle(blocks: number, per: number) {
    const rows: Record<string, unknown>[] = [{ path: "", type: "Net", depth: 0, params: 0, trainable: 0, shapes: [] }];
    for (let b = 0; b < blocks; b++) {
      rows.push({ path: `b${b}`, type: "Block", depth: 1, params: 0, trainable: 0, shapes: [] });
      for (let l = 0; l < per; l++) rows.push({ path: `b${b}.l${l}`, type: "Linear", depth: 2, params: 3, trainable: b === 0 ? 0 : 3, shapes: ["[3]"] });
    }
    const total = blocks * per * 3;
    return { version: 1, name: "Net", total, trainable: total - per * 3, rows };
  }

  it("draws a saved bundle of 50,000 rows as BUDGETS.moduleRows rows and says so", async () => {
    const b = wideBundle(50, 998);
    expect(b.rows.length).toBeGreaterThan(49_000);
    const r = await draw(b);
    expect(r.node.querySelector(".cl-error")).toBeNull();
    expect(drawn(r)).toBe(BUDGETS.moduleRows);
    // too many rows to show at once: the blocks start folded, their rows built on a click
    expect(rows(r)).toHaveLength(51);
    expect(r.node.querySelector(".cl-module-note")!.textContent).toBe(
      `showing ${BUDGETS.moduleRows.toLocaleString("en-US")} of ${b.rows.length.toLocaleString("en-US")} modules; the rest are counted in the rows above them`);
    // every block is there; the last ones count the layers they no longer list
    expect(rows(r).filter((x) => x.dataset.depth === "1")).toHaveLength(50);
    expect(row(r, "b49").querySelector(".cl-module-params")!.textContent).toBe((998 * 3).toLocaleString("en-US"));
    expect(row(r, "b49").querySelector(".cl-module-omitted")!.textContent).toBe(" +998 not listed");
    expect(row(r, "").querySelector(".cl-module-params")!.textContent).toBe(b.total.toLocaleString("en-US"));
    expect(count(r, "cl-module-total")).toBe(b.total);
    // (the time it takes is measured in Chromium, test/browser/clipping.test.ts: jsdom is
    // many times slower than a browser at building tables)
  }, 120_000);

  it("draws a chain 50,000 modules deep within the budget", async () => {
    const rowsIn = Array.from({ length: MAX_ROWS }, (_, i) => ({ path: i ? `m${i}` : "", type: "M", depth: i, params: 1, trainable: 1, shapes: [] }));
    const r = await draw({ version: 1, name: "Chain", total: MAX_ROWS, trainable: MAX_ROWS, rows: rowsIn });
    expect(r.node.querySelector(".cl-error")).toBeNull();
    expect(drawn(r)).toBe(BUDGETS.moduleRows);
    expect(rows(r).length).toBeLessThan(10);
    r.node.querySelector<HTMLButtonElement>(".cl-module-expand-all")!.click();
    expect(rows(r)).toHaveLength(BUDGETS.moduleRows);
    const last = rows(r).at(-1)!;
    expect(last.querySelector(".cl-module-omitted")!.textContent).toBe(` +${(MAX_ROWS - BUDGETS.moduleRows).toLocaleString("en-US")} not listed`);
    expect(last.querySelector(".cl-module-params")!.textContent).toBe((MAX_ROWS - BUDGETS.moduleRows + 1).toLocaleString("en-US"));
  }, 120_000);

  it("refuses more rows than it reads, and omitted counts that do not add up", async () => {
    const field = async (data: unknown) => (await draw(data)).node.querySelector<HTMLElement>(".cl-error")?.dataset.field;
    expect(await field(wideBundle(51, 1000))).toBe("rows");
    const good = bundleOf(new nn.Sequential(new nn.Linear(2, 3))) as Record<string, unknown>;
    const goodRows = good.rows as Record<string, unknown>[];
    expect(await field({ ...good, rows: [goodRows[0], { ...goodRows[1], omitted: { modules: 1, params: 1, trainable: 2 } }] })).toBe("rows[1].omitted.trainable");
    expect(await field({ ...good, rows: [goodRows[0], { ...goodRows[1], omitted: { modules: -1, params: 0, trainable: 0 } }] })).toBe("rows[1].omitted.modules");
    expect(await field({ ...good, modules: 1 })).toBe("modules");
  });

  it("draws what the library left out of a large model in its parents' counts", async () => {
    const model = new nn.Sequential(...Array.from({ length: 300 }, () => new nn.Sequential(...Array.from({ length: 10 }, () => new nn.Linear(1, 1)))));
    const b = bundleOf(model) as { rows: unknown[]; modules: number };
    expect(b.modules).toBe(3301);
    const r = await draw(b);
    expect(drawn(r)).toBe(BUDGETS.moduleRows);
    expect(rows(r)).toHaveLength(301);
    expect(row(r, "299").querySelector(".cl-module-params")!.textContent).toBe("20");
    expect(row(r, "299").querySelector(".cl-module-omitted")!.textContent).toBe(" +10 not listed");
    expect(r.node.querySelector(".cl-module-note")!.textContent).toContain("of 3,301 modules");
  }, 120_000);

  it("keeps a wide table in a box that scrolls on its own", async () => {
    const r = await draw(bundleOf(new nn.Sequential(new nn.Linear(2, 3))));
    const table = r.node.querySelector("table.cl-module-table")!;
    expect(table.parentElement!.classList.contains("cl-module-scroll")).toBe(true);
    expect(row(r, "0").querySelectorAll(".cl-module-shape")).toHaveLength(2);
  });
});
