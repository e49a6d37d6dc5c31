// The base of every chainlab renderer: a Lumino widget that reads its MIME type's data and
// draws it, and draws an error box naming the field at fault when the data cannot be read.
// Nothing a bundle holds is ever run or parsed as HTML.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";
import { BundleError } from "./validate";

export abstract class ChainlabRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(protected readonly options: IRenderMime.IRendererOptions) {
    super();
    this.addClass("cl-output");
  }

  /** Draw the data; called again with new data on update_display_data. */
  protected abstract render(data: unknown, model: IRenderMime.IMimeModel): void | Promise<void>;

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[this.options.mimeType];
    try {
      await this.render(data, model);
    } catch (e) {
      this.showError(e);
    }
  }

  /** Replace the output with an error box; never throws into JupyterLab. */
  protected showError(e: unknown): void {
    this.node.replaceChildren(errorBox(this.options.mimeType, e));
  }
}

export function errorBox(mimeType: string, e: unknown): HTMLElement {
  const box = document.createElement("div");
  box.className = "cl-error";
  const title = document.createElement("div");
  title.className = "cl-error-title";
  title.textContent = `chainlab could not draw this ${mimeType.replace(/^application\/vnd\.chainlab\.|\+json$/g, "")} output`;
  const detail = document.createElement("div");
  detail.className = "cl-error-detail";
  detail.textContent = e instanceof BundleError ? e.message : `${(e as Error)?.message ?? String(e)}`;
  if (e instanceof BundleError) box.dataset.field = e.field;
  box.append(title, detail);
  return box;
}

/** An element with a class and, optionally, text (set as text, never as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The rendermime extension object for one renderer class. */
export function mimeExtension(
  id: string,
  mimeType: string,
  create: (options: IRenderMime.IRendererOptions) => IRenderMime.IRenderer,
): IRenderMime.IExtension {
  return {
    id: `@chainlab/jupyterlab:${id}`,
    // below html (50) and svg (80): the fallbacks the library adds to every bundle
    rank: 10,
    dataType: "json",
    rendererFactory: { safe: true, mimeTypes: [mimeType], defaultRank: 10, createRenderer: create },
  };
}
