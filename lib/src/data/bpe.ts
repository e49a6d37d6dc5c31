// GPT-2's byte-level byte-pair encoding (Radford et al. 2019; Sennrich et al. 2016 for BPE):
//
//   1. split the text into pre-tokens with a regular expression (contractions, runs of letters,
//      of digits, of other symbols, and whitespace), each with at most one leading space;
//   2. write each pre-token's UTF-8 bytes as printable characters (one per byte), so that any
//      text at all, emoji and Chinese included, becomes symbols of a 256-letter alphabet;
//   3. merge adjacent symbols, always the pair learnt earliest (lowest rank) first, until no
//      learnt pair is left; each final symbol is one token id.
//
// Identical pre-tokens recur constantly in text, so their ids are cached.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic";

/** GPT-2's pre-tokenising pattern: contractions, ` ?letters`, ` ?digits`, ` ?other`, then whitespace. */
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's one special token, which separates documents (id 50256 in GPT-2's vocabulary).
 * @example tok.encode(`${data.END_OF_TEXT}Once`, { allowedSpecial: [data.END_OF_TEXT] })
 */
export const END_OF_TEXT = "<|endoftext|>";

/**
 * Byte b -> the character that stands for it. Printable Latin-1 bytes stand for themselves;
 * the others (controls, space, soft hyphen...) are moved to 256 and up, in byte order, so
 * that no symbol is whitespace or invisible and merges.txt can separate pairs by a space.
 * A space is therefore "Ġ" (U+0120) and a newline "Ċ" (U+010A).
 */
function byteToUnicode(): string[] {
  const table = new Array<string>(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : next++);
  return table;
}

const BYTE_CHARS = byteToUnicode();
const CHAR_BYTE = new Map(BYTE_CHARS.map((ch, b) => [ch, b]));
const UTF8 = new TextEncoder();

/**
 * (left id, right id) -> rank and merged id, open addressing in typed arrays: a pair key
 * left * vocabSize + right passes 2^31 for GPT-2's vocabulary, and a Map of such keys hashes
 * heap numbers, several times slower than this.
 */
class PairTable {
  private readonly keys: Int32Array; // 2 per slot, left = -1 when empty
  private readonly vals: Int32Array; // rank, merged id
  private readonly mask: number;

  constructor(n: number) {
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    this.mask = cap - 1;
    this.keys = new Int32Array(cap * 2).fill(-1);
    this.vals = new Int32Array(cap * 2);
  }

  private slot(a: number, b: number): number {
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & this.mask;
    while (this.keys[2 * i] !== -1 && (this.keys[2 * i] !== a || this.keys[2 * i + 1] !== b)) i = (i + 1) & this.mask;
    return i;
  }

  /** Keeps the first (lowest-ranked) entry of a pair given twice. */
  add(a: number, b: number, rank: number, merged: number): void {
    const i = this.slot(a, b);
    if (this.keys[2 * i] !== -1) return;
    this.keys[2 * i] = a;
    this.keys[2 * i + 1] = b;
    this.vals[2 * i] = rank;
    this.vals[2 * i + 1] = merged;
  }

  /** The pair's rank, or -1 when it was never merged. */
  rank(a: number, b: number): number {
    const i = this.slot(a, b);
    return this.keys[2 * i] === -1 ? -1 : this.vals[2 * i];
  }

  merged(a: number, b: number): number {
    return this.vals[2 * this.slot(a, b) + 1];
  }
}

export interface BPEEncodeOptions {
  /**
   * Special tokens written in the text that become their single id: "all", or a list such
   * as ["<|endoftext|>"]. Default none.
   */
  allowedSpecial?: "all" | Iterable<string>;
  /**
   * Special tokens whose text is an error when found but not allowed (default "all", so a
   * stray "<|endoftext|>" in data is never silently a document boundary nor silently
   * ordinary text). Pass [] to encode them as ordinary text.
   */
  disallowedSpecial?: "all" | Iterable<string>;
}

export interface BPETrainOptions {
  /** Tokens added after the merges, each one id (default ["<|endoftext|>"]). */
  specialTokens?: string[];
}

/**
 * GPT-2's tokenizer: text -> token ids and back, byte-level so that every string encodes
 * and decode(encode(s)) === s.
 * @example const tok = data.BPETokenizer.fromPretrained("gpt2/"); tok.encode("Hello world") // [15496, 995]
 */
