// The main thread's parts wired together, apart from the sockets: the kernel hands them
// its zeromq sockets and its channels thread (kernel.ts); the in-process tests hand them
// lists, and drive the shell handler with messages directly.
import { sharedInts, sharedSize, sharedText, type Frames, type ToChannels } from "../shared/channels-link";
import type { Codec } from "../shared/wire";
import { CellRunner } from "./cell-runner";
import { Comms } from "./comms";
import type { CompilerClient } from "./compiler-client";
import { ExecuteRequests, type Reply } from "./execute-requests";
import { kernelModules, runPrelude } from "./library";
import { outputLimits } from "./output-limits";
import { Outputs, type Publisher } from "./outputs";
import { PreludeGate } from "./prelude-gate";
import { callbackErrorReporter, captureProcessOutput, hookTslabDisplay, installProcessHandlers } from "./process-hooks";
import { CurrentRequest } from "./request";
import { ShellHandler } from "./shell";
import { CellEndHooks, installKernelSink, kernelSink } from "./sink";
import { Stdin } from "./stdin";

/** Where the main thread's messages go, and what it shares with the channels thread. */
interface KernelIo {
  codec: Codec;
  iopub: Publisher;
  /** Sends frames on the shell socket, in order. */
  shellSend: (frames: Frames) => void;
  /** Posts to the channels thread (input requests). */
  postChannels: (m: ToChannels) => void;
  /** Shared with the channels thread (channels-link.ts); a fresh buffer when there is none. */
  shared?: SharedArrayBuffer;
}

interface AssembleOptions {
  /** Where the notebook lives; cells resolve relative imports from here. */
  cwd: string;
  compiler: CompilerClient;
  /** Skip preloading chainlab. */
  noPrelude?: boolean;
  /** The most output messages that may wait (CHAINLAB_OUTPUT_BACKLOG). */
  backlog?: string;
  /** Take over the process's stdout, stderr, SIGINT and uncaught errors (the kernel does). */
  processHooks?: boolean;
  /** Ends the kernel (shutdown_request). */
  shutdown: () => void;
}

export interface KernelParts {
  outputs: Outputs;
  current: CurrentRequest;
  runner: CellRunner;
  comms: Comms;
  shell: ShellHandler;
  /** Settles once the prelude ran (or failed, leaving a bare kernel). */
  ready: Promise<void>;
}

export function assembleKernel(options: AssembleOptions, io: KernelIo): KernelParts {
  const { codec, shared = new SharedArrayBuffer(sharedSize) } = io;
  const { compiler } = options;
  const ints = sharedInts(shared);
  const outputs = new Outputs(io.iopub, codec, outputLimits(options.backlog));
  const current = new CurrentRequest();
  const runner = new CellRunner({
    cwd: options.cwd,
    modules: kernelModules(),
    shared: ints,
    compiler,
    onTslab: () => hookTslabDisplay(outputs, current),
    outputHeld: () => outputs.held(),
  });
  const report = callbackErrorReporter(outputs, current, runner);
  const comms = new Comms((msgType, content, metadata = {}, buffers = []) => {
    outputs.flushStreams();
    outputs.send(codec.encode([Buffer.from(msgType)], msgType, content, current.header, metadata, buffers), msgType);
  }, report);
  const stdin = new Stdin({ ints, text: sharedText(shared), current, runner, post: io.postChannels, flush: () => outputs.flushStreams() });
  const reply: Reply = (msg, msgType, content, metadata = {}) => io.shellSend(codec.encode(msg.identities, msgType, content, msg.header, metadata));
  if (options.processHooks) captureProcessOutput(outputs, current);
  const cellEnd = new CellEndHooks();
  installKernelSink(kernelSink(outputs, current, comms, stdin, cellEnd));
  if (options.processHooks) installProcessHandlers(runner, report);
  const ready = options.noPrelude ? Promise.resolve() : runPrelude(runner, compiler);
  const executeRequests = new ExecuteRequests(runner, outputs, current, reply, ready, cellEnd);
  const shell = new ShellHandler({ runner, comms, executeRequests, outputs, prelude: new PreludeGate(ready), reply, shutdown: options.shutdown });
  return { outputs, current, runner, comms, shell, ready };
}
