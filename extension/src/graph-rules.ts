// The local derivative of each op, written the way a textbook would, for the step-through:
// `local` is the forward rule's derivative with respect to each input, and `vjp` is what
// the backward pass sends to that input given the incoming gradient g. Inputs are a, b, ...
// in the order the op read them. One rule for each op name the library records (a test in
// lib/test/display-graph.test.ts holds the two lists together), each saying what that op's
// backward does, ties and all.

export interface Rule {
  /** The forward computation, e.g. "y = a · b". */
  forward: string;
  /** Per input: its local derivative, e.g. "∂y/∂a = b". */
  local: string[];
  /** Per input: the vector-Jacobian product sent along its edge, e.g. "g · b". */
  vjp: string[];
}

const unary = (forward: string, local: string, vjp: string): Rule => ({ forward, local: [local], vjp: [vjp] });
const reshaping = (what: string): Rule => unary(`y = ${what}(a)`, "∂y/∂a = identity (values move, not change)", `g laid back out in a's shape`);
const picking = (what: string): Rule => unary(`y = ${what}(a)`, "∂yᵢ/∂aⱼ = 1 where yᵢ was read from aⱼ, else 0", "g written into zeros at the positions read");

const RULES: Record<string, Rule> = {
  add: { forward: "y = a + b", local: ["∂y/∂a = 1", "∂y/∂b = 1"], vjp: ["g", "g"] },
  sub: { forward: "y = a − b", local: ["∂y/∂a = 1", "∂y/∂b = −1"], vjp: ["g", "−g"] },
  mul: { forward: "y = a · b", local: ["∂y/∂a = b", "∂y/∂b = a"], vjp: ["g · b", "g · a"] },
  div: { forward: "y = a / b", local: ["∂y/∂a = 1/b", "∂y/∂b = −a/b²"], vjp: ["g / b", "−g · a / b²"] },
  pow: { forward: "y = aⁿ", local: ["∂y/∂a = n · aⁿ⁻¹", "∂y/∂n = aⁿ · ln a"], vjp: ["g · n · aⁿ⁻¹", "g · aⁿ · ln a"] },
  // on a tie each input gets half, as in PyTorch
  maximum: {
    forward: "y = max(a, b)",
    local: ["∂y/∂a = [a > b] + ½[a = b]", "∂y/∂b = [b > a] + ½[a = b]"],
    vjp: ["g · ([a > b] + ½[a = b])", "g · ([b > a] + ½[a = b])"],
  },
  minimum: {
    forward: "y = min(a, b)",
    local: ["∂y/∂a = [a < b] + ½[a = b]", "∂y/∂b = [b < a] + ½[a = b]"],
    vjp: ["g · ([a < b] + ½[a = b])", "g · ([b < a] + ½[a = b])"],
  },
  neg: unary("y = −a", "∂y/∂a = −1", "−g"),
  exp: unary("y = eᵃ", "∂y/∂a = eᵃ = y", "g · eᵃ"),
  log: unary("y = ln a", "∂y/∂a = 1/a", "g / a"),
  sqrt: unary("y = √a", "∂y/∂a = 1 / (2√a)", "g / (2√a)"),
  square: unary("y = a²", "∂y/∂a = 2a", "g · 2a"),
  sin: unary("y = sin a", "∂y/∂a = cos a", "g · cos a"),
  cos: unary("y = cos a", "∂y/∂a = −sin a", "−g · sin a"),
  tanh: unary("y = tanh a", "∂y/∂a = 1 − tanh² a = 1 − y²", "g · (1 − y²)"),
  sigmoid: unary("y = σ(a)", "∂y/∂a = σ(a)(1 − σ(a)) = y(1 − y)", "g · y(1 − y)"),
  relu: unary("y = max(a, 0)", "∂y/∂a = [a > 0]", "g · [a > 0]"),
  gelu: unary("y = a · Φ(a)", "∂y/∂a = Φ(a) + a · φ(a)", "g · (Φ(a) + a · φ(a))"),
  geluTanh: unary(
    "y = ½a(1 + tanh u), u = √(2/π)(a + 0.044715a³)",
    "∂y/∂a = ½(1 + tanh u) + ½a(1 − tanh² u) · √(2/π)(1 + 3 · 0.044715a²)",
    "g · ∂y/∂a (the tanh approximation's derivative)",
  ),
  abs: unary("y = |a|", "∂y/∂a = sign(a)", "g · sign(a)"),
  clamp: unary("y = clamp(a, lo, hi)", "∂y/∂a = [lo ≤ a ≤ hi]", "g · [lo ≤ a ≤ hi]"),
  matmul: { forward: "Y = A @ B", local: ["∂Y/∂A: row i of Y uses row i of A with B", "∂Y/∂B: column j of Y uses A with column j of B"], vjp: ["g @ Bᵀ", "Aᵀ @ g"] },
  linear: {
    forward: "Y = X @ Wᵀ + b",
    local: ["∂Y/∂X = W", "∂Y/∂W = X", "∂Y/∂b = 1"],
    vjp: ["g @ W", "gᵀ @ X", "g summed over the batch"],
  },
  sum: unary("y = Σᵢ aᵢ", "∂y/∂aᵢ = 1 for every i", "g broadcast back to a's shape (times ones)"),
  amax: unary("y = max a", "∂y/∂aᵢ = 1/k at each of the k positions of the maximum, else 0", "g split evenly among the positions of the maximum"),
  amin: unary("y = min a", "∂y/∂aᵢ = 1/k at each of the k positions of the minimum, else 0", "g split evenly among the positions of the minimum"),
  softmax: unary("yᵢ = eᵃⁱ / Σⱼ eᵃʲ", "∂yᵢ/∂aⱼ = yᵢ([i = j] − yⱼ)", "y · (g − Σ g·y)"),
  logSoftmax: unary("yᵢ = aᵢ − log Σⱼ eᵃʲ", "∂yᵢ/∂aⱼ = [i = j] − softmax(a)ⱼ", "g − softmax(a) · Σ g"),
  crossEntropy: unary("L = −(1/N) Σ log softmax(logits)[target]", "∂L/∂logits = (softmax(logits) − onehot(target)) / N", "g · (softmax − onehot) / N"),
  nllLoss: unary("L = −(1/N) Σ a[target]", "∂L/∂a = −onehot(target) / N", "−g · onehot(target) / N"),
  binaryCrossEntropyWithLogits: {
    forward: "L = mean(softplus(x) − x·t)",
    local: ["∂L/∂x = (σ(x) − t) / N", "∂L/∂t = −x / N"],
    vjp: ["g · (σ(x) − t) / N", "−g · x / N"],
  },
  layerNorm: {
    forward: "y = (a − mean) / √(var + ε) · w + b",
    local: ["∂y/∂a: through the normalised x̂, its mean and its variance", "∂y/∂w = x̂", "∂y/∂b = 1"],
    vjp: ["(g·w − mean(g·w) − x̂ · mean(g·w·x̂)) / √(var + ε)", "Σ g · x̂ over the batch", "Σ g over the batch"],
  },
  embedding: unary("y = W[idx]", "∂y/∂W[r] = 1 for the rows r looked up", "g rows added into the rows of W that were read"),
  causalAttention: unary(
    "q, k, v = a's three parts; y = softmax(q kᵀ/√d, masked above the diagonal) v",
    "∂y/∂a: through v (Pᵀ), through P's softmax into q and k",
    "dv = Pᵀg, dP = g vᵀ, dS = P · (dP − Σ dP·P)/√d, dq = dS k, dk = dSᵀ q",
  ),
  splitHeads: unary("y = one of q, k, v of a, cut into heads [B, nh, T, hs]", "∂y/∂a = 1 on that part's columns", "g written back into that part's columns of a"),
  im2col: unary("y = the patches of a as columns (one per output position)", "∂y/∂a = 1 where a patch read the pixel", "g of each patch added back onto the pixels it read"),
  maxPool2d: unary("y = max over each window of a", "∂y/∂a = 1 at each window's winner (its first maximum), else 0", "g sent to each window's winner"),
  reshape: reshaping("reshape"),
  view: reshaping("view"),
  squeeze: reshaping("squeeze"),
  unsqueeze: reshaping("unsqueeze"),
  clone: unary("y = a", "∂y/∂a = 1", "g"),
  permute: unary("y = permute(a) (transpose is one)", "∂y/∂a = the same permutation", "g permuted back"),
  expand: unary("y = expand(a)", "each aᵢ is copied to many yⱼ", "g summed over the expanded dimensions"),
  index: picking("index"),
  select: picking("select"),
  narrow: picking("narrow"),
  indexSelect: picking("indexSelect"),
  gather: picking("gather"),
  maskedFill: unary("y = a where not mask, else v", "∂y/∂a = [not mask]", "g · [not mask]"),
  where: { forward: "y = cond ? a : b", local: ["∂y/∂a = [cond]", "∂y/∂b = [not cond]"], vjp: ["g · [cond]", "g · [not cond]"] },
  triu: unary("y = triu(a)", "∂y/∂a = 1 on and above the diagonal", "triu(g)"),
  tril: unary("y = tril(a)", "∂y/∂a = 1 on and below the diagonal", "tril(g)"),
};

