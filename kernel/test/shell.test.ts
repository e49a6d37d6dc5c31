// The kernel's message handling in one process, without sockets (as tslab's jupyter.spec.ts
// tests its handler): the main thread's parts as the kernel assembles them, with the real
// compiler thread and the library's prelude, and lists in place of the IOPub and shell
// sockets. Requests go in as signed frames, decoded as the shell loop decodes them; what
// comes out is decoded as a client would. Runs the built kernel (kernel/dist).
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";

type Kernel = typeof import("../dist/index");
type Wire = typeof import("../dist/shared/wire");
type Hooks = typeof import("../dist/main/process-hooks");
type Link = typeof import("../dist/shared/channels-link");
type Message = import("../dist/shared/wire").Message;

const dist = path.join(__dirname, "..", "dist");
const load = createRequire(path.join(dist, "index.js"));
const { assembleKernel, startCompiler } = load("./index.js") as Kernel;
const { Codec } = load("./shared/wire.js") as Wire;
const { captureProcessOutput } = load("./main/process-hooks.js") as Hooks;
const { inputState, sharedInts, sharedSize, sharedText, slot } = load("./shared/channels-link.js") as Link;

interface Seen {
  type: string;
  parent: string | undefined;
  content: Record<string, any>;
}

const key = "in-process";
const client = new Codec({ key });
const kernelSide = new Codec({ key });
const iopub: Seen[] = [];
const replies: Seen[] = [];
let shutdowns = 0;
/** What the main thread posts to the channels thread, and the buffer they share. */
const posted: Record<string, any>[] = [];
const shared = new SharedArrayBuffer(sharedSize);
const ints = sharedInts(shared);
const read = (frames: (Buffer | string)[]): Seen => {
  const m = client.decode(frames.map((f) => Buffer.from(f)));
  return { type: m.header.msg_type, parent: m.parentHeader.msg_id, content: m.content };
};

const compiler = startCompiler(true);
const kernel = assembleKernel(
  { cwd: process.cwd(), compiler, shutdown: () => shutdowns++ },
  {
    codec: kernelSide,
    iopub: { send: async (frames) => void iopub.push(read(frames)) },
    shellSend: (frames) => replies.push(read(frames)),
    postChannels: (m) => void posted.push(m),
    shared,
  },
);
let restoreOutput: () => void;

beforeAll(async () => {
  restoreOutput = captureProcessOutput(kernel.outputs, kernel.current);
  await kernel.ready;
});

afterAll(() => {
  restoreOutput?.();
  kernel.runner.close();
});

/** A request as the shell loop hands it over: signed by a client, decoded by the kernel. */
function request(msgType: string, content: Record<string, unknown>): Message {
  const frames = client.encode([Buffer.from("client")], msgType, content, undefined);
  return kernelSide.decode(frames.map((f) => Buffer.from(f)));
}

