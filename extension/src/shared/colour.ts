// Colour scales for heatmaps and strips, as packed RGB for canvas ImageData. Diverging
// (blue-white-red) centred on zero when values have both signs, sequential otherwise. NaN and
// ±Inf get colours of their own, outside both scales, so they can't pass for a value: not a
// hue that blue-white-red or viridis (dark purple, blue, green, yellow) passes through.

export type Rgb = readonly [number, number, number];

export const NAN_RGB: Rgb = [128, 128, 128]; // mid grey: no value, in both themes
export const POS_INF_RGB: Rgb = [255, 0, 255]; // magenta
export const NEG_INF_RGB: Rgb = [0, 255, 255]; // cyan

const BLUE: Rgb = [33, 102, 172];
const WHITE: Rgb = [247, 247, 247];
const RED: Rgb = [178, 24, 43];
// viridis, sampled: dark for small, yellow for large
const VIRIDIS: Rgb[] = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

export interface Scale {
  kind: "diverging" | "sequential";
  lo: number;
  hi: number;
  rgb(v: number): Rgb;
}

/** A scale for values within [min, max] (finite ones; NaN/Inf are coloured apart). */
export function scaleFor(min: number, max: number): Scale {
  const special = (v: number): Rgb | null =>
    v !== v ? NAN_RGB : v === Infinity ? POS_INF_RGB : v === -Infinity ? NEG_INF_RGB : null;
  if (!(min < 0)) {
    const lo = Number.isFinite(min) ? min : 0;
    const hi = Number.isFinite(max) && max > lo ? max : lo + 1;
    return {
      kind: "sequential", lo, hi,
      rgb: (v) => {
        const s = special(v);
        if (s) return s;
        const t = Math.max(0, Math.min(1, (v - lo) / (hi - lo))) * (VIRIDIS.length - 1);
        const i = Math.min(Math.floor(t), VIRIDIS.length - 2);
        return mix(VIRIDIS[i], VIRIDIS[i + 1], t - i);
      },
    };
  }
  const m = Math.max(Math.abs(min), Number.isFinite(max) ? Math.abs(max) : 0) || 1;
  return {
    kind: "diverging", lo: -m, hi: m,
    rgb: (v) => {
      const s = special(v);
      if (s) return s;
      const t = Math.max(-1, Math.min(1, v / m));
      return t >= 0 ? mix(WHITE, RED, t) : mix(WHITE, BLUE, -t);
    },
  };
}

export function css(rgb: Rgb): string {
  return `rgb(${Math.round(rgb[0])}, ${Math.round(rgb[1])}, ${Math.round(rgb[2])})`;
}

/** Black or white text, whichever reads on this background. */
export function textOn(rgb: Rgb): string {
  return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 140 ? "#111" : "#fff";
}
