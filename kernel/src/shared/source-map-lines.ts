// Source maps read only as far as errors need: which source line each generated line starts
// from. Shared by the Node kernel's compiler and the browser tab's worker (no imports).

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** For each generated line of a source map's `mappings`, the 0-based source line of its first segment, or -1. */
export function firstSourceLines(mappings: string): number[] {
  const lines: number[] = [];
  let source = 0;
  for (const line of mappings.split(";")) {
    let first = -1;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      // fields: column, source index, source line, source column (each a delta, base64 VLQ)
      const fields: number[] = [];
      let value = 0, shift = 0;
      for (const ch of segment) {
        const digit = BASE64.indexOf(ch);
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
        source += fields[2];
        if (first < 0) first = source;
      }
    }
    lines.push(first);
  }
  return lines;
}
