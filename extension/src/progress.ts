// A progress bar: {n, total, fraction} from progress(iterable), updated in place.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { fmtCount } from "./format";
import { MIME } from "./mime";
import { ChainlabRenderer, el, mimeExtension } from "./renderer";
import { number, optionalString, record } from "./validate";

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
    const n = number(d.n, "n");
    const total = d.total === undefined || d.total === null ? NaN : number(d.total, "total");
    const fraction = Number.isFinite(total) && total > 0 ? Math.min(1, Math.max(0, n / total)) : number(d.fraction ?? NaN, "fraction");
    const desc = optionalString(d.desc, "desc");
    if (!this.node.contains(this.bar)) {
      // an error box replaced the bar earlier; draw it again
      const track = el("div", "cl-progress-track");
      track.append(this.bar);
      this.node.replaceChildren(track, this.label);
    }
    this.bar.style.width = Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : "0%";
    this.label.textContent = `${desc ? desc + " " : ""}${fmtCount(n)}${Number.isFinite(total) ? ` / ${fmtCount(total)}` : ""}` +
      (Number.isFinite(fraction) ? ` (${Math.round(fraction * 100)}%)` : "");
  }
}

export const progressExtension: IRenderMime.IExtension = mimeExtension("progress", MIME.progress, (o) => new ProgressRenderer(o));
