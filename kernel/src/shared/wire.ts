// The Jupyter wire protocol (messaging spec 5.3): framing, HMAC signing, message headers.
import { createHmac, createSecretKey, randomUUID, timingSafeEqual, type KeyObject } from "node:crypto";
import { safe } from "./builtins";

export const protocolVersion = "5.3";
const delimiter = safe.bufferFrom("<IDS|MSG>");

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  [key: string]: unknown;
}

export interface Message {
  identities: Buffer[];
  header: Header;
  parentHeader: Partial<Header>;
  metadata: Record<string, unknown>;
  content: Record<string, any>;
  buffers: Buffer[];
}

export interface ConnectionInfo {
  transport: string;
  ip: string;
  key: string;
  signature_scheme?: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
}

export class Codec {
  readonly session = randomUUID();
  /** A key object made once: Node makes a Buffer of a string key on every HMAC otherwise. */
  private readonly key: KeyObject | undefined;
  private readonly algorithm: string;

  constructor(info: Pick<ConnectionInfo, "key" | "signature_scheme">) {
    this.key = info.key ? createSecretKey(Buffer.from(info.key, "utf8")) : undefined;
    this.algorithm = (info.signature_scheme ?? "hmac-sha256").replace(/^hmac-/, "");
  }

  private sign(parts: (Buffer | string)[]): string {
    if (!this.key) return "";
    const h = createHmac(this.algorithm, this.key);
    for (let i = 0; i < parts.length; i++) h.update(parts[i]);
    return h.digest("hex");
  }

  /** Compares in constant time, so the time taken tells nothing about the right signature. */
  private verify(signature: Buffer | undefined, parts: Buffer[]): boolean {
    if (!this.key) return true;
    const expected = safe.bufferFrom(this.sign(parts), "ascii");
    return signature !== undefined && signature.length === expected.length && timingSafeEqual(signature, expected);
  }

  /** Parses a message; throws on a bad signature (the caller drops the message). */
  decode(frames: Buffer[]): Message {
    let at = -1;
    for (let i = 0; i < frames.length && at < 0; i++) if (frames[i].equals(delimiter)) at = i;
    if (at < 0) throw new Error("message without <IDS|MSG> delimiter");
    const parts = safe.slice(frames, at + 2, at + 6);
    if (parts.length < 4) throw new Error("message with fewer than four parts");
    if (!this.verify(frames[at + 1], parts)) throw new Error("message with a bad signature, dropped");
    return {
      identities: safe.slice(frames, 0, at),
      header: safe.parse(parts[0].toString()) as never,
      parentHeader: safe.parse(parts[1].toString()) as never,
      metadata: safe.parse(parts[2].toString()) as never,
      content: safe.parse(parts[3].toString()) as never,
      buffers: safe.slice(frames, at + 6),
    };
  }

  header(msgType: string): Header {
    return {
      msg_id: randomUUID(),
      session: this.session,
      username: "kernel",
      date: safe.isoNow(),
      msg_type: msgType,
      version: protocolVersion,
    };
  }

  /** Frames of a message to `identities`, replying to `parent` (if any). */
  encode(
    identities: Buffer[],
    msgType: string,
    content: unknown,
    parent: Partial<Header> | undefined,
    metadata: Record<string, unknown> = {},
    buffers: (Buffer | Uint8Array)[] = [],
  ): (Buffer | string)[] {
    const parts = [safe.stringify(this.header(msgType)), safe.stringify(parent ?? {}), safe.stringify(metadata), safe.stringify(content)];
    // Built with indexed writes: a cell may have replaced the array methods spread relies on.
    const frames: (Buffer | string)[] = [];
    for (let i = 0; i < identities.length; i++) frames[frames.length] = identities[i];
    frames[frames.length] = delimiter;
    frames[frames.length] = this.sign(parts);
    for (let i = 0; i < parts.length; i++) frames[frames.length] = parts[i];
    for (let i = 0; i < buffers.length; i++) frames[frames.length] = safe.bufferFrom(buffers[i].buffer, buffers[i].byteOffset, buffers[i].byteLength);
    return frames;
  }
}
