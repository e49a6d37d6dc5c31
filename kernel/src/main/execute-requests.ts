// execute_request: execution counts, history, the cell's result as a MIME bundle, errors,
// and aborting the requests queued behind a failed cell (stop_on_error).
import type { MimeBundle } from "chainlab";
import { bundleOf } from "./bundle";
import type { ExecuteOutcome, CellRunner } from "./cell-runner";
import { safe } from "../shared/builtins";
import { History } from "./history";
import { log } from "../shared/log";
import type { Outputs } from "./outputs";
import type { CurrentRequest } from "./request";
import type { CellEndHooks } from "./sink";
import type { Message } from "../shared/wire";

export type Reply = (msg: Message, msgType: string, content: Record<string, unknown>, metadata?: Record<string, unknown>) => void;

export class ExecuteRequests {
  readonly history = new History();
  private executionCount = 0;
  private readonly waiting: { msg: Message; generation: number }[] = [];
  private waitingHead = 0;
  private looping = false;
  /** Bumped by a failed cell: requests queued before it are aborted. */
  private errorGeneration = 0;

  constructor(
    private readonly runner: CellRunner,
    private readonly outputs: Outputs,
    private readonly current: CurrentRequest,
    private readonly reply: Reply,
    /** Resolves once the prelude ran. */
    private readonly ready: Promise<void>,
    /** Told how each cell ended, before its output is flushed. */
    private readonly cellEnd?: CellEndHooks,
  ) {}

  /** Queues a request behind those before it. */
  submit(msg: Message): void {
    // A plain list and an async loop, not a chain of `.then`: a cell may replace
    // Promise.prototype.then, and the requests after it must still run.
    safe.push(this.waiting, { msg, generation: this.errorGeneration });
    if (!this.looping) void this.loop();
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      while (this.waitingHead < this.waiting.length) {
        const next = this.waiting[this.waitingHead++];
        try {
          await this.run(next.msg, next.generation);
        } catch (e) {
          this.lastResort(next.msg, e);
        }
      }
      this.waiting.length = 0;
      this.waitingHead = 0;
    } finally {
      this.looping = false;
    }
  }

  /** Puts back the intrinsics the cell replaced (shared/builtins.ts) and tells the cell which. */
  private restoreIntrinsics(msg: Message): void {
    this.runner.intrinsics.restore();
    const restored = this.runner.intrinsics.take();
    if (!restored.length) return;
    const text =
      `chainlab kernel: this cell replaced ${restored.join(", ")}, which the kernel and the library rely on; ` +
      "the original was put back when the cell ended.\n";
    this.outputs.stream("stderr", text, msg.header);
  }

  /**
   * The kernel's own code failed while finishing a cell (e.g. the cell broke a built-in it
   * relies on): the request still gets an error reply and the kernel goes idle.
   */
  private lastResort(msg: Message, e: unknown): void {
    try {
      this.restoreIntrinsics(msg);
    } catch {
      // The reply below matters more.
    }
    let detail = "";
    try {
      detail = `${(e as Error)?.name}: ${(e as Error)?.message}`;
      log(`execute: ${(e as Error)?.stack ?? detail}`);
    } catch {
      detail = "an error that cannot be printed";
    }
    const evalue = `the kernel could not finish this cell (${detail}); a built-in the cell changed is the likely cause`;
    const content = { ename: "KernelError", evalue, traceback: [`KernelError: ${evalue}`] };
    try {
      this.outputs.publish("error", content, msg.header);
      this.errorGeneration++;
      this.reply(msg, "execute_reply", { status: "error", execution_count: this.executionCount, ...content, user_expressions: {} }, { status: "error" });
    } finally {
      this.outputs.status("idle", msg.header);
    }
  }

  private async run(msg: Message, generation: number): Promise<void> {
    const c = msg.content;
    const code = String(c.code ?? "");
    const silent = !!c.silent;
    const storeHistory = c.store_history !== false && !silent;
    this.outputs.status("busy", msg.header);
    if (generation !== this.errorGeneration) {
      this.reply(msg, "execute_reply", { status: "aborted", execution_count: this.executionCount });
      this.outputs.status("idle", msg.header);
      return;
    }
    await this.ready;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    const label = `In[${count}]`;
    this.current.message = msg;
    this.current.allowStdin = !!c.allow_stdin;
    if (!silent) this.outputs.publish("execute_input", { code, execution_count: count }, msg.header);
    const entry = storeHistory ? this.history.add(count, code) : undefined;
    let outcome: ExecuteOutcome;
    try {
      outcome = code.trim() ? await this.runner.execute(code, label) : { status: "ok", hasValue: false };
    } catch (e) {
      outcome = { status: "error", ...this.runner.errorContent(e) };
    }
    this.restoreIntrinsics(msg);
    // Live runs hear how their cell ended, and live displays reach their final state,
    // before the result that follows them.
    this.cellEnd?.run(
      outcome.status === "ok" ? { status: "ok" }
        : outcome.ename === "KeyboardInterrupt" ? { status: "interrupted" }
        : { status: "error", ename: outcome.ename, evalue: outcome.evalue },
    );
    this.outputs.flushUpdates(true);
    if (outcome.status === "ok" && outcome.hasValue && !silent) {
      let data: MimeBundle = {};
      try {
        data = bundleOf(outcome.value);
      } catch (e) {
        outcome = { status: "error", ...this.runner.errorContent(e) };
      }
      if (outcome.status === "ok") {
        if (entry) entry.output = String(data["text/plain"]);
        this.outputs.publish("execute_result", { execution_count: count, data, metadata: {} }, msg.header);
      }
    }
    this.outputs.flushUpdates(true);
    this.outputs.flushStreams();
    this.outputs.reportDropped(msg.header);
    if (outcome.status === "error") {
      const { ename, evalue, traceback } = outcome;
      this.outputs.publish("error", { ename, evalue, traceback }, msg.header);
      if (c.stop_on_error !== false) this.errorGeneration++;
      this.reply(msg, "execute_reply", { status: "error", execution_count: count, ename, evalue, traceback, user_expressions: {} }, { status: "error" });
    } else {
      const userExpressions = await this.userExpressions(c.user_expressions);
      this.outputs.flushStreams();
      this.reply(msg, "execute_reply", { status: "ok", execution_count: count, user_expressions: userExpressions, payload: [] });
    }
    this.outputs.status("idle", msg.header);
  }

  /**
   * Evaluates each expression after the cell, in its scope and with its types, as IPython
   * does: a MIME bundle each, or the error it raised (a type error included).
   */
  private async userExpressions(expressions: unknown): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    if (!expressions || typeof expressions !== "object") return out;
    for (const [key, expr] of Object.entries(expressions as Record<string, unknown>)) {
      let outcome: ExecuteOutcome;
      try {
        outcome = await this.runner.execute(String(expr), `user_expressions[${JSON.stringify(key)}]`);
        if (outcome.status === "ok") {
          out[key] = { status: "ok", data: bundleOf(outcome.hasValue ? outcome.value : undefined), metadata: {} };
          continue;
        }
      } catch (e) {
        outcome = { status: "error", ...this.runner.errorContent(e) };
      }
      const { ename, evalue, traceback } = outcome;
      out[key] = { status: "error", ename, evalue, traceback };
    }
    return out;
  }
}
