// Module: the base of every layer and model. Parameters and submodules are found by
// reflection over a module's own properties (in the order the constructor assigned them),
// so a layer is written as a plain class: `this.weight = Parameter(...)`,
// `this.fc = new Linear(...)`. Dotted names ("h.0.attn.cAttn.weight") follow PyTorch's.
import { noGrad } from "../core/autograd";
import { moduleBundle } from "../display/module";
import { fmt, sameShape } from "../core/shape";
import { Tensor } from "../tensor";

const parameters = new WeakSet<Tensor>();
/** The shape of each module's latest output from call(), for its summary. */
const lastOutputShape = new WeakMap<Module, readonly number[]>();

/** forward() may return a record, like GPT's {logits, loss}: its first tensor stands for it. */
function firstTensorShape(y: unknown): readonly number[] | undefined {
  // plain records only: walking a large array's entries would cost more than the forward
  if (typeof y !== "object" || y === null || Object.getPrototypeOf(y) !== Object.prototype) return undefined;
  for (const v of Object.values(y)) if (v instanceof Tensor) return v.shape;
  return undefined;
}

/** Mark a leaf tensor as a learnable parameter of the module it is assigned to. */
export function Parameter(t: Tensor, requiresGrad = true): Tensor {
  if (!t.isLeaf) throw new Error("Parameter(): a parameter must be a leaf tensor (use detach() first)");
  if (t.dtype !== "float32") throw new Error(`Parameter(): parameters are float32, got ${t.dtype}`);
  t.requiresGrad_(requiresGrad);
  parameters.add(t);
  return t;
}

/**
 * Whether x is a tensor marked with Parameter(), i.e. one that modules list as learnable.
 * @example isParameter(new nn.Linear(2, 3).weight) // true
 */
export function isParameter(x: unknown): x is Tensor {
  return x instanceof Tensor && parameters.has(x);
}

export type StateDict = Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * The base of every layer and model, like torch.nn.Module: assign Parameters and submodules
 * to properties in the constructor, write forward(), and parameters(), stateDict(), train()
 * and eval() find them by reflection.
 * @example class MLP extends nn.Module { fc = new nn.Linear(2, 8); override forward(x: Tensor) { return this.fc.call(x).relu(); } }
 */
export class Module {
  /** Dropout and similar layers behave differently in training and in evaluation. */
  training = true;

  constructor() {
    // Kept off the enumerable properties so that reflection sees only layers and tensors.
    Object.defineProperty(this, "bufferNames", { value: new Map<string, boolean>(), enumerable: false });
  }

  /** @internal buffer name -> persistent (saved in stateDict) */
  declare readonly bufferNames: Map<string, boolean>;

  /**
   * The computation: each layer defines it; call() runs it and notes the output shape for
   * the module summary.
   * @example const y = model.forward(x);
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(..._args: any[]): any {
    throw new Error(`${this.constructor.name}.forward() is not implemented`);
  }

  /** Same as forward(): model.call(x) reads like PyTorch's model(x). */
  call(...args: Parameters<this["forward"]>): ReturnType<this["forward"]> {
    const y = this.forward(...args);
    // remembered for the summary's output shape column; a map lookup, not a copy
    const shape = y instanceof Tensor ? y.shape : firstTensorShape(y);
    if (shape) lastOutputShape.set(this, shape);
    return y;
  }

  /** A tensor that belongs to the module's state but is not learned (e.g. an attention mask). */
  registerBuffer(name: string, t: Tensor, persistent = true): void {
    (this as unknown as Record<string, unknown>)[name] = t;
    this.bufferNames.set(name, persistent);
  }

  // ---- traversal --------------------------------------------------------------------

  /**
   * The direct submodules with their property names, in assignment order.
   * @example for (const [name, m] of model.namedChildren()) console.log(name, m.constructor.name);
   */
  *namedChildren(): Generator<[string, Module]> {
    for (const [k, v] of Object.entries(this)) if (v instanceof Module) yield [k, v];
  }

