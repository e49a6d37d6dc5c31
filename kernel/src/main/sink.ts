// The kernel's side of chainlab's notebook functions: display(), updateDisplay(),
// clearOutput(), comms, prompt() and input() reach Jupyter through this sink.
import type { CellOutcome, NotebookSink } from "chainlab";
import type { Comms } from "./comms";
import { log } from "../shared/log";
import type { Outputs } from "./outputs";
import type { CurrentRequest } from "./request";
import type { Stdin } from "./stdin";

const sinkKey = Symbol.for("chainlab.notebook.sink");

/**
 * What the library asked to hear at the end of each cell (a live Monitor shows how its run
 * ended). ExecuteRequests calls run() after a cell, while its output still goes to that cell.
 */
export class CellEndHooks {
  private readonly handlers: ((outcome: CellOutcome) => void)[] = [];

  add(handler: (outcome: CellOutcome) => void): void {
    this.handlers.push(handler);
  }

  run(outcome: CellOutcome): void {
    for (const h of this.handlers) {
      try {
        h(outcome);
      } catch (e) {
        // the cell is over: its output is no place for a library's own failure
        log(`cell-end hook: ${(e as Error)?.stack ?? String(e)}`);
      }
    }
  }
}

export function kernelSink(outputs: Outputs, current: CurrentRequest, comms: Comms, stdin: Stdin, cellEnd?: CellEndHooks): NotebookSink {
  return {
    kind: "chainlab-kernel",
    display: (bundle, metadata, displayId) => {
      // A display shown anew replaces whatever update of the same id was still queued.
      if (displayId) outputs.dropUpdate(displayId);
      outputs.publish("display_data", { data: bundle, metadata, transient: displayId ? { display_id: displayId } : {} }, current.header);
    },
    updateDisplay: (displayId, bundle, metadata) => {
      outputs.update(displayId, { data: bundle, metadata, transient: { display_id: displayId } }, current.header);
    },
    clearOutput: (wait) => outputs.publish("clear_output", { wait }, current.header),
    openComm: (targetName, data, metadata) => comms.openComm(targetName, data, metadata),
    registerCommTarget: (name, handler) => comms.registerTarget(name, handler),
    unregisterCommTarget: (name) => comms.unregisterTarget(name),
    inputSync: (prompt, password) => stdin.inputSync(prompt, password),
    input: (prompt, password) => stdin.input(prompt, password),
    ...(cellEnd ? { onCellEnd: (handler: (outcome: CellOutcome) => void) => cellEnd.add(handler) } : {}),
  };
}

export function installKernelSink(sink: NotebookSink): void {
  (globalThis as Record<symbol, unknown>)[sinkKey] = sink;
}
