// Notebook-facing functions: rich display, live updates, progress bars, comms and input.
export { display, updateDisplay, clearOutput, mimeBundle, newDisplayId, inNotebook, displaySymbol } from "./display";
export type { DisplayOptions } from "./display";
export { progress, Progress } from "./progress";
export type { ProgressOptions } from "./progress";
export { comms } from "./comm";
export type { Comm, CommMessage, CommTargetHandler } from "./comm";
export { prompt, input } from "./input";
export { installSink, currentSink, sinkKey, whenCellEnds } from "./sink";
export type { NotebookSink, MimeBundle, CommChannel, CellOutcome } from "./sink";
