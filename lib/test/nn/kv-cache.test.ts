// GPT.generate with a KV cache: the same tokens as rerunning the whole context, while the
// model sees only the new token at each step (until the window slides past blockSize).
import { describe, expect, it } from "vitest";
import { Tensor, manualSeed, nn, tensor } from "../../src";

function model(): nn.GPT {
  manualSeed(7);
  const gpt = new nn.GPT({ vocabSize: 13, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 });
  // larger weights than GPT-2's 0.02 so the logits are far from uniform
  for (const p of gpt.parameters()) if (p.ndim === 2) p.copy_(p.mul(10));
  return gpt.eval();
}

/** The number of tokens each call of the token embedding saw. */
function watchInputs(gpt: nn.GPT): number[] {
  const seen: number[] = [];
  const forward = gpt.wte.forward.bind(gpt.wte);
  gpt.wte.forward = (idx: Tensor) => { seen.push(idx.shape[1]); return forward(idx); };
  return seen;
}

describe("GPT.generate with a KV cache", () => {
  const prompt = [[1, 2, 3], [4, 5, 6]];

  it("greedy decoding: the same tokens, past the block size too, feeding one token a step", () => {
    const gpt = model();
    const plain = gpt.generate(prompt, 9, { temperature: 0, kvCache: false }).toArray();
    const seen = watchInputs(gpt);
    const cached = gpt.generate(prompt, 9, { temperature: 0 }).toArray();
    expect(cached).toEqual(plain);
    expect(cached[0].length).toBe(12);
    // the prompt once, then one token per step until 8 (blockSize) are in; then the window slides
    expect(seen).toEqual([3, 1, 1, 1, 1, 1, 8, 8, 8]);
  });

  it("sampling from the seeded generator: the same tokens with and without the cache", () => {
    const gpt = model();
    const run = (kvCache: boolean, opts: { temperature?: number; topK?: number }) => {
      manualSeed(11);
      return gpt.generate(prompt, 5, { ...opts, kvCache }).toArray();
    };
    for (const opts of [{}, { temperature: 0.7, topK: 4 }, { temperature: 1.5 }]) {
      const cached = run(true, opts);
      expect(cached).toEqual(run(false, opts));
    }
    // and the samples are not all the greedy ones: the sampler was exercised
    expect(run(true, { temperature: 1.5 })).not.toEqual(gpt.generate(prompt, 5, { temperature: 0 }).toArray());
  });

  it("hidden(): positions after the cache, the same states as the whole sequence at once", () => {
    const gpt = model();
    const ids = tensor([[3, 1, 4, 1, 5, 9, 2]], { dtype: "int32" });
    const whole = gpt.hidden(ids);
    const cache = new nn.KVCache(2);
    const parts = [gpt.hidden(ids.narrow(1, 0, 4), cache), gpt.hidden(ids.narrow(1, 4, 1), cache), gpt.hidden(ids.narrow(1, 5, 2), cache)];
    expect(cache.length).toBe(7);
    expect(cache.layers[1].k!.shape).toEqual([1, 2, 7, 8]);
    const got = Array.from(parts.map((p) => Array.from(p.data)).flat());
    Array.from(whole.data).forEach((w, i) => expect(got[i]).toBeCloseTo(w, 4));
    expect(() => gpt.hidden(ids.narrow(1, 0, 2), cache)).toThrow("GPT.forward(): 7 cached and 2 new positions are longer than the block size 8");
  });
});
