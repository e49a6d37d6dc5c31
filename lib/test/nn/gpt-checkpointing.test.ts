// Gradient checkpointing per block: the same loss and the same gradients as keeping every
// activation, with dropout drawing the same masks in the recompute, LoRA adapters behind frozen
// embeddings still trained, a graph that keeps one node per block, and a weight changed before
// backward refused rather than silently recomputed with other values.
import { describe, expect, it } from "vitest";
import { Tensor, manualSeed, nn, noGrad, randint } from "../../src";
import { topoOrder } from "../../src/core/autograd";

const config = { vocabSize: 40, blockSize: 16, nLayer: 3, nHead: 2, nEmbd: 16 };

function batch(seed: number): { x: Tensor; y: Tensor } {
  manualSeed(seed);
  return { x: randint(0, config.vocabSize, [3, 12]), y: randint(0, config.vocabSize, [3, 12]) };
}

/** Loss and every parameter's gradient of one forward and backward pass, the default generator seeded first. */
function lossAndGrads(model: nn.GPT, x: Tensor, y: Tensor, seed: number): { loss: number; grads: Map<string, Float32Array> } {
  for (const p of model.parameters()) p.grad = null;
  manualSeed(seed);
  const { loss } = model.forward(x, y);
  loss!.backward();
  const grads = new Map<string, Float32Array>();
  // copies: values() is the storage itself, which the pool hands out again once .grad lets go
  for (const [name, p] of model.namedParameters()) if (p.grad) grads.set(name, Float32Array.from(p.grad.values() as Float32Array));
  return { loss: loss!.item(), grads };
}

function maxDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let worst = 0;
  for (const [name, g] of a) {
    const h = b.get(name)!;
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - h[i]));
  }
  return worst;
}

describe("GPT gradient checkpointing", () => {
  it("gives the loss and gradients of the plain backward pass, dropout included", () => {
    manualSeed(0);
    const model = new nn.GPT({ ...config, dropout: 0.2 }).train();
    const { x, y } = batch(1);
    const plain = lossAndGrads(model, x, y, 7);
    expect(model.gradientCheckpointingEnable().isGradientCheckpointing).toBe(true);
    const checkpointed = lossAndGrads(model, x, y, 7);
    expect(checkpointed.loss).toBe(plain.loss);
    expect(plain.grads.size).toBe(model.parameters().length);
    expect(maxDifference(plain.grads, checkpointed.grads)).toBeLessThan(1e-6);
    // and the generator goes on where it would have without the recompute
    manualSeed(7);
    model.gradientCheckpointingDisable().forward(x, y);
    const next = randint(0, 1000, [4]).toArray();
    manualSeed(7);
    model.gradientCheckpointingEnable().forward(x, y).loss!.backward();
    expect(randint(0, 1000, [4]).toArray()).toEqual(next);
  });

  it("trains LoRA adapters behind frozen embeddings, gradients equal", () => {
    manualSeed(2);
    const model = new nn.GPT(config);
    nn.applyLoRA(model, { r: 2, targets: "attn.cAttn" });
    const { x, y } = batch(3);
    const plain = lossAndGrads(model, x, y, 1);
    model.gradientCheckpointingEnable();
    const checkpointed = lossAndGrads(model, x, y, 1);
    expect([...plain.grads.keys()].sort()).toEqual(
      [0, 1, 2].flatMap((i) => [`h.${i}.attn.cAttn.loraA`, `h.${i}.attn.cAttn.loraB`]).sort(),
    );
    expect(maxDifference(plain.grads, checkpointed.grads)).toBeLessThan(1e-6);
  });

  it("keeps one node per block in the graph instead of every op's", () => {
    manualSeed(4);
    const model = new nn.GPT(config);
    const { x, y } = batch(5);
    // the ops recorded (tensors with a gradFn; the parameters are leaves)
    const ops = (loss: Tensor) => topoOrder(loss).filter((t) => t.gradFn);
    const plain = ops(model.forward(x, y).loss!);
    model.gradientCheckpointingEnable();
    const checkpointed = ops(model.forward(x, y).loss!);
    expect(checkpointed.filter((t) => t.gradFn!.name === "checkpoint")).toHaveLength(config.nLayer);
    expect(checkpointed.length).toBeLessThan(plain.length / 3);
    expect(model.toString()).toMatch(/gradientCheckpointing=true/);
  });

  it("refuses to recompute with a weight changed after the forward pass", () => {
    manualSeed(6);
    const model = new nn.GPT(config).gradientCheckpointingEnable();
    const { x, y } = batch(7);
    const { loss } = model.forward(x, y);
    const w = model.h.at(1).mlp.cFc.weight;
    noGrad(() => w.copy_(w.mul(2)));
    expect(() => loss!.backward()).toThrow(/modified by an in-place operation: input \d+ of 'checkpoint'/);
  });

  it("leaves generation with the KV cache as it was", () => {
    manualSeed(8);
    const model = new nn.GPT(config).eval();
    manualSeed(9);
    const plain = model.generate([[1, 2, 3]], 10).toArray();
    model.gradientCheckpointingEnable();
    manualSeed(9);
    expect(model.generate([[1, 2, 3]], 10).toArray()).toEqual(plain);
  });
});
