// Shape arithmetic shared by every op: sizes, strides, broadcasting and dim checks, with
// errors that say which op and which shapes are at fault.
import { BUDGETS } from "../display/contract";

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Refuse a shape of more dims than the library supports (BUDGETS.tensorDims): printing,
 * displays and every op walk dims one call deep each, so a 10,000-dim shape would overflow
 * the stack long after it was accepted.
 */
export function checkDims(op: string, shape: readonly number[]): void {
  if (shape.length > BUDGETS.tensorDims) {
    const shown = shape.length > 12 ? `[${shape.slice(0, 6).join(", ")}, ... ${shape.length - 6} more]` : fmt(shape);
    throw new Error(`${op}: shape ${shown} has ${shape.length} dimensions; chainlab supports at most ${BUDGETS.tensorDims}`);
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expect) return false;
    expect *= shape[d];
  }
  return true;
}

/** A dim that may be negative, checked against ndim (ndim + 1 where a new axis may go). */
export function normDim(op: string, dim: number, shape: readonly number[], extra = 0): number {
  // a 0-d tensor accepts dim 0 and -1, like PyTorch (both name the tensor itself)
  const nd = Math.max(shape.length + extra, 1);
  if (!Number.isInteger(dim) || dim < -nd || dim >= nd) {
    const range = shape.length + extra === 0 ? "only 0 or -1" : `${-nd}..${nd - 1}`;
    throw new Error(`${op}(): dim ${dim} is out of range for a tensor of shape ${fmt(shape)} (dims are ${range})`);
  }
  return dim < 0 ? dim + nd : dim;
}

/** NumPy broadcasting: align trailing dims; each pair must match or be 1. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const nd = Math.max(a.length, b.length);
  const out = new Array<number>(nd);
  for (let i = 1; i <= nd; i++) {
    const x = a.length - i >= 0 ? a[a.length - i] : 1;
    const y = b.length - i >= 0 ? b[b.length - i] : 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new Error(
        `${op}(): shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together: at dim -${i} the sizes are ${x} and ${y} ` +
          `(they must be equal, or one of them 1)`,
      );
    }
    out[nd - i] = x === 1 ? y : x;
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if it had the broadcast shape `target`. */
export function broadcastStrides(shape: readonly number[], strides: readonly number[], target: readonly number[]): number[] {
  const out = new Array<number>(target.length).fill(0);
  const added = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[added + i] = shape[i] === 1 ? 0 : strides[i];
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Check a requested shape, resolving one -1 from the element count. */
export function resolveShape(op: string, from: readonly number[], to: readonly number[]): number[] {
  checkDims(`${op}()`, to);
  const n = numel(from);
  let inferred = -1;
  let known = 1;
  to.forEach((d, i) => {
    if (d === -1) {
      if (inferred >= 0) throw new Error(`${op}(): only one dimension can be -1, got ${fmt(to)}`);
      inferred = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${op}(): invalid size ${d} in shape ${fmt(to)}`);
    } else known *= d;
  });
  const out = [...to];
  if (inferred >= 0) {
    if (known === 0 || n % known !== 0) {
      throw new Error(`${op}(): cannot reshape a tensor of shape ${fmt(from)} (${n} elements) into ${fmt(to)}`);
    }
    out[inferred] = n / known;
  } else if (known !== n) {
    throw new Error(
      `${op}(): cannot reshape a tensor of shape ${fmt(from)} (${n} elements) into ${fmt(to)} (${known} elements)`,
    );
  }
  return out;
}
