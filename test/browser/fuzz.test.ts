// Hostile bundles of every kind thrown at the renderers: real bundles made by the library,
// mutated by a seeded generator (fields dropped or of the wrong type, numbers at the edge of
// a double, negative and huge counts, lists far past each budget, markup, prototype keys,
// duplicated ids, edges to nowhere, deep nesting), saved as the outputs of one untrusted
// notebook a kind and opened in JupyterLab. Every output must draw, or show the error box
// naming the field at fault; no error may reach the page, no markup may run, and no
// main-thread task may hold the tab for long while a notebook opens and draws.
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BUDGETS, MIME } from "../../lib/src/display/contract";
import { mulberry32 } from "../../lib/test/backend/seeded";
import { everyKindOutputs } from "./every-kind";
import { artifacts, command, notebookJson, shot, startLab, watchLongTasks, writeNotebook, type Lab } from "./lab";

const root = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cl = require(path.join(root, "lib", "dist"));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { arrowBase64 } = require(path.join(root, "lib", "dist", "display", "arrow"));

type Kind = keyof typeof MIME;
const KINDS = Object.keys(MIME) as Kind[];
/**
 * One output drawn alone, from bundle to laid-out page. Most take well under a second on a
 * loaded machine; a curves bundle of one 50,000-point series (25 times its budget) took
 * 0.9-2.9 s of Plotly's drawing with the two cores at a load of 10-12.
 */
const OUTPUT_MS = 4000;
/**
 * The longest main-thread task while a whole notebook of 27-49 fuzzed outputs opens and draws.
 * JupyterLab draws every output of a notebook it opens in one task, so this is the sum of the
 * outputs' work plus JupyterLab's own reading of a file of several MB (about 1-9 s of the
 * total on a loaded machine, measured with the same outputs under a type nothing renders).
 * A freeze detector: the unbounded bundles this guards against held the tab for minutes.
 */
const LONG_TASK_MS = 40_000;
/** Set by any markup of a bundle that runs: it must stay unset. */
const PWNED = "__chainlabFuzzPwned";

// ---- a seeded source of choices ----------------------------------------------------------

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

// ---- hostile values ----------------------------------------------------------------------

const MARKUP = [
  `<img src=x onerror="window.${PWNED}='img'">`,
  `</script><script>window.${PWNED}='script'</script>`,
  `<svg onload="window.${PWNED}='svg'"><circle r=9></svg>`,
  `<a href="javascript:window.${PWNED}='href'">click</a> <b>bold</b> %{y} &amp; {{constructor.constructor("window.${PWNED}=1")()}}`,
  `<iframe srcdoc="<script>parent.${PWNED}='iframe'</script>"></iframe>`,
];

/** A value of each JSON type, and numbers and strings that break careless code. */
function weird(r: Rng): unknown {
  const choices: (() => unknown)[] = [
    () => null, () => true, () => false, () => "", () => "x", () => r.pick(MARKUP),
    () => -1, () => 0.5, () => 1e308, () => -1e308, () => 2 ** 53 + 2, () => 2 ** 31, () => -(2 ** 31),
    () => [], () => ({}), () => [null], () => [1e308, -1e308], () => ({ a: 1 }),
    () => "A".repeat(10_000), () => nested(50),
  ];
  return r.pick(choices)();
}

/** An object nested `depth` levels deep (kept well inside what the server's JSON reader takes). */
function nested(depth: number): unknown {
  let v: unknown = { end: 1 };
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v, shape: [1] } : [v];
  return v;
}

/** A copy that keeps own "__proto__" keys (JSON keeps them as plain properties). */
function copy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v));
}

/** An object whose own keys include "__proto__" and "constructor", as JSON.parse makes them. */
function withProtoKeys(obj: Record<string, unknown>, proto: unknown): Record<string, unknown> {
  return JSON.parse(`{"__proto__": ${JSON.stringify(proto)}, "constructor": {"prototype": {"polluted": true}}, ${JSON.stringify(obj).slice(1)}`);
}

type Path = (string | number)[];

/** Every path into a bundle (the first three items of each list), base64 strings left whole. */
function pathsOf(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (prefix.length > 6 || v === null || typeof v !== "object") return out;
  const keys: (string | number)[] = Array.isArray(v) ? v.slice(0, 3).map((_, i) => i) : Object.keys(v);
  for (const k of keys) {
    const p = [...prefix, k];
    out.push(p);
    pathsOf((v as Record<string, unknown>)[k], p, out);
  }
  return out;
}

function parentOf(v: unknown, p: Path): Record<string | number, unknown> {
  let o = v as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  return o;
}

const show = (p: Path) => p.map((k, i) => (typeof k === "number" ? `[${k}]` : i ? `.${k}` : k)).join("");

/** One random mutation of a copy of `base`: a field dropped, or replaced by a weird value. */
function mutate(base: unknown, r: Rng, times = 1): { what: string; bundle: unknown } {
  const b = copy(base);
  const said: string[] = [];
  for (let t = 0; t < times; t++) {
    const paths = pathsOf(b);
    const p = r.pick(paths);
    const parent = parentOf(b, p);
    const key = p[p.length - 1];
    if (r.float() < 0.3) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      said.push(`${show(p)} dropped`);
    } else {
      const v = weird(r);
      parent[key] = v;
      said.push(`${show(p)} = ${describe(v)}`);
    }
  }
  return { what: said.join(", "), bundle: b };
}

