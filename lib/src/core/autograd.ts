// The engine: every op records a Node that knows its inputs and its vector-Jacobian
// product; backward() walks the nodes in reverse topological order and applies the chain
// rule, summing the contributions that reach a tensor along several paths.
import type { Tensor } from "../tensor";
import { fmt, sameShape } from "./shape";
import { checkVersion, versionOf } from "./version";
import { recycle, unwatch, watch } from "./storage";
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

/** Gradients that a vjp wrote into storage of its own, nowhere else referenced. */
const ownsStorage = new WeakSet<Tensor>();

/** Mark a gradient a vjp just allocated, so that a leaf can keep it as .grad without a copy. */
export function fresh(t: Tensor): Tensor {
  ownsStorage.add(t);
  return t;
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
 * How many pending gradients use each storage array, so that an array the walk made
 * goes back to the pool exactly when the last gradient in it has been consumed.
 */
class GradRefs {
  private readonly counts = new Map<unknown, number>();
  /** Storage never given back: a hook or a .grad may hold it. */
  readonly pinned = new Set<unknown>();

  constructor(private readonly made: Set<Float32Array>) {}

  hold(g: Tensor): void {
    this.counts.set(g.storage, (this.counts.get(g.storage) ?? 0) + 1);
  }

  drop(g: Tensor): void {
    const s = g.storage;
    const n = (this.counts.get(s) ?? 1) - 1;
    if (n > 0) return void this.counts.set(s, n);
    this.counts.delete(s);
    // only arrays this walk made, once each (delete() is false the second time)
    if (!this.pinned.has(s) && this.made.delete(s as Float32Array)) recycle(s as Float32Array);
  }
}

export function runBackward(root: Tensor, grad: Tensor, retainGraph: boolean): void {
  const order = topoOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, grad]]);
  const prev = gradEnabled;
  gradEnabled = false;
  const refs = new GradRefs(watch());
  refs.hold(grad);
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      let g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const consumed = g;
      for (const hook of t.hooks) {
        refs.pinned.add(g.storage);
        g = hook(g) ?? g;
        refs.pinned.add(g.storage);
      }
      const node = t.gradFn;
      // .grad gets storage of its own: g may be a view shared with other inputs' gradients
      // (add passes the same tensor to both) or the caller's tensor, and optimisers write
      // into .grad in place. A gradient marked fresh already has it, and is kept once
      // (delete() returns false the second time).
      if (!node || t.retainsGrad) {
        t.grad = t.grad ? t.grad.add(g) : ownsStorage.delete(g) ? g : g.clone();
        refs.pinned.add(t.grad.storage);
      }
      if (node) {
        if (!node.vjp) {
          throw new Error(
            `backward(): the graph through '${node.name}' was already freed by an earlier backward(); ` +
              `pass {retainGraph: true} to the first backward() to go through it twice`,
          );
        }
        node.checkVersions(t);
        const inputGrads = node.vjp(g);
        if (node.opaque) for (const gx of inputGrads) if (gx) refs.pinned.add(gx.storage);
        node.inputs.forEach((x, k) => {
          const gx = inputGrads[k];
          if (!gx || !x.requiresGrad) return;
          if (!sameShape(gx.shape, x.shape)) {
            throw new Error(
              `backward(): '${node.name}' returned a gradient of shape ${fmt(gx.shape)} for its input ${k} ` +
                `of shape ${fmt(x.shape)}; a vector-Jacobian product must match its input's shape`,
            );
          }
          const acc = grads.get(x);
          const sum = acc ? fresh(acc.add(gx)) : gx;
          refs.hold(sum);
          grads.set(x, sum);
          if (acc) {
            refs.hold(gx); // gx may share storage with acc or other pending gradients: count before dropping
            refs.drop(acc);
            refs.drop(gx);
          }
        });
        if (!retainGraph) node.release();
      }
      // a gradient a user's op or hook has seen may have been kept by it
      if (node?.opaque) refs.pinned.add(consumed.storage);
      refs.drop(consumed);
    }
  } finally {
    unwatch();
    gradEnabled = prev;
  }
}
