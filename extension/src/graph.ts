// TODO placeholder: replaced by the real renderer.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { MIME } from "./mime";
import { ChainlabRenderer, el, mimeExtension } from "./renderer";

export class GraphRenderer extends ChainlabRenderer {
  protected render(data: unknown): void {
    this.node.replaceChildren(el("pre", "cl-placeholder", JSON.stringify(data).slice(0, 200)));
  }
}

export const graphExtension: IRenderMime.IExtension = mimeExtension("graph", MIME.graph, (o) => new GraphRenderer(o));
