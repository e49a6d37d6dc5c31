// TODO placeholder: replaced by the real renderer.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { MIME } from "./mime";
import { ChainlabRenderer, el, mimeExtension } from "./renderer";

export class CurvesRenderer extends ChainlabRenderer {
  protected render(data: unknown): void {
    this.node.replaceChildren(el("pre", "cl-placeholder", JSON.stringify(data).slice(0, 200)));
  }
}

export const curvesExtension: IRenderMime.IExtension = mimeExtension("curves", MIME.curves, (o) => new CurvesRenderer(o));