function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 50 ? `${s.slice(0, 40)}… (${s.length} chars)` : s;
}

// ---- the valid bundles the mutations start from --------------------------------------------

const display = Symbol.for("Jupyter.display");
const bundleOf = (obj: { [display](): Record<string, unknown> }, kind: Kind) => obj[display]()[MIME[kind]];

interface Bases {
  tensor: Record<string, unknown>;
  smallTensor: Record<string, unknown>;
  graph: Record<string, unknown>;
  curves: Record<string, unknown>;
  gradflow: Record<string, unknown>;
  module: Record<string, unknown>;
  progress: Record<string, unknown>;
}

function bases(): Bases {
  const found: Partial<Record<Kind, Record<string, unknown>>> = {};
  for (const [out] of everyKindOutputs().outputs as { data: Record<string, unknown> }[][]) {
    for (const kind of KINDS) if (out.data[MIME[kind]]) found[kind] = out.data[MIME[kind]] as Record<string, unknown>;
  }
  const t = cl.tensor([1.5, -2, 3], { requiresGrad: true });
  t.mul(t).sum().backward();
  const smallTensor = bundleOf(t, "tensor") as Record<string, unknown>;
  // the library's progress bar writes its bundle into a notebook only; this is its shape
  const progress = { n: 30, total: 100, fraction: 0.3, desc: "epoch" };
  // the graph of every-kind.ts carries two 40 x 30 tensors in each node: a smaller graph of the
  // same ops keeps 40 mutated copies of it from making the notebook's file tens of MB
  cl.manualSeed(1);
  const x = cl.randn([6, 5], { requiresGrad: true });
  found.graph = bundleOf(cl.computationGraph(x.tanh().sum()), "graph") as Record<string, unknown>;
  for (const kind of ["tensor", "graph", "curves", "gradflow", "module"] as const) {
    if (!found[kind]) throw new Error(`every-kind.ts made no ${kind} bundle`);
  }
  return { ...(found as Record<Exclude<Kind, "progress">, Record<string, unknown>>), smallTensor, progress };
}

// ---- the variants of each kind --------------------------------------------------------------

interface Variant {
  what: string;
  bundle: unknown;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => i);
const f64 = (n: number, f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));

function tensorVariants(b: Bases, r: Rng): Variant[] {
  const t = b.tensor;
  const v = (what: string, change: Record<string, unknown>, base = t): Variant => ({ what, bundle: { ...copy(base), ...change } });
  const values = (xs: ArrayLike<number> | (number | null)[]) => arrowBase64({ value: xs });
  let deepGrad: Record<string, unknown> = copy(b.smallTensor);
  delete deepGrad.grad;
  for (let i = 0; i < 300; i++) deepGrad = { ...copy(b.smallTensor), grad: deepGrad };
  // a big one at the budget: 512 x 1024 float32 shown of a tensor claiming 2^40 elements
  const big = Float32Array.from({ length: 512 * 1024 }, () => r.float() * 2 - 1);
  return [
    v("shape [1e9, 0]: an empty tensor claiming a billion rows", { shape: [1e9, 0], shownShape: [0, 0], data: values(new Float32Array(0)), stats: undefined, grad: undefined }),
    v("shape [1e6, 0]", { shape: [1e6, 0], shownShape: [0, 0], data: values(new Float32Array(0)), grad: undefined }),
    v("shape [2^31, 2^31]: past the elements a shape may claim", { shape: [2 ** 31, 2 ** 31] }),
    v("nine dimensions", { shape: [1, 1, 1, 1, 1, 1, 1, 40, 30], shownShape: [1, 1, 1, 1, 1, 1, 1, 40, 30] }),
    v("shape [-1, 30]", { shape: [-1, 30] }),
    v("shape [40.5, 30]", { shape: [40.5, 30] }),
    v("shape [\"40\", 30]", { shape: ["40", 30] }),
    v("shownShape larger than shape", { shownShape: [41, 30] }),
    v("shownShape of another rank", { shownShape: [1200] }),
    v("data is markup, not base64", { data: MARKUP[0] }),
    v("data is base64 of text, not Arrow", { data: Buffer.from("hello, world: not arrow").toString("base64") }),
    v("data's column is not named value", { data: arrowBase64({ values: new Float32Array(1200) }) }),
    v("data holds 1201 values for 1200", { data: values(new Float32Array(1201)) }),
    v("data of strings", { data: arrowBase64({ value: Array.from({ length: 1200 }, () => "x") }) }),
    v("64-bit integers past 2^53", { data: arrowBase64({ value: BigInt64Array.from({ length: 1200 }, (_, i) => 2n ** 60n + BigInt(i)) }) }),
    v("every value NaN or infinite", { data: values(f64(1200, (i) => [NaN, Infinity, -Infinity][i % 3])), stats: undefined, grad: undefined }),
    v("values ±1e308 (their range overflows)", { data: values(f64(1200, (i) => (i % 2 ? 1e308 : -1e308))), stats: { min: -1e308, max: 1e308, mean: 0, std: 1e308, nan: 0, inf: 0 } }),
    v("values with nulls", { data: values(Array.from({ length: 1200 }, (_, i) => (i % 7 ? i : null))) }),
    v("stats with a negative NaN count and string min", { stats: { min: "x", max: 1, mean: 0, std: 1, nan: -1, inf: 0 } }),
    v("stats of nulls", { stats: { min: null, max: null, mean: null, std: null, nan: null, inf: null } }),
    v("gradient nested 300 deep", {}, deepGrad),
    v("grad of another shape", { grad: { ...copy(b.smallTensor), grad: undefined } }),
    v("name, dtype and gradFn are markup", { name: MARKUP[0], dtype: MARKUP[1], gradFn: MARKUP[2] }),
    v("name of 100,000 characters", { name: "x".repeat(100_000) }),
    v("labels: 41 row names for 40 rows", { labels: { rows: ids(41).map(String) } }),
    v("labels are markup", { labels: { rows: ids(40).map((i) => MARKUP[i % MARKUP.length]), cols: ids(30).map((i) => MARKUP[i % MARKUP.length]), rowTitle: MARKUP[3], colTitle: MARKUP[4] } }),
    v("labels.cols is an object", { labels: { cols: { length: 30 } } }),
    v("version 2", { version: 2 }),
    v("version \"1\"", { version: "1" }),
    v("requiresGrad \"yes\", truncated 1", { requiresGrad: "yes", truncated: 1 }),
    { what: "__proto__ and constructor keys", bundle: withProtoKeys(copy(t), { shape: [1e9, 1e9], version: 2 }) },
    { what: "the bundle is null", bundle: null },
    { what: "the bundle is a string of markup", bundle: MARKUP[1] },
    { what: "the bundle is an array", bundle: [copy(t)] },
    v("512 x 1024 float32 values shown of 2^40 claimed, at the budget", {
      shape: [2 ** 20, 2 ** 20], shownShape: [512, 1024], truncated: true, data: values(big), grad: undefined, stats: undefined,
    }),
    ...randomVariants(t, r, 8),
    ...randomVariants(b.smallTensor, r, 6),
  ];
}