export class BPETokenizer {
  /** token string (in the byte alphabet) -> id */
  readonly vocab: ReadonlyMap<string, number>;
  /** The merges in rank order, each a pair of token strings. */
  readonly merges: readonly (readonly [string, string])[];
  /** Special token text -> id, e.g. "<|endoftext|>" -> 50256. */
  readonly specialTokens: ReadonlyMap<string, number>;
  private readonly idToToken: string[];
  private readonly pairs: PairTable;
  private readonly byteIds: Int32Array;
  private readonly cache = new Map<string, number[]>();
  private readonly specialPattern: RegExp | null;

  constructor(vocab: Map<string, number> | Record<string, number>, merges: [string, string][], specialTokens: string[] = [END_OF_TEXT]) {
    const v = vocab instanceof Map ? new Map(vocab) : new Map(Object.entries(vocab));
    let maxId = -1;
    for (const [tok, id] of v) {
      if (!Number.isInteger(id) || id < 0) throw new Error(`BPETokenizer(): token ${JSON.stringify(tok)} has id ${id}, expected a non-negative integer`);
      maxId = Math.max(maxId, id);
    }
    this.idToToken = new Array<string>(maxId + 1);
    for (const [tok, id] of v) {
      if (this.idToToken[id] !== undefined) {
        throw new Error(`BPETokenizer(): id ${id} is given to both ${JSON.stringify(this.idToToken[id])} and ${JSON.stringify(tok)}`);
      }
      this.idToToken[id] = tok;
    }
    this.byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = v.get(BYTE_CHARS[b]);
      if (id === undefined) {
        throw new Error(`BPETokenizer(): the vocabulary has no token for byte 0x${b.toString(16).padStart(2, "0")} (${JSON.stringify(BYTE_CHARS[b])}); a byte-level vocabulary needs all 256`);
      }
      this.byteIds[b] = id;
    }
    this.pairs = new PairTable(merges.length);
    merges.forEach(([a, b], rank) => {
      const ia = v.get(a), ib = v.get(b), im = v.get(a + b);
      const missing = ia === undefined ? a : ib === undefined ? b : im === undefined ? a + b : null;
      if (missing !== null) throw new Error(`BPETokenizer(): merge ${rank + 1} (${JSON.stringify(a)} ${JSON.stringify(b)}) uses ${JSON.stringify(missing)}, which is not in the vocabulary`);
      this.pairs.add(ia!, ib!, rank, im!);
    });
    const special = new Map<string, number>();
    for (const s of specialTokens) {
      const id = v.get(s);
      if (id === undefined) throw new Error(`BPETokenizer(): special token ${JSON.stringify(s)} is not in the vocabulary`);
      special.set(s, id);
    }
    this.vocab = v;
    this.merges = merges.map(([a, b]) => [a, b] as const);
    this.specialTokens = special;
    this.specialPattern = special.size
      ? new RegExp([...special.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "g")
      : null;
  }

  /**
   * Read a tokenizer directory: vocab.json + merges.txt (transformers' GPT2Tokenizer files;
   * also their original names encoder.json + vocab.bpe), or else tokenizer.json (a
   * byte-level BPE "fast" tokenizer file).
   * @example const tok = data.BPETokenizer.fromPretrained(process.env.CHAINLAB_GPT2_DIR);
   */
  static fromPretrained(dir: string): BPETokenizer {
    const pick = (...names: string[]) => names.map((n) => join(dir, n)).find((p) => existsSync(p));
    const vocabPath = pick("vocab.json", "encoder.json");
    const mergesPath = pick("merges.txt", "vocab.bpe");
    if (vocabPath && mergesPath) return BPETokenizer.fromFiles(vocabPath, mergesPath, addedSpecialTokens(dir));
    const fast = pick("tokenizer.json");
    if (fast) return BPETokenizer.fromTokenizerJSON(readJSON(fast), fast);
    throw new Error(`BPETokenizer.fromPretrained(): ${dir} has neither vocab.json + merges.txt nor tokenizer.json`);
  }

