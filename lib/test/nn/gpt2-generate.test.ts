// generate's nucleus sampling (topP) and its stop at an end token, on the tiny GPT-2 from
// transformers (test/fixtures/gpt2) whose greedy continuation is known.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { GPT } from "../../src/nn/gpt";
import { sampleNext } from "../../src/nn/sampling";
import { manualSeed } from "../../src/core/random";

const fixtures = join(__dirname, "../fixtures/gpt2");
const greedy = JSON.parse(readFileSync(join(fixtures, "tiny-greedy.json"), "utf8")) as { prompt: number[]; greedy: number[] };
const model = GPT.fromPretrained(join(fixtures, "tiny-model")).eval();
const newTokens = greedy.greedy.slice(greedy.prompt.length);

describe("sampleNext", () => {
  // probabilities 0.5, 0.3, 0.15, 0.05 as logits
  const logits = [0.5, 0.3, 0.15, 0.05].map(Math.log);
  const counts = (opts: Parameters<typeof sampleNext>[1], n = 4000) => {
    manualSeed(1);
    const c = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) c[sampleNext(logits, opts)]++;
    return c.map((k) => k / n);
  };

  test("topP keeps the most likely tokens up to and including the one that crosses it", () => {
    expect(counts({ topP: 0.5 })).toEqual([1, 0, 0, 0]); // 0.5 alone reaches 0.5
    const f = counts({ topP: 0.6 }); // 0.5 + 0.3: renormalised to 5/8 and 3/8
    expect(f[2] + f[3]).toBe(0);
    expect(f[0]).toBeCloseTo(5 / 8, 1);
    const g = counts({ topP: 0.9 }); // three tokens
    expect(g[3]).toBe(0);
    expect(g[2]).toBeCloseTo(0.15 / 0.95, 1);
  });

  test("topP 1 (or none) draws exactly as before, and topK applies first", () => {
    expect(counts({ topP: 1 })).toEqual(counts({}));
    expect(counts({})[3]).toBeGreaterThan(0.02);
    expect(counts({ topK: 2, topP: 0.99 })).toEqual(counts({ topK: 2 }));
  });

  test("options out of range are errors naming them", () => {
    expect(() => model.generate([[1]], 1, { topP: 0 })).toThrow(/topP must be in \(0, 1\], got 0/);
    expect(() => model.generate([[1]], 1, { topP: 1.5 })).toThrow(/topP must be in \(0, 1\], got 1.5/);
    expect(() => model.generate([[1]], 1, { topK: 0 })).toThrow(/topK must be a positive integer, got 0/);
    expect(() => model.generate([[1]], 1, { eosTokenId: 50 })).toThrow(/eosTokenId 50 is not a token id \(0..49\)/);
  });
});

describe("GPT.generate", () => {
  test("a tiny topP is greedy decoding: transformers' tokens", () => {
    manualSeed(2);
    const out = model.generate([greedy.prompt], newTokens.length, { topP: 1e-6 });
    expect(out.toArray()[0]).toEqual(greedy.greedy);
  });

  test("stops at the end token, and pads a row that ended before the others", () => {
    const eos = newTokens[2];
    const first = newTokens.indexOf(eos);
    const out = model.generate([greedy.prompt], 20, { temperature: 0, eosTokenId: eos });
    expect(out.toArray()[0]).toEqual(greedy.greedy.slice(0, greedy.prompt.length + first + 1));
    // a second row that never produces it runs to maxNewTokens; the first is padded with it
    const other = [7, 7, 7, 7, 7];
    const alone = model.generate([other], 6, { temperature: 0 }).toArray()[0];
    expect(alone.slice(5)).not.toContain(eos);
    const both = model.generate([greedy.prompt, other], 6, { temperature: 0, eosTokenId: [eos] }).toArray();
    expect(both[1]).toEqual(alone);
    expect(both[0]).toEqual([...greedy.greedy.slice(0, greedy.prompt.length + first + 1), ...Array(6 - first - 1).fill(eos)]);
  });
});