function graphVariants(b: Bases, r: Rng): Variant[] {
  const g = b.graph as { nodes: Record<string, unknown>[]; edges: number[][]; edgeGrads?: unknown[]; order?: number[] };
  const v = (what: string, change: (c: typeof g) => void): Variant => {
    const c = copy(g);
    change(c);
    return { what, bundle: c };
  };
  const plain = (n: number, extra: (i: number) => Record<string, unknown> = () => ({})) =>
    ids(n).map((i) => ({ id: i, op: i ? "add" : "sum", kind: i ? "op" : "output", shape: [2], ...extra(i) }));
  const chain = (n: number) => ({ version: 1, nodes: plain(n), edges: ids(n - 1).map((i) => [i + 1, i]), order: ids(n) });
  return [
    v("two nodes with id 1", (c) => { c.nodes[2].id = 1; }),
    v("an edge to node 999, which does not exist", (c) => { c.edges.push([999, 0]); c.edgeGrads?.push(null); }),
    v("a cycle: 0 -> 1 -> 0", (c) => { c.edges.push([0, 1]); c.edgeGrads?.push(null); }),
    v("a self-loop on the output", (c) => { c.edges.push([0, 0]); c.edgeGrads?.push(null); }),
    v("edgeGrads one short", (c) => { c.edgeGrads = (c.edgeGrads ?? c.edges.map(() => null)).slice(1); }),
    v("edgeGrads of markup", (c) => { c.edgeGrads = c.edges.map(() => MARKUP[0]); }),
    v("ids 1e300, -1 and 0.5", (c) => { c.nodes[0].id = 1e300; c.nodes[1].id = -1; c.nodes[2].id = 0.5; }),
    v("order names a node twice", (c) => { c.order = [0, 0]; }),
    v("order names node 12345", (c) => { c.order = [12345]; }),
    v("op, name and kind are markup", (c) => { for (const n of c.nodes) { n.op = MARKUP[0]; n.name = MARKUP[2]; } c.nodes[1].kind = MARKUP[1]; }),
    v("op of 100,000 characters", (c) => { c.nodes[0].op = "y".repeat(100_000); }),
    v("a derivative of markup naming 65 inputs", (c) => { c.nodes[0].derivative = { forward: MARKUP[3], local: ids(65).map(() => MARKUP[0]), vjp: [] }; }),
    v("a value listing 65 numbers", (c) => { c.nodes[0].value = f64(65, (i) => i); }),
    v("value summaries of ±1e308 and nulls", (c) => { for (const n of c.nodes) { n.value = { min: 1e308, max: -1e308, mean: null }; n.grad = { min: null, max: null, mean: -1e308 }; } }),
    v("a node's derivative and tensor nested 400 deep", (c) => { c.nodes[0].derivative = nested(400); c.nodes[1].tensor = nested(400); }),
    v("a node's tensor is markup", (c) => { c.nodes[0].tensor = MARKUP[0]; }),
    v("a node's tensor claims shape [1e9, 1e9]", (c) => { c.nodes[0].tensor = { ...(c.nodes[0].tensor as object), shape: [1e9, 1e9] }; }),
    v("stepsAvailable \"yes\"", (c) => { (c as Record<string, unknown>).stepsAvailable = "yes"; }),
    v("omitted 1e300 nodes and omittedEdges -5", (c) => { Object.assign(c, { omitted: 1e300, omittedEdges: -5 }); }),
    v("no nodes and no edges", (c) => { Object.assign(c, { nodes: [], edges: [], edgeGrads: [], order: [] }); }),
    { what: `a chain of 5,000 nodes (budget ${BUDGETS.graphNodes})`, bundle: chain(5000) },
    { what: "a chain 499 levels deep", bundle: chain(499) },
    { what: "499 nodes feeding one", bundle: { version: 1, nodes: plain(500), edges: ids(499).map((i) => [i + 1, 0]), order: ids(500) } },
    {
      what: `30,000 random edges among 500 nodes (budget ${BUDGETS.graphEdges})`,
      bundle: { version: 1, nodes: plain(500), edges: ids(30_000).map(() => { const a = r.int(500), c = r.int(500); return [Math.max(a, c), Math.min(a, c)]; }), order: ids(500) },
    },
    { what: "200,001 edges, past what a bundle may hold", bundle: { version: 1, nodes: plain(2), edges: ids(200_001).map(() => [1, 0]), order: [0, 1] } },
    { what: "__proto__ and constructor keys in the bundle and a node", bundle: withProtoKeys({ ...copy(g), nodes: [withProtoKeys(copy(g.nodes[0]), { id: 7 }), ...copy(g.nodes.slice(1))] }, { nodes: [] }) },
    { what: "the bundle is a number", bundle: 42 },
    ...randomVariants(g, r, 12),
  ];
}

