// Renderers are made by the rendermime registry and know nothing of notebooks; the plugin
// tells this module how to find the kernel of the notebook an output node belongs to, so
// that a monitor's controls can open a comm to the loop that is running there.
import type { Kernel } from "@jupyterlab/services";

export type KernelFinder = (node: HTMLElement) => Kernel.IKernelConnection | null;

let finder: KernelFinder | null = null;

export function setKernelFinder(f: KernelFinder | null): void {
  finder = f;
}

/** The kernel behind the notebook that shows `node`, or null (no plugin, no kernel). */
export function kernelFor(node: HTMLElement): Kernel.IKernelConnection | null {
  return finder ? finder(node) : null;
}