async function until<T>(what: string, find: () => T | undefined): Promise<T> {
  // a freeze guard only: each request here is answered well within it
  for (let waited = 0; waited < 60_000; waited += 10) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no ${what} within 60 s`);
}

/** Handles `msg`; resolves with what IOPub carried until its idle, and its shell reply. */
async function send(msg: Message): Promise<{ out: Seen[]; reply: Seen | undefined }> {
  const from = iopub.length;
  const id = msg.header.msg_id;
  kernel.shell.handle(msg);
  const end = await until(`idle for ${msg.header.msg_type}`, () => {
    const at = iopub.findIndex((m, i) => i >= from && m.type === "status" && m.parent === id && m.content.execution_state === "idle");
    return at < 0 ? undefined : at;
  });
  return { out: iopub.slice(from, end + 1), reply: replies.find((r) => r.parent === id) };
}

const run = (code: string, extra: Record<string, unknown> = {}) =>
  send(request("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, ...extra }));

const kinds = (out: Seen[]) => out.map((m) => (m.type === "status" ? `status:${m.content.execution_state}` : m.type));

test("execute_request: busy, execute_input, stream, execute_result and idle, in that order, then an ok reply", async () => {
  const { out, reply } = await run('console.log("hello from a cell");\n6 * 7');
  expect(kinds(out)).toEqual(["status:busy", "execute_input", "stream", "execute_result", "status:idle"]);
  expect(out[1].content).toEqual({ code: 'console.log("hello from a cell");\n6 * 7', execution_count: 1 });
  expect(out[2].content).toEqual({ name: "stdout", text: "hello from a cell\n" });
  expect(out[3].content.data["text/plain"]).toBe("42");
  expect(out[3].content.execution_count).toBe(1);
  expect(reply?.type).toBe("execute_reply");
  expect(reply?.content).toMatchObject({ status: "ok", execution_count: 1 });
});

test("a cell that throws: an error message with a traceback in cell lines, an error reply, and the queued cell aborted", async () => {
  const failing = request("execute_request", { code: 'function fail(): never {\n  throw new RangeError("out of range");\n}\nfail();' });
  const queued = request("execute_request", { code: "1 + 1" });
  const first = send(failing);
  const second = send(queued);
  const of = (m: Message, out: Seen[]) => out.filter((o) => o.parent === m.header.msg_id);
  const { out: seen, reply } = await first;
  const out = of(failing, seen);
  expect(kinds(out)).toEqual(["status:busy", "execute_input", "error", "status:idle"]);
  const error = out[2].content;
  expect(error).toMatchObject({ ename: "RangeError", evalue: "out of range" });
  const traceback = (error.traceback as string[]).join("\n");
  expect(traceback).toContain("Cell In[2], line 2, in fail");
  expect(traceback).toContain("Cell In[2], line 4");
  expect(traceback).not.toMatch(/node:|dist\/|\.js\b/);
  expect(reply?.content).toMatchObject({ status: "error", ename: "RangeError", evalue: "out of range", execution_count: 2 });
  const aborted = await second;
  expect(kinds(of(queued, aborted.out))).toEqual(["status:busy", "status:idle"]);
  expect(aborted.reply?.content).toMatchObject({ status: "aborted" });
});

test("a type error: CompileError naming the cell line, and the kernel runs the next cell", async () => {
  const { out, reply } = await run('const n: number = "text";');
  const error = out.find((m) => m.type === "error")!.content;
  expect(error.ename).toBe("CompileError");
  expect(error.evalue).toMatch(/^line 1: Type 'string' is not assignable to type 'number'/);
  expect(reply?.content.status).toBe("error");
  expect((await run("2 ** 10")).out.find((m) => m.type === "execute_result")?.content.data["text/plain"]).toBe("1024");
});

test("complete_request and inspect_request answer from the program, preloaded names and earlier cells' alike", async () => {
  await run("const learningRate = 0.01;");
  const library = await send(request("complete_request", { code: "tens", cursor_pos: 4 }));
  expect(kinds(library.out)).toEqual(["status:busy", "status:idle"]);
  expect(library.reply?.type).toBe("complete_reply");
  expect(library.reply?.content).toMatchObject({ status: "ok", cursor_start: 0, cursor_end: 4 });
  expect(library.reply?.content.matches).toContain("tensor");
  const own = await send(request("complete_request", { code: "learn", cursor_pos: 5 }));
  expect(own.reply?.content.matches).toContain("learningRate");
  const inspected = await send(request("inspect_request", { code: "tensor", cursor_pos: 3, detail_level: 0 }));
  expect(inspected.reply?.type).toBe("inspect_reply");
  expect(inspected.reply?.content).toMatchObject({ status: "ok", found: true });
  expect(inspected.reply?.content.data["text/plain"]).toMatch(/^function tensor\(/);
  expect(inspected.reply?.content.data["text/markdown"]).toContain("```typescript");
  const nothing = await send(request("inspect_request", { code: "   ", cursor_pos: 1, detail_level: 0 }));
  expect(nothing.reply?.content).toMatchObject({ status: "ok", found: false, data: {} });
});

