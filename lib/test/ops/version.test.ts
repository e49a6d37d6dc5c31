import { describe, expect, test } from "vitest";
import { cl } from "./reference";
import { nn, optim } from "../../src";

describe("in-place writes to tensors saved for backward", () => {
  test("backward names the op, the input, its shape and both versions", () => {
    const x = cl.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const w = cl.ones([2, 3]);
    const y = x.mul(w);
    expect(w.version).toBe(0);
    w.fill_(2);
    expect(w.version).toBe(1);
    expect(() => y.sum().backward()).toThrow(
      "one of the tensors needed for gradient computation has been modified by an in-place operation: input 1 of 'mul' [2, 3] is at version 1, expected 0",
    );
  });

  test("a write through a view counts for every view of the storage", () => {
    const x = cl.tensor([1, 2, 3, 4], { requiresGrad: true });
    const y = x.exp();
    y.reshape([2, 2]).zero_();
    expect(() => y.sum().backward()).toThrow(/the output of 'exp' \[4\] is at version 1, expected 0/);
  });

  test("an optimiser step between forward and backward is caught", () => {
    const lin = new nn.Linear(3, 2);
    const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
    const loss = lin.forward(cl.ones([4, 3])).square().sum();
    for (const p of lin.parameters()) p.grad = cl.onesLike(p);
    opt.step();
    // initialisation wrote the weight once (version 1), the step again
    expect(() => loss.backward()).toThrow(/input 1 of 'linear' \[2, 3\] is at version 2, expected 1/);
    const adam = new optim.Adam(lin.parameters(), { lr: 0.1 });
    const loss2 = lin.forward(cl.ones([4, 3])).square().sum();
    adam.step();
    expect(() => loss2.backward()).toThrow(/'linear' \[2, 3\] is at version 3, expected 2/);
  });

  test("copy_ and a LoRA merge bump the version too", () => {
    const a = cl.zeros([2]);
    a.copy_(cl.ones([2]));
    expect(a.version).toBe(1);
    const lin = new nn.Linear(2, 2);
    const lora = new nn.LoRALinear(lin, { r: 1 });
    cl.noGrad(() => lora.loraB.fill_(1));
    const x = cl.ones([1, 2], { requiresGrad: true });
    const y = lora.forward(x);
    lora.merge();
    expect(() => y.sum().backward()).toThrow(/modified by an in-place operation/);
  });

  test("ops that need only shapes (add, sum, views) do not mind, and the usual loop is unaffected", () => {
    const x = cl.tensor([1, 2], { requiresGrad: true });
    const b = cl.tensor([1, 1]);
    const y = x.add(b).reshape([2, 1]).sum();
    b.fill_(5);
    y.backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 1]);

    cl.manualSeed(0);
    const lin = new nn.Linear(3, 1);
    const opt = new optim.AdamW(lin.parameters(), { lr: 0.01 });
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      lin.forward(cl.randn([5, 3])).square().mean().backward();
      opt.step();
    }
    expect(lin.weight.version).toBe(4); // initialisation and three steps
  });
});
