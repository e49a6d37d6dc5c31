// Numbers the way PyTorch prints a tensor (torch/_tensor_str.py, default options): one format
// for all the values shown, chosen from them — whole numbers "3.", fixed "0.1235", or
// scientific "1.2346e-05" when they span more than 1000× or reach 1e8 — and the width of the
// widest. The library's printing and the extension's tables both use it (no imports: it
// runs in the browser too).

const PRECISION = 4;

/** Python's "{:.4e}": the exponent has a sign and at least two digits. */
function sci(v: number): string {
  const [m, e] = v.toExponential(PRECISION).split("e");
  return `${m}e${e[0] === "-" ? "-" : "+"}${e.replace(/^[+-]/, "").padStart(2, "0")}`;
}

/** Python's "{:.Nf}", which keeps the sign of -0. */
function fixed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return (Object.is(v, -0) || v < 0) && !s.startsWith("-") ? "-" + s : s;
}

function special(v: number): string {
  return v !== v ? "nan" : v > 0 ? "inf" : "-inf";
}

export interface NumberFormat {
  /** Characters of the widest value shown. */
  width: number;
  /** One value, unpadded. */
  format(v: number | bigint): string;
}

/** The one format PyTorch would pick for these values (integer dtypes print as plain integers, bigints whole). */
export function numberFormat(values: ArrayLike<number | bigint>, isInt: boolean): NumberFormat {
  let width = 1;
  if (isInt) {
    for (let i = 0; i < values.length; i++) width = Math.max(width, String(values[i]).length);
    return { width, format: (v) => String(v) };
  }
  // loops, not Math.min(...values): a summary of 8 dims can show a million values
  let min = Infinity, max = 0, allInt = true, any = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v) || v === 0) continue;
    any = true;
    const a = Math.abs(v);
    if (a < min) min = a;
    if (a > max) max = a;
    if (!Number.isInteger(v)) allInt = false;
  }
  let mode: "int" | "fixed" | "sci" = "int";
  if (any) {
    if (!allInt) mode = "fixed";
    if (max / min > 1000 || max > 1e8 || (mode === "fixed" && min < 1e-4)) mode = "sci";
  }
  const one = (v: number): string => {
    if (!Number.isFinite(v)) return special(v);
    if (mode === "sci") return sci(v);
    return mode === "int" ? `${fixed(v, 0)}.` : fixed(v, PRECISION);
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) width = Math.max(width, one(v).length);
  }
  return { width, format: (v) => one(v as number) };
}
