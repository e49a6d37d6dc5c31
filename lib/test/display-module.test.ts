// The module summary bundle: its counts must be the model's own, a tied weight counted
// once, and no module or type name may become markup in the HTML fallback.
import { describe, expect, test } from "vitest";
import { manualSeed, nn, randn, tensor } from "../src";
import { MODULE_MIME, moduleSummary } from "../src/display";
import { BUDGETS } from "../src/display/contract";

const bundleOf = (x: object) => (x as Record<symbol, () => Record<string, any>>)[Symbol.for("Jupyter.display")]();
const numel = (ps: { numel(): number }[]) => ps.reduce((s, p) => s + p.numel(), 0);

describe("module bundle", () => {
  test("totals match parameters(), frozen parameters are not trainable", () => {
    manualSeed(3);
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
    (model[2] as nn.Linear).requiresGrad_(false);
    const j = bundleOf(model)[MODULE_MIME];
    expect(j.version).toBe(1);
    expect(j.name).toBe("Sequential");
    expect(j.total).toBe(numel(model.parameters()));
    expect(j.trainable).toBe(numel(model.parameters().filter((p) => p.requiresGrad)));
    expect(j.trainable).toBe(4 * 8 + 8);
    expect(j.rows.map((r: any) => [r.path, r.type, r.depth, r.params, r.trainable])).toEqual([
      ["", "Sequential", 0, 0, 0],
      ["0", "Linear", 1, 40, 40],
      ["1", "ReLU", 1, 0, 0],
      ["2", "Linear", 1, 18, 0],
    ]);
    expect(j.rows[1].shapes).toEqual(["[8, 4]", "[8]"]);
    expect(j.rows[1].extra).toBe("inFeatures=4, outFeatures=8, bias=true");
    expect(j.rows[0].outputShape).toBeUndefined();
  });

  test("a GPT counts its tied head once and names what it is tied to", () => {
    manualSeed(4);
    const gpt = new nn.GPT({ vocabSize: 20, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 });
    nn.freeze(gpt, ["wte", "h.0"]);
    const j = bundleOf(gpt)[MODULE_MIME];
    expect(j.total).toBe(numel(gpt.parameters()));
    expect(j.trainable).toBe(numel(gpt.parameters().filter((p) => p.requiresGrad)));
    expect(j.rows.reduce((s: number, r: any) => s + r.params, 0)).toBe(j.total);
    const head = j.rows.find((r: any) => r.path === "lmHead");
    expect(head.params).toBe(0);
    expect(head.shapes).toEqual(["[20, 16]"]);
    expect(head.tied).toEqual([{ param: "weight", to: "wte.weight" }]);
    expect(j.rows.find((r: any) => r.path === "h.0.attn.cAttn")).toMatchObject({ depth: 4, trainable: 0 });
    expect(j.rows.map((r: any) => r.path)).toEqual(gpt.namedModules().map(([p]) => p));
  });

  test("output shapes of modules run through call()", () => {
    manualSeed(5);
    const model = new nn.Sequential(new nn.Linear(3, 5), new nn.Tanh());
    model.call(randn(7, 3));
    const rows = bundleOf(model)[MODULE_MIME].rows;
    expect(rows.map((r: any) => r.outputShape)).toEqual([[7, 5], [7, 5], [7, 5]]);
    const gpt = new nn.GPT({ vocabSize: 11, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 8 });
    gpt.call(tensor([[1, 2, 3]], { dtype: "int32" }));
    expect(bundleOf(gpt)[MODULE_MIME].rows[0].outputShape).toEqual([1, 3, 11]);
  });

  test("names become text in the HTML fallback", () => {
    const evil = `<img src=x onerror="alert(1)">`;
    class Odd extends nn.Module {}
    Object.defineProperty(Odd, "name", { value: evil });
    const m = new Odd();
    (m as any)[evil] = new nn.Linear(1, 1);
    const b = bundleOf(m);
    expect(b["text/html"]).not.toContain("<img");
    expect(b[MODULE_MIME].rows[1].path).toBe(evil);
    expect(b[MODULE_MIME].name).toBe(evil);
  });

  test("depth follows the tree, not the dots in a name", () => {
    const m = new nn.Module();
    (m as any)["a.b"] = new nn.Sequential(new nn.ReLU());
    const rows = bundleOf(m)[MODULE_MIME].rows;
    expect(rows.map((r: any) => [r.path, r.depth])).toEqual([["", 0], ["a.b", 1], ["a.b.0", 2]]);
  });

  test("a model of more modules than the budget folds its deepest levels into their parents", () => {
    const blocks = Array.from({ length: 300 }, () => new nn.Sequential(...Array.from({ length: 10 }, () => new nn.Linear(1, 1))));
    blocks[0].requiresGrad_(false);
    const model = new nn.Sequential(...blocks);
    const j = bundleOf(model)[MODULE_MIME];
    expect(j.modules).toBe(1 + 300 + 3000);
    expect(j.modules).toBeGreaterThan(BUDGETS.moduleRows);
    // every block fits, not every layer: the first blocks show their layers, the others
    // say what they hold
    expect(j.rows).toHaveLength(BUDGETS.moduleRows);
    const row = (path: string) => j.rows.find((r: any) => r.path === path);
    expect(j.rows.filter((r: any) => r.depth === 1)).toHaveLength(300);
    expect(row("0").omitted).toBeUndefined();
    expect(row("0.9")).toMatchObject({ params: 2, trainable: 0 });
    expect(row("299").omitted).toEqual({ modules: 10, params: 20, trainable: 20 });
    expect(row("299.0")).toBeUndefined();
    expect(j.total).toBe(numel(model.parameters()));
    const sum = (k: "params" | "trainable") => j.rows.reduce((s: number, r: any) => s + r[k] + (r.omitted?.[k] ?? 0), 0);
    expect(sum("params")).toBe(j.total);
    expect(sum("trainable")).toBe(j.trainable);
    expect(j.rows[0].omitted).toBeUndefined();
    // the HTML fallback's parameter table is bounded too
    expect(bundleOf(model)["text/html"]).toContain(`and ${(6000 - BUDGETS.moduleRows).toLocaleString("en-US")} more parameters`);
  });

  test("a flat model of more children than the budget keeps the first ones and counts the rest", () => {
    const model = new nn.Sequential(...Array.from({ length: 5000 }, () => new nn.Linear(1, 1, { bias: false })));
    const j = moduleSummary(model);
    expect(j.rows).toHaveLength(BUDGETS.moduleRows);
    expect(j.modules).toBe(5001);
    expect(j.rows[0].omitted).toEqual({ modules: 5001 - BUDGETS.moduleRows, params: 5001 - BUDGETS.moduleRows, trainable: 5001 - BUDGETS.moduleRows });
    expect(j.rows.at(-1)!.path).toBe(String(BUDGETS.moduleRows - 2));
  });

  test("a chain of modules 20,000 deep is summarised without overflowing the stack", () => {
    const root = new nn.Module();
    let at = root;
    for (let i = 0; i < 20_000; i++) {
      const next = new nn.Module();
      (at as any).inner = next;
      at = next;
    }
    (at as any).head = new nn.Linear(2, 2);
    const j = moduleSummary(root);
    expect(j.modules).toBe(20_002);
    expect(j.rows).toHaveLength(BUDGETS.moduleRows);
    expect(j.rows.at(-1)!.omitted).toEqual({ modules: 20_002 - BUDGETS.moduleRows, params: 6, trainable: 6 });
    expect(j.total).toBe(6);
  });
});
