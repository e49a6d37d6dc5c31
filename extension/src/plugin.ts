// The front-end plugin: hands monitor widgets the kernel of their notebook.
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { INotebookTracker } from "@jupyterlab/notebook";
import { setKernelFinder } from "./shared/kernel-link";

const plugin: JupyterFrontEndPlugin<void> = {
  id: "@chainlab/jupyterlab:kernel-link",
  description: "Connects chainlab's training monitors to the kernel of their notebook.",
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker) => {
    setKernelFinder((node) => {
      // an output lives inside its notebook's panel; an output view opened apart does not
      const panel = tracker.find((p) => p.node.contains(node)) ?? tracker.currentWidget;
      return panel?.sessionContext.session?.kernel ?? null;
    });
  },
};

export default plugin;
