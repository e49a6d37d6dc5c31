// What the kernel takes over in its own process: stdout and stderr become stream outputs
// of the current request, errors thrown in callbacks are printed instead of ending the
// process, SIGINT interrupts the running cell, and tslab's display API publishes outputs.
import { KeyboardInterrupt, type CellRunner } from "./cell-runner";
import type { Outputs } from "./outputs";
import type { CurrentRequest } from "./request";

class ProcessExitRefused extends Error {
  override name = "ProcessExitRefused";
}

/**
 * Refuses `process.exit`, `process.abort` and `process.reallyExit` to cells (and whatever
 * they call): ending the process would lose the notebook's state and, with zeromq's
 * sockets still open, abort the kernel before the cell's output left. The call throws an
 * error the cell shows instead. Returns the exit the kernel itself uses (shutdown).
 */
export function refuseProcessExit(): (code: number) => never {
  const proc = process as unknown as Record<string, unknown>;
  const exit = process.exit;
  let exiting = false;
  for (const name of ["exit", "abort", "reallyExit"] as const) {
    const original = proc[name] as (...a: unknown[]) => never;
    if (typeof original !== "function") continue;
    proc[name] = function (this: unknown, ...args: unknown[]) {
      // Node's own exit calls reallyExit once the kernel decided to end.
      if (exiting) return Reflect.apply(original, this, args);
      const code = args.length ? String(args[0]) : "";
      throw new ProcessExitRefused(
        `process.${name}(${code}) is refused in a notebook: it would end the kernel and lose every variable of the notebook. ` +
          "To stop a cell, throw an error; to start afresh, restart the kernel (Kernel > Restart Kernel).",
      );
    };
  }
  return (code: number) => {
    exiting = true;
    return Reflect.apply(exit, process, [code]) as never;
  };
}

/** Makes stdout and stderr stream outputs of the current request; returns the undoing. */
export function captureProcessOutput(outputs: Outputs, current: CurrentRequest): () => void {
  const { stdout, stderr } = process;
  const was = [stdout.write, stderr.write] as const;
  const make = (name: "stdout" | "stderr") =>
    ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      outputs.stream(name, text, current.header);
      const done = typeof encoding === "function" ? encoding : cb;
      if (typeof done === "function") (done as () => void)();
      return true;
    }) as typeof process.stdout.write;
  stdout.write = make("stdout");
  stderr.write = make("stderr");
  return () => void ([stdout.write, stderr.write] = was);
}

/** Prints an error from a callback (timer, comm handler, rejection) to the cell's stderr. */
export function callbackErrorReporter(outputs: Outputs, current: CurrentRequest, runner: CellRunner): (heading: string, e: unknown) => void {
  return (heading, e) => {
    if (e instanceof KeyboardInterrupt) return;
    let text: string;
    try {
      const content = runner.errorContent(e);
      // The first two lines are the banner of a cell's error.
      text = content.traceback.slice(2).join("\n");
    } catch {
      // A thrown value built to break printing (a stack that is a number, a throwing
      // getter): an exception escaping this handler would end the process.
      text = "(a value that cannot be printed)";
    }
    outputs.stream("stderr", `${heading}:\n${text}\n`, current.header);
  };
}

export function installProcessHandlers(runner: CellRunner, report: (heading: string, e: unknown) => void): void {
  process.on("uncaughtException", (e) => report("Uncaught exception in a callback", e));
  process.on("unhandledRejection", (e) => report("Unhandled promise rejection", e));
  process.on("SIGINT", () => {
    // A signal that arrives while no script runs under breakOnSigint (an awaiting cell).
    // Signals the control thread sent itself were already handled through the counter.
    if (runner.consumeSelfSignal()) return;
    runner.interrupt();
  });
}

/**
 * Routes tslab's display API (which writes through a hook of its Jupyter module) to the
 * current cell. Only once a cell asks for tslab: loading it loads TypeScript, which the
 * main thread otherwise never holds (compiler-client.ts).
 */
export function hookTslabDisplay(outputs: Outputs, current: CurrentRequest): void {
  const tslabJupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
  tslabJupyter.lastWriteDisplayData = (data: Record<string, unknown>, update: boolean) =>
    outputs.publish(update ? "update_display_data" : "display_data", data, current.header);
}
