// The control, stdin and heartbeat channels run on their own thread, so they answer while
// a cell keeps the main thread busy: an interrupt request reaches a synchronous loop
// (through a shared counter the cell's loop checkpoints read), and a synchronous prompt()
// can block the main thread while its answer comes in here.
import type { MessagePort } from "node:worker_threads";
import * as zmq from "zeromq";
import { address, inputState, sendQueue, sharedInts, sharedText, slot, type ChannelsData, type FromChannels, type ToChannels } from "../shared/channels-link";
import { log } from "../shared/log";
import { Codec, type Message } from "../shared/wire";

/** Serves the control, stdin and heartbeat sockets until the main thread posts "close". */
export async function serveChannels(data: ChannelsData, port: MessagePort): Promise<void> {
  const conn = data.connection;
  const codec = new Codec(conn);
  const ints = sharedInts(data.shared);
  const bytes = sharedText(data.shared);

  const control = new zmq.Router();
  const stdin = new zmq.Router();
  const hb = new zmq.Reply();
  await Promise.all([control.bind(address(conn, conn.control_port)), stdin.bind(address(conn, conn.stdin_port)), hb.bind(address(conn, conn.hb_port))]);
  const sendControl = sendQueue(control);
  const sendStdin = sendQueue(stdin);
  const post = (m: FromChannels) => port.postMessage(m);

  const finishInput = (state: number, text = "") => {
    const encoded = Buffer.from(text, "utf8");
    const n = Math.min(encoded.length, bytes.length);
    bytes.set(encoded.subarray(0, n));
    Atomics.store(ints, slot.inputLength, n);
    Atomics.store(ints, slot.inputState, state);
    Atomics.notify(ints, slot.inputState);
  };

  port.on("message", (m: ToChannels) => {
    if (m.type === "input") {
      const identities = m.identities.map((b) => Buffer.from(b));
      sendStdin(codec.encode(identities, "input_request", { prompt: m.prompt, password: m.password }, m.parent as never));
    } else if (m.type === "close") {
      control.close();
      stdin.close();
      hb.close();
      port.close();
    }
  });

  void (async () => {
    for await (const frames of hb) await hb.send(frames);
  })().catch(() => undefined);

  void (async () => {
    for await (const frames of stdin) {
      let msg: Message;
      try {
        msg = codec.decode(frames);
      } catch (e) {
        log(`stdin: ${String(e)}`);
        continue;
      }
      if (msg.header.msg_type === "input_reply" && Atomics.load(ints, slot.inputState) === inputState.waiting) {
        finishInput(inputState.done, String(msg.content.value ?? ""));
      }
    }
  })().catch(() => undefined);

  for await (const frames of control) {
    let msg: Message;
    try {
      msg = codec.decode(frames);
    } catch (e) {
      log(`control: ${String(e)}`);
      continue;
    }
    const reply = (type: string, content: unknown) => sendControl(codec.encode(msg.identities, type, content, msg.header));
    switch (msg.header.msg_type) {
      case "interrupt_request": {
        const epoch = Atomics.add(ints, slot.epoch, 1) + 1;
        // Code without checkpoints (library code) is broken by a signal while it runs under
        // breakOnSigint. Only then: Node hands a signal that lands just as a script ends to
        // the next script, so a signal is sent only when no checkpoint took the interrupt.
        setTimeout(() => {
          if (Atomics.load(ints, slot.seenEpoch) < epoch && Atomics.load(ints, slot.inVm) === 1) {
            Atomics.add(ints, slot.selfSignals, 1);
            process.kill(process.pid, "SIGINT");
          }
        }, 250);
        if (Atomics.load(ints, slot.inputState) === inputState.waiting) finishInput(inputState.interrupted);
        // A main thread blocked on the compiler looks at the counter when woken.
        if (data.compilerWake) Atomics.notify(new Int32Array(data.compilerWake), 0);
        post({ type: "interrupt" });
        reply("interrupt_reply", { status: "ok" });
        break;
      }
      case "shutdown_request":
        reply("shutdown_reply", { status: "ok", restart: !!msg.content.restart });
        post({ type: "shutdown", restart: !!msg.content.restart });
        break;
      case "kernel_info_request":
        reply("kernel_info_reply", data.kernelInfo);
        break;
      default:
        reply(msg.header.msg_type.replace(/_request$/, "_reply"), { status: "error", ename: "NotImplemented", evalue: msg.header.msg_type, traceback: [] });
    }
  }
}

