// The remaining layers: shapes, modes and agreement with their functional forms.
import { describe, expect, it } from "vitest";
import { F, manualSeed, nn, randn, tensor } from "../../src";

describe("layers", () => {
  it("a small CNN: Conv2d, ReLU, MaxPool2d, Flatten, Linear, CrossEntropyLoss", () => {
    manualSeed(0);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(4 * 4 * 4, 3),
    );
    const x = randn(2, 1, 8, 8);
    const logits = model.call(x);
    expect(logits.shape).toEqual([2, 3]);
    const loss = new nn.CrossEntropyLoss().call(logits, tensor([0, 2], { dtype: "int32" }));
    expect(loss.item()).toBeCloseTo(F.crossEntropy(logits, [0, 2]).item(), 6);
    loss.backward();
    for (const p of model.parameters()) expect(p.grad?.shape).toEqual(p.shape);
  });

  it("Linear folds leading dims and matches F.linear; activations match their methods", () => {
    manualSeed(1);
    const lin = new nn.Linear(4, 3);
    const x = randn(2, 5, 4);
    const a = lin.forward(x).data, b = F.linear(x, lin.weight, lin.bias).data;
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
    expect(Array.from(new nn.GELU().forward(x).data)).toEqual(Array.from(x.gelu().data));
    const tanhGelu = new nn.GELU({ approximate: "tanh" });
    expect(Array.from(tanhGelu.forward(x).data)).toEqual(Array.from(x.gelu({ approximate: "tanh" }).data));
    expect(tanhGelu.toString()).toBe("GELU(approximate='tanh')");
    // nanoGPT's MLP uses nn.GELU(), the exact form
    expect(new nn.GPT({ vocabSize: 5, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 4 }).h.at(0).mlp.gelu.approximate).toBe("none");
    expect(Array.from(new nn.Sigmoid().forward(x).data)).toEqual(Array.from(x.sigmoid().data));
    expect(() => lin.forward(randn(2, 5))).toThrow(/expected input with 4 features/);
  });

  it("LayerNorm normalises the last dim; bias: false drops the shift", () => {
    const ln = new nn.LayerNorm(6, { bias: false });
    expect(ln.bias).toBeNull();
    expect(ln.parameters().length).toBe(1);
    const y = ln.forward(randn(3, 6));
    expect(Math.abs(y.mean(-1).abs().amax().item())).toBeLessThan(1e-5);
  });

  it("Dropout zeroes about p of the elements while training and scales the rest", () => {
    manualSeed(2);
    const d = new nn.Dropout(0.25);
    const y = d.forward(tensor(new Array(4000).fill(1))).data;
    const zeros = Array.from(y).filter((v) => v === 0).length;
    expect(zeros / 4000).toBeGreaterThan(0.22);
    expect(zeros / 4000).toBeLessThan(0.28);
    expect(Array.from(y).find((v) => v !== 0)).toBeCloseTo(1 / 0.75, 6);
  });
});
