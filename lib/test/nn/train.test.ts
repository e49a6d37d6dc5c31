// Small end-to-end trainings: an MLP on two moons and on XOR, and a GPT that learns a
// sentence by heart and says it back.
import { describe, expect, it } from "vitest";
import { F, Generator, Tensor, manualSeed, nn, noGrad, optim, randint, tensor } from "../../src";

/** Two interleaving half circles (scikit-learn's make_moons) with Gaussian noise. */
function moons(n: number, noise: number, gen: Generator): { x: Tensor; y: Tensor } {
  const xs: number[][] = [], ys: number[] = [];
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    const upper = i < half;
    const k = upper ? i : i - half;
    const t = (Math.PI * k) / ((upper ? half : n - half) - 1);
    const [a, b] = upper ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    xs.push([a + noise * gen.normal(), b + noise * gen.normal()]);
    ys.push(upper ? 0 : 1);
  }
  return { x: tensor(xs), y: tensor(ys).reshape(n, 1) };
}

function accuracy(logits: Tensor, y: Tensor): number {
  const pred = logits.gt(0).data, target = y.data;
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === target[i]) ok++;
  return ok / pred.length;
}

describe("training", () => {
  it("an MLP 2-16-16-1 separates two moons completely", () => {
    manualSeed(42);
    const { x, y } = moons(100, 0.1, new Generator(42));
    const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 16), new nn.ReLU(), new nn.Linear(16, 1));
    const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
    let acc = 0;
    for (let step = 0; step < 400 && acc < 1; step++) {
      const logits = model.call(x);
      const loss = F.binaryCrossEntropyWithLogits(logits, y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      acc = noGrad(() => accuracy(model.call(x), y));
    }
    expect(acc).toBe(1);
  });

  it("XOR trains with SGD and momentum", () => {
    manualSeed(1);
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = tensor([[0], [1], [1], [0]]);
    const model = new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 1));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const lossFn = new nn.MSELoss();
    let loss = Infinity;
    for (let step = 0; step < 500; step++) {
      const l = lossFn.call(model.call(x), y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      loss = l.item();
    }
    expect(loss).toBeLessThan(0.01);
    expect(accuracy(model.call(x).sub(0.5), y)).toBe(1);
  });
});

describe("GPT", () => {
  const text = "hello world, hello chainlab! ".repeat(6);
  const chars = [...new Set(text)].sort();
  const encode = (s: string) => [...s].map((c) => chars.indexOf(c));
  const decode = (ids: number[]) => ids.map((i) => chars[i]).join("");
  const data = encode(text);
  const blockSize = 16;
  // 8 characters always determine the next one in this text; the first 7 targets of a
  // window that starts mid-sentence are ambiguous, so they are left out with ignoreIndex -1
  const context = 8;

  function batch(n: number): [Tensor, Tensor] {
    const starts = randint(0, data.length - blockSize - 1, [n]).data;
    const xs: number[][] = [], ys: number[][] = [];
    for (const s of starts) {
      xs.push(data.slice(s, s + blockSize));
      ys.push(data.slice(s + 1, s + blockSize + 1).map((t, i) => (i < context - 1 ? -1 : t)));
    }
    return [tensor(xs, { dtype: "int32" }), tensor(ys, { dtype: "int32" })];
  }

  it("is causal: changing a later token leaves earlier logits unchanged", () => {
    manualSeed(0);
    const gpt = new nn.GPT({ vocabSize: chars.length, blockSize, nLayer: 2, nHead: 2, nEmbd: 32 });
    const a = gpt.forward(tensor([[1, 2, 3, 4, 5]], { dtype: "int32" })).logits;
    const b = gpt.forward(tensor([[1, 2, 3, 9, 5]], { dtype: "int32" })).logits;
    expect(a.shape).toEqual([1, 5, chars.length]);
    const [av, bv] = [a.data, b.data];
    const V = chars.length;
    for (let i = 0; i < 3 * V; i++) expect(bv[i]).toBe(av[i]);
    expect(bv[3 * V]).not.toBe(av[3 * V]);
    expect(gpt.forward(tensor([[1, 2]], { dtype: "int32" })).loss).toBeNull();
  });

  it("overfits a short text to near-zero loss and generates it back", () => {
    manualSeed(1337);
    const gpt = new nn.GPT({ vocabSize: chars.length, blockSize, nLayer: 2, nHead: 2, nEmbd: 32 });
    const opt = new optim.AdamW(gpt.parameters(), { lr: 1e-2, weightDecay: 0 });
    // the text repeats every period characters: these windows are all the distinct ones
    const period = 29;
    const all = (): [Tensor, Tensor] => {
      const xs: number[][] = [], ys: number[][] = [];
      for (let s = 0; s < period; s++) {
        xs.push(data.slice(s, s + blockSize));
        ys.push(data.slice(s + 1, s + blockSize + 1).map((t, i) => (i < context - 1 ? -1 : t)));
      }
      return [tensor(xs, { dtype: "int32" }), tensor(ys, { dtype: "int32" })];
    };
    const [ax, ay] = all();
    let loss = Infinity;
    for (let step = 1; step <= 600 && loss > 0.01; step++) {
      const [x, y] = batch(8);
      const out = gpt.forward(x, y);
      opt.zeroGrad();
      out.loss!.backward();
      optim.clipGradNorm(gpt.parameters(), 1.0);
      opt.step();
      if (step % 25 === 0) loss = noGrad(() => gpt.forward(ax, ay).loss!.item());
    }
    expect(loss).toBeLessThan(0.1);
    gpt.eval();
    const prompt = "hello world, hel";
    const out = gpt.generate(tensor([encode(prompt)], { dtype: "int32" }), 40, { topK: 1 });
    expect(out.shape).toEqual([1, 56]);
    const generated = decode(out.toArray()[0]);
    expect(generated).toBe(text.slice(0, 56));
    // sampling at a low temperature is seeded and gives the same text
    manualSeed(3);
    const sampled = decode(gpt.generate(tensor([encode(prompt)], { dtype: "int32" }), 20, { temperature: 0.05 }).toArray()[0]);
    expect(sampled).toBe(text.slice(0, 36));
  });
});
