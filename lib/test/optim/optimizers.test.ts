// Each optimiser's first steps against values worked out from PyTorch's documented update
// rules, for p0 = [1, -2] and loss = p0^2 + 0.5 p1^2 + p1, whose gradient is [2 p0, p1 + 1].
import { describe, expect, it } from "vitest";
import { Tensor, manualSeed, tensor, optim, nn } from "../../src";

function run(make: (p: Tensor) => optim.Optimizer<any, any>, steps = 3): number[][] {
  const p = tensor([1, -2], { requiresGrad: true });
  const opt = make(p);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    const loss = p.square().mul(tensor([1, 0.5])).sum().add(p.mul(tensor([0, 1])).sum());
    loss.backward();
    opt.step();
    out.push(Array.from(p.data));
  }
  return out;
}

function expectClose(got: number[][], want: number[][], tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  got.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - want[i][j])).toBeLessThan(tol)));
}

describe("SGD", () => {
  it("plain: p -= lr g", () => {
    expectClose(run((p) => new optim.SGD([p], { lr: 0.1 })), [[0.8, -1.9], [0.64, -1.81], [0.512, -1.729]]);
  });
  it("momentum: buf = g first, then 0.9 buf + g", () => {
    expectClose(run((p) => new optim.SGD([p], { lr: 0.1, momentum: 0.9 })), [[0.8, -1.9], [0.46, -1.72], [0.062, -1.486]]);
  });
  it("dampening scales the new gradient after the first step", () => {
    expectClose(run((p) => new optim.SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 })),
      [[0.8, -1.9], [0.54, -1.765], [0.252, -1.60525]]);
  });
  it("nesterov: step along g + momentum buf", () => {
    expectClose(run((p) => new optim.SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true })),
      [[0.62, -1.81], [0.2224, -1.5751], [-0.108352, -1.327321]]);
  });
  it("weight decay adds wd p to the gradient", () => {
    expectClose(run((p) => new optim.SGD([p], { lr: 0.1, weightDecay: 0.1 })), [[0.79, -1.88], [0.6241, -1.7732], [0.493039, -1.678148]]);
    expectClose(run((p) => new optim.SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.1 })),
      [[0.79, -1.88], [0.4351, -1.6652], [0.024319, -1.388708]]);
  });
});

describe("Adam and AdamW", () => {
  it("Adam: bias-corrected moments, first step of size lr", () => {
    expectClose(run((p) => new optim.Adam([p], { lr: 0.1 })),
      [[0.9, -1.9], [0.800412229, -1.80041223], [0.701586273, -1.701586275]]);
  });
  it("Adam's weightDecay is an L2 term inside the moments", () => {
    expectClose(run((p) => new optim.Adam([p], { lr: 0.1, weightDecay: 0.1 })),
      [[0.9, -1.9], [0.800412229, -1.800365306], [0.701586273, -1.701398914]]);
  });
  it("AdamW decays the weights apart from the moments", () => {
    expectClose(run((p) => new optim.AdamW([p], { lr: 0.1, weightDecay: 0.1 })),
      [[0.89, -1.88], [0.781571856, -1.761735195], [0.675101222, -1.645656312]]);
  });
  it("parameter groups keep their own lr and weightDecay (decay only matrices)", () => {
    manualSeed(0);
    const model = new nn.Linear(3, 2);
    const decay = model.parameters().filter((p) => p.ndim >= 2);
    const noDecay = model.parameters().filter((p) => p.ndim < 2);
    const opt = new optim.AdamW([{ params: decay, weightDecay: 0.5 }, { params: noDecay, weightDecay: 0, lr: 0.01 }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => [g.lr, g.weightDecay])).toEqual([[0.1, 0.5], [0.01, 0]]);
    const w0 = Array.from(model.weight.data), b0 = Array.from(model.bias!.data);
    // zero gradients: AdamW still shrinks decayed weights by (1 - lr wd), Adam's step is 0
    for (const p of model.parameters()) p.grad = tensor(new Array(p.numel()).fill(0)).reshape([...p.shape]);
    opt.step();
    Array.from(model.weight.data).forEach((v, i) => expect(v).toBeCloseTo(w0[i] * (1 - 0.1 * 0.5), 6));
    Array.from(model.bias!.data).forEach((v, i) => expect(v).toBeCloseTo(b0[i], 7));
  });
});