test("comm_open reaches the target a cell registered, comm_msg its handlers, comm_close closes it", async () => {
  await run(
    'comms.registerTarget("echo", (comm, open) => {\n' +
      "  comm.send({ opened: open.content.data });\n" +
      "  comm.onMsg((data) => comm.send({ echo: data }));\n" +
      "});",
  );
  const opened = await send(request("comm_open", { comm_id: "c1", target_name: "echo", data: { hello: 1 } }));
  expect(kinds(opened.out)).toEqual(["status:busy", "comm_msg", "status:idle"]);
  expect(opened.out[1].content).toEqual({ comm_id: "c1", data: { opened: { hello: 1 } } });
  const echoed = await send(request("comm_msg", { comm_id: "c1", data: { x: 2 } }));
  expect(echoed.out[1]).toMatchObject({ type: "comm_msg", content: { comm_id: "c1", data: { echo: { x: 2 } } } });
  const info = await send(request("comm_info_request", { target_name: "echo" }));
  expect(info.reply?.content).toEqual({ status: "ok", comms: { c1: { target_name: "echo" } } });
  await send(request("comm_close", { comm_id: "c1", data: {} }));
  expect((await send(request("comm_info_request", {}))).reply?.content.comms).toEqual({});
  const unknown = await send(request("comm_open", { comm_id: "c2", target_name: "nobody", data: {} }));
  expect(unknown.out[1]).toMatchObject({ type: "comm_close", content: { comm_id: "c2", data: { error: "no comm target nobody" } } });
  const afterClose = await send(request("comm_msg", { comm_id: "c1", data: { x: 3 } }));
  expect(kinds(afterClose.out)).toEqual(["status:busy", "status:idle"]);
});

test("input() asks through the channels thread and gets the answer from the shared buffer; without allow_stdin it is refused", async () => {
  const refused = await run('prompt("your name?")');
  expect(refused.out.find((m) => m.type === "error")?.content.ename).toBe("StdinNotImplementedError");
  const asking = request("execute_request", { code: 'const name = await input("your name?");\n`hello ${name}`', allow_stdin: true });
  const answered = send(asking);
  const ask = await until("an input request", () => posted.find((m) => m.type === "input"));
  expect(ask).toMatchObject({ prompt: "your name?", password: false, parent: { msg_id: asking.header.msg_id } });
  expect(Buffer.from(ask.identities[0]).toString()).toBe("client");
  // what the channels thread does with the input_reply
  const bytes = Buffer.from("Ada");
  sharedText(shared).set(bytes);
  Atomics.store(ints, slot.inputLength, bytes.length);
  Atomics.store(ints, slot.inputState, inputState.done);
  Atomics.notify(ints, slot.inputState);
  const { out } = await answered;
  expect(out.find((m) => m.type === "execute_result")?.content.data["text/plain"]).toBe("'hello Ada'");
});

test("an interrupt (the shared counter, then the channels thread's message) stops an awaiting cell with KeyboardInterrupt", async () => {
  const waiting = request("execute_request", { code: "await new Promise((resolve) => setTimeout(resolve, 20_000));\n'never'" });
  const stopped = send(waiting);
  await until("the cell's input", () => iopub.find((m) => m.type === "execute_input" && m.parent === waiting.header.msg_id));
  Atomics.add(ints, slot.epoch, 1);
  kernel.runner.checkEpoch();
  const { out, reply } = await stopped;
  expect(out.find((m) => m.type === "error")?.content).toMatchObject({ ename: "KeyboardInterrupt" });
  expect(reply?.content).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
  expect((await run("'after'")).out.find((m) => m.type === "execute_result")?.content.data["text/plain"]).toBe("'after'");
});

test("kernel_info, is_complete, history and shutdown replies", async () => {
  const info = await send(request("kernel_info_request", {}));
  expect(kinds(info.out)).toEqual(["status:busy", "status:idle"]);
  expect(info.reply?.content).toMatchObject({ status: "ok", protocol_version: "5.3", implementation: "chainlab" });
  const open = await send(request("is_complete_request", { code: "for (let i = 0; i < 3; i++) {" }));
  expect(open.reply?.content.status).toBe("incomplete");
  expect((await send(request("is_complete_request", { code: "1 + 1" }))).reply?.content).toEqual({ status: "complete" });
  const history = await send(request("history_request", { hist_access_type: "search", pattern: "const learning*", output: false, raw: true }));
  expect(history.reply?.content.history).toEqual([[0, 5, "const learningRate = 0.01;"]]);
  kernel.shell.handle(request("shutdown_request", { restart: false }));
  expect(replies.at(-1)).toMatchObject({ type: "shutdown_reply", content: { status: "ok", restart: false } });
  expect(shutdowns).toBe(1);
});
