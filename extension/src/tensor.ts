// TODO placeholder: replaced by the real renderer.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { MIME } from "./mime";
import { ChainlabRenderer, el, mimeExtension } from "./renderer";

/** A tensor payload ({shape, shownShape, dtype, stats, truncated, data, grad?}) drawn into an element. */
export function tensorView(json: unknown, field = "tensor"): HTMLElement {
  return el("pre", "cl-placeholder", `${field}: ${JSON.stringify(json).slice(0, 200)}`);
}

export class TensorRenderer extends ChainlabRenderer {
  protected render(data: unknown): void {
    this.node.replaceChildren(tensorView(data));
  }
}

export const tensorExtension: IRenderMime.IExtension = mimeExtension("tensor", MIME.tensor, (o) => new TensorRenderer(o));