function curvesVariants(b: Bases, r: Rng): Variant[] {
  const c = b.curves;
  const v = (what: string, change: Record<string, unknown>): Variant => ({ what, bundle: { ...copy(c), ...change } });
  const table = (n: number, f: (i: number) => [number | null, string, number | null]) => {
    const rows = ids(n).map(f);
    return arrowBase64({ step: rows.map((x) => x[0]), series: rows.map((x) => x[1]), value: rows.map((x) => x[2]) });
  };
  const many = 20_000;
  return [
    v(`20,000 series (budget ${BUDGETS.curveSeries})`, { series: ids(many).map((i) => ({ name: `s${i}` })), data: table(many, (i) => [0, `s${i}`, i]) }),
    v(`one series of 50,000 points (budget ${BUDGETS.curvePoints})`, { series: [{ name: "loss" }], data: table(50_000, (i) => [i, "loss", Math.exp(-i / 1e4) + r.float() * 0.1]) }),
    v("values ±1e308, null and 0 on a log axis", { logY: true, series: [{ name: "loss" }], data: table(40, (i) => [i, "loss", [1e308, -1e308, null, 0, 1][i % 5]]) }),
    v("steps null, ±1e308 and repeated", { series: [{ name: "loss" }], data: table(40, (i) => [[null, 1e308, -1e308, 3][i % 4], "loss", i]) }),
    v("series names of markup, __proto__ and constructor", { series: [], data: table(60, (i) => [i, [...MARKUP, "__proto__", "constructor", "toString"][i % 8], i]) }),
    v("the same series listed twice", { series: [{ name: "train" }, { name: "train" }, { name: "train", run: "a" }] }),
    v("20,000 learning-rate changes of ±1e308, null and -1", { lr: ids(many).map((i) => ({ step: i, lr: [1e308, -1e308, null, -1][i % 4] })) }),
    v("lr entries of markup runs and string steps", { lr: [{ step: "0", lr: 0.1 }, { step: 1, lr: 0.1, run: MARKUP[0] }] }),
    v("title, labels and monitorId are markup", { title: MARKUP[0], xLabel: MARKUP[1], yLabel: MARKUP[3], monitorId: MARKUP[2] }),
    v("title of 100,000 characters", { title: "t".repeat(100_000) }),
    v("monitorId an object, running \"yes\"", { monitorId: { id: 1 }, running: "yes" }),
    v("count -1 and seriesTotal 1e300", { series: [{ name: "train", count: -1 }], seriesTotal: 1e300 }),
    v("count 1e300", { series: [{ name: "train", count: 1e300 }] }),
    v("data is not Arrow", { data: Buffer.from(MARKUP[0]).toString("base64") }),
    v("data without a value column", { data: arrowBase64({ step: new Float64Array(3), series: ["a", "a", "a"] }) }),
    v("data's values are strings", { data: arrowBase64({ step: new Float64Array(3), series: ["a", "a", "a"], value: ["1", "2", "x"] }) }),
    v("data of no rows", { data: arrowBase64({ step: new Float64Array(0), series: [], value: new Float64Array(0) }) }),
    v("version 0", { version: 0 }),
    v("series and lr nested 400 deep", { series: [nested(400)], lr: nested(400) }),
    { what: "__proto__ and constructor keys", bundle: withProtoKeys(copy(c), { series: [{ name: "polluted" }] }) },
    { what: "the bundle is an empty object", bundle: {} },
    ...randomVariants(c, r, 14),
  ];
}

