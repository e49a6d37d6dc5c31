// Picking the next token from a row of logits, as GPT.generate does: temperature, then top-k,
// then top-p (nucleus, Holtzman et al. 2019), then one draw from the seeded default generator
// by inverting the cumulative distribution. The order is transformers' for the same options.
import { defaultGenerator } from "../core/random";

export interface SamplingOptions {
  /** Divides the logits: below 1 sharpens, above 1 flattens; 0 or less picks the argmax. */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /**
   * Sample only among the most likely tokens whose probabilities add up to topP (the token
   * that crosses it included), in (0, 1]; 1 keeps all.
   */
  topP?: number;
}

/** Throws when topK or topP is out of range, naming the option. */
export function checkSamplingOptions(opts: SamplingOptions, where = "generate()"): void {
  const { topK, topP } = opts;
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) throw new Error(`${where}: topK must be a positive integer, got ${topK}`);
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw new Error(`${where}: topP must be in (0, 1], got ${topP}`);
}

/**
 * One token id from logits. Uses one number of the default generator unless the choice is
 * the argmax (temperature <= 0 or topK 1).
 * @example nn.sampleNext(lastLogits, { temperature: 0.8, topP: 0.9 })
 */
export function sampleNext(logits: ArrayLike<number>, opts: SamplingOptions = {}): number {
  const temperature = opts.temperature ?? 1;
  const { topK, topP } = opts;
  const n = logits.length;
  if (temperature <= 0 || topK === 1) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const z = Array.from(logits, (v) => v / temperature);
  if (topK !== undefined && topK < n) {
    const kth = [...z].sort((a, b) => b - a)[Math.max(topK, 1) - 1];
    for (let i = 0; i < n; i++) if (z[i] < kth) z[i] = -Infinity;
  }
  const max = Math.max(...z);
  const p = z.map((v) => Math.exp(v - max));
  let total = p.reduce((a, b) => a + b, 0);
  if (topP !== undefined && topP < 1) {
    // most likely first; keep tokens while the mass before them is under topP
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
    let before = 0, kept = 0;
    for (const i of order) {
      if (before >= topP * total) p[i] = 0;
      else {
        before += p[i];
        kept += p[i];
      }
    }
    total = kept;
  }
  let u = defaultGenerator.random() * total;
  for (let i = 0; i < n; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  for (let i = n - 1; i >= 0; i--) if (p[i] > 0) return i;
  return n - 1;
}
