// Every error names the op, the shapes and (where there is one) the axis at fault.
import { describe, expect, test } from "vitest";
import { cl } from "./reference";

const { F } = cl;
const int = (v: cl.NestedNumbers) => cl.tensor(v, { dtype: "int32" });
const esc = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));

describe("error messages", () => {
  test("broadcasting incompatible shapes", () => {
    const a = cl.zeros(2, 3), b = cl.zeros(4);
    expect(() => a.add(b)).toThrow(esc("add(): shapes [2, 3] and [4] cannot be broadcast together: at dim -1 the sizes are 3 and 4"));
    expect(() => a.mul(cl.zeros(3, 3))).toThrow(esc("mul(): shapes [2, 3] and [3, 3] cannot be broadcast together: at dim -2 the sizes are 2 and 3"));
    expect(() => cl.where(cl.ones(5), a, 0)).toThrow(esc("where(): shapes [5] and [2, 3] cannot be broadcast together"));
    expect(() => a.maskedFill(cl.ones(2), 0)).toThrow(esc("maskedFill(): shapes [2] and [2, 3] cannot be broadcast together: at dim -1 the sizes are 2 and 3"));
    expect(() => cl.zeros(2, 1).expand(2, 3).expand(3, 3)).toThrow(esc("expand(): cannot expand shape [2, 3] to [3, 3]: dim 0 has size 2, which is not 1"));
  });

  test("matmul inner sizes and batch dims", () => {
    expect(() => cl.zeros(2, 3).matmul(cl.zeros(4, 5))).toThrow(
      esc("matmul(): inner sizes differ: [2, 3] @ [4, 5] — the first's last dim (3) must equal the second's second-to-last dim (4)"),
    );
    expect(() => cl.zeros(2, 3).matmul(cl.zeros(4))).toThrow(esc("matmul(): inner sizes differ: [2, 3] @ [4] — the first's last dim (3) must equal the second's only dim (4)"));
    expect(() => cl.zeros(2, 3, 4).matmul(cl.zeros(3, 4, 5))).toThrow(esc("matmul(): batch dims of [2, 3, 4] @ [3, 4, 5] cannot be broadcast: sizes 2 and 3"));
    expect(() => cl.tensor(2).matmul(cl.zeros(2))).toThrow(esc("matmul(): both operands need at least 1 dim, got shapes [] and [2]"));
    expect(() => F.linear(cl.zeros(2, 3), cl.zeros(4, 5))).toThrow(esc("linear(): input of shape [2, 3] has 3 features but weight has shape [4, 5]"));
  });

  test("reshape and view to a different element count", () => {
    const x = cl.zeros(2, 3);
    expect(() => x.reshape(4)).toThrow(esc("reshape(): cannot reshape a tensor of shape [2, 3] (6 elements) into [4] (4 elements)"));
    expect(() => x.view(4, -1)).toThrow(esc("view(): cannot reshape a tensor of shape [2, 3] (6 elements) into [4, -1]"));
    expect(() => x.reshape(-1, -1)).toThrow(esc("reshape(): only one dimension can be -1, got [-1, -1]"));
    expect(() => x.T.view(6)).toThrow(esc("view(): the tensor of shape [3, 2] is not contiguous"));
  });

  test("dim out of range", () => {
    const x = cl.zeros(2, 3);
    expect(() => x.sum(2)).toThrow(esc("sum(): dim 2 is out of range for a tensor of shape [2, 3] (dims are -2..1)"));
    expect(() => x.mean(-3)).toThrow(esc("mean(): dim -3 is out of range for a tensor of shape [2, 3] (dims are -2..1)"));
    expect(() => x.softmax(5)).toThrow(esc("softmax(): dim 5 is out of range for a tensor of shape [2, 3]"));
    expect(() => x.transpose(0, 2)).toThrow(esc("transpose(): dim 2 is out of range for a tensor of shape [2, 3]"));
    expect(() => x.unsqueeze(3)).toThrow(esc("unsqueeze(): dim 3 is out of range for a tensor of shape [2, 3] (dims are -3..2)"));
    expect(() => x.argmax(2)).toThrow(esc("argmax(): dim 2 is out of range"));
    expect(() => cl.cat([x, x], 2)).toThrow(esc("cat(): dim 2 is out of range for a tensor of shape [2, 3]"));
    expect(() => cl.tensor(1).sum(1)).toThrow(esc("sum(): dim 1 is out of range for a tensor of shape [] (dims are only 0 or -1)"));
    expect(() => x.permute(0)).toThrow(esc("permute(): got 1 dims [0] for a tensor of shape [2, 3] (2 dims)"));
  });

  test("indices out of range", () => {
    const x = cl.zeros(2, 3);
    expect(() => x.index(2)).toThrow(esc("index(): index 2 is out of range for dim 0 of size 2 (shape [2, 3])"));
    expect(() => x.select(1, -4)).toThrow(esc("select(): index -4 is out of range for dim 1 of size 3 (shape [2, 3])"));
    expect(() => x.narrow(1, 2, 2)).toThrow(esc("narrow(): start 2 and length 2 do not fit dim 1 of size 3 (shape [2, 3])"));
    expect(() => x.indexSelect(1, [0, 3])).toThrow(esc("indexSelect(): index 3 is out of range for dim 1 of size 3 (shape [2, 3])"));
    expect(() => x.gather(0, int([[0, 2, 1]]))).toThrow(esc("gather(): index 2 is out of range for dim 0 of size 2 (shape [2, 3])"));
    expect(() => x.split([1, 1], 1)).toThrow(esc("split(): sizes [1, 1] add up to 2, but dim 1 has size 3"));
  });

  test("int32 where a float is needed", () => {
    const i = cl.arange(3);
    expect(() => i.exp()).toThrow(esc("exp(): needs a float32 tensor, but got int32 of shape [3] — convert it with .float()"));
    expect(() => i.sigmoid()).toThrow(esc("sigmoid(): needs a float32 tensor, but got int32 of shape [3]"));
    expect(() => i.reshape(1, 3).matmul(i.reshape(3, 1))).toThrow(esc("matmul(): needs a float32 tensor, but got int32 of shape [1, 3]"));
    expect(() => i.softmax()).toThrow(esc("softmax(): needs a float32 tensor, but got int32 of shape [3]"));
    expect(() => F.crossEntropy(i.reshape(1, 3), int([0]))).toThrow(esc("crossEntropy(): needs a float32 tensor, but got int32 of shape [1, 3]"));
    expect(() => cl.tensor([1, 2], { dtype: "int32", requiresGrad: true })).toThrow(esc("requiresGrad_(): only float32 tensors can require grad, this one is int32"));
    expect(() => i.float().exp()).not.toThrow();
  });

  test("backward() on a non-scalar without a gradient, with a wrong gradient, and without a graph", () => {
    const x = cl.zeros([2, 2], { requiresGrad: true });
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(
      esc("backward(): the output has shape [2, 2]; a gradient is created implicitly only for a scalar output"),
    );
    expect(() => y.backward(cl.ones(4))).toThrow(esc("backward(): the gradient has shape [4] but the output has shape [2, 2]"));
    expect(() => y.backward(cl.ones(1, 4))).toThrow(esc("backward(): the gradient has shape [1, 4] but the output has shape [2, 2]"));
    expect(() => cl.zeros(2).sum().backward()).toThrow(esc("backward(): this tensor does not require grad and has no gradFn"));
  });

  test("backward through a freed graph", () => {
    const x = cl.ones([2], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(esc("backward(): the graph through 'sum' was already freed by an earlier backward()"));
  });

  test("crossEntropy and nllLoss targets", () => {
    const logits = cl.zeros(2, 3);
    expect(() => F.crossEntropy(logits, int([0, 3]))).toThrow(
      esc("crossEntropy(): target 3 at position 1 is out of range for 3 classes (valid: 0..2, or ignoreIndex -100 to skip a position)"),
    );
    expect(() => F.crossEntropy(logits, int([-1, 0]))).toThrow(esc("crossEntropy(): target -1 at position 0 is out of range for 3 classes"));
    expect(() => F.nllLoss(logits, int([0, 5]))).toThrow(esc("nllLoss(): target 5 at position 1 is out of range for 3 classes"));
    expect(() => F.crossEntropy(logits, cl.tensor([0, 1]))).toThrow(esc("crossEntropy(): indices must be an int32 or int64 tensor, got float32"));
    expect(() => F.crossEntropy(logits, int([0, 1, 2]))).toThrow(esc("crossEntropy(): 3 targets of shape [3] for 2 rows of predictions"));
  });

  test("embedding indices", () => {
    const w = cl.zeros(5, 2);
    expect(() => F.embedding(int([0, 1, 5]), w)).toThrow(
      esc("embedding(): index 5 at position 2 is out of range for an embedding of 5 rows (valid: 0..4)"),
    );
    expect(() => F.embedding(int([[0], [-1]]), w)).toThrow(esc("embedding(): index -1 at position 1 is out of range"));
    expect(() => F.embedding(int([0]), cl.zeros(5))).toThrow(esc("embedding(): weight must be 2-D [vocab, dim], got [5]"));
  });

  test("ragged nested arrays and non-numbers", () => {
    expect(() => cl.tensor([[1, 2], [3]])).toThrow(esc("tensor(): ragged nested array: at [1] expected 2 elements like the first row, got 1"));
    expect(() => cl.tensor([[[1], [2]], [[3], [4, 5]]])).toThrow(esc("tensor(): ragged nested array: at [1, 1] expected 1 elements like the first row, got 2"));
    expect(() => cl.tensor([[1, 2], 3])).toThrow(esc("tensor(): ragged nested array: at [1] expected 2 elements like the first row, got number"));
    // @ts-expect-error a string among the numbers, as untyped code could pass
    expect(() => cl.tensor([1, "a"])).toThrow(esc("tensor(): element at [1] is string, expected a number"));
    // @ts-expect-error not an array of numbers
    expect(() => cl.tensor("abc")).toThrow(esc("tensor(): expected a number or a nested array of numbers, got string"));
  });

  test("the other ops' shape checks", () => {
    expect(() => cl.cat([cl.zeros(2, 3), cl.zeros(2, 4)])).toThrow(esc("cat(): tensor 1 has shape [2, 4], which does not match tensor 0's [2, 3] outside dim 0"));
    expect(() => cl.stack([cl.zeros(2), cl.zeros(3)])).toThrow(esc("stack(): tensor 1 has shape [3] but tensor 0 has [2]"));
    expect(() => F.conv2d(cl.zeros(1, 2, 5, 5), cl.zeros(4, 3, 3, 3))).toThrow(
      esc("conv2d(): input has 2 channels (shape [1, 2, 5, 5]) but weight expects 3 (shape [4, 3, 3, 3])"),
    );
    expect(() => F.conv2d(cl.zeros(2, 5, 5), cl.zeros(4, 2, 3, 3))).toThrow(esc("conv2d(): input must be 4-D [N, C, H, W], got [2, 5, 5]"));
    expect(() => F.maxPool2d(cl.zeros(1, 1, 2, 2), 3)).toThrow(esc("maxPool2d(): kernel 3x3 is larger than the input 2x2"));
    expect(() => F.layerNorm(cl.zeros(2, 3), [4])).toThrow(esc("layerNorm(): normalizedShape [4] does not match the end of input shape [2, 3]"));
    expect(() => F.mseLoss(cl.zeros(2, 3), cl.zeros(3, 2))).toThrow(esc("mseLoss(): input shape [2, 3] and target shape [3, 2] differ"));
    expect(() => F.binaryCrossEntropyWithLogits(cl.zeros(2), cl.zeros(3))).toThrow(esc("binaryCrossEntropyWithLogits(): input shape [2] and target shape [3] differ"));
    expect(() => cl.zeros(2, 3).item()).toThrow(esc("item(): only a tensor with one element has an item, this one has shape [2, 3]"));
    expect(() => F.dropout(cl.zeros(2), 1.5)).toThrow(esc("dropout(): p must be in [0, 1], got 1.5"));
  });
});