function gradflowVariants(b: Bases, r: Rng): Variant[] {
  const g = b.gradflow;
  const v = (what: string, change: Record<string, unknown>): Variant => ({ what, bundle: { ...copy(g), ...change } });
  const grid = (layers: string[], steps: number, stat: (l: number, s: number) => number) => {
    const n = layers.length * steps;
    const layer = ids(n).map((i) => layers[i % layers.length]);
    const step = Int32Array.from(ids(n), (i) => Math.floor(i / layers.length));
    const col = (k: number) => Float32Array.from(ids(n), (i) => stat(i % layers.length, Math.floor(i / layers.length)) * k);
    return arrowBase64({ step, layer, gradMean: col(1), gradMax: col(10), weightNorm: col(100), updateRatio: col(0.01) });
  };
  const names = (n: number) => ids(n).map((i) => `layer${i}.weight`);
  const odd = ["__proto__", "constructor", "toString", "hasOwnProperty", ...MARKUP];
  return [
    v(`70,000 layer names (budget ${BUDGETS.gradflowCells} cells)`, { layers: names(70_000), data: grid(names(1), 1, () => 1e-3) }),
    v(`256 layers x 300 steps (budget ${BUDGETS.gradflowCells} cells)`, { layers: names(256), steps: 300, data: grid(names(256), 300, (l, s) => 10 ** (-8 + ((l + s) % 11))) }),
    v("4,096 layers x 16 steps, the whole budget in rows", { layers: names(4096), steps: 16, data: grid(names(4096), 16, () => 1e-3) }),
    v("a layer named twice", { layers: ["a", "b", "a"] }),
    v("layers named __proto__, constructor and markup", { layers: odd, steps: 3, data: grid(odd, 3, (l) => 10 ** -l) }),
    v("data names a layer not in layers", { layers: ["a"], data: grid(["b"], 2, () => 1) }),
    v("steps 1e300 and totalLayers 1e300", { steps: 1e300, totalLayers: 1e300 }),
    v("steps -1", { steps: -1 }),
    v("steps 0.5 and totalLayers \"2\"", { steps: 0.5, totalLayers: "2" }),
    v("axis [0, 1]", { axis: [0, 1] }),
    v("axis [1e-300, 1e308]", { axis: [1e-300, 1e308] }),
    v("axis of three strings", { axis: ["a", "b", "c"] }),
    v("gradients ±1e308, negative and NaN", { layers: names(4), steps: 4, data: grid(names(4), 4, (l, s) => [1e308, -1e308, NaN, -1][(l + s) % 4]) }),
    v("steps null and infinite in the data", { layers: ["a"], data: arrowBase64({ step: [null, Infinity], layer: ["a", "a"], gradMean: [1, 1], gradMax: [1, 1], weightNorm: [1, 1], updateRatio: [1, 1] }) }),
    v("no layers and no rows", { layers: [], steps: 0, data: grid([], 0, () => 0) }),
    v("data without updateRatio", { data: arrowBase64({ step: new Float64Array(1), layer: ["0.weight"], gradMean: [1], gradMax: [1], weightNorm: [1] }) }),
    v("data is a number", { data: 12 }),
    v("layers and axis nested 400 deep", { layers: nested(400), axis: nested(400) }),
    { what: "__proto__ and constructor keys", bundle: withProtoKeys(copy(g), { layers: ["polluted"] }) },
    { what: "the bundle is true", bundle: true },
    ...randomVariants(g, r, 14),
  ];
}