const INPUT_NAMES = "abcdefghijklmnopqrstuvwxyz";

export function inputName(k: number): string {
  return k < INPUT_NAMES.length ? INPUT_NAMES[k] : `x${k}`;
}

/** The op names that have a rule of their own (cat's is made for its number of inputs). */
export const RULE_OPS: readonly string[] = [...Object.keys(RULES), "cat"];

/** The rule for an op, or a generic one naming it. */
export function ruleFor(op: string, inputs: number): Rule {
  const r = Object.prototype.hasOwnProperty.call(RULES, op) ? RULES[op] : undefined;
  if (r) return r;
  if (op === "cat") {
    const names = Array.from({ length: inputs }, (_, k) => inputName(k));
    return { forward: `y = ${op}(${names.join(", ")})`, local: names.map((n) => `∂y/∂${n} = 1 on ${n}'s slice`), vjp: names.map((n) => `g's slice for ${n}`) };
  }
  const names = Array.from({ length: inputs }, (_, k) => inputName(k));
  return {
    forward: `y = ${op}(${names.join(", ")})`,
    local: names.map((n) => `∂y/∂${n} as ${op}'s backward defines it`),
    vjp: names.map((n) => `vjp of ${op} for ${n}`),
  };
}

/** Where elementwise ops broadcast, the gradient is summed back to the input's shape. */
export const BROADCASTING = new Set(["add", "sub", "mul", "div", "pow", "maximum", "minimum", "where"]);
