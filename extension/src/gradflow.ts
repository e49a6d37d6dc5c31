// TODO placeholder: replaced by the real renderer.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { MIME } from "./mime";
import { ChainlabRenderer, el, mimeExtension } from "./renderer";

export class GradflowRenderer extends ChainlabRenderer {
  protected render(data: unknown): void {
    this.node.replaceChildren(el("pre", "cl-placeholder", JSON.stringify(data).slice(0, 200)));
  }
}

export const gradflowExtension: IRenderMime.IExtension = mimeExtension("gradflow", MIME.gradflow, (o) => new GradflowRenderer(o));