function moduleVariants(b: Bases, r: Rng): Variant[] {
  const m = b.module as { rows: Record<string, unknown>[] };
  const v = (what: string, change: (c: typeof m & Record<string, unknown>) => void): Variant => {
    const c = copy(m) as typeof m & Record<string, unknown>;
    change(c);
    return { what, bundle: c };
  };
  const row = (path: string, depth: number, params = 3) => ({ path, type: "Linear", depth, params, trainable: params, shapes: ["[3]"] });
  const big = (rows: Record<string, unknown>[]) => ({ version: 1, name: "Net", total: rows.reduce((n, x) => n + (x.params as number), 0), trainable: rows.reduce((n, x) => n + (x.params as number), 0), rows });
  return [
    { what: "50,001 rows, past what a bundle may hold", bundle: { version: 1, name: "Net", total: 0, trainable: 0, rows: ids(50_001).map(() => 0) } },
    { what: `10,000 rows under one root (budget ${BUDGETS.moduleRows})`, bundle: big([row("", 0, 0), ...ids(9999).map((i) => row(`l${i}`, 1))]) },
    { what: "a chain of modules 3,000 levels deep", bundle: big(ids(3000).map((i) => row(`d${i}`, i))) },
    v("depth jumps from 0 to 2", (c) => { c.rows[1].depth = 2; }),
    v("params 1e300, total 1e308", (c) => { c.rows[1].params = 1e300; c.rows[1].trainable = 1e300; c.total = 1e308; c.trainable = 1e308; }),
    v("params -1", (c) => { c.rows[1].params = -1; }),
    v("params 2^53 + 2 and 0.5", (c) => { c.rows[1].params = 2 ** 53 + 2; c.rows[1].trainable = 0; c.rows[3].params = 0.5; }),
    v("trainable more than params", (c) => { c.rows[1].trainable = 41; }),
    v("trainable more than total", (c) => { c.trainable = 59; }),
    v("every row has the same path", (c) => { for (const x of c.rows) x.path = "0"; }),
    v("paths __proto__ and constructor", (c) => { c.rows[1].path = "__proto__"; c.rows[2].path = "constructor"; c.rows[3].path = "__proto__.polluted"; }),
    v("path, type, name, extra and shapes are markup", (c) => { c.name = MARKUP[0]; for (const [i, x] of c.rows.entries()) { x.path = MARKUP[i % 5]; x.type = MARKUP[(i + 1) % 5]; x.extra = MARKUP[(i + 2) % 5]; x.shapes = [MARKUP[(i + 3) % 5]]; } }),
    v("extra of 100,000 characters", (c) => { c.rows[1].extra = "e".repeat(100_000); }),
    v("tied entries of the wrong types", (c) => { c.rows[1].tied = [{ param: 1, to: null }]; }),
    v("tied and omitted nested 400 deep", (c) => { c.rows[1].tied = [nested(400)]; c.rows[2].omitted = nested(400); }),
    v("tied entries of markup", (c) => { c.rows[1].tied = [{ param: MARKUP[0], to: MARKUP[1] }]; }),
    v("omitted counts negative", (c) => { c.rows[1].omitted = { modules: -1, params: 0, trainable: 0 }; }),
    v("omitted 1e300 modules", (c) => { c.rows[1].omitted = { modules: 1e300, params: 1e300, trainable: 0 }; }),
    v("an output shape of 17 dims", (c) => { c.rows[1].outputShape = ids(17).map(() => 1); }),
    v("an output shape [-1, 1e300]", (c) => { c.rows[1].outputShape = [-1, 1e300]; }),
    v("modules 1e300", (c) => { c.modules = 1e300; }),
    v("modules fewer than the rows", (c) => { c.modules = 1; }),
    v("no rows", (c) => { c.rows = []; c.total = 0; c.trainable = 0; }),
    { what: "__proto__ and constructor keys", bundle: withProtoKeys(copy(m), { rows: [] }) },
    { what: "the bundle is a string", bundle: "Sequential" },
    ...randomVariants(m, r, 14),
  ];
}

function progressVariants(b: Bases, r: Rng): Variant[] {
  const p = b.progress;
  const v = (what: string, change: Record<string, unknown>): Variant => ({ what, bundle: { ...copy(p), ...change } });
  return [
    v("n 1e300 of total 1e308", { n: 1e300, total: 1e308 }),
    v("n null, total null", { n: null, total: null }),
    v("n -5 of total -1", { n: -5, total: -1 }),
    v("total 0", { total: 0 }),
    v("fraction 1e308 with no total", { total: null, fraction: 1e308 }),
    v("fraction -5", { total: null, fraction: -5 }),
    v("n \"5\"", { n: "5" }),
    v("total an array", { total: [100] }),
    v("desc is markup", { desc: MARKUP[0] + MARKUP[1] }),
    v("desc of 100,000 characters", { desc: "d".repeat(100_000) }),
    v("desc an object", { desc: { text: "x" } }),
    v("n nested 400 deep", { n: nested(400) }),
    v("n 2^53 + 2", { n: 2 ** 53 + 2, total: 2 ** 53 + 4 }),
    { what: "__proto__ and constructor keys", bundle: withProtoKeys(copy(p), { n: 1e300 }) },
    { what: "the bundle is null", bundle: null },
    { what: "the bundle is an array", bundle: [1, 2] },
    { what: "the bundle is empty", bundle: {} },
    ...randomVariants(p, r, 10),
  ];
}

/** `n` random single mutations and a few of two or three at once. */
function randomVariants(base: unknown, r: Rng, n: number): Variant[] {
  return ids(n).map((i) => {
    const m = mutate(base, r, i < n - 3 ? 1 : 2 + (i % 2));
    return { what: `random: ${m.what}`, bundle: m.bundle };
  });
}

const MAKERS: Record<Kind, (b: Bases, r: Rng) => Variant[]> = {
  tensor: tensorVariants,
  graph: graphVariants,
  curves: curvesVariants,
  gradflow: gradflowVariants,
  module: moduleVariants,
  progress: progressVariants,
};

// ---- what the page shows ---------------------------------------------------------------------

interface Seen {
  cell: number;
  state: "none" | "pending" | "error" | "drawn" | "blank";
  field?: string;
  text: string;
  height: number;
}

