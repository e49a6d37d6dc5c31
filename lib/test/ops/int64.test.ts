// int64 tensors as a PyTorch user meets them: made, converted, printed, read back as
// numbers, used as indices and targets, computed on exactly, and saved losslessly.
import { describe, expect, test } from "vitest";
import * as cl from "../../src";
import { F, Tensor, tensor } from "../../src";
import { parseSafetensors, serializeSafetensors } from "../../src/io/safetensors";

const long = (v: cl.NestedNumbers) => tensor(v, { dtype: "int64" });
const esc = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
/** 2^53 + 1: the first integer a number cannot hold. */
const PAST_SAFE = 9007199254740993n;

describe("creation", () => {
  test("tensor() with dtype int64, from bigints or a BigInt64Array", () => {
    const t = long([[1, 2], [3, 4]]);
    expect(t.dtype).toBe("int64");
    expect(t.shape).toEqual([2, 2]);
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor([1n, -2n]).dtype).toBe("int64");
    expect(tensor(new BigInt64Array([5n, 6n])).toArray()).toEqual([5, 6]);
    expect(Tensor.from([PAST_SAFE], "int64").toArray({ bigint: true })).toEqual([PAST_SAFE]);
    expect(long([1.9, -1.9]).toArray()).toEqual([1, -1]); // truncated, as .long() does
    expect(() => long([1, NaN])).toThrow(esc("tensor(): element at [1] is NaN, which has no int64 value"));
    expect(() => tensor([1n, 2n], { dtype: "float32" })).toThrow(esc("tensor(): element at [0] is a bigint, which only an int64 tensor holds"));
  });

  test("zeros, ones, full, arange, randint, eye and zerosLike take dtype int64", () => {
    expect(cl.zeros([2, 2], { dtype: "int64" }).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(cl.ones(3, { dtype: "int64" }).dtype).toBe("int64");
    expect(cl.full([2], 7, { dtype: "int64" }).toArray()).toEqual([7, 7]);
    const r = cl.arange(0, 5, 1, { dtype: "int64" });
    expect([r.dtype, r.toArray()]).toEqual(["int64", [0, 1, 2, 3, 4]]);
    cl.manualSeed(0);
    const ri = cl.randint(0, 10, [6], { dtype: "int64" });
    expect(ri.dtype).toBe("int64");
    for (const v of ri.toArray() as number[]) expect(v >= 0 && v < 10).toBe(true);
    expect(cl.randint(4, [3], { dtype: "int64" }).dtype).toBe("int64");
    expect(cl.eye(2, 2, { dtype: "int64" }).toArray()).toEqual([[1, 0], [0, 1]]);
    expect(cl.zerosLike(r).dtype).toBe("int64");
  });

  test("an int64 tensor cannot require grad", () => {
    expect(() => tensor([1], { dtype: "int64", requiresGrad: true })).toThrow(esc("only float32 tensors can require grad, this one is int64"));
  });
});

