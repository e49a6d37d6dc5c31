// Module bookkeeping: names, state dicts, freezing, modes, and the GPT's parameter layout.
import { describe, expect, it } from "vitest";
import { Tensor, manualSeed, nn, noGrad, randn, tensor, zeros } from "../../src";

class TwoLayer extends nn.Module {
  fc1 = new nn.Linear(3, 4);
  act = new nn.ReLU();
  fc2 = new nn.Linear(4, 2, { bias: false });
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}

describe("Module", () => {
  it("finds parameters and submodules by reflection, with dotted names", () => {
    manualSeed(0);
    const m = new TwoLayer();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["fc1.weight", "fc1.bias", "fc2.weight"]);
    expect(m.namedModules().map(([n]) => n)).toEqual(["", "fc1", "act", "fc2"]);
    expect(m.children().length).toBe(3);
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(m.call(randn(5, 3)).shape).toEqual([5, 2]);
  });

  it("initialises Linear and Conv2d like PyTorch: U(-1/sqrt(fanIn), 1/sqrt(fanIn))", () => {
    manualSeed(1);
    const lin = new nn.Linear(64, 200);
    const conv = new nn.Conv2d(3, 8, 3);
    for (const [t, fan] of [[lin.weight, 64], [lin.bias!, 64], [conv.weight, 27], [conv.bias!, 27]] as const) {
      const v = Array.from(t.data);
      const bound = 1 / Math.sqrt(fan);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    }
    const emb = new nn.Embedding(100, 50);
    const std = emb.weight.std().item();
    expect(std).toBeGreaterThan(0.95);
    expect(std).toBeLessThan(1.05);
    const ln = new nn.LayerNorm(4);
    expect(Array.from(ln.weight!.data)).toEqual([1, 1, 1, 1]);
    expect(Array.from(ln.bias!.data)).toEqual([0, 0, 0, 0]);
  });

  it("train() and eval() set the flag everywhere; dropout is the identity in eval", () => {
    manualSeed(2);
    const m = new nn.Sequential(new nn.Linear(4, 4), new nn.Dropout(0.5));
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
    const x = randn(3, 4);
    expect(Array.from(m.call(x).data)).toEqual(Array.from(m[0].forward(x).data));
    m.train();
    expect(m[1].training).toBe(true);
  });

  it("stateDict round-trips into a fresh model and is a snapshot", () => {
    manualSeed(3);
    const a = new TwoLayer();
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual(["fc1.weight", "fc1.bias", "fc2.weight"]);
    const b = new TwoLayer();
    const x = randn(2, 3);
    expect(Array.from(b.forward(x).data)).not.toEqual(Array.from(a.forward(x).data));
    const wRef = b.fc1.weight;
    b.loadStateDict(sd);
    expect(b.fc1.weight).toBe(wRef); // loaded in place
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
    noGrad(() => a.fc1.weight.fill_(0));
    expect(Array.from(sd["fc1.weight"].data).some((v) => v !== 0)).toBe(true);
  });

  it("loadStateDict names missing and unexpected keys and mismatched shapes", () => {
    manualSeed(4);
    const m = new TwoLayer();
    const sd = m.stateDict();
    const { ["fc1.bias"]: _dropped, ...missing } = sd;
    expect(() => m.loadStateDict(missing)).toThrow(/missing keys: fc1\.bias/);
    expect(() => m.loadStateDict({ ...sd, "fc3.weight": zeros(1) })).toThrow(/unexpected keys: fc3\.weight/);
    expect(() => m.loadStateDict({ ...sd, "fc2.weight": zeros(2, 5) })).toThrow(/size mismatch for fc2\.weight.*\[2, 5\].*\[2, 4\]/);
    const r = m.loadStateDict({ ...missing, extra: zeros(1) }, { strict: false });
    expect(r).toEqual({ missingKeys: ["fc1.bias"], unexpectedKeys: ["extra"] });
    expect(() => m.loadStateDict({ ...sd, "fc2.weight": zeros(2, 5) }, { strict: false })).toThrow(/size mismatch/);
  });

  it("requiresGrad_, zeroGrad and apply", () => {
    const m = new TwoLayer();
    m.forward(randn(2, 3)).sum().backward();
    expect(m.fc1.weight.grad).not.toBeNull();
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    m.requiresGrad_(false);
    expect(m.parameters().some((p) => p.requiresGrad)).toBe(false);
    const order: string[] = [];
    m.apply((x) => order.push(x.constructor.name));
    expect(order).toEqual(["Linear", "ReLU", "Linear", "TwoLayer"]);
  });

  it("prints like PyTorch", () => {
    const s = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU()).toString();
    expect(s).toContain("(0): Linear(inFeatures=2, outFeatures=3, bias=true)");
    expect(s).toContain("(1): ReLU()");
    const bundle = (new TwoLayer() as any)[Symbol.for("Jupyter.display")]();
    expect(bundle["text/plain"]).toContain("(fc1): Linear");
    expect(bundle["text/html"]).toContain("<td>fc1.weight</td><td>[4, 3]</td><td>12</td>");
  });
});