/** Each code cell's chainlab output: its error box, its drawing, or neither yet. */
function outputsOf(page: Page, kind: Kind): Promise<Seen[]> {
  return page.evaluate((kind) => {
    const panel = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
    const cells = [...(panel?.querySelectorAll(".jp-Notebook .jp-Cell.jp-CodeCell") ?? [])];
    const drawn: Record<string, (o: Element) => boolean | null> = {
      tensor: (o) => {
        const t = o.querySelector(".cl-tensor");
        if (!t) return null;
        return !!t.querySelector("canvas.cl-heatmap") || !!t.querySelector(".cl-tensor-data")?.textContent?.trim();
      },
      graph: (o) => (o.querySelector(".cl-graph") ? !!o.querySelector(".cl-graph svg .cl-node") : null),
      // Plotly loads and draws after the bundle is read
      curves: (o) => (o.querySelector(".js-plotly-plot .main-svg") ? true : null),
      gradflow: (o) => {
        const g = o.querySelector(".cl-gradflow");
        if (!g) return null;
        return !!g.querySelector(".cl-gradflow-row") || !g.querySelector<HTMLElement>(".cl-gradflow-empty")!.hidden;
      },
      module: (o) => (o.querySelector(".cl-module") ? !!o.querySelector(".cl-module-name")?.textContent?.trim() : null),
      progress: (o) => (o.querySelector(".cl-progress-track") ? !!o.querySelector(".cl-progress-label")?.textContent?.trim() : null),
    };
    return cells.map((c, cell) => {
      const o = c.querySelector(".cl-output");
      if (!o) return { cell, state: "none" as const, text: (c.querySelector(".jp-OutputArea")?.textContent ?? "").slice(0, 200), height: 0 };
      const height = o.getBoundingClientRect().height;
      const text = (o.textContent ?? "").slice(0, 300);
      const err = o.querySelector<HTMLElement>(".cl-error");
      if (err) return { cell, state: "error" as const, field: err.dataset.field ?? "", text: err.textContent ?? "", height };
      const d = drawn[kind](o);
      return { cell, state: d === null ? ("pending" as const) : d ? ("drawn" as const) : ("blank" as const), text, height };
    });
  }, kind);
}

/** Markup of a bundle that the page made into live elements, or ran. */
function injected(page: Page): Promise<{ pwned: unknown; elements: string[] }> {
  return page.evaluate((pwned) => ({
    pwned: (window as unknown as Record<string, unknown>)[pwned],
    elements: [...document.querySelectorAll(".jp-OutputArea [onerror], .jp-OutputArea [onload], .jp-OutputArea script, .jp-OutputArea iframe, .jp-OutputArea a[href^='javascript' i], .cl-output img")]
      .map((e) => e.outerHTML.slice(0, 120)),
  }), PWNED);
}

/**
 * Each variant drawn once more on its own by the renderer JupyterLab uses (outside the
 * notebook, so JupyterLab's reading of the file is not counted): the milliseconds from the
 * bundle to the laid-out output, Plotly's drawing included.
 */
async function timeEach(page: Page, kind: Kind): Promise<{ what: string; ms: number }[]> {
  const out: { what: string; ms: number }[] = [];
  for (const v of variants[kind]) {
    // as JSON text: playwright's own serialising of a value nested 400 deep never ends
    const ms = await page.evaluate(async ([mime, json]) => {
      const bundle = JSON.parse(json);
      const app = (window as unknown as { jupyterapp: any }).jupyterapp;
      const rendermime = app.shell.currentWidget.content.rendermime;
      const host = document.createElement("div");
      host.style.cssText = "position:absolute;left:0;top:0;width:1000px;visibility:hidden";
      document.body.append(host);
      const renderer = rendermime.createRenderer(mime);
      host.append(renderer.node);
      const t0 = performance.now();
      // a draw that never ends counts as the time it was given
      const given = new Promise((resolve) => setTimeout(resolve, 20_000));
      await Promise.race([renderer.renderModel({ data: { [mime]: bundle }, metadata: {}, trusted: false, setData() {} }), given]);
      void (renderer.node as HTMLElement).offsetHeight;
      const ms = performance.now() - t0;
      renderer.dispose();
      host.remove();
      return ms;
    }, [MIME[kind], JSON.stringify(v.bundle)] as const);
    out.push({ what: v.what, ms: Math.round(ms) });
    if (process.env.FUZZ_VERBOSE) console.log(`${kind} ${Math.round(ms)} ms: ${v.what}`);
  }
  return out;
}

// ---- the tests ----------------------------------------------------------------------------

let lab: Lab;
let page: Page;
const variants = {} as Record<Kind, Variant[]>;
const report: Record<string, unknown> = {};

beforeAll(async () => {
  lab = await startLab();
  const b = bases();
  KINDS.forEach((kind, k) => {
    variants[kind] = MAKERS[kind](b, new Rng(0xc0ffee + k));
    const cells = variants[kind].map((v, i) => `// ${kind} #${i}: ${v.what}`);
    const outputs = variants[kind].map((v, i) => [{
      output_type: "display_data",
      data: { [MIME[kind]]: v.bundle, "text/plain": `${kind} #${i}` },
      metadata: {},
    }]);
    // written without indentation: lab.ts indents, which puts each of 200,001 edges on five lines
    writeFileSync(path.join(lab.dir, `fuzz-${kind}.ipynb`), JSON.stringify(JSON.parse(notebookJson(cells, outputs))));
  });
  // a warm page: JupyterLab loaded, the renderers' chunks and Plotly parsed, so that what is
  // timed below is the opening and drawing of each notebook of fuzzed outputs
  const { cells, outputs } = everyKindOutputs();
  writeNotebook(lab, "valid.ipynb", cells, outputs);
  page = await lab.open("valid.ipynb", { theme: "light" });
});
afterAll(async () => {
  writeFileSync(path.join(artifacts, "fuzz.json"), JSON.stringify(report, null, 1));
  await lab?.stop();
});

