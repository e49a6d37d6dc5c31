// Shell requests, each to the part that answers it. execute_request joins the queue of
// cells; every other request is answered at once, between status busy and idle (or inside
// the running cell's busy, so the kernel never looks idle while a cell runs). Completion
// and inspection right after start-up wait for the prelude's names (prelude-gate.ts).
import { log } from "../shared/log";
import type { Message } from "../shared/wire";
import type { CellRunner } from "./cell-runner";
import type { Comms } from "./comms";
import type { ExecuteRequests, Reply } from "./execute-requests";
import { kernelInfo } from "./kernel-info";
import type { Outputs } from "./outputs";
import type { PreludeGate } from "./prelude-gate";

interface ShellParts {
  runner: CellRunner;
  comms: Comms;
  executeRequests: ExecuteRequests;
  outputs: Outputs;
  prelude: PreludeGate;
  reply: Reply;
  /** Ends the kernel, once the shutdown_reply is on its way. */
  shutdown: () => void;
}

export class ShellHandler {
  constructor(private readonly p: ShellParts) {}

  /** Answers one request from the shell channel. */
  handle(msg: Message): void {
    const { runner, comms, executeRequests, prelude, reply } = this.p;
    const c = msg.content;
    switch (msg.header.msg_type) {
      case "execute_request":
        return executeRequests.submit(msg);
      case "kernel_info_request":
        return this.quick(msg, () => reply(msg, "kernel_info_reply", kernelInfo()));
      case "complete_request":
        return prelude.run(() => this.quick(msg, () => {
          const info = runner.complete(String(c.code), Number(c.cursor_pos));
          reply(msg, "complete_reply", { status: "ok", matches: info.candidates, cursor_start: info.start, cursor_end: info.end, metadata: {} });
        }));
      case "inspect_request":
        return prelude.run(() => this.quick(msg, () => {
          const data = runner.inspect(String(c.code), Number(c.cursor_pos));
          reply(msg, "inspect_reply", { status: "ok", found: !!data, data: data ?? {}, metadata: {} });
        }));
      case "is_complete_request":
        return this.quick(msg, () => {
          const r = runner.isCompleteCode(String(c.code));
          reply(msg, "is_complete_reply", r.completed ? { status: "complete" } : { status: "incomplete", indent: r.indent ?? "" });
        });
      case "history_request":
        return this.quick(msg, () => reply(msg, "history_reply", { status: "ok", history: executeRequests.history.query(c) }));
      case "comm_info_request":
        return this.quick(msg, () => reply(msg, "comm_info_reply", { status: "ok", comms: comms.info(c.target_name) }));
      case "comm_open":
        return this.quick(msg, () => comms.onOpen(msg));
      case "comm_msg":
        return this.quick(msg, () => comms.onMsg(msg));
      case "comm_close":
        return this.quick(msg, () => comms.onClose(msg));
      case "shutdown_request":
        reply(msg, "shutdown_reply", { status: "ok", restart: !!c.restart });
        return this.p.shutdown();
      default:
        log(`unsupported request ${msg.header.msg_type}`);
    }
  }

  /** Status around a quick request; none while a cell runs, so the kernel still looks busy. */
  private quick(msg: Message, fn: () => void): void {
    const { runner, outputs } = this.p;
    const busy = runner.running;
    if (!busy) outputs.status("busy", msg.header);
    try {
      fn();
    } finally {
      if (!busy) outputs.status("idle", msg.header);
    }
  }
}
