// A model summary in the manner of torchinfo and Keras: one table row per submodule,
// indented by depth, with its output shape when known, its parameters and whether they
// train. Deep models start with their inner blocks folded. The table scrolls sideways in
// a box of its own when it is wider than the output, so no column is cut off unseen.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { fmtCount, fmtShape } from "../shared/format";
import { MIME } from "../shared/mime";
import { parseModule, trainState, type ModuleRow, type ModuleSummary } from "./bundle";
import { ChainlabRenderer, el, mimeExtension } from "../shared/base-renderer";

/** Above this many rows, modules below FOLD_DEPTH start folded. */
export const FOLD_ROWS = 40;
const FOLD_DEPTH = 2;
/** If more rows than this would still show, shallower levels start folded too... */
export const FIRST_SHOWN = 200;
/** ...and the root itself past this many (a flat list of thousands of layers). */
const FIRST_SHOWN_ROOT = 1000;

/** The rows not under a folded one. */
function visibleRows(s: ModuleSummary, folded: Set<string>): boolean[] {
  const visible = new Array<boolean>(s.rows.length);
  s.rows.forEach((r, i) => {
    const p = r.parent;
    visible[i] = p < 0 || (visible[p] && !folded.has(s.rows[p].path));
  });
  return visible;
}

/** Which rows start folded: blocks at FOLD_DEPTH in a large model, shallower ones while too many rows show. */
function initialFolds(s: ModuleSummary): Set<string> {
  const folded = new Set<string>();
  if (s.rows.length <= FOLD_ROWS) return folded;
  const foldAt = (d: number) => s.rows.forEach((r) => { if (r.depth === d && r.children > 0) folded.add(r.path); });
  foldAt(FOLD_DEPTH);
  const shownCount = () => visibleRows(s, folded).filter(Boolean).length;
  for (let d = FOLD_DEPTH - 1; d >= 1 && shownCount() > FIRST_SHOWN; d--) foldAt(d);
  if (shownCount() > FIRST_SHOWN_ROOT) foldAt(0);
  return folded;
}
const INDENT_PX = 14;
const BYTES_PER_PARAM = 4;

function megabytes(params: number): string {
  const mb = (params * BYTES_PER_PARAM) / 1e6;
  return mb >= 100 ? mb.toFixed(0) : mb >= 1 ? mb.toFixed(2) : mb.toFixed(3);
}

/** The row's name within its parent (a JavaScript property name may itself hold a dot). */
function ownName(s: ModuleSummary, r: ModuleRow): string {
  const prefix = r.parent >= 0 && s.rows[r.parent].path ? `${s.rows[r.parent].path}.` : "";
  return prefix && r.path.startsWith(prefix) ? r.path.slice(prefix.length) : r.path;
}

export class ModuleRenderer extends ChainlabRenderer {
  private root = el("div", "cl-module");
  /** Paths of folded rows; kept across redraws of the same model. */
  private folded = new Set<string>();
  private foldedFor: string | null = null;
  /** Each row's element, built when the row is first shown (a folded block's rows may never be). */
  private trs: (HTMLTableRowElement | undefined)[] = [];
  private body = el("tbody");
  private showOutput = false;
  private summary: ModuleSummary | null = null;

  protected render(data: unknown): void {
    const s = parseModule(data);
    this.summary = s;
    const key = s.rows.map((r) => r.path).join("\n");
    if (this.foldedFor !== key) {
      this.foldedFor = key;
      this.folded = initialFolds(s);
    }
    const showOutput = (this.showOutput = s.rows.some((r) => r.outputShape));
    const table = el("table", "cl-module-table");
    const head = el("tr");
    for (const h of ["layer", "type", ...(showOutput ? ["output shape"] : []), "parameter shapes", "parameters", "trainable"]) head.append(el("th", undefined, h));
    table.append(el("thead"));
    table.tHead!.append(head);
    this.body = el("tbody");
    this.trs = new Array(s.rows.length);
    table.append(this.body);
    const bar = el("div", "cl-module-bar");
    const expand = el("button", "cl-module-expand-all", "expand all");
    const collapse = el("button", "cl-module-collapse-all", "collapse");
    expand.addEventListener("click", () => { this.folded.clear(); this.applyFolds(); });
    collapse.addEventListener("click", () => {
      this.folded = new Set(s.rows.filter((r) => r.depth >= 1 && r.children > 0).map((r) => r.path));
      this.applyFolds();
    });
    const foldable = s.rows.some((r) => r.depth >= 1 && r.children > 0);
    expand.hidden = collapse.hidden = !foldable;
    bar.append(el("span", "cl-module-name", s.name), expand, collapse);
    if (s.modules > s.rows.length) {
      const note = el("span", "cl-module-note cl-muted",
        `showing ${fmtCount(s.rows.length)} of ${fmtCount(s.modules)} modules; the rest are counted in the rows above them`);
      bar.append(note);
    }
    const scroll = el("div", "cl-module-scroll");
    scroll.append(table);
    this.root.replaceChildren(bar, scroll, this.totals(s));
    this.root.dataset.rows = String(s.rows.length);
    if (!this.node.contains(this.root)) this.node.replaceChildren(this.root);
    this.applyFolds();
  }

