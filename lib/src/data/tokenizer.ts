// A character-level tokenizer, as nanoGPT's shakespeare_char uses: the vocabulary is the
// sorted set of characters of a corpus. Characters are Unicode code points, not UTF-16
// units, so a character outside the BMP is one token rather than two halves of a pair.
import { Tensor } from "../tensor";

export interface CharTokenizerJSON {
  type: "CharTokenizer";
  vocab: string[];
}

function codePointOrder(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

function showChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return `${JSON.stringify(ch)} (U+${cp.toString(16).toUpperCase().padStart(4, "0")})`;
}

/**
 * Characters to ids and back, one id per distinct character (Karpathy's char-level tokenizer).
 * @example const tok = data.CharTokenizer.fromText(text); tok.decode(tok.encode("hi")) // "hi"
 */
export class CharTokenizer {
  /** id → character, in code-point order. */
  readonly vocab: readonly string[];
  private readonly index: Map<string, number>;

  constructor(vocab: readonly string[]) {
    const seen = new Map<string, number>();
    vocab.forEach((ch, i) => {
      if (typeof ch !== "string" || [...ch].length !== 1) {
        throw new Error(`CharTokenizer(): vocabulary entry ${i} is ${JSON.stringify(ch)}, expected a single character`);
      }
      if (seen.has(ch)) throw new Error(`CharTokenizer(): character ${showChar(ch)} appears twice in the vocabulary`);
      seen.set(ch, i);
    });
    this.vocab = Object.freeze([...vocab]);
    this.index = seen;
  }

  /** The sorted set of the characters of `corpus` (the same order as Python's sorted(set(text))). */
  static fromText(corpus: string): CharTokenizer {
    const chars = new Set<string>();
    for (const ch of corpus) chars.add(ch);
    return new CharTokenizer([...chars].sort(codePointOrder));
  }

  /**
   * The tokenizer that toJSON() (or JSON.stringify) saved.
   * @example const tok2 = data.CharTokenizer.fromJSON(JSON.stringify(tok));
   */
  static fromJSON(json: CharTokenizerJSON | string): CharTokenizer {
    const obj = typeof json === "string" ? (JSON.parse(json) as CharTokenizerJSON) : json;
    if (!obj || obj.type !== "CharTokenizer" || !Array.isArray(obj.vocab)) {
      throw new Error('CharTokenizer.fromJSON(): expected {type: "CharTokenizer", vocab: [...]}');
    }
    return new CharTokenizer(obj.vocab);
  }

  /** How many distinct characters (ids 0..vocabSize-1). */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /**
   * {type: "CharTokenizer", vocab}: what JSON.stringify writes and fromJSON reads.
   * @example fs.writeFileSync("tok.json", JSON.stringify(tok));
   */
  toJSON(): CharTokenizerJSON {
    return { type: "CharTokenizer", vocab: [...this.vocab] };
  }

  /** The id of every character of `text`. */
  encode(text: string): number[] {
    const out: number[] = [];
    this.encodeInto(text, (id) => out.push(id));
    return out;
  }

  /** encode() as an int32 tensor of shape [n], built without an intermediate array (corpora are large). */
  encodeTensor(text: string): Tensor {
    let buf = new Int32Array(text.length);
    let n = 0;
    this.encodeInto(text, (id) => {
      buf[n++] = id;
    });
    if (n !== buf.length) buf = buf.slice(0, n);
    return new Tensor(buf, [n]);
  }

  private encodeInto(text: string, emit: (id: number) => void): void {
    let pos = 0;
    for (const ch of text) {
      const id = this.index.get(ch);
      if (id === undefined) {
        throw new Error(
          `CharTokenizer.encode(): character ${showChar(ch)} at position ${pos} is not in the vocabulary ` +
            `(${this.vocab.length} characters)`,
        );
      }
      emit(id);
      pos++;
    }
  }

  /** The text of a sequence of ids (a number array, typed array or 1-D tensor). */
  decode(ids: ArrayLike<number> | Tensor): string {
    let v: ArrayLike<number>;
    if (ids instanceof Tensor) {
      if (ids.ndim > 1) throw new Error(`CharTokenizer.decode(): expected a 1-D tensor of ids, got shape [${ids.shape.join(", ")}]`);
      v = ids.values();
    } else {
      v = ids;
    }
    const parts = new Array<string>(v.length);
    for (let i = 0; i < v.length; i++) {
      const ch = this.vocab[v[i]];
      if (ch === undefined || !Number.isInteger(v[i])) {
        throw new Error(
          `CharTokenizer.decode(): id ${v[i]} at position ${i} is outside the vocabulary (ids are 0..${this.vocab.length - 1})`,
        );
      }
      parts[i] = ch;
    }
    return parts.join("");
  }
}