describe("conversion", () => {
  test(".long() and .to('int64') from float32 and int32, and back", () => {
    const f = tensor([1.7, -1.7, 3]);
    expect(f.long().dtype).toBe("int64");
    expect(f.long().toArray()).toEqual([1, -1, 3]);
    expect(tensor([5, 6], { dtype: "int32" }).to("int64").toArray()).toEqual([5, 6]);
    const l = long([2147483647, -2147483648]);
    expect(l.int().dtype).toBe("int32");
    expect(l.int().toArray()).toEqual([2147483647, -2147483648]);
    expect(l.float().dtype).toBe("float32");
    expect(long([2n ** 40n]).float().item()).toBe(2 ** 40);
    expect(l.to("int64")).toBe(l);
  });

  test("int64 to int32 needs every value to fit; NaN has no int64", () => {
    const t = long([1, 2n ** 31n]);
    t.name = "ids";
    expect(() => t.int()).toThrow(esc('to(): the value 2147483648 at position 1 of the int64 tensor "ids" of shape [2] does not fit in int32'));
    expect(() => tensor([0, NaN]).long()).toThrow(esc("to(): the float32 value NaN at position 1 (shape [2]) has no int64 value"));
  });

  test("views, copies and joins keep int64 values exact", () => {
    const big = 2n ** 60n;
    const t = long([[big, 1n, 2n], [3n, 4n, big + 1n]]);
    expect(t.T.contiguous().toArray({ bigint: true })).toEqual([[big, 3n], [1n, 4n], [2n, big + 1n]]);
    expect(t.reshape(3, 2).toArray({ bigint: true })).toEqual([[big, 1n], [2n, 3n], [4n, big + 1n]]);
    expect(t.index(null, [1, 3]).clone().toArray({ bigint: true })).toEqual([[1n, 2n], [4n, big + 1n]]);
    expect(cl.cat([t, t], 0).shape).toEqual([4, 3]);
    expect(cl.stack([t.select(0, 1), t.select(0, 0)]).toArray({ bigint: true })).toEqual([[3n, 4n, big + 1n], [big, 1n, 2n]]);
    const dst = cl.zeros([3], { dtype: "int64" });
    dst.copy_(tensor([7, 8, 9]));
    expect(dst.toArray()).toEqual([7, 8, 9]);
    expect(cl.zeros([2], { dtype: "int64" }).fill_(5).toArray()).toEqual([5, 5]);
  });
});

describe("reading values", () => {
  test("printing shows every digit and the dtype", () => {
    expect(long([PAST_SAFE, -3n]).toString()).toBe("tensor([9007199254740993,               -3], shape=[2], dtype=int64)");
    expect(long(7).toString()).toBe("tensor(7, shape=[], dtype=int64)");
  });

  test("item() and toArray() give numbers; past Number.MAX_SAFE_INTEGER they name the op and position", () => {
    expect(long([42]).item()).toBe(42);
    expect(typeof long(3).item()).toBe("number");
    const t = long([1n, PAST_SAFE]);
    t.name = "tokens";
    expect(() => t.toArray()).toThrow(
      esc('toArray(): the value 9007199254740993 at position 1 of the int64 tensor "tokens" of shape [2] is beyond Number.MAX_SAFE_INTEGER'),
    );
    expect(() => t.select(0, 1).item()).toThrow(esc("item(): the value 9007199254740993 at position 0 of the int64 tensor of shape [] is beyond"));
    expect(t.toArray({ bigint: true })).toEqual([1n, PAST_SAFE]);
    expect(() => tensor([1]).toArray({ bigint: true })).toThrow(esc("toArray(): {bigint: true} is for int64 tensors, this one is float32"));
  });

  test("data and storage point int64 readers to toArray()", () => {
    expect(() => long([1]).data).toThrow(esc("data(): int64 tensors are not supported here"));
    expect(() => long([1]).storage).toThrow(esc("storage: an int64 tensor (shape [1]) keeps a BigInt64Array; read its values with toArray()"));
  });

  test("the notebook display draws int64 values and names the dtype", () => {
    const bundle = long([[1, 2], [3, 4]])[Symbol.for("Jupyter.display") as never] as () => Record<string, { dtype: string; stats: { max: number } }>;
    const json = bundle.call(long([[1, 2], [3, 4]]))[cl.TENSOR_MIME];
    expect(json.dtype).toBe("int64");
    expect(json.stats.max).toBe(4);
  });
});

