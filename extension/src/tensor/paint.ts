// Painting cells into ImageData: one pass over the values, each looked up in a table of
// packed colours, so a million cells cost a few milliseconds and no per-cell objects.
import { NAN_RGB, NEG_INF_RGB, POS_INF_RGB, type Rgb, type Scale } from "../shared/colour";
import type { Values } from "./bundle";

const LUT_SIZE = 256;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function pack(rgb: Rgb): number {
  const r = Math.round(rgb[0]) & 255, g = Math.round(rgb[1]) & 255, b = Math.round(rgb[2]) & 255;
  return (LITTLE_ENDIAN ? ((255 << 24) | (b << 16) | (g << 8) | r) : ((r << 24) | (g << 16) | (b << 8) | 255)) >>> 0;
}

export interface Palette {
  lo: number;
  hi: number;
  lut: Uint32Array;
  nan: number;
  posInf: number;
  negInf: number;
}

export function palette(scale: Scale): Palette {
  const lut = new Uint32Array(LUT_SIZE);
  for (let i = 0; i < LUT_SIZE; i++) lut[i] = pack(scale.rgb(scale.lo + ((scale.hi - scale.lo) * i) / (LUT_SIZE - 1)));
  return { lo: scale.lo, hi: scale.hi, lut, nan: pack(NAN_RGB), posInf: pack(POS_INF_RGB), negInf: pack(NEG_INF_RGB) };
}

/** Where one 2-D picture of the values lies: cell (r, c) is values[offset + r * rowStride + c] while below end. */
export interface Grid {
  offset: number;
  end: number;
  rows: number;
  cols: number;
  rowStride: number;
}

/** Fill pixels (rows * cols, packed RGBA) from the grid's values; cells past end stay transparent. */
export function paintCells(pixels: Uint32Array, values: Values, g: Grid, p: Palette): void {
  const { lut, lo, nan, posInf, negInf } = p;
  const k = (LUT_SIZE - 1) / (p.hi - p.lo || 1);
  const top = LUT_SIZE - 1;
  let o = 0;
  for (let r = 0; r < g.rows; r++) {
    let i = g.offset + r * g.rowStride;
    for (let c = 0; c < g.cols; c++, i++, o++) {
      if (i >= g.end) {
        pixels[o] = 0;
        continue;
      }
      const v = values[i];
      if (v !== v) pixels[o] = nan;
      else if (v === Infinity) pixels[o] = posInf;
      else if (v === -Infinity) pixels[o] = negInf;
      else {
        const t = ((v - lo) * k + 0.5) | 0;
        pixels[o] = lut[t < 0 ? 0 : t > top ? top : t];
      }
    }
  }
}
