// BatchNorm1d / BatchNorm2d against PyTorch's formulas worked by hand: batch statistics
// (biased variance) in training, running statistics with momentum 0.1 and the unbiased
// variance, and those in eval().
import { describe, expect, it } from "vitest";
import { F, Tensor, gradcheck, manualSeed, nn, randn, tensor } from "../../src";

const close = (got: ArrayLike<number>, want: number[], digits = 5) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
};

/** The same normalisation written as loops over the channel's values. */
function reference(x: Tensor, mean: number[], variance: number[], w: number[], b: number[], eps = 1e-5): number[] {
  const c = x.shape[1];
  const inner = x.numel() / x.shape[0] / c;
  return Array.from(x.data, (v, i) => {
    const ch = Math.floor(i / inner) % c;
    return ((v - mean[ch]) / Math.sqrt(variance[ch] + eps)) * w[ch] + b[ch];
  });
}

/** Per-channel mean and variance (biased or not) over every dim but 1. */
function channelStats(x: Tensor, unbiased: boolean): [number[], number[]] {
  const c = x.shape[1];
  const inner = x.numel() / x.shape[0] / c;
  const groups: number[][] = Array.from({ length: c }, () => []);
  Array.from(x.data).forEach((v, i) => groups[Math.floor(i / inner) % c].push(v));
  const mean = groups.map((g) => g.reduce((s, v) => s + v, 0) / g.length);
  const variance = groups.map((g, k) => g.reduce((s, v) => s + (v - mean[k]) ** 2, 0) / (g.length - (unbiased ? 1 : 0)));
  return [mean, variance];
}

