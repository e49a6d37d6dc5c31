// LoRA: the adapter's size, its zero start, merge and unmerge, and that training it moves
// nothing but the adapter.
import { describe, expect, it } from "vitest";
import { Tensor, manualSeed, nn, noGrad, optim, randint, randn, tensor } from "../../src";

const cfg = { vocabSize: 24, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 };

function ids(rows: number[][]): Tensor {
  return tensor(rows, { dtype: "int32" });
}

function trainSteps(model: nn.GPT, opt: optim.Optimizer<any, any>, steps: number): void {
  for (let i = 0; i < steps; i++) {
    const x = randint(0, cfg.vocabSize, [4, cfg.blockSize]);
    const y = randint(0, cfg.vocabSize, [4, cfg.blockSize]);
    const { loss } = model.forward(x, y);
    opt.zeroGrad();
    loss!.backward();
    opt.step();
  }
}

function maxDiff(a: Tensor, b: Tensor): number {
  const [x, y] = [a.data, b.data];
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

describe("LoRALinear", () => {
  it("starts as the wrapped layer (B = 0) and adds (alpha/r) B A x", () => {
    manualSeed(0);
    const base = new nn.Linear(5, 3);
    const x = randn(2, 4, 5);
    const before = base.forward(x);
    const lora = new nn.LoRALinear(base, { r: 2, alpha: 4 });
    expect(lora.weight).toBe(base.weight);
    expect(lora.weight.requiresGrad).toBe(false);
    expect(maxDiff(lora.forward(x), before)).toBe(0);
    // A ~ U(-1/sqrt(in), 1/sqrt(in)), like a Linear's default weight
    expect(Math.max(...Array.from(lora.loraA.data).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(5));
    noGrad(() => lora.loraB.fill_(0.5));
    const expected = before.add(x.matmul(lora.loraA.T).matmul(lora.loraB.T).mul(4 / 2));
    expect(maxDiff(lora.forward(x), expected)).toBeLessThan(1e-5);
  });
});

describe("applyLoRA", () => {
  it("refuses a target whose weight is tied to another parameter, naming both", () => {
    manualSeed(0);
    const model = new nn.GPT(cfg);
    expect(model.lmHead.weight).toBe(model.wte.weight);
    expect(() => nn.applyLoRA(model, { r: 2, targets: ["lmHead"] })).toThrow(
      /applyLoRA\(\): lmHead\.weight is tied to wte\.weight .* leave lmHead out of the targets/,
    );
    // nothing was frozen or replaced by the refused call
    expect(model.wte.weight.requiresGrad).toBe(true);
    expect(model.lmHead).toBeInstanceOf(nn.Linear);
    expect(nn.applyLoRA(model, { r: 2, targets: ["attn.cAttn"] }).adapted).toEqual(["h.0.attn.cAttn", "h.1.attn.cAttn"]);
  });

  it("adapts the named layers with r (in + out) parameters each and freezes the rest", () => {
    manualSeed(1);
    const model = new nn.GPT(cfg);
    const total = nn.countParameters(model).total;
    const C = cfg.nEmbd, r = 4;
    const s = nn.applyLoRA(model, { r, alpha: 8, targets: ["attn.cAttn", "attn.cProj"] });
    expect(s.adapted).toEqual(["h.0.attn.cAttn", "h.0.attn.cProj", "h.1.attn.cAttn", "h.1.attn.cProj"]);
    const perLayer = r * (C + 3 * C) + r * (C + C);
    expect(s.trainable).toBe(cfg.nLayer * perLayer);
    expect(s.total).toBe(total + s.trainable);
    expect(s.frozen).toBe(total);
    expect(model.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n)).toEqual([
      "h.0.attn.cAttn.loraA", "h.0.attn.cAttn.loraB", "h.0.attn.cProj.loraA", "h.0.attn.cProj.loraB",
      "h.1.attn.cAttn.loraA", "h.1.attn.cAttn.loraB", "h.1.attn.cProj.loraA", "h.1.attn.cProj.loraB",
    ]);
    expect(() => nn.applyLoRA(new nn.GPT(cfg), { r, targets: ["nothing"] })).toThrow(/no Linear layer matches.*h\.0\.attn\.cAttn/);
  });

  it("adapts only q and v of the fused projection with parts [true, false, true]", () => {
    manualSeed(2);
    const model = new nn.GPT(cfg);
    const C = cfg.nEmbd, r = 2;
    const idx = ids([[1, 2, 3, 4, 5, 6]]);
    const before = model.forward(idx).logits;
    const s = nn.applyLoRA(model, { r, targets: "attn.cAttn", parts: [true, false, true] });
    expect(s.trainable).toBe(cfg.nLayer * 2 * r * (C + C)); // two C x C matrices per layer
    expect(maxDiff(model.forward(idx).logits, before)).toBe(0);
    // the update touches the q and v rows of the fused weight and leaves the k rows alone
    const lora = model.h[0].attn.cAttn as unknown as nn.LoRALinear;
    noGrad(() => lora.loraB.fill_(0.1));
    const d = lora.deltaWeight().reshape(3, C, C);
    expect(d.index(1).abs().sum().item()).toBe(0);
    expect(d.index(0).abs().sum().item()).toBeGreaterThan(0);
    expect(d.index(2).abs().sum().item()).toBeGreaterThan(0);
    // and the forward pass agrees with the base layer plus that update
    const x = randn(3, C);
    const viaDelta = x.matmul(lora.weight.add(lora.deltaWeight()).T).add(lora.bias!);
    expect(maxDiff(lora.forward(x), viaDelta)).toBeLessThan(1e-5);
  });

  it("trains only the adapter; merged and unmerged models agree", () => {
    manualSeed(3);
    const model = new nn.GPT(cfg);
    nn.applyLoRA(model, { r: 4, alpha: 8, targets: ["attn.cAttn", "mlp.cFc"], dropout: 0.1 });
    const before = model.stateDict();
    // all parameters handed over: the optimizer must skip the frozen ones, even with decay
    const opt = new optim.AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.1 });
    trainSteps(model, opt, 3);
    const after = model.stateDict();
    const changed = Object.keys(before).filter((k) => maxDiff(before[k], after[k]) > 0);
    expect(changed.sort()).toEqual([
      "h.0.attn.cAttn.loraA", "h.0.attn.cAttn.loraB", "h.0.mlp.cFc.loraA", "h.0.mlp.cFc.loraB",
      "h.1.attn.cAttn.loraA", "h.1.attn.cAttn.loraB", "h.1.mlp.cFc.loraA", "h.1.mlp.cFc.loraB",
    ]);
    model.eval();
    const idx = ids([[3, 1, 4, 1, 5, 9, 2, 6]]);
    const unmerged = model.forward(idx).logits;
    nn.mergeLoRA(model);
    const merged = model.forward(idx).logits;
    expect(maxDiff(merged, unmerged)).toBeLessThan(1e-5);
    expect(maxDiff(model.h[0].attn.cAttn.weight, before["h.0.attn.cAttn.weight"])).toBeGreaterThan(0);
    nn.unmergeLoRA(model);
    expect(maxDiff(model.forward(idx).logits, unmerged)).toBeLessThan(1e-5);
    expect(maxDiff(model.h[0].attn.cAttn.weight, before["h.0.attn.cAttn.weight"])).toBeLessThan(1e-6);
    expect(Object.keys(nn.loraStateDict(model)).length).toBe(8);
  });
});
