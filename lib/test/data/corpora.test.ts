import { expect, test } from "vitest";
import { CharTokenizer, getBatch, loadDigits, loadMobyDick, loadMobyDickChapters, loadSpamAssassin } from "../../src/data";
import { Generator } from "../../src/core/random";
import { requireCorpus } from "../../src/data/corpora";

test("Moby Dick: the whole book as one string", () => {
  const text = loadMobyDick();
  expect(text.length).toBeGreaterThan(1e6);
  expect(text).toContain("Call me Ishmael.");
  expect(text.trimEnd().endsWith("only found another orphan.")).toBe(true);
  const chapters = loadMobyDickChapters();
  expect(chapters.length).toBe(139);
  expect(chapters[3].chapter).toBe("1");
  expect(chapters[3].title).toBe("Loomings.");
  // a usable character-level corpus
  const tok = CharTokenizer.fromText(text);
  expect(tok.vocabSize).toBeGreaterThan(60);
  expect(tok.vocabSize).toBeLessThan(120);
  const ids = tok.encodeTensor(text);
  expect(ids.shape[0]).toBe([...text].length);
  expect(getBatch(ids, 64, 4).x.shape).toEqual([4, 64]);
});

test("SpamAssassin: labelled messages of both classes, headers stripped", () => {
  const msgs = loadSpamAssassin();
  expect(msgs.length).toBe(6046);
  const spam = msgs.filter((m) => m.label === 1).length;
  expect(spam).toBe(1896);
  expect(msgs.length - spam).toBe(4150);
  expect(msgs.every((m) => m.label === (m.group.startsWith("spam") ? 1 : 0))).toBe(true);
  const first = msgs[0];
  expect(first.text).not.toMatch(/^Return-Path:/m);
  expect(first.text.length).toBeGreaterThan(0);
  const withHeaders = loadSpamAssassin({ headers: true });
  expect(withHeaders[0].text).toMatch(/^From /);
  expect(withHeaders[0].text.endsWith(first.text)).toBe(true);
});

test("digits: [N, 1, 28, 28] float32 in [0, 1] with int32 labels, seeded", () => {
  const { images, labels } = loadDigits({ count: 500 });
  expect(images.shape).toEqual([500, 1, 28, 28]);
  expect(images.dtype).toBe("float32");
  expect(labels.shape).toEqual([500]);
  expect(labels.dtype).toBe("int32");
  const v = images.values();
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of v) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
  }
  expect(min).toBe(0);
  expect(max).toBe(1);
  const mean = sum / v.length;
  expect(mean).toBeGreaterThan(0.05);
  expect(mean).toBeLessThan(0.25);
  const counts = new Array(10).fill(0);
  for (const l of labels.values()) counts[l]++;
  expect(counts.every((c) => c > 20)).toBe(true);
  // the same digits every time, a different draw with another generator
  expect(loadDigits({ count: 500 }).labels.toArray()).toEqual(labels.toArray());
  expect(loadDigits({ count: 500, generator: new Generator(5) }).labels.toArray()).not.toEqual(labels.toArray());
  expect(() => loadDigits({ count: 10001 })).toThrow(/count must be an integer in 0\.\.10000/);
});

test("digits: all 10,000", () => {
  const { images, labels } = loadDigits();
  expect(images.shape).toEqual([10000, 1, 28, 28]);
  expect(labels.shape).toEqual([10000]);
});

test("a missing corpus package is named, with how to install it", () => {
  expect(() => requireCorpus("@chainlab/no-such-corpus", "loadNothing()")).toThrow(
    'loadNothing(): the package "@chainlab/no-such-corpus" is not installed; install it with `npm install @chainlab/no-such-corpus`',
  );
});
