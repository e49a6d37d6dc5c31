// Ops of your own, like torch.autograd.Function: a forward that computes with any tensor
// code (run without recording a graph) and a backward that maps dL/d(output) to
// dL/d(input) for each argument. The engine treats the result like any built-in op.
import { noGrad, record } from "./autograd";
import { genericKind, type Derivative, type OpKind } from "./derivative";
import type { Tensor } from "../tensor";
import { isTensor } from "./tensor-data";
import { checkVersion, versionOf } from "./version";

/** What forward leaves for backward: the tensors it saved, and any field you set on it. */
export class OpContext {
  /** Per argument: is it a tensor that requires grad (so backward need not compute the others)? */
  readonly needsInputGrad: readonly boolean[];
  private saved: Tensor[] = [];
  private savedVersions: number[] = [];
  [field: string]: unknown;

  /** @internal */
  constructor(readonly opName: string, needsInputGrad: boolean[]) {
    this.needsInputGrad = needsInputGrad;
  }

  /** Keep tensors for backward; an in-place write to one of them before backward is an error there. */
  saveForBackward(...tensors: Tensor[]): void {
    this.saved = tensors;
    this.savedVersions = tensors.map(versionOf);
  }

  /** The tensors saveForBackward kept, checked to be unchanged since. */
  get savedTensors(): Tensor[] {
    this.saved.forEach((t, i) => checkVersion(t, this.savedVersions[i], `saved tensor ${i}`, this.opName));
    return this.saved;
  }
}

export interface OpDefinition<A extends unknown[]> {
  /** The name backward errors and computation graphs show. */
  name: string;
  /** Compute the output; runs without recording a graph. */
  forward(ctx: OpContext, ...args: A): Tensor;
  /**
   * Given dL/d(output), return dL/d(argument) for each argument in order (null for
   * non-tensor arguments and where none flows). A single-argument op may return the tensor.
   */
  backward(ctx: OpContext, grad: Tensor): (Tensor | null | undefined)[] | Tensor | null;
  /**
   * The derivative in words, which the computation graph's backward walk shows, e.g.
   * `{forward: "y = a³", local: ["∂y/∂a = 3a²"], vjp: ["g · 3a²"]}` (inputs are a, b, ...
   * in the order of the tensor arguments). Without it the walk says the op's backward defines it.
   */
  derivative?: Derivative;
}

/**
 * Make an op from a forward and its backward, e.g.
 * `const cube = defineOp({name: "cube", forward(ctx, x) { ctx.saveForBackward(x); return x.pow(3); },
 *   backward(ctx, g) { const [x] = ctx.savedTensors; return [g.mul(x.square()).mul(3)]; }})`.
 * Check the backward with gradcheck(cube, [x]).
 */
export function defineOp<A extends unknown[]>(def: OpDefinition<A>): (...args: A) => Tensor {
  const { name } = def;
  if (typeof name !== "string" || !name) throw new Error("defineOp(): give the op a name");
  if (typeof def.forward !== "function" || typeof def.backward !== "function") {
    throw new Error(`defineOp('${name}'): forward and backward must both be functions`);
  }
  // the declared rule, or a generic one per number of tensor arguments
  const declared: OpKind | null = def.derivative ? { name, derivative: def.derivative } : null;
  const kinds = new Map<number, OpKind>();
  const kindFor = (inputs: number): OpKind => {
    if (declared) return declared;
    let k = kinds.get(inputs);
    if (!k) kinds.set(inputs, (k = genericKind(name, inputs)));
    return k;
  };
  return (...args: A): Tensor => {
    const positions: number[] = [];
    args.forEach((a, i) => { if (isTensor(a)) positions.push(i); });
    const inputs = positions.map((i) => args[i] as Tensor);
    const ctx = new OpContext(name, args.map((a) => isTensor(a) && a.requiresGrad));
    const result = noGrad(() => def.forward(ctx, ...args));
    if (!isTensor(result)) throw new Error(`${name}: forward must return a Tensor, it returned ${typeof result}`);
    // a tensor object of its own for the graph node, even when forward returned an argument or a view of one
    const out = result.detach();
    const y = record(out, kindFor(inputs.length), inputs, (g) => {
      const r = def.backward(ctx, g);
      const grads = Array.isArray(r) ? r : [r];
      if (grads.length !== args.length && !(grads.length === 1 && inputs.length === 1)) {
        throw new Error(`${name}: backward returned ${grads.length} gradients for ${args.length} arguments; return one per argument (null where none)`);
      }
      return positions.map((p, k) => {
        const gk = grads.length === args.length ? grads[p] : grads[k];
        if (gk !== null && gk !== undefined && !isTensor(gk)) {
          throw new Error(`${name}: backward returned ${typeof gk} for argument ${p}; expected a Tensor or null`);
        }
        return gk ?? null;
      });
    }, false);
    // user code sees the gradients: it may keep them, so the engine never reuses their storage
    if (y.gradFn) y.gradFn.opaque = true;
    return y;
  };
}
