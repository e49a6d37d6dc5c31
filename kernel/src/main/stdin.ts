// prompt() and input(): an input_request goes out through the channels thread, whose
// stdin socket keeps listening while this thread blocks (prompt) or awaits (input); the
// answer comes back through the shared buffer.
import { KeyboardInterrupt, type CellRunner } from "./cell-runner";
import type { CurrentRequest } from "./request";
import { inputState, slot, type ToChannels } from "../shared/channels-link";

/** Atomics.waitAsync (Node 16+), which the ES2022 library typings do not declare. */
interface WaitAsync {
  waitAsync(a: Int32Array, index: number, value: number, timeout: number): { async: boolean; value: Promise<string> | string };
}

interface StdinOptions {
  ints: Int32Array;
  text: Uint8Array;
  current: CurrentRequest;
  runner: CellRunner;
  /** Posts to the channels thread. */
  post: (m: ToChannels) => void;
  /** Called before the request goes out, so printed text shows above the input box. */
  flush: () => void;
}

export class Stdin {
  constructor(private readonly o: StdinOptions) {}

  /** Blocks the main thread until the frontend answers. */
  inputSync(prompt: string, password: boolean): string {
    const { ints } = this.o;
    this.request(prompt, password);
    // An interrupt answers the wait itself; a signal on top of it would hit whatever the
    // main thread runs next.
    const inVm = Atomics.exchange(ints, slot.inVm, 0);
    try {
      while (Atomics.load(ints, slot.inputState) === inputState.waiting) {
        Atomics.wait(ints, slot.inputState, inputState.waiting, 1000);
      }
    } finally {
      Atomics.store(ints, slot.inVm, inVm);
    }
    return this.take();
  }

  /** Waits for the answer while timers and comms go on. */
  async input(prompt: string, password: boolean): Promise<string> {
    const { ints } = this.o;
    this.request(prompt, password);
    while (Atomics.load(ints, slot.inputState) === inputState.waiting) {
      const w = (Atomics as unknown as WaitAsync).waitAsync(ints, slot.inputState, inputState.waiting, 1000);
      if (w.async) await w.value;
    }
    return this.take();
  }

  private request(prompt: string, password: boolean): void {
    const { current } = this.o;
    if (!current.message || !current.allowStdin) {
      const e = new Error("this frontend does not accept input (allow_stdin is false)");
      e.name = "StdinNotImplementedError";
      throw e;
    }
    this.o.flush();
    Atomics.store(this.o.ints, slot.inputState, inputState.waiting);
    this.o.post({
      type: "input",
      prompt,
      password,
      identities: current.message.identities.map((b) => new Uint8Array(b)),
      parent: current.message.header,
    });
  }

  private take(): string {
    const { ints, text } = this.o;
    const state = Atomics.load(ints, slot.inputState);
    Atomics.store(ints, slot.inputState, inputState.idle);
    if (state === inputState.interrupted) {
      this.o.runner.checkEpoch();
      throw new KeyboardInterrupt();
    }
    const n = Atomics.load(ints, slot.inputLength);
    return Buffer.from(text.subarray(0, n)).toString("utf8");
  }
}
