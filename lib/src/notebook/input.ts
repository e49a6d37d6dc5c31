import { currentSink } from "./sink";
import { readSync } from "node:fs";

function readLineFromStdin(): string {
  const buf = Buffer.alloc(1);
  const bytes: number[] = [];
  for (;;) {
    let n = 0;
    try {
      n = readSync(0, buf, 0, 1, null);
    } catch {
      break;
    }
    if (n === 0 || buf[0] === 10) break;
    bytes.push(buf[0]);
  }
  return Buffer.from(bytes).toString("utf8").replace(/\r$/, "");
}

/**
 * Asks the user for a line of text and waits for it: in a notebook through the frontend's
 * input box (stdin channel), in a terminal from stdin.
 */
export function prompt(message = "", options: { password?: boolean } = {}): string {
  const sink = currentSink();
  if (sink) return sink.inputSync(message, options.password ?? false);
  process.stdout.write(message);
  return readLineFromStdin();
}

/** Like `prompt`, but lets other work (comms, timers) go on while waiting. */
export async function input(message = "", options: { password?: boolean } = {}): Promise<string> {
  const sink = currentSink();
  if (sink) return sink.input(message, options.password ?? false);
  return prompt(message, options);
}
