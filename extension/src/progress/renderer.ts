// A progress bar: {n, total, fraction} from progress(iterable), updated in place.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { fmtCount } from "../shared/format";
import { MIME } from "../shared/mime";
import { ChainlabRenderer, el, mimeExtension } from "../shared/base-renderer";
import { number, optionalString, record } from "../shared/validate";

export class ProgressRenderer extends ChainlabRenderer {
  private bar = el("div", "cl-progress-fill");
  private label = el("span", "cl-progress-label cl-mono");

  constructor(options: IRenderMime.IRendererOptions) {
    super(options);
    this.addClass("cl-progress");
    const track = el("div", "cl-progress-track");
    track.append(this.bar);
    this.node.append(track, this.label);
  }

  protected render(data: unknown): void {
    const d = record(data, "progress");
    // JSON turns NaN and Infinity into null: a count we do not know is shown as "?"
    const n = number(d.n ?? null, "n");
    const total = number(d.total ?? null, "total");
    const knownTotal = Number.isFinite(total) && total > 0;
    const given = number(d.fraction ?? null, "fraction");
    const fraction = knownTotal && Number.isFinite(n) ? n / total : given;
    const shown = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : NaN;
    const desc = optionalString(d.desc, "desc");
    if (!this.node.contains(this.bar)) {
      // an error box replaced the bar earlier; draw it again
      const track = el("div", "cl-progress-track");
      track.append(this.bar);
      this.node.replaceChildren(track, this.label);
    }
    this.bar.style.width = Number.isFinite(shown) ? `${(shown * 100).toFixed(1)}%` : "0%";
    this.label.textContent = `${desc ? desc + " " : ""}${progressCount(n)}${knownTotal ? ` / ${progressCount(total)}` : ""}` +
      (Number.isFinite(shown) ? ` (${Math.floor(shown * 100)}%)` : "");
  }
}

/** A count as the bar shows it: 12,345; "?" when unknown; 1.00e+300 rather than 301 digits. */
export function progressCount(n: number): string {
  if (!Number.isFinite(n)) return "?";
  return Math.abs(n) < 1e15 ? fmtCount(n) : n.toExponential(2);
}

export const progressExtension: IRenderMime.IExtension = mimeExtension("progress", MIME.progress, (o) => new ProgressRenderer(o));