describe("index-taking ops accept int64 as they accept int32", () => {
  test("embedding", () => {
    const w = cl.randn(5, 3);
    expect(F.embedding(long([[4, 0]]), w).toArray()).toEqual(F.embedding(tensor([[4, 0]], { dtype: "int32" }), w).toArray());
    expect(() => F.embedding(long([5]), w)).toThrow(esc("embedding(): index 5 at position 0 is out of range for an embedding of 5 rows"));
    expect(() => F.embedding(long([2n ** 40n]), w)).toThrow(esc("embedding(): the value 1099511627776 at position 0 of the int64 tensor of shape [1] does not fit in int32"));
  });

  test("crossEntropy and nllLoss targets, with their gradients", () => {
    cl.manualSeed(1);
    const logits = cl.randn(4, 3).requiresGrad_();
    const t32 = tensor([0, 2, 1, 2], { dtype: "int32" });
    const a = F.crossEntropy(logits, t32);
    a.backward();
    const g32 = Array.from(logits.grad!.data);
    logits.grad = null;
    const b = F.crossEntropy(logits, t32.long());
    b.backward();
    expect(b.item()).toBe(a.item());
    expect(Array.from(logits.grad!.data)).toEqual(g32);
    expect(F.nllLoss(logits.logSoftmax(), t32.long()).item()).toBeCloseTo(a.item(), 6);
    expect(() => F.crossEntropy(logits, long([0, 3, 1, 1]))).toThrow(esc("crossEntropy(): target 3 at position 1 is out of range for 3 classes"));
  });

  test("gather, indexSelect, where and maskedFill", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.gather(1, long([[2], [0]])).toArray()).toEqual([[3], [4]]);
    expect(x.indexSelect(1, long([2, 2, 0])).toArray()).toEqual([[3, 3, 1], [6, 6, 4]]);
    // int64 values picked by index stay int64
    const ids = long([[10n, PAST_SAFE], [30n, 40n]]);
    expect(ids.indexSelect(0, long([1, 0])).toArray({ bigint: true })).toEqual([[30n, 40n], [10n, PAST_SAFE]]);
    expect(ids.gather(1, long([[1], [0]])).toArray({ bigint: true })).toEqual([[PAST_SAFE], [30n]]);
    expect(cl.where(long([1, 0]), long([PAST_SAFE, 1n]), 0).toArray({ bigint: true })).toEqual([PAST_SAFE, 0n]);
    expect(long([1, 2, 3]).maskedFill(tensor([0, 1, 0]), -1).toArray()).toEqual([1, -1, 3]);
    // an int64 side against a float one gives float32; a strided int32 side is read as it is
    const w = cl.where(tensor([1, 0]), long([[5], [6]]).T.reshape(2), tensor([0.5, 0.25]));
    expect([w.dtype, w.toArray()]).toEqual(["float32", [5, 0.25]]);
    const ints = tensor([[1, 2], [3, 4]], { dtype: "int32" }).T;
    expect(cl.where(tensor([[1, 0], [0, 1]]), ints, tensor(0.5)).toArray()).toEqual([[1, 0.5], [0.5, 4]]);
    expect(cl.where(tensor([1, 0]), tensor([7, 8], { dtype: "int32" }), long([PAST_SAFE, PAST_SAFE])).toArray({ bigint: true })).toEqual([7n, PAST_SAFE]);
  });

  test("metrics, the DataLoader and GPT token ids", () => {
    expect(cl.metrics.accuracy(long([0, 1, 1]), long([0, 1, 0]))).toBeCloseTo(2 / 3);
    const ds = new cl.data.TensorDataset(cl.randn(4, 2), long([3, 1, 2, 0]));
    const [[, y]] = [...new cl.data.DataLoader(ds, { batchSize: 4 })];
    expect([y.dtype, y.toArray()]).toEqual(["int64", [3, 1, 2, 0]]);
    cl.manualSeed(2);
    const gpt = new cl.nn.GPT({ vocabSize: 7, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 4 });
    const ids = [[1, 2, 3]];
    const a = gpt.forward(long(ids), long([[2, 3, 4]]));
    const b = gpt.forward(tensor(ids, { dtype: "int32" }), tensor([[2, 3, 4]], { dtype: "int32" }));
    expect(a.logits.toArray()).toEqual(b.logits.toArray());
    expect(a.loss!.item()).toBe(b.loss!.item());
  });
});

