// The kernel's own diagnostics go to the real stderr (the terminal or log of whatever
// started Jupyter), never into a cell's output, which takes over process.stderr. Written
// straight to the descriptor: the channels thread logs while the main thread is blocked
// (a cell in prompt() or a busy loop) and could not forward a line.
import { writeSync } from "node:fs";

export function log(text: string): void {
  try {
    writeSync(2, `[chainlab kernel] ${text}\n`);
  } catch {
    // A closed or full stderr loses the line, never the kernel.
  }
}
