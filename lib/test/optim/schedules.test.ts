// Learning-rate schedules, gradient clipping and penalties against hand-computed values.
import { describe, expect, it } from "vitest";
import { manualSeed, tensor, optim, nn, noGrad } from "../../src";

const param = () => tensor([1, 2], { requiresGrad: true });

describe("lr schedulers", () => {
  it("StepLR multiplies by gamma every stepSize steps", () => {
    const opt = new optim.SGD([param()], { lr: 1 });
    const sched = new optim.lr.StepLR(opt, { stepSize: 2, gamma: 0.5 });
    const seen: number[] = [];
    for (let e = 0; e < 6; e++) {
      seen.push(opt.paramGroups[0].lr);
      sched.step();
    }
    expect(seen).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
  });

  it("CosineWithWarmup follows nanoGPT's get_lr", () => {
    const opt = new optim.AdamW([param()], { lr: 1 });
    const sched = new optim.lr.CosineWithWarmup(opt, { warmupIters: 10, lrDecayIters: 100, minLr: 0.1 });
    const at: Record<number, number> = {};
    for (let it = 0; it <= 101; it++) {
      at[it] = opt.paramGroups[0].lr;
      sched.step();
    }
    expect(at[0]).toBeCloseTo(1 / 11, 12); // warmup: lr (it + 1) / (warmup + 1)
    expect(at[9]).toBeCloseTo(10 / 11, 12);
    expect(at[10]).toBeCloseTo(1, 12); // cosine from the peak ...
    expect(at[25]).toBeCloseTo(0.1 + 0.5 * (1 + Math.cos(Math.PI / 6)) * 0.9, 12);
    expect(at[55]).toBeCloseTo(0.55, 12); // ... halfway ...
    expect(at[100]).toBeCloseTo(0.1, 12); // ... to minLr, and flat after
    expect(at[101]).toBeCloseTo(0.1, 12);
    expect(optim.lr.cosineWithWarmup(55, { lr: 1, minLr: 0.1, warmupIters: 10, lrDecayIters: 100 })).toBeCloseTo(0.55, 12);
  });

  it("schedules each group from its own initial lr", () => {
    const opt = new optim.SGD([{ params: [param()], lr: 1 }, { params: [param()], lr: 0.1 }], { lr: 1 });
    const sched = new optim.lr.LambdaLR(opt, (e) => 1 / (e + 1));
    sched.step();
    expect(sched.getLastLr()).toEqual([0.5, 0.05]);
  });
});

describe("clipGradNorm", () => {
  it("returns the global norm and scales all gradients together", () => {
    const a = tensor([0, 0], { requiresGrad: true });
    const b = tensor([0], { requiresGrad: true });
    a.grad = tensor([3, 4]);
    b.grad = tensor([12]);
    expect(optim.clipGradNorm([a, b], 20)).toBeCloseTo(13, 6);
    expect(Array.from(a.grad.data)).toEqual([3, 4]); // under the limit: untouched
    expect(optim.clipGradNorm([a, b], 6.5)).toBeCloseTo(13, 6);
    expect(Array.from(a.grad!.data).map((v) => +v.toFixed(5))).toEqual([1.5, 2]);
    expect(b.grad!.item()).toBeCloseTo(6, 5);
  });

  it("scales a gradient shared by two parameters once", () => {
    const a = tensor([3, 4], { requiresGrad: true });
    const b = tensor([0, 0], { requiresGrad: true });
    a.add(b).backward(tensor([3, 4]));
    const norm = optim.clipGradNorm([a, b], 1);
    expect(norm).toBeCloseTo(Math.sqrt(50), 5);
    expect(a.grad!.data[0]).toBeCloseTo(3 / Math.sqrt(50), 5);
    expect(b.grad!.data[0]).toBeCloseTo(3 / Math.sqrt(50), 5);
  });
});

describe("penalties", () => {
  it("l1 and l2 penalties and their gradients", () => {
    const a = tensor([1, -2], { requiresGrad: true });
    const b = tensor([3], { requiresGrad: true });
    expect(optim.l1Penalty([a, b]).item()).toBe(6);
    const l2 = optim.l2Penalty([a, b]);
    expect(l2.item()).toBe(14);
    l2.backward();
    expect(Array.from(a.grad!.data)).toEqual([2, -4]);
  });

  it("anchorPenalty is lambda ||W - W0||^2 over trainable parameters", () => {
    manualSeed(3);
    const model = new nn.Linear(3, 2);
    const pre = model.stateDict();
    expect(optim.anchorPenalty(model, pre, 0.5).item()).toBe(0);
    noGrad(() => model.weight.copy_(model.weight.add(1))); // move every weight by 1
    const pen = optim.anchorPenalty(model, pre, 0.5);
    expect(pen.item()).toBeCloseTo(0.5 * 6, 5);
    pen.backward();
    Array.from(model.weight.grad!.data).forEach((g) => expect(g).toBeCloseTo(2 * 0.5 * 1, 5));
    expect(Array.from(model.bias!.grad!.data)).toEqual([0, 0]); // the bias did not move
  });
});