describe("freezing", () => {
  it("freeze and unfreeze by name pattern, RegExp or module; counts follow", () => {
    manualSeed(5);
    const gpt = new nn.GPT({ vocabSize: 20, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 });
    const total = nn.countParameters(gpt).total;
    const frozen = nn.freeze(gpt, ["wte", "wpe", "h.0"]);
    expect(frozen).toContain("wte.weight");
    expect(frozen).toContain("h.0.attn.cAttn.weight");
    expect(frozen.some((n) => n.startsWith("h.1"))).toBe(false);
    const c = nn.countParameters(gpt);
    const h0 = gpt.h[0].parameters().reduce((s, p) => s + p.numel(), 0);
    expect(c.frozen).toBe(20 * 16 + 8 * 16 + h0);
    expect(c.trainable + c.frozen).toBe(total);
    nn.unfreeze(gpt, /^h\.0\.ln/);
    expect(gpt.h[0].ln1.weight!.requiresGrad).toBe(true);
    expect(gpt.h[0].attn.cAttn.weight.requiresGrad).toBe(false);
    nn.freeze(gpt, gpt.lnF);
    expect(gpt.lnF.bias!.requiresGrad).toBe(false);
    expect(nn.freeze(gpt, "*.bias").every((n) => n.endsWith(".bias"))).toBe(true);
    // backward leaves frozen parameters without gradients
    gpt.forward(tensor([[1, 2, 3]], { dtype: "int32" }), tensor([[2, 3, 4]], { dtype: "int32" })).loss!.backward();
    expect(gpt.wte.weight.grad).toBeNull();
    expect(gpt.h[1].attn.cAttn.weight.grad).not.toBeNull();
    expect(nn.matchesName("h.01.ln1.weight", "h.0")).toBe(false);
  });
});

describe("GPT layout", () => {
  const cfg = { vocabSize: 50, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32 };

  it("uses nanoGPT's names in camelCase; the mask is a buffer, not a parameter", () => {
    manualSeed(6);
    const gpt = new nn.GPT({ ...cfg, nLayer: 1 });
    expect(gpt.namedParameters().map(([n]) => n)).toEqual([
      "wte.weight", "wpe.weight",
      "h.0.ln1.weight", "h.0.ln1.bias", "h.0.attn.cAttn.weight", "h.0.attn.cAttn.bias",
      "h.0.attn.cProj.weight", "h.0.attn.cProj.bias", "h.0.ln2.weight", "h.0.ln2.bias",
      "h.0.mlp.cFc.weight", "h.0.mlp.cFc.bias", "h.0.mlp.cProj.weight", "h.0.mlp.cProj.bias",
      "lnF.weight", "lnF.bias",
    ]);
    expect(gpt.namedBuffers().map(([n]) => n)).toEqual(["h.0.attn.mask"]);
    const keys = Object.keys(gpt.stateDict());
    expect(keys).toContain("lmHead.weight"); // a tied weight is saved under both names, like PyTorch
    expect(keys).not.toContain("h.0.attn.mask");
  });

  it("counts parameters by nanoGPT's formula", () => {
    const { vocabSize: V, blockSize: T, nLayer: L, nEmbd: C } = cfg;
    const withBias = new nn.GPT(cfg);
    const perLayer = 12 * C * C + 13 * C; // qkv, proj, fc, proj weights + their biases + 2 LayerNorms
    expect(withBias.numParams(false)).toBe(V * C + T * C + L * perLayer + 2 * C);
    expect(withBias.numParams()).toBe(V * C + L * perLayer + 2 * C);
    const noBias = new nn.GPT({ ...cfg, bias: false });
    expect(noBias.numParams()).toBe(V * C + L * (12 * C * C + 2 * C) + C);
    // the baby GPT of nanoGPT's README: 0.80M
    expect(new nn.GPT({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 }).numParams()).toBe(801664);
  });

  it("initialises like GPT-2: N(0, 0.02), residual projections 0.02/sqrt(2 nLayer)", () => {
    manualSeed(7);
    const gpt = new nn.GPT({ vocabSize: 64, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 64 });
    expect(gpt.h[0].mlp.cFc.weight.std().item()).toBeCloseTo(0.02, 3);
    expect(gpt.wte.weight.std().item()).toBeCloseTo(0.02, 3);
    expect(gpt.h[1].attn.cProj.weight.std().item()).toBeCloseTo(0.01, 3);
    expect(gpt.h[1].attn.cAttn.bias!.abs().sum().item()).toBe(0);
  });

  it("ties lmHead to wte: one tensor, listed once, gradients of both uses summed", () => {
    manualSeed(8);
    const gpt = new nn.GPT(cfg);
    expect(gpt.lmHead.weight).toBe(gpt.wte.weight);
    expect(gpt.parameters().filter((p) => p === gpt.wte.weight).length).toBe(1);
    const idx = tensor([[1, 5, 7, 9], [2, 4, 6, 8]], { dtype: "int32" });
    const tgt = tensor([[5, 7, 9, 11], [4, 6, 8, 10]], { dtype: "int32" });
    gpt.forward(idx, tgt).loss!.backward();
    const tied = gpt.wte.weight.grad!.data;
    // the same model with the head untied: the two gradients must add up to the tied one
    const untied = new nn.GPT(cfg);
    untied.loadStateDict(gpt.stateDict());
    untied.lmHead.weight = nn.Parameter(gpt.wte.weight.detach().clone());
    untied.forward(idx, tgt).loss!.backward();
    const sum = untied.wte.weight.grad!.add(untied.lmHead.weight.grad!).data;
    tied.forEach((g, i) => expect(g).toBeCloseTo(sum[i], 6));
  });
});