  /** vocab.json ({token: id}) and merges.txt (a "#version" line, then "left right" per line, by rank). */
  static fromFiles(vocabPath: string, mergesPath: string, specialTokens?: string[]): BPETokenizer {
    const vocab = readJSON(vocabPath);
    if (vocab === null || typeof vocab !== "object" || Array.isArray(vocab)) {
      throw new Error(`BPETokenizer: ${vocabPath} is not a JSON object of token -> id`);
    }
    const merges: [string, string][] = [];
    const lines = readFileSync(mergesPath, "utf8").split("\n");
    lines.forEach((raw, i) => {
      const line = raw.replace(/\r$/, "");
      if (line === "" || (i === 0 && line.startsWith("#version"))) return;
      const parts = line.split(" ");
      if (parts.length !== 2 || !parts[0] || !parts[1]) {
        throw new Error(`BPETokenizer: ${mergesPath} line ${i + 1} is ${JSON.stringify(line)}, expected two tokens separated by one space`);
      }
      merges.push([parts[0], parts[1]]);
    });
    const specials = (specialTokens ?? [END_OF_TEXT]).filter((s) => Object.prototype.hasOwnProperty.call(vocab, s));
    return wrap(vocabPath, () => new BPETokenizer(vocab as Record<string, number>, merges, specials));
  }

  /** A Hugging Face tokenizer.json whose model is byte-level BPE. */
  static fromTokenizerJSON(json: unknown, source = "tokenizer.json"): BPETokenizer {
    const fail = (problem: string): never => {
      throw new Error(`BPETokenizer: ${source}: ${problem}`);
    };
    const obj = json as { model?: Record<string, unknown>; added_tokens?: { id: number; content: string; special?: boolean }[]; pre_tokenizer?: Record<string, unknown> | null };
    const model = obj?.model;
    if (!model || model.type !== "BPE") fail(`model.type is ${JSON.stringify(model?.type)}, expected "BPE"`);
    const pre = obj.pre_tokenizer;
    const preTypes = !pre ? [] : pre.type === "Sequence" ? ((pre.pretokenizers as { type: string }[]) ?? []).map((p) => p.type) : [pre.type];
    if (!preTypes.includes("ByteLevel")) fail(`pre_tokenizer is ${JSON.stringify(preTypes)}, expected GPT-2's "ByteLevel" (this tokenizer is not byte-level)`);
    if (pre?.type === "ByteLevel" && pre.add_prefix_space === true) fail("pre_tokenizer.add_prefix_space is true; only GPT-2's false is supported");
    const vocab = model!.vocab as Record<string, number>;
    if (!vocab || typeof vocab !== "object") fail("model.vocab is missing");
    const rawMerges = (model!.merges ?? []) as (string | [string, string])[];
    const merges = rawMerges.map((m, i): [string, string] => {
      const parts = typeof m === "string" ? m.split(" ") : m;
      if (!Array.isArray(parts) || parts.length !== 2) fail(`model.merges[${i}] is ${JSON.stringify(m)}, expected "left right" or [left, right]`);
      return [parts[0], parts[1]];
    });
    const v = new Map(Object.entries(vocab));
    const specials: string[] = [];
    for (const t of obj.added_tokens ?? []) {
      if (!v.has(t.content)) v.set(t.content, t.id);
      if (t.special) specials.push(t.content);
    }
    return wrap(source, () => new BPETokenizer(v, merges, specials));
  }

  /**
   * Learn a byte-level BPE on `text`: start from the 256 bytes, and repeatedly merge the
   * most frequent adjacent pair within GPT-2's pre-tokens (ties: the pair of lowest ids)
   * until the vocabulary holds vocabSize tokens, special tokens included. Stops early when no
   * pair occurs twice.
   * @example const tok = data.BPETokenizer.train(mobyDick, 512); tok.encode("whale")
   */
  static train(text: string, vocabSize: number, opts: BPETrainOptions = {}): BPETokenizer {
    const specials = opts.specialTokens ?? [END_OF_TEXT];
    if (!Number.isInteger(vocabSize) || vocabSize < 256 + specials.length) {
      throw new Error(`BPETokenizer.train(): vocabSize must be an integer of at least ${256 + specials.length} (256 bytes + ${specials.length} special), got ${vocabSize}`);
    }
    // distinct pre-tokens as byte sequences, with their counts
    const counts = new Map<string, number>();
    for (const m of text.matchAll(GPT2_PATTERN)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
    const words: number[][] = [];
    const freq: number[] = [];
    const encoder = new TextEncoder();
    for (const [w, c] of counts) {
      words.push(Array.from(encoder.encode(w)));
      freq.push(c);
    }
    // tokens 0..255 are the bytes in byte order; merged tokens follow
    const tokens: string[] = BYTE_CHARS.slice();
    const B = 1 << 24; // pair key base: ids stay far below
    const pairCount = new Map<number, number>();
    const where = new Map<number, Set<number>>();
    const addPairs = (wi: number, sign: number) => {
      const w = words[wi];
      for (let i = 0; i + 1 < w.length; i++) {
        const key = w[i] * B + w[i + 1];
        pairCount.set(key, (pairCount.get(key) ?? 0) + sign * freq[wi]);
        if (sign > 0) {
          let s = where.get(key);
          if (!s) where.set(key, (s = new Set()));
          s.add(wi);
        }
      }
    };
    words.forEach((_, wi) => addPairs(wi, 1));
    const merges: [string, string][] = [];
    while (tokens.length + specials.length < vocabSize) {
      let best = -1, bestCount = 1;
      for (const [key, c] of pairCount) if (c > bestCount || (c === bestCount && c > 1 && key < best)) [best, bestCount] = [key, c];
      if (best < 0) break;
      const a = Math.floor(best / B), b = best % B, id = tokens.length;
      tokens.push(tokens[a] + tokens[b]);
      merges.push([tokens[a], tokens[b]]);
      for (const wi of where.get(best) ?? []) {
        addPairs(wi, -1);
        const w = words[wi], out: number[] = [];
        for (let i = 0; i < w.length; i++) {
          if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
            out.push(id);
            i++;
          } else out.push(w[i]);
        }
        words[wi] = out;
        addPairs(wi, 1);
      }
      where.delete(best);
      pairCount.delete(best);
      for (const [key, c] of pairCount) if (c <= 0) pairCount.delete(key);
    }
    const vocab = new Map<string, number>(tokens.map((t, i) => [t, i]));
    for (const s of specials) vocab.set(s, vocab.size);
    return new BPETokenizer(vocab, merges, specials);
  }

