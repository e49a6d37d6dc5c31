// The Jupyter wire protocol (messaging spec 5.3): framing, HMAC signing, message headers.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const protocolVersion = "5.3";
const delimiter = Buffer.from("<IDS|MSG>");

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
  private readonly key: string;
  private readonly algorithm: string;

  constructor(info: Pick<ConnectionInfo, "key" | "signature_scheme">) {
    this.key = info.key;
    this.algorithm = (info.signature_scheme ?? "hmac-sha256").replace(/^hmac-/, "");
  }

  private sign(parts: (Buffer | string)[]): string {
    if (!this.key) return "";
    const h = createHmac(this.algorithm, this.key);
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }

  /** Compares in constant time, so the time taken tells nothing about the right signature. */
  private verify(signature: Buffer | undefined, parts: Buffer[]): boolean {
    if (!this.key) return true;
    const expected = Buffer.from(this.sign(parts), "ascii");
    return signature !== undefined && signature.length === expected.length && timingSafeEqual(signature, expected);
  }

  /** Parses a message; throws on a bad signature (the caller drops the message). */
  decode(frames: Buffer[]): Message {
    const at = frames.findIndex((f) => f.equals(delimiter));
    if (at < 0) throw new Error("message without <IDS|MSG> delimiter");
    const parts = frames.slice(at + 2, at + 6);
    if (parts.length < 4) throw new Error("message with fewer than four parts");
    if (!this.verify(frames[at + 1], parts)) throw new Error("message with a bad signature, dropped");
    return {
      identities: frames.slice(0, at),
      header: JSON.parse(parts[0].toString()),
      parentHeader: JSON.parse(parts[1].toString()),
      metadata: JSON.parse(parts[2].toString()),
      content: JSON.parse(parts[3].toString()),
      buffers: frames.slice(at + 6),
    };
  }

  header(msgType: string): Header {
    return {
      msg_id: randomUUID(),
      session: this.session,
      username: "kernel",
      date: new Date().toISOString(),
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
    const parts = [
      JSON.stringify(this.header(msgType)),
      JSON.stringify(parent ?? {}),
      JSON.stringify(metadata),
      JSON.stringify(content),
    ];
    return [...identities, delimiter, this.sign(parts), ...parts, ...buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))];
  }
}