  private row(s: ModuleSummary, r: ModuleRow, showOutput: boolean): HTMLTableRowElement {
    const tr = el("tr", "cl-module-row");
    tr.dataset.path = r.path;
    tr.dataset.depth = String(r.depth);
    const state = trainState(r.subParams, r.subTrainable);
    if (state === "frozen") tr.classList.add("cl-module-frozen");
    if (state === "partly") tr.classList.add("cl-module-partly");

    const name = el("td", "cl-module-layer cl-mono");
    name.style.paddingLeft = `${4 + r.depth * INDENT_PX}px`;
    name.title = r.path || s.name;
    if (r.children > 0) {
      const t = el("button", "cl-module-toggle");
      t.addEventListener("click", () => {
        if (this.folded.has(r.path)) this.folded.delete(r.path);
        else this.folded.add(r.path);
        this.applyFolds();
      });
      name.append(t);
    } else {
      name.append(el("span", "cl-module-leaf"));
    }
    name.append(el("span", "cl-module-label", r.path ? ownName(s, r) : s.name));
    name.append(el("span", "cl-module-hidden cl-muted"));
    if (r.omitted > 0) {
      const more = el("span", "cl-module-omitted cl-muted", ` +${fmtCount(r.omitted)} not listed`);
      more.title = `${fmtCount(r.omitted)} modules inside this one are not listed; their parameters are in its count`;
      name.append(more);
    }

    const type = el("td", "cl-module-type");
    type.append(el("span", undefined, r.type));
    if (r.extra) {
      const extra = el("span", "cl-module-extra cl-muted cl-mono", `(${r.extra})`);
      extra.title = r.extra;
      type.append(extra);
    }
    const cells: HTMLElement[] = [name, type];
    if (showOutput) cells.push(el("td", "cl-module-output cl-mono", r.outputShape ? fmtShape(r.outputShape) : ""));
    // one box per shape, so a long list wraps between shapes, never inside one
    const shapes = el("td", "cl-module-shapes cl-mono cl-muted");
    r.shapes.forEach((sh, i) => shapes.append(...(i ? [" "] : []), el("span", "cl-module-shape", sh)));
    cells.push(shapes);

    const params = el("td", "cl-module-params cl-mono");
    if (r.children > 0 || r.omitted > 0) {
      // a container's count is its whole subtree, so a folded block still says what it holds
      params.textContent = r.subParams ? fmtCount(r.subParams) : "–";
      params.classList.add("cl-module-sum");
      params.title = `${fmtCount(r.subParams)} in this module and the modules inside it${r.params ? ` (${fmtCount(r.params)} of its own)` : ""}`;
    } else {
      params.textContent = r.params ? fmtCount(r.params) : "–";
    }
    for (const t of r.tied) {
      const tag = el("span", "cl-module-tied cl-muted", `${t.param} = ${t.to}`);
      tag.title = `${t.param} is the same tensor as ${t.to}, counted there`;
      params.append(tag);
    }
    cells.push(params);

    const train = el("td", "cl-module-train");
    if (state === "frozen" || state === "partly") {
      const tag = el("span", `cl-module-tag cl-module-tag-${state}`, state === "frozen" ? "frozen" : "partly");
      tag.title = `${fmtCount(r.subTrainable)} of ${fmtCount(r.subParams)} parameters train`;
      train.append(tag);
    } else if (state === "trainable") {
      train.textContent = "yes";
    }
    cells.push(train);
    tr.append(...cells);
    return tr;
  }

  private totals(s: ModuleSummary): HTMLElement {
    const box = el("div", "cl-module-totals cl-mono");
    const frozen = s.total - s.trainable;
    const part = (label: string, n: number, cls: string) => {
      const p = el("span", cls);
      p.append(el("span", "cl-muted", `${label} `), el("span", "cl-module-count", fmtCount(n)));
      p.dataset.count = String(n);
      return p;
    };
    box.append(
      part("total", s.total, "cl-module-total"),
      part("trainable", s.trainable, "cl-module-trainable"),
      part("frozen", frozen, "cl-module-frozen-count"),
      el("span", "cl-module-size", `size ${megabytes(s.total)} MB (float32)`),
    );
    return box;
  }

  /**
   * Put in the table the rows not under a folded one, building those not built yet; each
   * folded row says how many it hides. Rows out of sight are not in the document at all.
   */
  private applyFolds(): void {
    const s = this.summary;
    if (!s) return;
    const hiddenBelow = new Array<number>(s.rows.length).fill(0);
    const visible = visibleRows(s, this.folded);
    for (let i = s.rows.length - 1; i >= 0; i--) {
      const p = s.rows[i].parent;
      if (p >= 0) hiddenBelow[p] += 1 + hiddenBelow[i];
    }
    const shown: HTMLTableRowElement[] = [];
    s.rows.forEach((r, i) => {
      if (!visible[i]) return;
      const tr = (this.trs[i] ??= this.row(s, r, this.showOutput));
      shown.push(tr);
      const folded = r.children > 0 && this.folded.has(r.path);
      tr.classList.toggle("cl-module-folded", folded);
      const toggle = tr.querySelector<HTMLButtonElement>(".cl-module-toggle");
      if (toggle) {
        toggle.textContent = folded ? "▸" : "▾";
        toggle.setAttribute("aria-expanded", String(!folded));
        toggle.title = folded ? "show the modules inside" : "hide the modules inside";
      }
      tr.querySelector(".cl-module-hidden")!.textContent = folded ? ` +${hiddenBelow[i]}` : "";
    });
    this.body.replaceChildren(...shown);
  }
}

export const moduleExtension: IRenderMime.IExtension = mimeExtension("module", MIME.module, (o) => new ModuleRenderer(o));
