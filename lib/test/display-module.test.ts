// The module summary bundle: its counts must be the model's own, a tied weight counted
// once, and no module or type name may become markup in the HTML fallback.
import { describe, expect, test } from "vitest";
import { manualSeed, nn, randn, tensor } from "../src";
import { MODULE_MIME } from "../src/display";

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
});