  /**
   * The direct submodules, in assignment order.
   * @example model.children().length
   */
  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** Every module in the tree, this one first (name ""), each once. */
  namedModules(prefix = "", seen = new Set<Module>()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [k, m] of this.namedChildren()) out.push(...m.namedModules(prefix ? `${prefix}.${k}` : k, seen));
    return out;
  }

  /**
   * Every module in the tree, this one first, each once.
   * @example model.modules().filter((m) => m instanceof nn.Linear).length
   */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** The module's own parameters (not its children's), in assignment order. */
  *ownParameters(): Generator<[string, Tensor]> {
    for (const [k, v] of Object.entries(this)) if (isParameter(v)) yield [k, v];
  }

  /**
   * Every parameter with its dotted name. A tensor shared by two modules (a tied weight)
   * is listed once, under its first name. Frozen parameters have requiresGrad false.
   */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${k}` : k, p]);
      }
    }
    return out;
  }

  /**
   * Every parameter of the tree, a tied weight once: what an optimiser takes.
   * @example const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
   */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * The buffers (state that is not learned, like BatchNorm's running statistics) with dotted names.
   * @example bn.namedBuffers().map(([n]) => n) // ["runningMean", "runningVar", "numBatchesTracked"]
   */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const name of m.bufferNames.keys()) {
        const t = (m as unknown as Record<string, unknown>)[name];
        if (t instanceof Tensor) out.push([prefix ? `${prefix}.${name}` : name, t]);
      }
    }
    return out;
  }

  // ---- modes and gradients ------------------------------------------------------------

  /**
   * Put every module of the tree in training mode (dropout drops, batch norm uses the
   * batch's statistics), or in evaluation mode with false.
   * @example model.train();
   */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /**
   * Evaluation mode for the whole tree, train(false): dropout off, running statistics.
   * @example model.eval(); const { logits } = model.call(x);
   */
  eval(): this {
    return this.train(false);
  }

  /** requiresGrad_(false) freezes every parameter; true makes them all trainable again. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /** Drop the gradients (set them to null, like PyTorch's default). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** fn on every submodule, children first and this module last (PyTorch's order). */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- state --------------------------------------------------------------------------

  /**
   * Parameters and persistent buffers by dotted name. Unlike PyTorch, the tensors are
   * copies: a state dict taken before training stays a snapshot of that moment. A tied
   * weight appears under each of its names, as in PyTorch.
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [k, t] of this.stateEntries()) out[k] = t.detach().clone();
    return out;
  }

  /** Parameters and persistent buffers under every dotted name they have (tied weights twice). */
  private stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      const at = (k: string) => (prefix ? `${prefix}.${k}` : k);
      for (const [k, p] of m.ownParameters()) out.push([at(k), p]);
      for (const [k, persistent] of m.bufferNames) {
        const t = (m as unknown as Record<string, unknown>)[k];
        if (persistent && t instanceof Tensor) out.push([at(k), t]);
      }
    }
    return out;
  }

  /**
   * Copy values into the parameters and buffers, in place (optimisers keep their
   * references). A shape mismatch is always an error; with strict (the default) so are
   * missing and unexpected keys, each named.
   */
  loadStateDict(sd: StateDict, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const targets = new Map(this.stateEntries());
    const missingKeys = [...targets.keys()].filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !targets.has(k));
    const problems: string[] = [];
    for (const [k, t] of targets) {
      const src = sd[k];
      if (src && !sameShape(src.shape, t.shape)) {
        problems.push(`size mismatch for ${k}: the checkpoint has shape ${fmt(src.shape)}, the model ${fmt(t.shape)}`);
      }
    }
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(", ")}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(", ")}`);
    if (problems.length) {
      throw new Error(`loadStateDict(): ${this.constructor.name} could not load the state dict:\n  ${problems.join("\n  ")}`);
    }
    noGrad(() => {
      for (const [k, t] of targets) if (sd[k]) t.copy_(sd[k].to(t.dtype));
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing -----------------------------------------------------------------------

  /** The part inside the parentheses of this module's line, e.g. "in=2, out=16". */
  extraRepr(): string {
    return "";
  }

  /**
   * The tree as PyTorch prints it: each module's line with its extraRepr, children indented.
   * @example console.log(String(model))
   */
  toString(): string {
    const kids = [...this.namedChildren()];
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!kids.length) return `${head})`;
    const lines = kids.map(([k, m]) => `  (${k}): ${m.toString().split("\n").join("\n  ")}`);
    return `${head}${this.extraRepr() ? ", " : ""}\n${lines.join("\n")}\n)`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /**
   * In a notebook: the structure as text, a table of the parameters as HTML, and a summary
   * (rows per submodule, totals, output shapes of modules run through call()).
   */
  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return moduleBundle(this, (m) => lastOutputShape.get(m));
  }
}