describe("AMSGrad", () => {
  // p0 = 1, gradients 4, 0.1, 0.1, betas [0.9, 0.5], lr 0.1: after the first step v falls
  // (8, 4.005, 2.0075) and AMSGrad keeps dividing by sqrt(max v) = sqrt(8). By hand:
  //   step 1: m = 0.4, v = 8, p = 1 - 0.1 (0.4/0.1) / (sqrt(8)/sqrt(0.5)) = 0.9
  //   step 2: m = 0.37, v = 4.005, vMax = 8, p = 0.9 - 0.1 (0.37/0.19) / (sqrt(8)/sqrt(0.75))
  //   step 3: m = 0.343, v = 2.0075, vMax = 8, p -= 0.1 (0.343/0.271) / (sqrt(8)/sqrt(0.875))
  function steps(make: (p: Tensor) => optim.Optimizer<any, any>): number[] {
    const p = tensor([1], { requiresGrad: true });
    const opt = make(p);
    return [4, 0.1, 0.1].map((g) => {
      p.grad = tensor([g]);
      opt.step();
      return p.item();
    });
  }
  const betas: [number, number] = [0.9, 0.5];

  it("Adam divides by the largest second moment so far", () => {
    const got = steps((p) => new optim.Adam([p], { lr: 0.1, betas, amsgrad: true }));
    [0.9, 0.8403743, 0.7985157].forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));
    // without it the shrinking v lets the steps grow back
    const plain = steps((p) => new optim.Adam([p], { lr: 0.1, betas }));
    [0.9, 0.8157291, 0.7321686].forEach((w, i) => expect(plain[i]).toBeCloseTo(w, 6));
  });

  it("AdamW: decoupled decay, then the AMSGrad step", () => {
    const got = steps((p) => new optim.AdamW([p], { lr: 0.1, betas, weightDecay: 0.1, amsgrad: true }));
    [0.89, 0.8214743, 0.771401].forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));
  });

  it("the running maximum is saved and restored with the state dict", () => {
    const p = tensor([1], { requiresGrad: true });
    const opt = new optim.Adam([p], { lr: 0.1, betas, amsgrad: true });
    p.grad = tensor([4]);
    opt.step();
    const sd = opt.stateDict();
    expect((sd.state[0].maxExpAvgSq as Tensor).item()).toBeCloseTo(8, 5);
    const q = tensor([0.9], { requiresGrad: true });
    const opt2 = new optim.Adam([q], { lr: 0.1 });
    opt2.loadStateDict(sd);
    for (const [t, o] of [[p, opt], [q, opt2]] as const) { t.grad = tensor([0.1]); o.step(); }
    expect(q.item()).toBeCloseTo(p.item(), 7);
  });
});

describe("optimizer bookkeeping", () => {
  it("zeroGrad sets grads to null; frozen and gradless parameters are skipped", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    const opt = new optim.SGD([a, b], { lr: 1 });
    a.sum().mul(b.sum()).backward();
    b.requiresGrad_(false); // frozen after backward: its grad must not be used
    opt.step();
    expect(Array.from(a.data)).toEqual([1 - 7, 2 - 7]);
    expect(Array.from(b.data)).toEqual([3, 4]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    opt.step(); // no gradients: nothing moves
    expect(Array.from(a.data)).toEqual([-6, -5]);
  });

  it("stateDict round-trips Adam's moments and step", () => {
    const mk = () => tensor([1, -2], { requiresGrad: true });
    const p = mk(), q = mk();
    const o1 = new optim.Adam([p], { lr: 0.1 });
    const stepOnce = (t: Tensor, o: optim.Optimizer<any, any>) => {
      o.zeroGrad();
      t.square().sum().backward();
      o.step();
    };
    stepOnce(p, o1);
    stepOnce(p, o1);
    const sd = o1.stateDict();
    expect(sd.state[0].step).toBe(2);
    expect(sd.paramGroups[0].params).toEqual([0]);
    q.copy_(p);
    const o2 = new optim.Adam([q], { lr: 0.5 });
    o2.loadStateDict(sd);
    expect(o2.paramGroups[0].lr).toBe(0.1);
    stepOnce(p, o1);
    stepOnce(q, o2);
    expect(Array.from(q.data)).toEqual(Array.from(p.data));
  });

  it("rejects a parameter listed twice", () => {
    const p = tensor([1], { requiresGrad: true });
    expect(() => new optim.SGD([p, p], { lr: 0.1 })).toThrow(/more than one group/);
  });
});
