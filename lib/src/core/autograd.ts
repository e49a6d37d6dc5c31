// The engine: every op records a Node that knows its inputs and its vector-Jacobian
// product; backward() walks the nodes in reverse topological order and applies the chain
// rule, summing the contributions that reach a tensor along several paths.
import type { Tensor } from "../tensor";
import { fmt, sameShape } from "./shape";
import { checkVersion, versionOf } from "./version";
import { BackwardArrays, recycle } from "./storage";
import { genericKind, type Derivative, type OpKind } from "./derivative";

/** Given dL/d(output), return dL/d(input) for each input (null where none flows). */
export type Vjp = (grad: Tensor) => (Tensor | null)[];

/**
 * One recorded op in the graph that backward() walks: a tensor's gradFn. It knows the op
 * (its name and derivative), its inputs and the vjp that turns the output's gradient into
 * the inputs'.
 * @example const y = x.mul(2); y.gradFn!.name // "mul"; y.gradFn!.inputs[0] === x
 */
export class Node {
  /** The op that made the tensor, with its derivative in words. */
  readonly op: OpKind;

  constructor(
    /** The op, or just its name (a hand-built node: its derivative is then "as its backward defines it"). */
    op: OpKind | string,
    /** The tensors the op read. */
    readonly inputs: readonly Tensor[],
    /** Released after backward() unless retainGraph, so saved activations can be freed. */
    public vjp: Vjp | null,
    /**
     * The versions of the inputs' storage (then of the output's) when the op ran, for the
     * ops whose backward reads them; null for the ops that need only shapes.
     */
    readonly versions: readonly number[] | null = null,
    /**
     * Arrays only the vjp reads (never a tensor's storage): they are given back to the
     * storage pool when backward() releases the vjp.
     */
    public privates: Float32Array[] | null = null,
  ) {
    this.op = typeof op === "string" ? genericKind(op, inputs.length) : op;
  }

  /**
   * True for ops whose backward is user code (defineOp): it may keep the gradients it is
   * given or returns, so the engine never reuses their storage.
   */
  opaque = false;

  /** Drop the vjp, and with it what it saved. @internal */
  release(): void {
    this.vjp = null;
    if (this.privates) for (const a of this.privates) recycle(a);
    this.privates = null;
  }

  /** Throw if a tensor this node's backward reads was written in place after the forward. @internal */
  checkVersions(output: Tensor): void {
    const v = this.versions;
    if (!v) return;
    const n = this.inputs.length;
    for (let k = 0; k < n; k++) checkVersion(this.inputs[k], v[k], `input ${k}`, this.name);
    checkVersion(output, v[n], "the output", this.name);
  }

  /** The op that made the tensor, e.g. "mul", "matmul". */
  get name(): string {
    return this.op.name;
  }

  /** What the op's backward does, in words, e.g. {forward: "y = a · b", local: ["∂y/∂a = b", ...], ...}. */
  get derivative(): Derivative {
    return this.op.derivative;
  }

  /** The op's name in angle brackets, e.g. <mul>. */
  toString(): string {
    return `<${this.name}>`;
  }
}

let gradEnabled = true;

/** Run fn without recording a graph (evaluation, optimiser updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    const r = fn();
    if (r instanceof Promise) {
      throw new Error("noGrad(): fn returned a Promise; pass a synchronous function (await outside noGrad)");
    }
    return r;
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Run fn recording a graph even where recording is off (inside noGrad, or during a backward
 * pass, where gradient checkpointing recomputes a piece of the forward). Like torch.enable_grad.
 * @internal
 */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Attach the op's backward to its output when any input needs a gradient. `saves` says
 * whether the backward reads the values of the inputs or the output (most ops); the ops
 * that route gradients by shape alone (add, sum, views, ...) pass false, so an in-place
 * write to their inputs afterwards is no error, as in PyTorch. `privates` lists arrays the
 * vjp alone holds (see Node.privates).
 */