  /** Ids 0..vocabSize-1 (50,257 for GPT-2). */
  get vocabSize(): number {
    return this.idToToken.length;
  }

  /** The id of "<|endoftext|>", or undefined when this vocabulary has none. */
  get eosTokenId(): number | undefined {
    return this.specialTokens.get(END_OF_TEXT);
  }

  /**
   * Token ids of `text`. Special tokens written in the text ("<|endoftext|>") are an error
   * unless allowed: {allowedSpecial: ["<|endoftext|>"]} (or "all") makes each one its id, as
   * transformers' GPT2Tokenizer does; {disallowedSpecial: []} encodes them as ordinary text.
   * @example tok.encode("a story<|endoftext|>", { allowedSpecial: "all" }) // [..., 50256]
   */
  encode(text: string, opts: BPEEncodeOptions = {}): number[] {
    if (typeof text !== "string") throw new Error(`BPETokenizer.encode(): expected a string, got ${text === null ? "null" : typeof text}`);
    const allowed = specialSet(opts.allowedSpecial, this.specialTokens, "allowedSpecial", new Set());
    const disallowed = specialSet(opts.disallowedSpecial, this.specialTokens, "disallowedSpecial", new Set(this.specialTokens.keys()));
    const out: number[] = [];
    let start = 0;
    if (this.specialPattern && (allowed.size || disallowed.size)) {
      for (const m of text.matchAll(this.specialPattern)) {
        if (allowed.has(m[0])) {
          this.encodeOrdinary(text.slice(start, m.index), out);
          out.push(this.specialTokens.get(m[0])!);
          start = m.index! + m[0].length;
        } else if (disallowed.has(m[0])) {
          throw new Error(
            `BPETokenizer.encode(): the text contains the special token ${JSON.stringify(m[0])} at position ${m.index}; ` +
              `pass {allowedSpecial: [${JSON.stringify(m[0])}]} to encode it as id ${this.specialTokens.get(m[0])}, or {disallowedSpecial: []} to encode it as ordinary text`,
          );
        }
      }
    }
    this.encodeOrdinary(text.slice(start), out);
    return out;
  }

  /** The text of ids; bytes that do not form valid UTF-8 (a cut-off character) decode as U+FFFD. */
  decode(ids: ArrayLike<number> | Iterable<number>): string {
    const list = Array.from(ids as ArrayLike<number>);
    const bytes: number[] = [];
    const parts: string[] = [];
    const flush = () => {
      if (bytes.length) parts.push(new TextDecoder().decode(new Uint8Array(bytes)));
      bytes.length = 0;
    };
    list.forEach((id, pos) => {
      const tok = Number.isInteger(id) ? this.idToToken[id] : undefined;
      if (tok === undefined) {
        throw new Error(`BPETokenizer.decode(): id ${id} at position ${pos} is not in the vocabulary (ids 0..${this.vocabSize - 1})`);
      }
      if (this.specialTokens.has(tok)) {
        flush();
        parts.push(tok);
        return;
      }
      for (const ch of tok) {
        const b = CHAR_BYTE.get(ch);
        if (b === undefined) throw new Error(`BPETokenizer.decode(): token ${id} (${JSON.stringify(tok)}) holds ${JSON.stringify(ch)}, which stands for no byte`);
        bytes.push(b);
      }
    });
    flush();
    return parts.join("");
  }

