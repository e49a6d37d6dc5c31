// What each op's backward does, in a textbook's words. Every op declares its derivative
// beside its backward (`record(out, ADD, inputs, vjp)`), the graph display sends it with
// each node, and the backward walk shows it: one place for each rule, so what the learner
// reads is what the engine runs.

/** An op's derivative as a teacher writes it; inputs are named a, b, c, ... in the order the op read them. */
export interface Derivative {
  /** The forward computation, e.g. "y = a · b". */
  readonly forward: string;
  /** Per input: its local derivative, e.g. "∂y/∂a = b". */
  readonly local: readonly string[];
  /** Per input: the vector-Jacobian product sent back along its edge, e.g. "g · b". */
  readonly vjp: readonly string[];
  /** Elementwise ops that broadcast sum the gradient back down to each input's shape. */
  readonly broadcasts?: boolean;
}

/** What record() is told about an op: its name and its derivative. */
export interface OpKind<N extends string = string> {
  readonly name: N;
  readonly derivative: Derivative;
}

/** An op of several inputs, e.g. `opKind("mul", "y = a · b", ["∂y/∂a = b", "∂y/∂b = a"], ["g · b", "g · a"])`. */
export function opKind<N extends string>(name: N, forward: string, local: string[], vjp: string[], broadcasts = false): OpKind<N> {
  if (local.length !== vjp.length) throw new Error(`opKind('${name}'): ${local.length} local derivatives for ${vjp.length} vjps`);
  return { name, derivative: broadcasts ? { forward, local, vjp, broadcasts } : { forward, local, vjp } };
}

/** An op of one input. */
export function unaryKind<N extends string>(name: N, forward: string, local: string, vjp: string): OpKind<N> {
  return opKind(name, forward, [local], [vjp]);
}

/** The inputs' letters in derivatives: a, b, c, ... */
export function inputName(k: number): string {
  return k < 26 ? String.fromCharCode(97 + k) : `x${k}`;
}

/** For ops without a rule of their own (defineOp without one): says where the rule lives. */
export function genericKind(name: string, inputs: number): OpKind {
  const names = Array.from({ length: inputs }, (_, k) => inputName(k));
  return opKind(name, `y = ${name}(${names.join(", ")})`, names.map((n) => `∂y/∂${n} as ${name}'s backward defines it`), names.map((n) => `vjp of ${name} for ${n}`));
}