export function record(out: Tensor, op: OpKind, inputs: readonly Tensor[], vjp: Vjp, saves = true,
  privates: Float32Array[] | null = null): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    let versions: number[] | null = null;
    if (saves) {
      versions = new Array<number>(inputs.length + 1);
      for (let k = 0; k < inputs.length; k++) versions[k] = versionOf(inputs[k]);
      versions[inputs.length] = versionOf(out);
    }
    out.gradFn = new Node(op, inputs, vjp, versions, privates);
  }
  return out;
}

/** The tensors reachable from root through gradFn, inputs before the tensors they make. */
export function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const inputs = top[0].gradFn?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

/**
 * backward(): from the output back to the leaves, in reverse topological order, so that a
 * tensor's gradient is complete (summed over every path) before it is passed on. At each
 * tensor: its hooks, its .grad if it is a leaf (or retains grad), and its node's vjp, whose
 * results are added into the gradients of the node's inputs. The storage pool learns when
 * the walk holds and releases each gradient, to reuse the arrays of the ones used up.
 */
export function runBackward(root: Tensor, grad: Tensor, retainGraph: boolean): void {
  const order = topoOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, grad]]);
  const arrays = new BackwardArrays();
  arrays.hold(grad);
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const gt = t.hooks.length ? runHooks(t, g, arrays) : g;
      if (!t.gradFn || t.retainsGrad) t.grad = accumulateGrad(t, gt, arrays);
      const node = t.gradFn;
      if (node) {
        const inputGrads = applyVjp(node, t, gt, arrays);
        node.inputs.forEach((x, k) => {
          const gx = inputGrads[k];
          if (gx && x.requiresGrad) accumulate(grads, x, gx, arrays);
        });
        if (!retainGraph) node.release();
      }
      arrays.release(g);
    }
  } finally {
    arrays.close();
    gradEnabled = prev;
  }
}

/** t's hooks in turn, each given the gradient the one before returned; user code sees them all. */
function runHooks(t: Tensor, g: Tensor, arrays: BackwardArrays): Tensor {
  for (const hook of t.hooks) {
    arrays.keep(g);
    g = hook(g) ?? g;
    arrays.keep(g);
  }
  return g;
}

/**
 * A leaf's .grad after adding g. It gets storage of its own: g may share its array with
 * other gradients (add passes the same tensor to both inputs) or be the caller's tensor,
 * and optimisers write into .grad in place; g's own array is taken when it is g's alone.
 */
function accumulateGrad(t: Tensor, g: Tensor, arrays: BackwardArrays): Tensor {
  const grad = t.grad ? t.grad.add(g) : arrays.owns(g) ? g : g.clone();
  arrays.keep(grad);
  return grad;
}

/** The node's vjp on g, checked: the graph still there, its saved tensors unchanged, each result shaped as its input. */
function applyVjp(node: Node, t: Tensor, g: Tensor, arrays: BackwardArrays): (Tensor | null)[] {
  if (!node.vjp) {
    throw new Error(
      `backward(): the graph through '${node.name}' was already freed by an earlier backward(); ` +
        `pass {retainGraph: true} to the first backward() to go through it twice`,
    );
  }
  node.checkVersions(t);
  const inputGrads = node.vjp(g);
  node.inputs.forEach((x, k) => {
    const gx = inputGrads[k];
    if (gx && x.requiresGrad && !sameShape(gx.shape, x.shape)) {
      throw new Error(
        `backward(): '${node.name}' returned a gradient of shape ${fmt(gx.shape)} for its input ${k} ` +
          `of shape ${fmt(x.shape)}; a vector-Jacobian product must match its input's shape`,
      );
    }
  });
  // a user's backward (defineOp) may keep the gradients it was given or returned
  if (node.opaque) {
    arrays.keep(g);
    for (const gx of inputGrads) if (gx) arrays.keep(gx);
  }
  return inputGrads;
}

/** Add gx into the gradient waiting for x: the sum over every path from x to the output. */
function accumulate(grads: Map<Tensor, Tensor>, x: Tensor, gx: Tensor, arrays: BackwardArrays): void {
  arrays.hold(gx);
  const acc = grads.get(x);
  if (!acc) return void grads.set(x, gx);
  const sum = acc.add(gx);
  arrays.hold(sum);
  grads.set(x, sum);
  arrays.release(acc);
  arrays.release(gx);
}
