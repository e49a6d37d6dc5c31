// nn: modules, layers, the GPT, LoRA and partial fine-tuning (like torch.nn).
export { Module, ModuleList, ModuleDict, Sequential, Parameter, isParameter } from "./module";
export type { StateDict, LoadResult } from "./module";
export { Linear, Embedding, LayerNorm, Dropout, ReLU, GELU, Tanh, Sigmoid, Flatten, Conv2d, MaxPool2d } from "./layers";
export { BatchNorm1d, BatchNorm2d } from "./batchnorm";
export type { BatchNormConfig } from "./batchnorm";
export { CrossEntropyLoss, MSELoss } from "./losses";
export { CausalSelfAttention, KVCache, scaledDotProductAttention } from "./attention";
export type { AttentionConfig } from "./attention";
export { GPT, Block, MLP } from "./gpt";
export { checkpoint } from "./checkpoint";
export type { GPTConfig, GenerateOptions } from "./gpt";
export { gptConfigFromHF, hfConfigOf } from "./gpt2-hf";
export { sampleNext } from "./sampling";
export type { SamplingOptions } from "./sampling";
export type { GPT2HFConfig, FromPretrainedOptions } from "./gpt2-hf";
export { LoRALinear, applyLoRA, mergeLoRA, unmergeLoRA, loraLayers, loraStateDict } from "./lora";
export type { LoRAConfig, ApplyLoRAOptions, LoRASummary } from "./lora";
export { freeze, unfreeze, countParameters, trainableParameters } from "./freeze";
export type { FreezeTarget, ParameterCount } from "./freeze";
export { matchesName } from "./patterns";
export type { NamePattern } from "./patterns";
import * as initNamespace from "./init";
/**
 * In-place initialisers outside the graph, like torch.nn.init: uniform_, normal_, zeros_, ones_.
 * @example nn.init.normal_(layer.weight, 0, 0.02)
 */
export import init = initNamespace;
