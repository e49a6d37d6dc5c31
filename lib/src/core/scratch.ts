// Work arrays for values that live only inside one call: a fused op's intermediate
// products, reused from call to call so that they cost no allocation. Each caller names
// its own, so that no two callers share one: a call that uses a buffer may call any other
// op without that op overwriting it. They are plain arrays, outside the storage pool: no
// tensor ever views one.

/**
 * One caller's reusable work array.
 * @example const SCORES = new Scratch("attention scores"); const s = SCORES.take(n);
 */
export class Scratch {
  private buf = new Float32Array(0);

  /** name: what the caller keeps in it, for a reader (and a debugger). */
  constructor(readonly name: string) {}

  /**
   * A work array of n floats (not zeroed). It is this caller's until its next take(): only
   * for values that do not outlive the call that asked.
   */
  take(n: number): Float32Array {
    if (this.buf.length < n) this.buf = new Float32Array(Math.max(n, Math.ceil(this.buf.length * 1.5)));
    return this.buf.length === n ? this.buf : this.buf.subarray(0, n);
  }
}