/**
 * An indexable list of modules; their names are their positions ("h.0", "h.1", ...).
 * @example const blocks = new nn.ModuleList([new Block(cfg), new Block(cfg)]); blocks[0]; blocks.at(-1);
 */
export class ModuleList<T extends Module = Module> extends Module implements Iterable<T> {
  [index: number]: T;
  declare readonly size: number;

  constructor(modules: Iterable<T> = []) {
    super();
    Object.defineProperty(this, "size", { value: 0, writable: true, enumerable: false });
    for (const m of modules) this.push(m);
  }

  /** How many modules the list holds. */
  get length(): number {
    return this.size;
  }

  /**
   * Append a module; its name is its position.
   * @example layers.push(new nn.Linear(8, 8));
   */
  push(m: T): this {
    if (!(m instanceof Module)) throw new Error(`${this.constructor.name}.push(): expected a Module, got ${typeof m}`);
    this[this.size] = m;
    (this as { size: number }).size++;
    return this;
  }

  /**
   * The module at position i; negative i counts from the end.
   * @example model.h.at(-1)
   */
  at(i: number): T {
    const k = i < 0 ? i + this.size : i;
    if (k < 0 || k >= this.size) throw new Error(`${this.constructor.name}.at(): index ${i} is out of range for ${this.size} modules`);
    return this[k];
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.size; i++) yield this[i];
  }
}

/**
 * Modules by name, like PyTorch's nn.ModuleDict: their names are the keys
 * ("heads.query.weight"), in insertion order. A Map's get/set/has/delete/keys/values/entries.
 * @example const heads = new nn.ModuleDict({ cls: new nn.Linear(64, 10), box: new nn.Linear(64, 4) });
 */
export class ModuleDict<T extends Module = Module> extends Module implements Iterable<[string, T]> {
  /** Keys in insertion order; the modules live in same-named properties, so reflection finds them. */
  declare private readonly order: string[];

  constructor(modules: Record<string, T> | Iterable<[string, T]> = {}) {
    super();
    Object.defineProperty(this, "order", { value: [], enumerable: false });
    const entries = Symbol.iterator in modules ? (modules as Iterable<[string, T]>) : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  /** How many modules the dict holds. */
  get size(): number {
    return this.order.length;
  }

  /** Add or replace the module under key. */
  set(key: string, m: T): this {
    const name = this.constructor.name;
    if (typeof key !== "string" || key === "" || key.includes(".")) {
      throw new Error(`${name}.set(): a key must be a non-empty string without ".", got ${JSON.stringify(key)}`);
    }
    if (!(m instanceof Module)) throw new Error(`${name}.set(): expected a Module for "${key}", got ${typeof m}`);
    // a key named like a method or field would hide it
    if (!this.has(key) && key in this) throw new Error(`${name}.set(): "${key}" is the name of a ${name} member; choose another key`);
    if (!this.has(key)) this.order.push(key);
    (this as unknown as Record<string, T>)[key] = m;
    return this;
  }

  /** The module under key; an error naming the keys there are if there is none. */
  get(key: string): T {
    if (!this.has(key)) throw new Error(`${this.constructor.name}.get(): no module "${key}"; the keys are ${this.order.join(", ") || "(none)"}`);
    return (this as unknown as Record<string, T>)[key];
  }

  /** Whether a module is stored under key. */
  has(key: string): boolean {
    return this.order.includes(key);
  }

  /** Remove key; true if it was there. */
  delete(key: string): boolean {
    const i = this.order.indexOf(key);
    if (i < 0) return false;
    this.order.splice(i, 1);
    delete (this as unknown as Record<string, T>)[key];
    return true;
  }

  /** The keys, in insertion order. */
  keys(): string[] {
    return [...this.order];
  }

  /** The modules, in insertion order. */
  values(): T[] {
    return this.order.map((k) => this.get(k));
  }

  /** [key, module] pairs, in insertion order. */
  entries(): [string, T][] {
    return this.order.map((k) => [k, this.get(k)]);
  }

  override *namedChildren(): Generator<[string, Module]> {
    yield* this.entries();
  }

  *[Symbol.iterator](): Iterator<[string, T]> {
    yield* this.entries();
  }
}

/**
 * Modules applied one after another: forward(x) = mN(...m2(m1(x))); named "0", "1", ...
 * @example const net = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 1));
 */
export class Sequential extends ModuleList<Module> {
  constructor(...modules: Module[]) {
    super(modules);
  }

  override forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this) y = m.call(y);
    return y;
  }
}
