"""PyTorch + transformers side of the GPT-2 benchmark (bench/gpt2.mjs is chainlab's): GPT-2
small with random weights, one measurement a process.

    python bench/gpt2_torch.py --measure step|step-checkpointed|lora|generate [--threads 1,2] [--quick] [--impl torch]

step: a full AdamW step on 4 x 128 tokens. step-checkpointed: the same with
model.gradient_checkpointing_enable(). lora: a LoRA of the same shape as chainlab's (r = 8,
alpha 16, on every attn.c_attn; written here, A Kaiming-uniform and B zero), AdamW on the
adapters alone. generate: greedy decoding of 32 tokens after 16, batch 1, with
past_key_values, written out (transformers' generate() does not import with Debian's torch
1.13 under Python 3.11). Each intra-op thread count in --threads is tried and the fastest
kept; peak resident memory is the process's. Prints `RESULT {json}` lines.
"""
import argparse
import json
import math
import resource
import time

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel

BATCH, CONTEXT, PROMPT, NEW_TOKENS = 4, 128, 16, 32


def time_reps(fn, reps, warm=1):
    for _ in range(warm):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return times[len(times) // 2]


class LoRAConv1D(torch.nn.Module):
    """GPT-2's Conv1D (weight [in, out]) frozen, plus (alpha / r) x A^T B^T."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        n_in, n_out = base.weight.shape
        self.lora_a = torch.nn.Parameter(torch.empty(r, n_in))
        torch.nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.lora_b = torch.nn.Parameter(torch.zeros(n_out, r))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.lora_a.t() @ self.lora_b.t()) * self.scaling


def build(measure):
    torch.manual_seed(0)
    config = GPT2Config(resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)  # GPT-2 small's shape
    model = GPT2LMHeadModel(config)
    if measure == "step-checkpointed":
        model.gradient_checkpointing_enable()
    if measure == "lora":
        model.requires_grad_(False)
        for block in model.transformer.h:
            block.attn.c_attn = LoRAConv1D(block.attn.c_attn, 8, 16)
    return config, model


def measure_once(measure, quick):
    config, model = build(measure)
    params = sum(p.numel() for p in model.parameters())
    if measure in ("step", "step-checkpointed", "lora"):
        model.train()
        trainable = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.01)
        x = torch.randint(0, config.vocab_size, (BATCH, CONTEXT))
        y = torch.randint(0, config.vocab_size, (BATCH, CONTEXT))
        out = {}

        def step():
            opt.zero_grad(set_to_none=True)
            logits = model(x).logits
            loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
            loss.backward()
            opt.step()
            out["loss"] = loss.item()

        ms = time_reps(step, 2 if quick else 4)
        return {"ms": ms, "loss": out["loss"], "params": params, "trainable": sum(p.numel() for p in trainable), "tokens": BATCH * CONTEXT}
    if measure == "generate":
        model.eval()
        prompt = torch.randint(0, config.vocab_size, (1, PROMPT))
        out = {}

        def generate():
            with torch.no_grad():
                res = model(prompt, use_cache=True)
                past, ids = res.past_key_values, [int(res.logits[0, -1].argmax())]
                for _ in range(NEW_TOKENS - 1):
                    res = model(torch.tensor([[ids[-1]]]), past_key_values=past, use_cache=True)
                    past = res.past_key_values
                    ids.append(int(res.logits[0, -1].argmax()))
            out["tokens"] = ids[:4]

        ms = time_reps(generate, 2 if quick else 3)
        weight_bytes = 4 * (params - model.transformer.wpe.weight.numel())
        return {"ms": ms, "newTokens": NEW_TOKENS, "msPerToken": ms / NEW_TOKENS,
                "weightGBPerSecond": weight_bytes * NEW_TOKENS / (ms / 1000) / 1e9, "tokens": out["tokens"]}
    raise SystemExit(f"unknown measure {measure}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--measure", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--impl", default="torch")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    tried, best = {}, None
    for n in sorted({int(t) for t in a.threads.split(",")}):
        torch.set_num_threads(n)
        r = measure_once(a.measure, a.quick)
        tried[str(n)] = r["ms"]
        if best is None or r["ms"] < best["ms"]:
            best = dict(r, threads=n)
    best.update({"part": "gpt2", "impl": a.impl, "shape": a.measure, "threadsTried": tried,
                 "torch": torch.__version__, "transformers": transformers.__version__,
                 "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    print("RESULT " + json.dumps(best), flush=True)


if __name__ == "__main__":
    main()