  /** The token strings of ids as the vocabulary spells them ("Ġworld" for " world"). */
  convertIdsToTokens(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.idToToken[id] ?? `<unknown ${id}>`);
  }

  /**
   * Each token's own text, for showing a tokenisation: ["Hello", " world"]. A token that is
   * part of a multi-byte character shows as the bytes it holds (e.g. "\\xe4").
   */
  tokenTexts(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => {
      const tok = this.idToToken[id];
      if (tok === undefined || this.specialTokens.has(tok)) return tok ?? `<unknown ${id}>`;
      const bytes = Uint8Array.from(tok, (ch) => CHAR_BYTE.get(ch) ?? 0x3f);
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        return Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("");
      }
    });
  }

  /** Write vocab.json and merges.txt, the files transformers' GPT2Tokenizer and fromPretrained read. */
  savePretrained(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const vocab: Record<string, number> = {};
    this.idToToken.forEach((tok, id) => Object.defineProperty(vocab, tok, { value: id, enumerable: true, writable: true, configurable: true }));
    const utf8 = new TextEncoder();
    writeFileAtomic(join(dir, "vocab.json"), utf8.encode(JSON.stringify(vocab)));
    writeFileAtomic(join(dir, "merges.txt"), utf8.encode(["#version: 0.2", ...this.merges.map(([a, b]) => `${a} ${b}`)].join("\n") + "\n"));
  }

  private encodeOrdinary(text: string, out: number[]): void {
    if (!text) return;
    for (const m of text.matchAll(GPT2_PATTERN)) {
      const piece = m[0];
      let ids = this.cache.get(piece);
      if (ids === undefined) {
        ids = this.bpe(piece);
        if (this.cache.size >= 100_000) this.cache.clear(); // bounded: a long stream of novel text must not grow it forever
        this.cache.set(piece, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  /** Merge one pre-token's bytes by rank: repeatedly the lowest-ranked adjacent pair, every occurrence left to right. */
  private bpe(piece: string): number[] {
    const bytes = UTF8.encode(piece);
    let word = Array.from(bytes, (b) => this.byteIds[b]);
    while (word.length > 1) {
      let bestRank = Infinity, bestAt = -1;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = this.pairs.rank(word[i], word[i + 1]);
        if (r >= 0 && r < bestRank) [bestRank, bestAt] = [r, i];
      }
      if (bestAt < 0) break;
      const left = word[bestAt], right = word[bestAt + 1];
      const merged = this.pairs.merged(left, right);
      const next: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
          next.push(merged);
          i++;
        } else next.push(word[i]);
      }
      word = next;
    }
    return word;
  }
}

function specialSet(opt: "all" | Iterable<string> | undefined, specials: ReadonlyMap<string, number>, name: string, dflt: Set<string>): Set<string> {
  if (opt === undefined) return dflt;
  if (opt === "all") return new Set(specials.keys());
  if (typeof opt === "string" || opt === null || typeof (opt as Iterable<string>)[Symbol.iterator] !== "function") {
    throw new Error(`BPETokenizer.encode(): ${name} must be "all" or a list of special tokens, got ${JSON.stringify(opt)}`);
  }
  const s = new Set(opt);
  for (const t of s) {
    if (!specials.has(t)) throw new Error(`BPETokenizer.encode(): ${name} names ${JSON.stringify(t)}, which is not a special token of this tokenizer (${[...specials.keys()].map((k) => JSON.stringify(k)).join(", ") || "none"})`);
  }
  return s;
}

/** Special tokens named beside vocab.json: tokenizer_config.json's added_tokens_decoder, else just <|endoftext|>. */
function addedSpecialTokens(dir: string): string[] | undefined {
  const path = join(dir, "tokenizer_config.json");
  if (!existsSync(path)) return undefined;
  const cfg = readJSON(path) as { added_tokens_decoder?: Record<string, { content: string; special?: boolean }> };
  const added = Object.values(cfg?.added_tokens_decoder ?? {}).filter((t) => t.special).map((t) => t.content);
  return added.length ? added : undefined;
}

function readJSON(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`BPETokenizer: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`BPETokenizer: ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function wrap<T>(source: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    throw new Error(`${(e as Error).message} (reading ${source})`);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
