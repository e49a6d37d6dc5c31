// Numbers as a reader of PyTorch expects them: 4 significant digits, exponent when far
// from 1, and nan / inf spelled as PyTorch does.

export function fmtNumber(x: number, digits = 4): string {
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-4) return x.toExponential(digits - 1).replace(/\.?0+e/, "e");
  return String(Number(x.toPrecision(digits)));
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

// one formatter for every count: toLocaleString builds a new one on each call, which costs
// more than the rest of drawing a table row
const COUNT = new Intl.NumberFormat("en-US");

export function fmtCount(n: number): string {
  return COUNT.format(n);
}