describe("arithmetic", () => {
  test("integer ops on int64 are exact past 2^53 and wrap at 64 bits", () => {
    const a = long([PAST_SAFE, -5n]);
    expect(a.add(long([2n, 5n])).toArray({ bigint: true })).toEqual([PAST_SAFE + 2n, 0n]);
    expect(a.sub(1).toArray({ bigint: true })).toEqual([PAST_SAFE - 1n, -6n]);
    expect(a.mul(tensor([3, 2], { dtype: "int32" })).toArray({ bigint: true })).toEqual([3n * PAST_SAFE, -10n]);
    expect(a.maximum(0).toArray({ bigint: true })).toEqual([PAST_SAFE, 0n]);
    expect(a.minimum(long([0n, 0n])).toArray({ bigint: true })).toEqual([0n, -5n]);
    expect(long([2n ** 63n - 1n]).add(1).toArray({ bigint: true })).toEqual([-(2n ** 63n)]);
    expect(a.neg().toArray({ bigint: true })).toEqual([-PAST_SAFE, 5n]);
    expect(a.abs().toArray({ bigint: true })).toEqual([PAST_SAFE, 5n]);
    // broadcasting
    expect(long([[1], [2]]).add(long([10, 20, 30])).toArray()).toEqual([[11, 21, 31], [12, 22, 32]]);
  });

  test("comparisons are exact and give float32 masks", () => {
    const m = long([PAST_SAFE, 3n]).eq(long([PAST_SAFE - 1n, 3n]));
    expect([m.dtype, m.toArray()]).toEqual(["float32", [0, 1]]);
    expect(long([1, 5]).gt(2).toArray()).toEqual([0, 1]);
    expect(tensor([0, 1, 2], { dtype: "int32" }).eq(long([0, 0, 2])).toArray()).toEqual([1, 0, 1]);
  });

  test("against float32, or dividing, int64 promotes to float32 as in PyTorch", () => {
    const r = long([1, 2]).add(tensor([0.5, 0.25]));
    expect([r.dtype, r.toArray()]).toEqual(["float32", [1.5, 2.25]]);
    const d = long([3, 1]).div(2);
    expect([d.dtype, d.toArray()]).toEqual(["float32", [1.5, 0.5]]);
    expect(long([1, 2]).mul(0.5).toArray()).toEqual([0.5, 1]);
  });

  test("ops that compute in floats give an error naming the op and the dtype", () => {
    const t = long([1, 2]);
    expect(() => t.exp()).toThrow(esc("exp(): int64 tensors are not supported here (got int64 of shape [2]) — convert with .float()"));
    expect(() => t.sum()).toThrow(esc("sum(): int64 tensors are not supported here"));
    expect(() => t.matmul(t)).toThrow(esc("matmul(): needs a float32 tensor, but got int64"));
    expect(() => t.softmax()).toThrow(esc("softmax(): needs a float32 tensor, but got int64"));
    expect(() => t.clamp(0, 1)).toThrow(esc("clamp(): needs a float32 tensor, but got int64"));
  });
});

describe("safetensors", () => {
  test("int64 saves as I64 and loads back bit for bit, beside 4-byte tensors", () => {
    const values = [0n, -1n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 40n + 7n, PAST_SAFE, 2n ** 63n - 1n, -(2n ** 63n)];
    // "a" is 3 floats (12 bytes), so "b" starts off an 8-byte boundary
    const bytes = serializeSafetensors({ a: tensor([1, 2, 3]), b: long(values).reshape(2, 4), c: tensor([4], { dtype: "int32" }) });
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    expect(header.b).toEqual({ dtype: "I64", shape: [2, 4], data_offsets: [12, 76] });
    const back = parseSafetensors(bytes);
    expect(back.b.dtype).toBe("int64");
    expect(back.b.toArray({ bigint: true })).toEqual([values.slice(0, 4), values.slice(4)]);
    expect(back.a.toArray()).toEqual([1, 2, 3]);
    expect(back.c.toArray()).toEqual([4]);
    // a strided view saves its values, not its storage
    const t = long([[1n, 2n], [3n, PAST_SAFE]]).T;
    expect(parseSafetensors(serializeSafetensors({ t })).t.toArray({ bigint: true })).toEqual([[1n, 3n], [2n, PAST_SAFE]]);
  });

  test("an I64 checkpoint loads into an int32 buffer when its values fit", () => {
    const m = new cl.nn.Module();
    m.registerBuffer("steps", tensor([0], { dtype: "int32" }));
    m.loadStateDict(parseSafetensors(serializeSafetensors({ steps: long([12]) })));
    const [[, steps]] = m.namedBuffers();
    expect([steps.dtype, steps.toArray()]).toEqual(["int32", [12]]);
  });
});
