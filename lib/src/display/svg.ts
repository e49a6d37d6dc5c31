// Small static charts for viewers without the chainlab extension (GitHub, nbviewer).
import { escapeXml } from "./escape";

export interface Line {
  name: string;
  points: [number, number][];
}

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

function niceLabel(x: number): string {
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-2 && x !== 0) ? x.toExponential(1) : String(Number(x.toPrecision(3)));
}

/** A line chart with a log y axis when every value is positive and they span a decade. */
export function lineChartSvg(title: string, xLabel: string, lines: Line[], width = 560, height = 260): string {
  const all = lines.flatMap((l) => l.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const pad = { l: 56, r: 110, t: 24, b: 34 };
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">` +
    `<text x="${pad.l}" y="15" font-weight="bold">${escapeXml(title)}</text>`;
  if (all.length === 0) return `${head}<text x="${pad.l}" y="${height / 2}">no data yet</text></svg>`;
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const log = y0 > 0 && y1 / y0 > 10;
  const ty = (y: number) => (log ? Math.log10(y) : y);
  [y0, y1] = [ty(y0), ty(y1)];
  if (y1 === y0) { y0 -= 1; y1 += 1; }
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0 || 1)) * (width - pad.l - pad.r);
  const sy = (y: number) => height - pad.b - ((ty(y) - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const parts: string[] = [];
  parts.push(`<rect x="${pad.l}" y="${pad.t}" width="${width - pad.l - pad.r}" height="${height - pad.t - pad.b}" fill="none" stroke="#ccc"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = y0 + ((y1 - y0) * i) / 4;
    const y = height - pad.b - ((height - pad.t - pad.b) * i) / 4;
    parts.push(`<text x="${pad.l - 4}" y="${y + 4}" text-anchor="end">${niceLabel(log ? 10 ** v : v)}</text>`);
  }
  parts.push(`<text x="${pad.l}" y="${height - 18}">${niceLabel(x0)}</text>`);
  parts.push(`<text x="${width - pad.r}" y="${height - 18}" text-anchor="end">${niceLabel(x1)}</text>`);
  parts.push(`<text x="${(pad.l + width - pad.r) / 2}" y="${height - 4}" text-anchor="middle">${escapeXml(xLabel)}${log ? " (log y)" : ""}</text>`);
  lines.forEach((l, i) => {
    const c = PALETTE[i % PALETTE.length];
    const pts = l.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!log || y > 0));
    if (pts.length) {
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ")}"/>`);
    }
    parts.push(`<rect x="${width - pad.r + 10}" y="${pad.t + i * 16}" width="10" height="10" fill="${c}"/>`);
    parts.push(`<text x="${width - pad.r + 24}" y="${pad.t + 9 + i * 16}">${escapeXml(l.name)}</text>`);
  });
  return `${head}${parts.join("")}</svg>`;
}

/** Horizontal bars, one per label, on a log scale; marked bars are drawn in red. */
export function barChartSvg(title: string, bars: { label: string; value: number; marked?: boolean }[], width = 560): string {
  const rowH = 16, pad = { l: 170, r: 70, t: 24 };
  const height = pad.t + bars.length * rowH + 10;
  const vals = bars.map((b) => b.value).filter((v) => v > 0 && Number.isFinite(v));
  const lo = vals.length ? Math.log10(Math.min(...vals)) - 0.5 : 0;
  const hi = vals.length ? Math.log10(Math.max(...vals)) : 1;
  const w = (v: number) => (v > 0 && Number.isFinite(v) ? ((Math.log10(v) - lo) / (hi - lo || 1)) * (width - pad.l - pad.r) : 0);
  const parts = bars.map((b, i) => {
    const y = pad.t + i * rowH;
    return (
      `<text x="${pad.l - 4}" y="${y + 11}" text-anchor="end">${escapeXml(b.label.slice(0, 28))}</text>` +
      `<rect x="${pad.l}" y="${y + 2}" width="${w(b.value).toFixed(1)}" height="${rowH - 4}" fill="${b.marked ? "#d62728" : "#1f77b4"}"/>` +
      `<text x="${pad.l + w(b.value) + 4}" y="${y + 11}">${niceLabel(b.value)}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">` +
    `<text x="4" y="15" font-weight="bold">${escapeXml(title)}</text>${parts.join("")}</svg>`
  );
}
