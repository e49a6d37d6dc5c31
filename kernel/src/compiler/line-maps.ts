// Errors report cell lines: tslab emits a cell in two stages (the program's emit with an
// inline source map, then transpileModule), so each line of the JavaScript that runs is
// mapped back through both source maps to the line of the cell it came from.
import type * as TS from "typescript";
import type { Ts } from "./typescript";
import { firstSourceLines } from "../shared/source-map-lines";

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
    const first = firstSourceLines(JSON.parse(Buffer.from(m[1], "base64").toString("utf8")).mappings);
    const js = input.slice(0, m.index);
    const out = ts.transpileModule(js, { ...options, compilerOptions: { ...options.compilerOptions, sourceMap: true } });
    const outputText = out.outputText.replace(/\n?\/\/# sourceMappingURL=.*\s*$/, "\n");
    if (out.sourceMapText) {
      const second = firstSourceLines(JSON.parse(out.sourceMapText).mappings);
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
