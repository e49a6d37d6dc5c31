// The one definition of when a layer's gradient has vanished or exploded, of the log axis
// every gradient-flow view shares, and of how much of a run one view holds. The library's
// static picture and the extension's live one both import this file (it imports nothing),
// so they flag the same layers and draw on the same scale.
//
// The rule, as it is taught: the gradient enters at the output and is multiplied by one
// factor per layer on its way back; if those factors are small, the first layers get a
// gradient thousands of times smaller than the largest one (vanishing). If they are large,
// every layer's gradient is large: the weight gradient of a layer is its incoming gradient
// times its input, and when the weights are too large both grow together, so exploding
// gradients show as large absolute values (or NaN/Inf) rather than as a ratio between layers.

/** The numbers of the rule; printed with it in every view. */
export const GRADFLOW_RULE = {
  /** Vanishing: mean |grad| below the largest layer's mean |grad| at that step divided by this. */
  vanishingFactor: 1000,
  /** Vanishing whatever the other layers do: the whole network has stopped learning. */
  vanishingBelow: 1e-6,
  /** Exploding: mean |grad| above this... */
  explodingAbove: 1,
  /** ...or any single |grad| above this, or not finite. */
  explodingMaxAbove: 1000,
} as const;

export type GradFlag = "vanishing" | "exploding" | null;


/** The rule in one line, for a legend. */
export const GRADFLOW_RULE_TEXT =
  `vanishing: mean |grad| < 1/${GRADFLOW_RULE.vanishingFactor} of the largest (not exploding) layer's at that step, ` +
  `or < ${short(GRADFLOW_RULE.vanishingBelow)}; exploding: mean |grad| > ${short(GRADFLOW_RULE.explodingAbove)}, ` +
  `or max |grad| > ${short(GRADFLOW_RULE.explodingMaxAbove)} or not finite`;

export interface StepFlags {
  /** Index of the layer with the largest mean |grad| that is not exploding (-1 when none). */
  largest: number;
  /** Its mean |grad| (NaN when none). */
  largestMean: number;
  flags: GradFlag[];
  /** Why each flagged layer was flagged, in a few words beside its mean; "" when not flagged. */
  reasons: string[];
}

/** How many times smaller, for a reason: 3,500, 15,000, 2e7. */
function times(r: number): string {
  return r < 1e6 ? Number(r.toPrecision(2)).toLocaleString("en-US") : short(r);
}

/** A short number for the rule's text: 1.4e-7, 0.016, 3. */
export function short(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(1).replace("e+", "e").replace(".0e", "e") : String(Number(v.toPrecision(2)));
}

/**
 * Flags of the layers at one step. `mean[l]` and `max[l]` are layer l's mean and max |grad|;
 * a layer with `present[l]` false has no record at this step and is neither flagged nor a
 * reference.
 * @example flagLayers([1e-7, 1e-3, 2e-2], [1e-6, 1e-2, 0.1]).flags // ["vanishing", null, null]
 */
export function flagLayers(mean: ArrayLike<number>, max: ArrayLike<number>, present?: ArrayLike<number | boolean>): StepFlags {
  const n = mean.length;
  const here = (l: number) => !present || !!present[l];
  const R = GRADFLOW_RULE;
  // an exploding layer is no yardstick: next to it every healthy layer would look vanished
  const exploding = (m: number, x: number) => !Number.isFinite(m) || !Number.isFinite(x) || m > R.explodingAbove || x > R.explodingMaxAbove;
  let largest = -1;
  for (let l = 0; l < n; l++) {
    const m = mean[l];
    if (here(l) && !exploding(m, max[l]) && (largest < 0 || m > mean[largest])) largest = l;
  }
  const largestMean = largest >= 0 ? mean[largest] : NaN;
  const flags: GradFlag[] = new Array(n).fill(null);
  const reasons: string[] = new Array(n).fill("");
  for (let l = 0; l < n; l++) {
    if (!here(l)) continue;
    const m = mean[l], x = max[l];
    let flag: GradFlag = null, why = "";
    if (!Number.isFinite(m) || !Number.isFinite(x)) {
      flag = "exploding";
      why = `${Number.isFinite(m) ? "max" : "mean"} is ${Number.isFinite(m) ? x : m}`;
    } else if (m > R.explodingAbove) {
      flag = "exploding";
      why = `mean > ${short(R.explodingAbove)}`;
    } else if (x > R.explodingMaxAbove) {
      flag = "exploding";
      why = `max ${short(x)} > ${short(R.explodingMaxAbove)}`;
    } else if (m < R.vanishingBelow) {
      flag = "vanishing";
      why = `mean < ${short(R.vanishingBelow)}`;
    } else if (largestMean > 0 && m < largestMean / R.vanishingFactor) {
      flag = "vanishing";
      why = `1/${times(largestMean / m)} of the largest`;
    }
    flags[l] = flag;
    reasons[l] = flag ? `${flag}: ${why}` : "";
  }
  return { largest, largestMean, flags, reasons };
}

/**
 * The log10 range of the gradient bars and the heat strip's colours, the same in every view
 * so that networks compare by eye; a value outside it is drawn at the end it passed, marked.
 * It spans the rule's thresholds.
 */
export const GRADFLOW_AXIS = { lo: -8, hi: 3 } as const;
/** The same for the update ratio ‖Δw‖/‖w‖ per step. */
export const GRADFLOW_RATIO_AXIS = { lo: -6, hi: 0 } as const;

/**
 * How many layers and steps of a run one gradient-flow view holds within `cells` (layers x
 * steps): every layer up to cells/256 (one row each, so the view stays light, and each keeps at
 * least 256 steps), then as many of the steps as fit. The library sends no more; the renderer draws no more of what arrives.
 * @example gradflowCut(11, 400, 2 ** 16) // { layers: 11, steps: 400 }
 */
export function gradflowCut(layers: number, steps: number, cells: number): { layers: number; steps: number } {
  const l = Math.min(layers, Math.max(1, Math.floor(cells / 256)));
  return { layers: l, steps: Math.min(steps, Math.max(1, Math.floor(cells / Math.max(l, 1)))) };
}
