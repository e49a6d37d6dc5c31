// Bundles come from a kernel and from saved notebooks, so every field is checked before
// it is used. A failed check names the field, and the renderer draws that in its error box.
import { BUDGETS } from "./mime";

export class BundleError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "BundleError";
  }
}

/** Shapes above this many elements are refused before anything is allocated. */
export const MAX_ELEMENTS = 1 << 26;

/** What a bundle held instead, in words: a field left out is "nothing", not "a undefined". */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing (the field is missing)";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return typeof v === "string" ? `the string "${v.slice(0, 40)}"` : `a ${typeof v}`;
}

export function record(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new BundleError(field, `expected an object, got ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

export function string(v: unknown, field: string): string {
  if (typeof v !== "string") throw new BundleError(field, `expected a string, got ${describe(v)}`);
  return v;
}

export function optionalString(v: unknown, field: string): string | undefined {
  return v === undefined || v === null ? undefined : string(v, field);
}

export function number(v: unknown, field: string): number {
  // JSON has no NaN or Infinity: the kernel's JSON.stringify turns them into null
  if (v === null) return NaN;
  if (typeof v !== "number") throw new BundleError(field, `expected a number, got ${describe(v)}`);
  return v;
}

export function boolean(v: unknown, field: string): boolean {
  if (typeof v !== "boolean") throw new BundleError(field, `expected true or false, got ${describe(v)}`);
  return v;
}

export function array(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new BundleError(field, `expected an array, got ${describe(v)}`);
  return v;
}

export function numbers(v: unknown, field: string): number[] {
  return array(v, field).map((x, i) => number(x, `${field}[${i}]`));
}

export function strings(v: unknown, field: string): string[] {
  return array(v, field).map((x, i) => string(x, `${field}[${i}]`));
}

/**
 * A shape: whole numbers >= 0, at most BUDGETS.tensorDims dims, at most `maxElements`
 * elements (a shape that only describes may claim more than one whose values are at hand).
 */
export function shape(v: unknown, field: string, maxElements = MAX_ELEMENTS): number[] {
  const dims = array(v, field);
  if (dims.length > BUDGETS.tensorDims) {
    throw new BundleError(field, `has ${dims.length} dimensions; at most ${BUDGETS.tensorDims} are drawn`);
  }
  let n = 1;
  const out = dims.map((d, i) => {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new BundleError(`${field}[${i}]`, `expected a whole number >= 0, got ${describe(d)}`);
    }
    n *= d;
    return d;
  });
  if (n > maxElements) throw new BundleError(field, `[${out.join(", ")}] has ${n} elements, more than ${maxElements}`);
  return out;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The bundle's version: only 1 exists. */
export function version(v: unknown, field = "version"): 1 {
  if (v !== 1) throw new BundleError(field, `expected 1, got ${describe(v)}; this extension reads version 1`);
  return 1;
}
