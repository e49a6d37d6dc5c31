import { expect, test } from "vitest";
import { tensor } from "../../src/creation";
import { CharTokenizer } from "../../src/data";

const text = "hello world! ünïcode — and 𝄞 too\n";

test("sorted vocabulary and a lossless round trip", () => {
  const tok = CharTokenizer.fromText("hello world");
  expect(tok.vocab).toEqual([" ", "d", "e", "h", "l", "o", "r", "w"]);
  expect(tok.vocabSize).toBe(8);
  expect(tok.encode("hello")).toEqual([3, 2, 4, 4, 5]);
  expect(tok.decode([3, 2, 4, 4, 5])).toBe("hello");
  const all = CharTokenizer.fromText(text);
  expect(all.decode(all.encode(text))).toBe(text);
});

test("characters are code points, ordered as Python's sorted(set(text))", () => {
  const tok = CharTokenizer.fromText("\uffff𝄞a");
  expect(tok.vocab).toEqual(["a", "\uffff", "𝄞"]);
  expect(tok.encode("𝄞a")).toEqual([2, 0]);
});

test("tensors in and out", () => {
  const tok = CharTokenizer.fromText(text);
  const t = tok.encodeTensor(text);
  expect(t.dtype).toBe("int32");
  expect(t.shape).toEqual([[...text].length]);
  expect(tok.decode(t)).toBe(text);
  expect(tok.decode(tensor([0, 1], { dtype: "int32" }))).toBe(tok.vocab[0] + tok.vocab[1]);
  expect(() => tok.decode(tensor([[0]], { dtype: "int32" }))).toThrow(/expected a 1-D tensor/);
});

test("unknown characters and ids are named with their position", () => {
  const tok = CharTokenizer.fromText("abc");
  expect(() => tok.encode("abxc")).toThrow('CharTokenizer.encode(): character "x" (U+0078) at position 2 is not in the vocabulary (3 characters)');
  expect(() => tok.encode("a𝄞é")).toThrow(/character "𝄞" \(U\+1D11E\) at position 1/);
  expect(() => tok.encodeTensor("ab\n")).toThrow(/"\\n" \(U\+000A\) at position 2/);
  expect(() => tok.decode([0, 3])).toThrow(/id 3 at position 1 is outside the vocabulary \(ids are 0\.\.2\)/);
  expect(() => tok.decode([-1])).toThrow(/id -1 at position 0/);
});

test("toJSON / fromJSON", () => {
  const tok = CharTokenizer.fromText(text);
  const json = JSON.stringify(tok);
  const back = CharTokenizer.fromJSON(json);
  expect(back.vocab).toEqual(tok.vocab);
  expect(back.encode(text)).toEqual(tok.encode(text));
  expect(CharTokenizer.fromJSON(tok.toJSON()).vocabSize).toBe(tok.vocabSize);
  expect(() => CharTokenizer.fromJSON({ type: "Nope", vocab: [] } as never)).toThrow(/expected \{type: "CharTokenizer"/);
  expect(() => new CharTokenizer(["a", "a"])).toThrow(/"a" \(U\+0061\) appears twice/);
  expect(() => new CharTokenizer(["ab"])).toThrow(/entry 0 is "ab", expected a single character/);
});