describe("BatchNorm1d", () => {
  it("normalises with the batch's statistics in training and moves the running ones", () => {
    const bn = new nn.BatchNorm1d(2);
    // channel 0: 1 3 5 7 (mean 4, var 5, unbiased 20/3); channel 1: 2 6 4 0 (mean 3, var 5)
    const x = tensor([[1, 2], [3, 6], [5, 4], [7, 0]]);
    const s = Math.sqrt(5 + 1e-5);
    close(bn.call(x).data, [-3 / s, -1 / s, -1 / s, 3 / s, 1 / s, 1 / s, 3 / s, -3 / s]);
    close(bn.runningMean!.data, [0.4, 0.3]);
    close(bn.runningVar!.data, [0.9 + 0.1 * (20 / 3), 0.9 + 0.1 * (20 / 3)]);
    expect(bn.numBatchesTracked!.item()).toBe(1);
    expect(bn.numBatchesTracked!.dtype).toBe("int32");

    // a second batch: running = 0.9 running + 0.1 batch
    bn.call(tensor([[0, 1], [2, 1]]));
    close(bn.runningMean!.data, [0.9 * 0.4 + 0.1 * 1, 0.9 * 0.3 + 0.1 * 1]);
    close(bn.runningVar!.data, [0.9 * (0.9 + 2 / 3) + 0.1 * 2, 0.9 * (0.9 + 2 / 3)]);
    expect(bn.numBatchesTracked!.item()).toBe(2);
  });

  it("uses the running statistics in eval() and leaves them alone", () => {
    const bn = new nn.BatchNorm1d(2);
    bn.weight!.copy_(tensor([2, 0.5]));
    bn.bias!.copy_(tensor([1, -1]));
    bn.call(tensor([[1, 2], [3, 6], [5, 4], [7, 0]]));
    bn.eval();
    const rv = 0.9 + 0.1 * (20 / 3);
    const y = bn.call(tensor([[1, 2]]));
    close(y.data, [((1 - 0.4) / Math.sqrt(rv + 1e-5)) * 2 + 1, ((2 - 0.3) / Math.sqrt(rv + 1e-5)) * 0.5 - 1]);
    close(bn.runningMean!.data, [0.4, 0.3]);
    expect(bn.numBatchesTracked!.item()).toBe(1);
  });

  it("[N, C, L]: statistics over N and L; momentum null averages every batch equally", () => {
    manualSeed(3);
    const bn = new nn.BatchNorm1d(3, { momentum: null, eps: 1e-3 });
    const xs = [randn(4, 3, 5), randn(2, 3, 7).mul(2).add(1)];
    for (const x of xs) {
      const [mean, biased] = channelStats(x, false);
      close(bn.call(x).data, reference(x, mean, biased, [1, 1, 1], [0, 0, 0], 1e-3), 4);
    }
    const stats = xs.map((x) => channelStats(x, true));
    close(bn.runningMean!.data, [0, 1, 2].map((k) => (stats[0][0][k] + stats[1][0][k]) / 2));
    close(bn.runningVar!.data, [0, 1, 2].map((k) => (stats[0][1][k] + stats[1][1][k]) / 2), 4);
  });

  it("gradcheck in training mode: input, weight and bias", () => {
    manualSeed(4);
    const bn = new nn.BatchNorm1d(3);
    const x = randn(5, 3).requiresGrad_();
    const w = randn(3).requiresGrad_();
    const b = randn(3).requiresGrad_();
    gradcheck((x, w, b) => F.batchNorm(x, bn.runningMean, bn.runningVar, { weight: w, bias: b, training: true }), [x, w, b]);
    gradcheck((x) => bn.call(x), [randn(4, 3, 2).requiresGrad_()]);
    // the module's own parameters get gradients
    bn.call(randn(4, 3)).square().sum().backward();
    expect(bn.weight!.grad!.shape).toEqual([3]);
    expect(bn.bias!.grad!.shape).toEqual([3]);
  });

  it("state dict: buffers by name, loaded back; parameters() has only weight and bias", () => {
    const bn = new nn.BatchNorm1d(2);
    bn.call(tensor([[1, 2], [3, 6], [5, 4], [7, 0]]));
    expect(bn.namedParameters().map(([n]) => n)).toEqual(["weight", "bias"]);
    const sd = bn.stateDict();
    expect(Object.keys(sd)).toEqual(["weight", "bias", "runningMean", "runningVar", "numBatchesTracked"]);
    const other = new nn.BatchNorm1d(2);
    other.loadStateDict(sd);
    close(other.runningMean!.data, [0.4, 0.3]);
    expect(other.numBatchesTracked!.item()).toBe(1);
    expect(() => other.loadStateDict({ weight: sd.weight, bias: sd.bias })).toThrow(/missing keys: runningMean, runningVar, numBatchesTracked/);
    // inside a model the names are dotted
    const model = new nn.Sequential(new nn.Linear(2, 2), new nn.BatchNorm1d(2));
    expect(Object.keys(model.stateDict())).toContain("1.runningVar");
  });

  it("without running statistics or affine parameters: batch statistics in every mode, no buffers", () => {
    const bn = new nn.BatchNorm1d(2, { trackRunningStats: false, affine: false }).eval();
    const x = tensor([[1, 2], [3, 6], [5, 4], [7, 0]]);
    const s = Math.sqrt(5 + 1e-5);
    close(bn.call(x).data, [-3 / s, -1 / s, -1 / s, 3 / s, 1 / s, 1 / s, 3 / s, -3 / s]);
    expect(Object.keys(bn.stateDict())).toEqual([]);
    expect(bn.parameters()).toEqual([]);
  });

  it("names the shape it expected", () => {
    const bn = new nn.BatchNorm1d(2);
    expect(() => bn.call(randn(4, 3))).toThrow("BatchNorm1d: expected input [N, C] or [N, C, L] with C = 2, got shape [4, 3]");
    expect(() => bn.call(randn(1, 2))).toThrow(/more than one value per channel when training/);
    expect(String(bn)).toBe("BatchNorm1d(2, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)");
  });
});

describe("BatchNorm2d", () => {
  it("per channel over N, H and W, against the loops; eval uses the running statistics", () => {
    manualSeed(5);
    const bn = new nn.BatchNorm2d(3);
    bn.weight!.copy_(tensor([1.5, -1, 0.5]));
    bn.bias!.copy_(tensor([0, 2, -1]));
    const x = randn(2, 3, 4, 5).mul(3).add(1);
    const [mean, biased] = channelStats(x, false);
    close(bn.call(x).data, reference(x, mean, biased, [1.5, -1, 0.5], [0, 2, -1]), 4);
    const [, unbiased] = channelStats(x, true);
    close(bn.runningMean!.data, mean.map((m) => 0.1 * m));
    close(bn.runningVar!.data, unbiased.map((v) => 0.9 + 0.1 * v), 4);
    bn.eval();
    const y = randn(1, 3, 2, 2);
    close(bn.call(y).data, reference(y, Array.from(bn.runningMean!.data), Array.from(bn.runningVar!.data), [1.5, -1, 0.5], [0, 2, -1]), 4);
    expect(() => bn.call(randn(2, 3, 4))).toThrow("BatchNorm2d: expected input [N, C, H, W] with C = 3, got shape [2, 3, 4]");
  });

  it("gradcheck in training mode", () => {
    manualSeed(6);
    const bn = new nn.BatchNorm2d(2);
    bn.weight!.copy_(tensor([0.7, -1.3]));
    gradcheck((x) => bn.call(x), [randn(2, 2, 3, 3).requiresGrad_()]);
  });
});
