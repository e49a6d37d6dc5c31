// The values of the slice on screen as a table of numbers, capped so a big matrix stays a
// few thousand cells; headers give the row and column indices.
import { el } from "../shared/base-renderer";
import type { Values } from "./bundle";
import { type SliceGrid } from "./grid";
import { numberFormat } from "chainlab/dist/display/number-format";
import { tint } from "./print";

export const TABLE_CAP = 50;

export function valueTable(values: Values, g: SliceGrid, scale: number): HTMLTableElement {
  const rows = Math.min(g.rows, TABLE_CAP), cols = Math.min(g.cols, TABLE_CAP);
  const table = el("table", "cl-tensor-table cl-mono");
  const shown: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = g.offset + r * g.rowStride + c;
      if (i < g.end) shown.push(values[i]);
    }
  }
  const f = numberFormat(shown, values instanceof Int32Array);
  if (rows < g.fullRows || cols < g.fullCols) {
    table.append(el("caption", "cl-muted", `the first ${rows} × ${cols} of ${g.fullRows} × ${g.fullCols}`));
  }
  const head = el("tr");
  head.append(el("th"));
  for (let c = 0; c < cols; c++) head.append(el("th", undefined, String(c)));
  const body = el("tbody");
  for (let r = 0; r < rows; r++) {
    const tr = el("tr");
    // a wrapped vector's rows are labelled by the index they start at
    tr.append(el("th", undefined, String(g.wrapped ? r * g.cols : r)));
    for (let c = 0; c < cols; c++) {
      const i = g.offset + r * g.rowStride + c;
      if (i >= g.end) {
        tr.append(el("td"));
        continue;
      }
      const td = el("td", undefined, f.format(values[i]));
      td.style.background = tint(values[i], scale);
      tr.append(td);
    }
    body.append(tr);
  }
  const thead = el("thead");
  thead.append(head);
  table.append(thead, body);
  return table;
}
