// Errors report cell lines: tslab emits a cell in two stages (the program's emit with an
// inline source map, then transpileModule), so each line of the JavaScript that runs is
// mapped back through both source maps to the line of the cell it came from.
import type * as TS from "typescript";
import type { Ts } from "./typescript";

const base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const base64Index = new Map([...base64].map((c, i) => [c, i]));

/** For each generated line, the source line (0-based) of its first mapping, or -1. */
function decodeLineMap(mappings: string): number[] {
  const lines: number[] = [];
  let srcLine = 0;
  for (const line of mappings.split(";")) {
    let first = -1;
    for (const seg of line.split(",")) {
      if (!seg) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = base64Index.get(ch) ?? 0;
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      if (fields.length >= 4) {
        srcLine += fields[2];
        if (first < 0) first = srcLine;
      }
    }
    lines.push(first);
  }
  return lines;
}

function lookup(lines: number[], line: number): number {
  for (let l = Math.min(line, lines.length - 1); l >= 0; l--) if (lines[l] >= 0) return lines[l];
  return -1;
}

const inlineMapPattern = /\n?\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

/** Line maps (generated JS line → 0-based cell line) of recently converted outputs. */
const lineMaps = new Map<string, number[]>();

/** Takes the line map of a converted output (once). */
export function takeLineMap(output: string): number[] | undefined {
  const map = lineMaps.get(output);
  lineMaps.clear();
  return map;
}

/**
 * tslab's second stage, `ts.transpileModule`, made to keep a map from the JavaScript it
 * returns to the cell's lines (kept for takeLineMap) and to drop the inline source map.
 */
export function mappedTranspile(ts: Ts): (input: string, options: TS.TranspileOptions) => TS.TranspileOutput {
  return (input, options) => {
    const m = inlineMapPattern.exec(input);
    if (!m) return ts.transpileModule(input, options);
    const first = decodeLineMap(JSON.parse(Buffer.from(m[1], "base64").toString("utf8")).mappings);
    const js = input.slice(0, m.index);
    const out = ts.transpileModule(js, { ...options, compilerOptions: { ...options.compilerOptions, sourceMap: true } });
    const outputText = out.outputText.replace(/\n?\/\/# sourceMappingURL=.*\s*$/, "\n");
    if (out.sourceMapText) {
      const second = decodeLineMap(JSON.parse(out.sourceMapText).mappings);
      // Cell sources carry a one-line prefix ("export {};") in front of the user's code.
      lineMaps.set(
        outputText,
        second.map((_, line) => {
          const jsLine = lookup(second, line);
          const src = jsLine < 0 ? -1 : lookup(first, jsLine);
          return src < 0 ? -1 : src - 1;
        }),
      );
    }
    return { ...out, outputText };
  };
}
