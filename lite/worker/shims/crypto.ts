// node:crypto in the tab: random bytes from the page's generator.
import { Buffer } from "./buffer";
export function randomBytes(n: number): Buffer {
  const b = new Buffer(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
}
export function randomUUID(): string { return globalThis.crypto.randomUUID(); }
export default { randomBytes, randomUUID };
