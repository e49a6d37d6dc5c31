// Completion and inspection right after start-up wait for the prelude, which declares the
// library's names: otherwise a learner's first Tab finds nothing. The wait is capped well
// inside a frontend's patience; the prelude normally takes a few seconds.
import { setTimeout as rawSetTimeout } from "node:timers";
import { log } from "../shared/log";

/** The longest a request waits for the prelude after start-up. */
const PRELUDE_WAIT_MS = 20_000;

export class PreludeGate {
  private done = false;
  private readonly ready: Promise<void>;

  constructor(prelude: Promise<void>) {
    this.ready = prelude.then(() => { this.done = true; }, () => { this.done = true; });
  }

  /** Runs fn now once the prelude ran, else when it has (or the wait is up). */
  run(fn: () => void): void {
    if (this.done) return fn();
    let timer: ReturnType<typeof rawSetTimeout> | undefined;
    const capped = new Promise<void>((r) => (timer = rawSetTimeout(r, PRELUDE_WAIT_MS)));
    void Promise.race([this.ready, capped]).then(() => {
      clearTimeout(timer);
      try {
        fn();
      } catch (e) {
        log(`shell (after the prelude): ${(e as Error).stack ?? e}`);
      }
    });
  }
}
