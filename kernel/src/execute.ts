// execute_request: execution counts, history, the cell's result as a MIME bundle, errors,
// and aborting the requests queued behind a failed cell (stop_on_error).
import type { MimeBundle } from "chainlab";
import { bundleOf } from "./bundle";
import type { ExecuteOutcome, Executor } from "./executor";
import { History } from "./history";
import { log } from "./log";
import type { Outputs } from "./outputs";
import type { CurrentRequest } from "./request";
import type { Message } from "./wire";

export type Reply = (msg: Message, msgType: string, content: Record<string, unknown>, metadata?: Record<string, unknown>) => void;

export class Execution {
  readonly history = new History();
  private executionCount = 0;
  private queue: Promise<void> = Promise.resolve();
  /** Bumped by a failed cell: requests queued before it are aborted. */
  private errorGeneration = 0;

  constructor(
    private readonly executor: Executor,
    private readonly outputs: Outputs,
    private readonly current: CurrentRequest,
    private readonly reply: Reply,
    /** Resolves once the prelude ran. */
    private readonly ready: Promise<void>,
  ) {}

  /** Queues a request behind those before it. */
  submit(msg: Message): void {
    const generation = this.errorGeneration;
    this.queue = this.queue.then(() => this.run(msg, generation)).catch((e) => log(`execute: ${(e as Error).stack ?? e}`));
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
      outcome = code.trim() ? await this.executor.execute(code, label) : { status: "ok", hasValue: false };
    } catch (e) {
      outcome = { status: "error", ...this.executor.errorContent(e) };
    }
    // Live displays reach their final state before the result that follows them.
    this.outputs.flushUpdates(true);
    if (outcome.status === "ok" && outcome.hasValue && !silent) {
      let data: MimeBundle = {};
      try {
        data = bundleOf(outcome.value);
      } catch (e) {
        outcome = { status: "error", ...this.executor.errorContent(e) };
      }
      if (outcome.status === "ok") {
        if (entry) entry.output = String(data["text/plain"]);
        this.outputs.publish("execute_result", { execution_count: count, data, metadata: {} }, msg.header);
      }
    }
    this.outputs.flushUpdates(true);
    this.outputs.flushStreams();
    if (outcome.status === "error") {
      const { ename, evalue, traceback } = outcome;
      this.outputs.publish("error", { ename, evalue, traceback }, msg.header);
      if (c.stop_on_error !== false) this.errorGeneration++;
      this.reply(msg, "execute_reply", { status: "error", execution_count: count, ename, evalue, traceback }, { status: "error" });
    } else {
      this.reply(msg, "execute_reply", { status: "ok", execution_count: count, user_expressions: this.userExpressions(c.user_expressions), payload: [] });
    }
    this.outputs.status("idle", msg.header);
  }

  private userExpressions(expressions: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (!expressions || typeof expressions !== "object") return out;
    for (const [key, expr] of Object.entries(expressions as Record<string, string>)) {
      try {
        const value = (0, eval)(String(expr));
        out[key] = { status: "ok", data: bundleOf(value), metadata: {} };
      } catch (e) {
        out[key] = { status: "error", ename: (e as Error).name ?? "Error", evalue: String((e as Error).message ?? e), traceback: [] };
      }
    }
    return out;
  }
}
