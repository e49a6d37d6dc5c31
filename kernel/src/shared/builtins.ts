// Built-ins the kernel's own machinery uses, captured when the kernel loads. Cells share
// the kernel's global scope, so a cell that replaces `JSON.stringify`, `Buffer.from` or
// `Date.prototype.toISOString` would otherwise break the kernel's replies and leave it
// silent; with these, such a cell breaks only itself and the code that uses what it changed.
import { setTimeout as rawSetTimeout } from "node:timers";

const apply = Reflect.apply;
const stringify = JSON.stringify;
const parse = JSON.parse;
const toISOString = Date.prototype.toISOString;
const now = Date.now;
const DateCtor = Date;
const BufferCtor = Buffer;
const bufferFrom = Buffer.from;
const byteLength = Buffer.byteLength;
const push = Array.prototype.push;
const slice = Array.prototype.slice;
const PromiseCtor = Promise;

export const safe = {
  stringify: (value: unknown): string => apply(stringify, JSON, [value]) as string,
  parse: (text: string): unknown => apply(parse, JSON, [text]),
  /** The current time as an ISO 8601 string, for message headers. */
  isoNow: (): string => apply(toISOString, new DateCtor(), []) as string,
  now: (): number => apply(now, DateCtor, []) as number,
  bufferFrom: ((...args: unknown[]) => apply(bufferFrom, BufferCtor, args)) as unknown as typeof Buffer.from,
  byteLength: (text: string): number => apply(byteLength, BufferCtor, [text]) as number,
  push: <T>(array: T[], item: T): void => void apply(push, array, [item]),
  /** A promise the caller resolves (the global `Promise` may have been replaced). */
  promise: <T>(executor: (resolve: (v: T) => void) => void): Promise<T> => new PromiseCtor<T>(executor),
  sleep: (ms: number): Promise<void> => new PromiseCtor<void>((resolve) => rawSetTimeout(resolve, ms)),
  slice: <T>(array: T[], start: number, end?: number): T[] => apply(slice, array, end === undefined ? [start] : [start, end]) as T[],
};

/** Where intrinsics live that the kernel, Node's libraries and chainlab call as methods. */
const guarded: [object, string, string][] = [];
for (const key of ["push", "pop", "shift", "unshift", "slice", "splice", "map", "filter", "forEach", "join", "concat", "indexOf", "includes", "findIndex", "find", "some", "every", "reduce", "sort", "reverse", "fill"]) {
  guarded[guarded.length] = [Array.prototype, key, `Array.prototype.${key}`];
}
for (const key of ["then", "catch", "finally"]) guarded[guarded.length] = [Promise.prototype, key, `Promise.prototype.${key}`];
for (const key of ["call", "apply", "bind"]) guarded[guarded.length] = [Function.prototype, key, `Function.prototype.${key}`];
for (const key of ["keys", "entries", "assign", "defineProperty"]) guarded[guarded.length] = [Object, key, `Object.${key}`];
guarded[guarded.length] = [globalThis, "Promise", "Promise"];
guarded[guarded.length] = [globalThis, "Map", "Map"];
guarded[guarded.length] = [globalThis, "Set", "Set"];

/**
 * Captures the intrinsics above; `restore` puts back any a cell replaced (at once when its
 * code returns, before the kernel's own code runs again), `take` names them once. These cannot be captured like JSON.stringify: Node's own libraries (zeromq,
 * crypto) and the library call them as methods. So a cell's replacement lives as long as
 * the cell; JSON, Date and Buffer functions, which the kernel no longer needs, stay as the
 * cell left them.
 */
export function intrinsicsGuard(): { restore: () => void; take: () => string[] } {
  const descriptors: (PropertyDescriptor | undefined)[] = [];
  const getDescriptor = Object.getOwnPropertyDescriptor;
  const define = Object.defineProperty;
  const iterator = Array.prototype[Symbol.iterator];
  for (let i = 0; i < guarded.length; i++) descriptors[i] = getDescriptor(guarded[i][0], guarded[i][1]);
  let restored: string[] = [];
  const restore = () => {
    // First, and no destructuring before it: that iterates arrays.
    if (Array.prototype[Symbol.iterator] !== iterator) {
      define(Array.prototype, Symbol.iterator, { value: iterator, writable: true, configurable: true, enumerable: false });
      restored[restored.length] = "Array.prototype[Symbol.iterator]";
    }
    for (let i = 0; i < guarded.length; i++) {
      const target = guarded[i][0], key = guarded[i][1], name = guarded[i][2];
      const was = descriptors[i];
      const now = getDescriptor(target, key);
      if (!was || (now && now.value === was.value && now.get === was.get)) continue;
      try {
        define(target, key, was);
        restored[restored.length] = name;
      } catch {
        // Frozen by the cell: nothing to do but say so below.
        restored[restored.length] = `${name} (frozen, could not be put back)`;
      }
    }
  };
  const take = () => {
    const names = restored;
    restored = [];
    return names;
  };
  return { restore, take };
}
