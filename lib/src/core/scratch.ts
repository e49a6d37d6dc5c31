// Work arrays for values that live only inside one call: a fused op's intermediate
// products, reused from call to call so that they cost no allocation.
const pool: Float32Array[] = [];

/**
 * A work array of n floats (not zeroed) from slot `slot`, reused across calls so that a
 * temporary costs no allocation. Only for values that do not outlive the call that asked.
 */
export function scratch(slot: number, n: number): Float32Array {
  let buf = pool[slot];
  if (!buf || buf.length < n) buf = pool[slot] = new Float32Array(Math.max(n, Math.ceil((buf?.length ?? 0) * 1.5)));
  return buf.length === n ? buf : buf.subarray(0, n);
}
