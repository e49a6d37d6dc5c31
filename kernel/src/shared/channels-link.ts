// What the main thread and the channels thread share: the layout of the shared buffer (an
// interrupt counter and the stdin answer, read without waiting for the event loop), the
// messages they post to each other, and the ordered sender both use on their sockets.
import type * as zmq from "zeromq";
import type { ConnectionInfo } from "./wire";

export interface ChannelsData {
  connection: ConnectionInfo;
  shared: SharedArrayBuffer;
  kernelInfo: Record<string, unknown>;
  /** The counter the main thread waits on for the compiler; an interrupt wakes it. */
  compilerWake?: SharedArrayBuffer;
}

/** Int32 slots at the start of the shared buffer. */
export const slot = {
  /** Interrupt counter, bumped by the channels thread on every interrupt_request. */
  epoch: 0,
  /** One of `inputState`. */
  inputState: 1,
  /** Bytes of the stdin answer after the header. */
  inputLength: 2,
  /** 1 while the main thread runs cell code under vm's breakOnSigint. */
  inVm: 3,
  /** SIGINTs the channels thread sent to its own process (the main thread ignores those). */
  selfSignals: 4,
  /** The last interrupt counter value the main thread has acted on. */
  seenEpoch: 5,
} as const;

export const inputState = { idle: 0, waiting: 1, done: 2, interrupted: 3 } as const;

const sharedSlots = 8;
/** Byte offset of the stdin answer. */
const sharedHeader = sharedSlots * 4;
export const sharedSize = sharedHeader + (1 << 20);

/** The slots as integers, over a buffer of `sharedSize` bytes. */
export function sharedInts(shared: SharedArrayBuffer): Int32Array {
  return new Int32Array(shared, 0, sharedSlots);
}

/** The bytes of the stdin answer. */
export function sharedText(shared: SharedArrayBuffer): Uint8Array {
  return new Uint8Array(shared, sharedHeader);
}

export type ToChannels =
  | { type: "input"; prompt: string; password: boolean; identities: Uint8Array[]; parent: Record<string, unknown> }
  | { type: "close" };

export type FromChannels =
  | { type: "interrupt" }
  | { type: "shutdown"; restart: boolean };

export type Frames = (Buffer | string)[];

/** Sends frames in order on a socket, one send at a time (zeromq allows no concurrent sends). */
export function sendQueue(sock: zmq.Writable & zmq.Socket): (frames: Frames) => void {
  const queue: Frames[] = [];
  let draining = false;
  return (frames: Frames) => {
    queue.push(frames);
    if (draining) return;
    draining = true;
    void (async () => {
      try {
        while (queue.length) await sock.send(queue.shift()!);
      } catch {
        // The socket closed while shutting down.
      } finally {
        draining = false;
      }
    })();
  };
}

/** A zeromq address for one of the connection file's ports. */
export function address(conn: ConnectionInfo, port: number): string {
  return `${conn.transport}://${conn.ip}${conn.transport === "ipc" ? "-" : ":"}${port}`;
}
