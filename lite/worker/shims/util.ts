// node:util in the tab: inspect and format as the worker's console prints them.
import { format, inspect } from "../format";

export { format, inspect };
export const TextEncoder = globalThis.TextEncoder;
export const TextDecoder = globalThis.TextDecoder;
export const types = {
  isTypedArray: (x: unknown): boolean => ArrayBuffer.isView(x) && !(x instanceof DataView),
  isPromise: (x: unknown): boolean => x instanceof Promise,
};
export function promisify<T>(f: (...a: unknown[]) => void): (...a: unknown[]) => Promise<T> {
  return (...a) => new Promise((ok, no) => f(...a, (e: unknown, v: T) => (e ? no(e) : ok(v))));
}
export default { format, inspect, TextEncoder, TextDecoder, types, promisify };
