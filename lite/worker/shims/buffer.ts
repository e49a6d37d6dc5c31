// The part of Node's Buffer that the library and cells use in the tab: a Uint8Array with
// text encodings (utf8, base64, hex, latin1). Arrow bundles go out as base64 through it.
type Encoding = "utf8" | "utf-8" | "base64" | "hex" | "latin1" | "binary" | "ascii";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function fromString(s: string, enc: Encoding): Uint8Array {
  switch (enc) {
    case "base64": {
      const bin = atob(s.replace(/[^A-Za-z0-9+/]/g, ""));
      const out = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
      return out;
    }
    case "hex": {
      const out = new Uint8Array(s.length >> 1);
      for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
      return out;
    }
    case "latin1":
    case "binary":
    case "ascii": {
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
      return out;
    }
    default:
      return encoder.encode(s);
  }
}

class NodeBuffer extends Uint8Array {
  override toString(enc: Encoding = "utf8", start = 0, end = this.length): string {
    const bytes = this.subarray(start, end);
    switch (enc) {
      case "base64": {
        let bin = "";
        for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(bin);
      }
      case "hex":
        return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      case "latin1":
      case "binary":
      case "ascii":
        return Array.from(bytes, (b) => String.fromCharCode(b)).join("");
      default:
        return decoder.decode(bytes);
    }
  }

  equals(other: Uint8Array): boolean {
    if (other.length !== this.length) return false;
    for (let i = 0; i < this.length; i++) if (other[i] !== this[i]) return false;
    return true;
  }

  override subarray(start?: number, end?: number): NodeBuffer {
    const v = super.subarray(start, end);
    return new NodeBuffer(v.buffer as ArrayBuffer, v.byteOffset, v.length);
  }

  readUInt32LE(at: number): number {
    return new DataView(this.buffer, this.byteOffset).getUint32(at, true);
  }

  writeUInt32LE(value: number, at: number): number {
    new DataView(this.buffer, this.byteOffset).setUint32(at, value, true);
    return at + 4;
  }
}

const statics = {
  from(value: string | ArrayLike<number> | ArrayBufferLike | Iterable<number>, encOrOffset?: Encoding | number, length?: number): NodeBuffer {
    if (typeof value === "string") {
      const bytes = fromString(value, (encOrOffset as Encoding) ?? "utf8");
      return new NodeBuffer(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length);
    }
    if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer)) {
      const offset = (encOrOffset as number) ?? 0;
      return new NodeBuffer(value as ArrayBuffer, offset, length ?? (value as ArrayBuffer).byteLength - offset);
    }
    const copy = new NodeBuffer((value as ArrayLike<number>).length ?? 0);
    copy.set(Array.isArray(value) || ArrayBuffer.isView(value) ? (value as ArrayLike<number>) : Array.from(value as Iterable<number>));
    return copy;
  },

  alloc(n: number, fill = 0): NodeBuffer {
    return new NodeBuffer(n).fill(fill) as NodeBuffer;
  },

  allocUnsafe(n: number): NodeBuffer {
    return new NodeBuffer(n);
  },

  allocUnsafeSlow(n: number): NodeBuffer {
    return new NodeBuffer(n);
  },

  isBuffer(x: unknown): x is NodeBuffer {
    return x instanceof NodeBuffer;
  },

  byteLength(s: string | ArrayBufferView | ArrayBuffer, enc: Encoding = "utf8"): number {
    if (typeof s !== "string") return s.byteLength;
    return fromString(s, enc).length;
  },

  concat(list: readonly Uint8Array[], total?: number): NodeBuffer {
    const n = total ?? list.reduce((s, b) => s + b.length, 0);
    const out = new NodeBuffer(n);
    let at = 0;
    for (const b of list) {
      if (at >= n) break;
      out.set(b.subarray(0, n - at), at);
      at += b.length;
    }
    return out;
  },
};

type BufferClass = typeof statics & {
  new (n: number): NodeBuffer;
  new (b: ArrayBuffer, offset?: number, length?: number): NodeBuffer;
  readonly prototype: NodeBuffer;
};

/** Node's Buffer: the class, with its static constructors in place of Uint8Array's. */
export const Buffer = Object.assign(NodeBuffer, statics) as unknown as BufferClass;
export type Buffer = NodeBuffer;

export default { Buffer };
