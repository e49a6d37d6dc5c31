// Datasets, batching, tokenizers, the corpora the notebooks use and small generated sets.
export { Dataset, ArrayDataset, TensorDataset, Subset, CharDataset, asDataset, randomSplit, charDataset, getBatch } from "./dataset";
export type { DatasetLike } from "./dataset";
export { DataLoader, defaultCollate } from "./dataloader";
export type { DataLoaderOptions, Collated } from "./dataloader";
export { CharTokenizer } from "./tokenizer";
export type { CharTokenizerJSON } from "./tokenizer";
export { BPETokenizer, END_OF_TEXT } from "./bpe";
export type { BPEEncodeOptions, BPETrainOptions } from "./bpe";
export { loadMobyDick, loadMobyDickChapters, loadSpamAssassin, loadDigits } from "./corpora";
export type { MobyDickChapter, SpamMessage } from "./corpora";
export { makeMoons, makeCircles, makeSpirals } from "./toy";
export type { ToyOptions, ToySet } from "./toy";
