// nn.ModuleDict: modules by name, found by every walk of the tree under their keys.
import { describe, expect, it } from "vitest";
import { manualSeed, nn, randn } from "../../src";

describe("ModuleDict", () => {
  it("names parameters by key, in insertion order, and behaves like a Map", () => {
    manualSeed(0);
    const d = new nn.ModuleDict<nn.Module>({ query: new nn.Linear(4, 2) });
    d.set("10", new nn.Linear(4, 3, { bias: false })).set("act", new nn.ReLU());
    // "10" stays where it was put (an object's own integer-like keys would come first)
    expect(d.keys()).toEqual(["query", "10", "act"]);
    expect(d.size).toBe(3);
    expect(d.has("query") && !d.has("key")).toBe(true);
    expect(d.get("10")).toBe(d.values()[1]);
    expect(d.entries().map(([k]) => k)).toEqual(["query", "10", "act"]);
    expect([...d].map(([k]) => k)).toEqual(["query", "10", "act"]);

    class Heads extends nn.Module {
      heads = d;
    }
    const m = new Heads();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["heads.query.weight", "heads.query.bias", "heads.10.weight"]);
    expect(Object.keys(m.stateDict())).toEqual(["heads.query.weight", "heads.query.bias", "heads.10.weight"]);
    expect(m.namedModules().map(([n]) => n)).toEqual(["", "heads", "heads.query", "heads.10", "heads.act"]);
    expect(String(d)).toContain("(query): Linear");
    m.eval();
    expect(d.get("act").training).toBe(false);
    expect((d.get("query") as nn.Linear).call(randn(5, 4)).shape).toEqual([5, 2]);
  });

  it("replaces and deletes entries", () => {
    const d = new nn.ModuleDict([["a", new nn.Linear(2, 2)], ["b", new nn.Linear(2, 2)]]);
    const c = new nn.Linear(2, 5);
    d.set("a", c);
    expect(d.keys()).toEqual(["a", "b"]);
    expect(d.get("a")).toBe(c);
    expect(d.delete("a")).toBe(true);
    expect(d.delete("a")).toBe(false);
    expect(d.namedParameters().map(([n]) => n)).toEqual(["b.weight", "b.bias"]);
  });

  it("LoRA adapts a Linear inside it under the same key", () => {
    manualSeed(1);
    const d = new nn.ModuleDict({ proj: new nn.Linear(4, 4) });
    nn.applyLoRA(d, { r: 2, targets: ["proj"] });
    expect(d.get("proj")).toBeInstanceOf(nn.LoRALinear);
    expect(d.keys()).toEqual(["proj"]);
    expect(d.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n)).toEqual(["proj.loraA", "proj.loraB"]);
  });

  it("refuses keys that would hide a member, contain a dot or hold no module, and names missing keys", () => {
    const d = new nn.ModuleDict();
    expect(() => d.set("get", new nn.ReLU())).toThrow(/"get" is the name of a ModuleDict member/);
    expect(() => d.set("training", new nn.ReLU())).toThrow(/"training"/);
    expect(() => d.set("a.b", new nn.ReLU())).toThrow(/without "\."/);
    expect(() => d.set("x", {} as nn.Module)).toThrow(/expected a Module for "x"/);
    d.set("x", new nn.ReLU());
    expect(() => d.get("y")).toThrow(/no module "y"; the keys are x/);
  });
});
