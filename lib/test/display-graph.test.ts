// The graph bundle's own backward pass must be the engine's: the same gradient at every
// node, edge contributions that add up to their input's gradient, and no .grad touched.
import { tableFromIPC } from "apache-arrow";
import { describe, expect, test } from "vitest";
import { cat, computationGraph, GRAPH_MIME, manualSeed, nn, randn, tensor, F, randint, stack, where, triu, tril } from "../src";
import { BUDGETS } from "../src/display/contract";
import { graphJson } from "../src/display/graph";
import type { Tensor } from "../src/tensor";

const bundleOf = (x: object) => (x as Record<symbol, () => Record<string, any>>)[Symbol.for("Jupyter.display")]();
const column = (b64: string) => Array.from(tableFromIPC(Buffer.from(b64, "base64")).getChild("value")!.toArray() as ArrayLike<number>);

/** The tensors of the graph in the bundle's id order (breadth first from the root). */
function tensorsOf(root: Tensor): Tensor[] {
  const out = [root];
  const seen = new Set(out);
  for (let i = 0; i < out.length; i++) for (const x of out[i].gradFn?.inputs ?? []) if (!seen.has(x)) { seen.add(x); out.push(x); }
  return out;
}

describe("computation graph capture", () => {
  test("per-node gradients equal backward()'s, and .grad stays untouched", () => {
    const a = tensor([1.5, -0.5, 2], { requiresGrad: true });
    const b = tensor([0.3, 0.7, -1.1], { requiresGrad: true });
    const c = tensor(0.25, { requiresGrad: true });
    const h = a.mul(b).add(c).retainGrad();
    const y = h.tanh().sum();
    const g = graphJson(y);
    expect(g.stepsAvailable).toBe(true);
    expect(a.grad).toBeNull();
    expect(h.grad).toBeNull();
    y.backward();
    const ts = tensorsOf(y);
    expect(g.nodes.length).toBe(ts.length);
    for (const [t, name] of [[a, "a"], [b, "b"], [c, "c"], [h, "h"]] as const) {
      const node = g.nodes[ts.indexOf(t)];
      expect(node.grad, name).toEqual(Array.from(t.grad!.values()));
      expect(column(node.tensor!.grad!.data)).toEqual(Array.from(t.grad!.values()));
    }
    expect(g.nodes[ts.indexOf(a)].kind).toBe("leaf");
    expect(g.nodes[0].kind).toBe("output");
    expect(g.nodes[0].grad).toEqual([1]);
    // the output first, each node after every node that uses it
    expect(g.order[0]).toBe(0);
    expect(new Set(g.order).size).toBe(g.order.length);
    for (const [from, to] of g.edges) if (g.order.includes(from)) expect(g.order.indexOf(to)).toBeLessThan(g.order.indexOf(from));
  });

  test("a value used twice: contributions along its edges sum to its gradient", () => {
    const x = tensor(4, { requiresGrad: true });
    const y = x.mul(x).add(x);
    const g = graphJson(y);
    const xid = tensorsOf(y).indexOf(x);
    const into = g.edges.map((e, i) => [e, i] as const).filter(([e]) => e[0] === xid).map(([, i]) => g.edgeGrads[i] as number[]);
    expect(into.length).toBe(3); // twice into mul, once into add
    expect(into.map((s) => s[0]).sort()).toEqual([1, 4, 4]);
    expect(into.reduce((s, v) => s + v[0], 0)).toBe(9);
    expect(g.nodes[xid].grad).toEqual([9]);
    y.backward();
    expect(x.grad!.item()).toBe(9);
  });

  test("broadcast and matmul: contributions add up element by element", () => {
    manualSeed(3);
    const W = randn([3, 2], { requiresGrad: true });
    const bias = randn([2], { requiresGrad: true });
    const x = randn([4, 3]);
    const z = x.matmul(W).add(bias);
    const y = z.relu().add(z.sigmoid()).mean();
    const g = graphJson(y, { model: { namedParameters: () => [["fc.weight", W], ["fc.bias", bias]] } });
    y.backward();
    const ts = tensorsOf(y);
    const wNode = g.nodes[ts.indexOf(W)];
    expect(wNode.kind).toBe("param");
    expect(wNode.name).toBe("fc.weight");
    expect(g.nodes[ts.indexOf(x)].kind).toBe("constant");
    expect(g.nodes[ts.indexOf(x)].grad).toBeUndefined();
    expect(wNode.grad).toEqual(Array.from(W.grad!.values()));
    expect(g.nodes[ts.indexOf(bias)].grad).toEqual(Array.from(bias.grad!.values()));
    // z is used twice: the two contributions sum to its gradient
    const zid = ts.indexOf(z);
    const parts = g.edges.map((e, i) => [e, i] as const).filter(([e]) => e[0] === zid).map(([, i]) => g.edgeGrads[i]);
    expect(parts.length).toBe(2);
    const zg = g.nodes[zid].grad as number[];
    expect(zg.length).toBe(8);
    zg.forEach((v, i) => expect(v).toBeCloseTo((parts[0] as number[])[i] + (parts[1] as number[])[i], 6));
  });

  test("a freed graph falls back to the .grad fields", () => {
    const a = tensor(2, { requiresGrad: true });
    const y = a.mul(3).exp();
    y.backward();
    const g = graphJson(y);
    expect(g.stepsAvailable).toBe(false);
    expect(g.edgeGrads.every((e) => e === null)).toBe(true);
    expect(g.nodes[g.nodes.length - 1].grad ?? g.nodes.find((n) => n.kind === "leaf")!.grad).toEqual([a.grad!.item()]);
    expect(g.order[0]).toBe(0);
  });

  test("after backward with retainGraph the pass is captured again", () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const y = a.pow(2).sum();
    y.backward(undefined, { retainGraph: true });
    const before = Array.from(a.grad!.values());
    const g = graphJson(y);
    expect(g.stepsAvailable).toBe(true);
    expect(Array.from(a.grad!.values())).toEqual(before);
    expect(g.nodes.find((n) => n.kind === "leaf")!.grad).toEqual([2, 4, 6]);
  });

  test("large tensors get summaries and capped payloads; big graphs are cut and counted", () => {
    manualSeed(1);
    const lin = new nn.Linear(64, 64);
    let h = randn([32, 64]);
    for (let i = 0; i < 40; i++) h = lin.forward(h).tanh();
    const loss = h.pow(2).mean();
    const b = bundleOf(computationGraph(loss, { model: lin, maxNodes: 50 }));
    const g = b[GRAPH_MIME];
    expect(g.nodes.length).toBe(50);
    expect(g.truncated).toBe(true);
    expect(g.omitted).toBeGreaterThan(0);
    expect(g.edges.every(([f, t]: number[]) => f < 50 && t < 50)).toBe(true);
    expect(g.edgeGrads.length).toBe(g.edges.length);
    const big = g.nodes.find((n: any) => n.shape.join() === "32,64")!;
    expect(Object.keys(big.value).sort()).toEqual(["max", "mean", "min"]);
    expect(big.tensor.shownShape.reduce((p: number, q: number) => p * q, 1)).toBeLessThanOrEqual(1000);
    expect(big.tensor.shape).toEqual([32, 64]);
    expect(JSON.stringify(g).length).toBeLessThan(2_000_000);
    expect(b["image/svg+xml"]).toMatch(/^<svg/);
    expect(b["text/plain"]).toMatch(/more nodes/);
    expect(lin.weight.grad).toBeNull();
  });

  test("crossEntropy graph: leaf gradients match", () => {
    manualSeed(2);
    const logits = randn([5, 4], { requiresGrad: true });
    const target = randint(0, 4, [5]);
    const loss = F.crossEntropy(logits.mul(2), target);
    const g = graphJson(loss);
    loss.backward();
    expect(g.nodes.find((n) => n.kind === "leaf")!.grad).toEqual({
      min: expect.closeTo(Math.min(...logits.grad!.values()), 6),
      max: expect.closeTo(Math.max(...logits.grad!.values()), 6),
      mean: expect.anything(),
    });
    expect(g.nodes[0].op).toBe("crossEntropy");
  });

  test("hostile names are escaped in the SVG fallback", () => {
    const a = tensor(1, { requiresGrad: true });
    a.name = "<script>x</script>";
    const svg = bundleOf(computationGraph(a.mul(2)))["image/svg+xml"] as string;
    expect(svg).not.toContain("<script>");
  });

  test("(3a + 1)² at a = 2: the walk's record gives 42 at a, nothing into the constants", () => {
    const a = tensor(2, { requiresGrad: true });
    a.name = "a";
    const u = a.mul(3).add(1);
    u.name = "u";
    const L = u.pow(2);
    const g = graphJson(L);
    L.backward();
    const ts = tensorsOf(L);
    const aNode = g.nodes[ts.indexOf(a)];
    expect(aNode).toMatchObject({ name: "a", kind: "leaf", grad: [42] });
    expect(g.nodes[ts.indexOf(u)]).toMatchObject({ name: "u", kind: "op", grad: [14] });
    expect(g.nodes[0].grad).toEqual([1]);
    // the order walks the output first and a last; constants are not in it
    expect(g.order.map((i) => g.nodes[i].kind)).toEqual(["output", "op", "op", "leaf"]);
    g.edges.forEach(([from], i) => {
      const k = g.nodes[from].kind;
      if (k === "constant") expect(g.edgeGrads[i], `edge ${i}`).toBeNull();
      else expect(g.edgeGrads[i], `edge ${i}`).not.toBeNull();
    });
    expect(a.grad!.item()).toBe(42);
  });

  test("parameters are named by their module path when the model is given", () => {
    manualSeed(4);
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
    const x = randn([3, 4]);
    x.name = "x";
    const y = model.forward(x).sum();
    const g = graphJson(y, { model });
    const names = g.nodes.filter((n) => n.kind === "param").map((n) => n.name).sort();
    expect(names).toEqual(["0.bias", "0.weight", "2.bias", "2.weight"]);
    // a named input stays an input (here a constant, as it needs no gradient)
    expect(g.nodes.find((n) => n.name === "x")!.kind).toBe("constant");
    const w = tensor([1, 2], { requiresGrad: true });
    w.name = "w";
    expect(graphJson(w.mul(2).sum()).nodes.find((n) => n.name === "w")!.kind).toBe("leaf");
  });

  test("an op that reads one tensor 20,000 times: edges past the budget are counted, not sent", () => {
    const h = tensor([1, 2], { requiresGrad: true });
    const y = cat(Array(20000).fill(h), 0).sum();
    const t0 = performance.now();
    const b = bundleOf(computationGraph(y));
    const ms = performance.now() - t0;
    const g = b[GRAPH_MIME];
    expect(g.edges.length).toBe(BUDGETS.graphEdges);
    expect(g.omittedEdges).toBe(20001 - BUDGETS.graphEdges);
    expect(g.truncated).toBe(true);
    expect(g.nodes.length).toBe(3);
    // h's gradient is still the whole of it: each copy sends 1s
    expect(g.nodes[2].grad).toEqual([20000, 20000]);
    expect(b["text/plain"]).toContain(`<- 2 ×${BUDGETS.graphEdges - 1}`);
    expect(b["text/plain"]).toMatch(/more edges/);
    expect(b["image/svg+xml"].match(/<line /g).length).toBe(2);
    expect(ms).toBeLessThan(5000);
  });

  test("at most BUDGETS.graphNodes nodes, whatever maxNodes asks", () => {
    let h = tensor([1], { requiresGrad: true });
    for (let i = 0; i < BUDGETS.graphNodes + 50; i++) h = h.mul(1.001);
    const g = graphJson(h, { maxNodes: 1e9 });
    expect(g.nodes.length).toBe(BUDGETS.graphNodes);
    // each mul adds itself and its constant factor
    expect(g.omitted).toBe(2 * (BUDGETS.graphNodes + 50) + 1 - BUDGETS.graphNodes);
  });

  test("every op the library records declares its derivative, one rule per input it reads", () => {
    manualSeed(1);
    const a = randn([2, 3], { requiresGrad: true }), b = randn([2, 3], { requiresGrad: true });
    const i32 = (v: number[] | number[][]) => tensor(v, { dtype: "int32" });
    const outs: Tensor[] = [
      a.add(b), a.sub(b), a.mul(b), a.div(b), a.pow(2), a.abs().add(1).pow(b), a.maximum(b), a.minimum(b), a.neg(), a.exp(), a.abs().log(),
      a.abs().sqrt(), a.sin(), a.cos(), a.tanh(), a.sigmoid(), a.relu(), a.gelu(), a.gelu({ approximate: "tanh" }), a.abs(), a.square(),
      a.clamp(-0.5, 0.5), a.maskedFill(a.gt(0), 0), a.sum(), a.mean(), a.amax(1), a.amin(0), a.var(), a.std(), a.norm(), a.reshape([3, 2]),
      a.contiguous().view([6]), a.flatten(), a.transpose(0, 1), a.permute([1, 0]), a.unsqueeze(0).squeeze(0), a.unsqueeze(0).expand([4, 2, 3]),
      a.narrow(1, 0, 2), a.select(0, 1), a.index(0), a.indexSelect(1, i32([0, 2])), a.gather(1, i32([[0], [1]])), a.clone(),
      a.matmul(b.transpose(0, 1)), a.softmax(-1), a.logSoftmax(-1), ...a.split(1, 1), ...a.chunk(2, 0), cat([a, b], 0), stack([a, b], 0),
      where(a.gt(0), a, b), triu(a), tril(a), F.linear(a, randn([4, 3], { requiresGrad: true }), randn([4], { requiresGrad: true })),
      F.layerNorm(a, [3], randn([3], { requiresGrad: true }), randn([3], { requiresGrad: true })), F.crossEntropy(a, randint(0, 3, [2])),
      F.layerNorm(a, [3]), F.layerNorm(a, [3], randn([3], { requiresGrad: true })), F.layerNorm(a, [3], null, randn([3], { requiresGrad: true })),
      F.linear(a, randn([4, 3], { requiresGrad: true })),
      F.nllLoss(a.logSoftmax(-1), randint(0, 3, [2])), F.mseLoss(a, b), F.l1Loss(a, b), F.binaryCrossEntropyWithLogits(a, b.sigmoid()),
      F.embedding(i32([0, 1]), randn([3, 4], { requiresGrad: true })), F.dropout(a, 0.5, true),
      F.conv2d(randn([1, 1, 4, 4], { requiresGrad: true }), randn([2, 1, 3, 3], { requiresGrad: true }), randn([2], { requiresGrad: true })),
      F.maxPool2d(randn([1, 1, 4, 4], { requiresGrad: true }), 2),
    ];
    const gpt = new nn.GPT({ vocabSize: 5, blockSize: 4, nLayer: 1, nHead: 2, nEmbd: 8 });
    outs.push(gpt.forward(i32([[0, 1, 2]]), i32([[1, 2, 3]])).loss!);
    const recorded = new Map<string, { inputs: number; local: number; vjp: number; generic: boolean }[]>();
    const seen = new Set<Tensor>();
    const todo = [...outs];
    while (todo.length) {
      const t = todo.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      if (t.gradFn) {
        const d = t.gradFn.derivative;
        const list = recorded.get(t.gradFn.name) ?? [];
        list.push({ inputs: t.gradFn.inputs.length, local: d.local.length, vjp: d.vjp.length, generic: d.local.some((l) => l.includes("backward defines it")) });
        recorded.set(t.gradFn.name, list);
        todo.push(...t.gradFn.inputs);
      }
    }
    expect(recorded.size).toBeGreaterThan(40);
    const wrong = [...recorded].filter(([, l]) => l.some((r) => r.generic || r.local !== r.inputs || r.vjp !== r.inputs)).map(([op, l]) => `${op}: ${JSON.stringify(l[0])}`);
    expect(wrong, "ops whose derivative does not name each input").toEqual([]);
    // and the bundle carries them to the walk
    const g = graphJson(a.mul(b).sum());
    expect(g.nodes.find((n) => n.op === "mul")?.derivative).toEqual({ forward: "y = a · b", local: ["∂y/∂a = b", "∂y/∂b = a"], vjp: ["g · b", "g · a"], broadcasts: true });
  });
});