async function closeAll(): Promise<void> {
  await page.evaluate(async () => {
    const app = (window as unknown as { jupyterapp: any }).jupyterapp;
    for (const w of [...app.shell.widgets("main")]) {
      // a kernel shut down while its session is still starting makes JupyterLab throw "Disposed"
      await Promise.race([w.sessionContext?.ready, new Promise((r) => setTimeout(r, 30_000))]);
      await w.sessionContext?.shutdown?.().catch(() => undefined);
      // nothing here is saved: a notebook JupyterLab thinks changed would ask first
      if (w.context?.model) w.context.model.dirty = false;
    }
  });
  await command(page, "application:close-all");
  try {
    await page.locator(".jp-NotebookPanel").first().waitFor({ state: "detached", timeout: 30_000 });
  } catch (e) {
    await shot(page, "fuzz-close-failed");
    throw e;
  }
}

it("draws the valid bundles the fuzzing starts from (the checks below see a drawing)", async () => {
  await page.locator(".cl-curves .js-plotly-plot .main-svg").first().waitFor({ timeout: 120_000 });
  const order: Kind[] = ["tensor", "graph", "curves", "gradflow", "module"];
  for (const [i, kind] of order.entries()) {
    await expect.poll(async () => (await outputsOf(page, kind))[i].state, { timeout: 60_000 }).toBe("drawn");
  }
  await closeAll();
});

for (const kind of KINDS) {
  it(`${kind}: every hostile bundle draws or names the field at fault, in time`, async () => {
    const errorsBefore = lab.errors.length;
    const longestTask = await watchLongTasks(page);
    const t0 = Date.now();
    await command(page, "docmanager:open", { path: `fuzz-${kind}.ipynb` });
    const n = variants[kind].length;
    let seen: Seen[] = [];
    await expect.poll(async () => {
      seen = await outputsOf(page, kind);
      return seen.length === n && seen.every((s) => s.state !== "none" && s.state !== "pending");
    }, { timeout: 120_000, interval: 500 }).toBe(true).catch(() => undefined);
    const settledMs = Date.now() - t0;
    // late failures: an update, a resize or Plotly's second pass may still throw
    await page.waitForTimeout(1000);
    seen = await outputsOf(page, kind);
    const longest = await longestTask();
    const inj = await injected(page);
    const renderMs = await page.evaluate(() => ({
      tensor: [...document.querySelectorAll<HTMLElement>(".cl-tensor[data-render-ms]")].map((e) => Number(e.dataset.renderMs)),
      graph: performance.getEntriesByName("chainlab-graph-render").map((e) => e.duration),
      curves: performance.getEntriesByName("chainlab curves: draw").map((e) => e.duration),
    }));
    await page.evaluate(() => performance.clearMeasures());
    const each = await timeEach(page, kind);
    const slowest = [...each].sort((a, b) => b.ms - a.ms).slice(0, 3);
    const errors = lab.errors.slice(errorsBefore);
    const counts = { drawn: 0, error: 0, other: 0 };
    for (const s of seen) counts[s.state === "drawn" ? "drawn" : s.state === "error" ? "error" : "other"]++;
    report[kind] = {
      variants: n, ...counts, longestTaskMs: Math.round(longest), settledMs,
      worstRenderMs: Math.round(Math.max(0, ...(renderMs as Record<string, number[]>)[kind] ?? [])),
      slowest,
      outputs: seen.map((s) => ({ what: variants[kind][s.cell]?.what, state: s.state, field: s.field, text: s.text.slice(0, 160) })),
    };
    console.log(`${kind}: ${n} variants, ${counts.drawn} drawn, ${counts.error} error boxes, ${counts.other} neither; ` +
      `longest main-thread task ${Math.round(longest)} ms; all settled after ${settledMs} ms; ` +
      `slowest alone: ${slowest.map((s) => `${s.ms} ms (${s.what})`).join("; ")}`);
    if (kind === "module") {
      // a page of error boxes and drawings as a learner meets them
      await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell.jp-CodeCell").nth(3).scrollIntoViewIfNeeded();
      await shot(page, "fuzz-module-light");
    }
    await closeAll();

    const bad = seen
      .filter((s) => !(s.state === "drawn" || (s.state === "error" && s.field)) || s.height < 8 || /undefined|\[object Object\]/.test(s.text))
      .map((s) => `#${s.cell} ${variants[kind][s.cell]?.what}: ${s.state}${s.state === "error" ? ` field=${JSON.stringify(s.field)}` : ""} height=${Math.round(s.height)} ${JSON.stringify(s.text.slice(0, 160))}`);
    expect(seen.length).toBe(n);
    expect(bad).toEqual([]);
    expect(errors).toEqual([]);
    expect(inj).toEqual({ pwned: undefined, elements: [] });
    expect(longest).toBeLessThan(LONG_TASK_MS);
    expect(slowest.filter((s) => s.ms >= OUTPUT_MS)).toEqual([]);
  });
}
