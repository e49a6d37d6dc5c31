import { expect, test } from "vitest";
import { tensor } from "../src/creation";
import { accuracy, confusionMatrix, f1, precision, recall } from "../src/metrics";

// Binary case worked by hand: pred 1 1 0 1 0 0 1 0 vs target 1 0 0 1 1 0 1 1
// tp = 3 (0, 3, 6), fp = 1 (1), fn = 2 (4, 7), tn = 2 (2, 5)
const pred = [1, 1, 0, 1, 0, 0, 1, 0];
const target = [1, 0, 0, 1, 1, 0, 1, 1];

test("binary metrics from counts", () => {
  expect(accuracy(pred, target)).toBe(5 / 8);
  expect(precision(pred, target)).toBe(3 / 4);
  expect(recall(pred, target)).toBe(3 / 5);
  expect(f1(pred, target)).toBeCloseTo((2 * (3 / 4) * (3 / 5)) / (3 / 4 + 3 / 5), 12);
  // the other class as positive: tp = 2, fp = 2, fn = 1
  expect(precision(pred, target, { posLabel: 0 })).toBe(2 / 4);
  expect(recall(pred, target, { posLabel: 0 })).toBe(2 / 3);
});

test("tensors: int32 ids, [N, C] scores by argmax, [N] probabilities with a threshold", () => {
  const t = tensor(target, { dtype: "int32" });
  expect(accuracy(tensor(pred, { dtype: "int32" }), t)).toBe(5 / 8);
  const logits = tensor(pred.map((p) => (p === 1 ? [-1, 2] : [0.5, -3])));
  expect(accuracy(logits, t)).toBe(5 / 8);
  expect(precision(logits, t)).toBe(3 / 4);
  const probs = tensor(pred.map((p) => (p === 1 ? 0.9 : 0.2)));
  expect(recall(probs, t, { threshold: 0.5 })).toBe(3 / 5);
  expect(accuracy(tensor(pred.map((p) => [p ? 0.7 : 0.1])), t, { threshold: 0.5 })).toBe(5 / 8);
  // float ids that are whole numbers are ids
  expect(accuracy(tensor(pred), t)).toBe(5 / 8);
  expect(() => accuracy(probs, t)).toThrow(/pred\[0\] is 0\.9\d*, not a class id.*pass \{threshold\}/);
  expect(accuracy([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1]], [1, 2])).toBe(0.5);
});

test("multi-class: macro, weighted and micro averages", () => {
  // classes 0..2; pred vs target
  const p = [0, 0, 1, 1, 2, 2, 2, 0];
  const y = [0, 1, 1, 1, 2, 0, 2, 2];
  // class 0: tp 1 fp 2 fn 1 -> P 1/3 R 1/2 F1 2/5
  // class 1: tp 2 fp 0 fn 1 -> P 1   R 2/3 F1 4/5
  // class 2: tp 2 fp 1 fn 1 -> P 2/3 R 2/3 F1 2/3
  expect(precision(p, y, { average: "macro", numClasses: 3 })).toBeCloseTo((1 / 3 + 1 + 2 / 3) / 3, 12);
  expect(recall(p, y, { average: "macro", numClasses: 3 })).toBeCloseTo((1 / 2 + 2 / 3 + 2 / 3) / 3, 12);
  expect(f1(p, y, { average: "macro", numClasses: 3 })).toBeCloseTo((2 / 5 + 4 / 5 + 2 / 3) / 3, 12);
  // support 2, 3, 3
  expect(f1(p, y, { average: "weighted" })).toBeCloseTo((2 * (2 / 5) + 3 * (4 / 5) + 3 * (2 / 3)) / 8, 12);
  expect(f1(p, y, { average: "micro" })).toBeCloseTo(accuracy(p, y), 12);
  expect(accuracy(p, y)).toBe(5 / 8);
  // a class absent from both counts as 0 when numClasses names it, and is ignored otherwise
  expect(recall(p, y, { average: "macro", numClasses: 4 })).toBeCloseTo((1 / 2 + 2 / 3 + 2 / 3) / 4, 12);
  expect(recall(p, y, { average: "macro" })).toBeCloseTo((1 / 2 + 2 / 3 + 2 / 3) / 3, 12);
  expect(() => precision(p, y)).toThrow(/found class 2 but average is "binary".*average: "macro"/);
  expect(() => precision(p, y, { average: "macro", numClasses: 2 })).toThrow(/class 2, outside 0\.\.1/);
});

test("zero division gives 0 as scikit-learn reports", () => {
  expect(precision([0, 0], [1, 0])).toBe(0);
  expect(recall([1, 0], [0, 0])).toBe(0);
  expect(f1([0, 0], [0, 0])).toBe(0);
});

test("confusion matrix: rows are true classes", () => {
  const p = [0, 0, 1, 1, 2, 2, 2, 0];
  const y = [0, 1, 1, 1, 2, 0, 2, 2];
  const cm = confusionMatrix(p, y, 3);
  expect(cm.dtype).toBe("int32");
  expect(cm.shape).toEqual([3, 3]);
  expect(cm.toArray()).toEqual([
    [1, 0, 1],
    [1, 2, 0],
    [1, 0, 2],
  ]);
  expect(confusionMatrix(p, y).shape).toEqual([3, 3]);
  expect(confusionMatrix(tensor([[0.2, 0.8], [0.9, 0.1]]), tensor([1, 1], { dtype: "int32" }), 2).toArray()).toEqual([[0, 0], [1, 1]]);
  expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/pred\[1\] is class 3, outside 0\.\.2/);
});

test("input errors", () => {
  expect(() => accuracy([1, 0], [1])).toThrow(/pred has 2 samples but target has 1/);
  expect(() => accuracy([], [])).toThrow(/no samples/);
  expect(() => accuracy(tensor([[[1]]]), [0])).toThrow(/shape \[1, 1, 1\]/);
  expect(() => accuracy([0, -1], [0, 1])).toThrow(/pred\[1\] is -1, not a class id/);
});
