// A kernel whose Jupyter server is gone (killed, or its terminal closed) has no one left to
// answer, yet would run on as an orphan holding memory and perhaps a training loop's CPU.
// jupyter_client puts the pid of the process that launches a kernel in JPY_PARENT_PID; once
// this process's parent is no longer that one (it was re-parented to init or a subreaper),
// the server has died and the kernel shuts down.
import { clearInterval, setInterval } from "node:timers";

/** Calls `onGone` once when the launching server dies; does nothing when not launched by one. */
export function watchParent(onGone: () => void, everyMs = 2000): void {
  const launcher = Number(process.env.JPY_PARENT_PID);
  // a wrapper between the server and this process (a shell script in the kernelspec) makes
  // the parent someone else from the start: then there is nothing reliable to watch
  if (!Number.isInteger(launcher) || launcher <= 1 || process.ppid !== launcher) return;
  const timer = setInterval(() => {
    if (process.ppid === launcher) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  timer.unref(); // never what keeps the process alive
}
